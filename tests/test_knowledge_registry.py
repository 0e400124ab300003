"""Registry with a real Chroma index under tmp homes: add, show, list, retrieval with stable ids,
persistence across processes, atomic replace and failed re-add."""
import json
import pathlib
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from brandloop.cli_rulebook import rulebook
from brandloop.knowledge.registry import RulebookRegistry
from brandloop.knowledge.rulebook import RulebookError

ROOT = pathlib.Path(__file__).resolve().parent.parent / "rulebooks"
REPO = ROOT.parent


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    h = tmp_path_factory.mktemp("home")
    r = CliRunner()
    for name in ["northwind_bank", "verdant", "verdant_kids", "cobalt"]:
        res = r.invoke(rulebook, ["add", str(ROOT / name)], obj={"home": str(h)})
        assert res.exit_code == 0, res.output + res.stderr
        assert "golden examples" not in res.output  # no golden failures reported
    return h


def test_list_show_test(home):
    r = CliRunner()
    out = r.invoke(rulebook, ["list"], obj={"home": str(home)}).output
    assert all(n in out for n in ["northwind_bank", "verdant", "verdant_kids", "cobalt"])
    for name in ["northwind_bank", "verdant", "verdant_kids", "cobalt"]:
        res = r.invoke(rulebook, ["show", name], obj={"home": str(home)})
        assert res.exit_code == 0 and "Rules (" in res.output and "Knowledge graph:" in res.output
        assert "Guideline sections (" in res.output
        res = r.invoke(rulebook, ["test", name], obj={"home": str(home)})
        assert res.exit_code == 0 and " 0 failed" in res.output, res.output
    info = RulebookRegistry(home).show("cobalt")
    assert info["rules_by_type"]["substitution"] >= 1 and info["rules_by_type"]["metric"] == 1
    assert not any("metric" in u for u in info["unsupported"])  # Vale metric rules are enforced


def test_guidelines_for_returns_cited_passages(home):
    know = RulebookRegistry(home).load("northwind_bank")
    ps = know.guidelines_for("how do we disclose an interest rate or APY", k=2)
    assert ps and ps[0].id == "northwind_bank/guidelines/voice.md#northwind-bank-brand-guidelines-rates-and-disclosures"
    assert ps[0].file == "guidelines/voice.md" and ps[0].line == 8 and "Rates and disclosures" in ps[0].section
    kids = RulebookRegistry(home).load("verdant_kids")
    inherited = kids.guidelines_for("nutrition claims protein calories", brand="Verdant", k=1)
    assert inherited and inherited[0].rulebook == "verdant"
    tik = kids.guidelines_for("emoji in short video ads", channel="tiktok", k=3)
    assert any("TikTok" in p.section for p in tik)


def test_persistence_in_new_process(home):
    code = ("import sys, pathlib; from knowledge.registry import RulebookRegistry;"
            "k = RulebookRegistry(pathlib.Path(sys.argv[1])).load('cobalt');"
            "ps = k.guidelines_for('free trial credit card', k=1);"
            "vs = k.check({'headline': ['Try cobalt flow']}, channel='linkedin');"
            "print(ps[0].id, [v.rule_id for v in vs])")
    out = subprocess.run([sys.executable, "-c", code, str(home)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "cobalt/guidelines/style.md#cobalt-writing-guidelines-free-trials" in out.stdout
    assert "Cobalt.Trademarks" in out.stdout


def test_failed_readd_keeps_previous_version(home, tmp_path, monkeypatch):
    reg = RulebookRegistry(home)
    src = tmp_path / "verdant"
    shutil.copytree(ROOT / "verdant", src)
    before = reg.load("verdant")
    (src / "guidelines" / "extra.md").write_text("# Extra\n\nNew section about packaging.\n", "utf-8")
    from brandloop.knowledge.index import GuidelineIndex

    def boom(self, *a, **k):
        raise RuntimeError("index exploded")
    monkeypatch.setattr(GuidelineIndex, "build", boom)
    with pytest.raises(RuntimeError):
        reg.add(src, "verdant")
    monkeypatch.undo()
    after = reg.load("verdant")
    assert after.version == before.version
    assert after.guidelines_for("nutrition facts", k=1)
    assert after.check({"headline": ["cheap snacks"]}, channel="meta_feed")
    assert not list((home / "rulebooks" / "verdant").glob(".staging-*"))
    # a good re-add replaces the version atomically, and the old one is cleaned up
    rep = reg.add(src, "verdant")
    assert rep.replaced == before.version and rep.version != before.version
    assert len(list((home / "rulebooks" / "verdant").glob("v-*"))) == 1
    assert reg.load("verdant").guidelines_for("packaging", k=1)[0].file == "guidelines/extra.md"


def test_invalid_readd_and_remove(home, tmp_path):
    reg = RulebookRegistry(home)
    bad = tmp_path / "cobalt"
    shutil.copytree(ROOT / "cobalt", bad)
    (bad / "rulebook.yaml").write_text("brand: [", "utf-8")
    with pytest.raises(RulebookError):
        reg.add(bad, "cobalt")
    assert reg.load("cobalt").check({"t": ["Synergy!"]}, channel="linkedin")
    reg.add(ROOT / "cobalt", "cobalt2")
    reg.remove("cobalt2")
    assert "cobalt2" not in [r["name"] for r in reg.list()]
    with pytest.raises(RulebookError):
        reg.load("cobalt2")


def test_ensure_bundled_and_path(tmp_path):
    reg = RulebookRegistry(tmp_path / "h")
    k = reg.ensure("verdant_kids")  # bundled name, installs with its parent resolved from rulebooks/
    assert k.name == "verdant_kids" and k.brand == "Verdant Kids"
    v = k.version
    assert reg.ensure("verdant_kids").version == v  # no re-add when unchanged
    assert reg.ensure(ROOT / "cobalt").name == "cobalt"
