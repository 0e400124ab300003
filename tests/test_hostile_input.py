"""Denial of service and clear errors (issue #13 items 5, 6, 7, 9 and 10): each hole gets a test that asserts
the refusal or the one-line message, never a traceback."""
from __future__ import annotations

import errno
import io
import os
import sqlite3
import time
import zipfile

import pytest
from click.testing import CliRunner

from brandloop.cli import cli
from brandloop.graph.brief import BriefError, load_brief
from brandloop.graph.runner import Runner
from brandloop.graph.store import RunStore
from brandloop.knowledge.registry import STALE_STAGING_S, RulebookRegistry
from brandloop.knowledge.rulebook.loader import chunk_markdown
from brandloop.knowledge.rules.engine import RuleEngine
from brandloop.knowledge.rules.model import Rule
from brandloop.knowledge.rules.types import TIMEOUT_MESSAGE
from tests.fakes import scripted
from tests.test_graph import GOOD
from tests.test_web_api import RULEBOOK, make_client

BRIEF = ("brand: Northwind Bank\nproduct: {name: Everyday Savings, facts: ['4.10% APY']}\n"
         "audience: [savers]\nchannel: google_rsa\n")


def bomb(levels: int = 9) -> str:
    """A 'billion laughs' YAML document: each level repeats the previous one 9 times."""
    out = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, levels + 1):
        out += f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n"
    return out


def invoke(home, *args, llm=None):
    return CliRunner().invoke(cli, ["--home", str(home), *args],
                              obj={"llm_factory": lambda spec, **kw: llm or scripted(GOOD)})


def one_line_error(r, code=2) -> str:
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output and r.output.strip().count("\n") == 0, r.output
    return r.output


# --- 5. YAML alias expansion -----------------------------------------------------------------------------
def test_yaml_bomb_rulebook_is_refused_quickly(home, tmp_path):
    rb = tmp_path / "bomb"
    rb.mkdir()
    (rb / "rulebook.yaml").write_text("brand: {name: B}\n" + bomb(), "utf-8")
    assert len((rb / "rulebook.yaml").read_bytes()) < 1000
    t0 = time.monotonic()
    r = invoke(home, "rulebook", "validate", str(rb))
    assert "aliases" in one_line_error(r) and "rulebook.yaml:" in r.output
    assert time.monotonic() - t0 < 10  # took 52 s and 2.4 GB before the budget


def test_yaml_bomb_brief_is_refused(tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text(BRIEF + "goal: x\nextra:\n" + "".join("  " + ln + "\n" for ln in bomb().splitlines()), "utf-8")
    with pytest.raises(BriefError, match="aliases"):
        load_brief(p)


def test_yaml_bomb_zip_to_the_web_validate_endpoint_is_refused(home):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("b/rulebook.yaml", "brand: {name: B}\n" + bomb())
    assert len(buf.getvalue()) < 1200
    with make_client(home) as c:
        r = c.post("/api/rulebooks/validate", files={"file": ("b.zip", buf.getvalue())})
    assert r.status_code == 400 and "aliases" in r.json()["issues"][0]


def test_a_few_ordinary_aliases_still_work(tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text(BRIEF + "goal: &g sign-ups\ntone: *g\n", "utf-8")
    assert load_brief(p)[0].tone == "sign-ups"


# --- 6. catastrophic regex rules -------------------------------------------------------------------------
SLOW = ("brand: {name: Slow}\nrules:\n  - id: slow\n    type: existence\n    message: no\n"
        "    raw: '(a|aa)+$'\n    examples: {pass: ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!']}\n")


def test_catastrophic_pattern_is_refused_at_add(home, tmp_path):
    rb = tmp_path / "slow"
    rb.mkdir()
    (rb / "rulebook.yaml").write_text(SLOW, "utf-8")
    r = invoke(home, "rulebook", "add", str(rb))
    assert "slow: a pattern takes longer than" in one_line_error(r) and "rulebook.yaml:3" in r.output
    assert RulebookRegistry(home).list() == []


def test_checking_with_a_catastrophic_pattern_stops_at_the_budget():
    engine = RuleEngine([Rule(id="slow", type="existence", message="no", params={"raw": "(a|aa)+$"})])
    t0 = time.monotonic()
    found = engine.check({"headline": ["a" * 34 + "!"]})
    assert time.monotonic() - t0 < 5  # 18 s before
    assert [v.message for v in found] == [TIMEOUT_MESSAGE]  # reported, never passed as clean


def test_conflict_detection_survives_slow_and_numeric_tokens():
    from brandloop.knowledge.rules.precedence import conflicts

    rules = [Rule(id="e", type="existence", params={"tokens": ["(a|aa)+$", 1]}),
             Rule(id="r", type="required", params={"text": "a" * 40 + "!"})]
    t0 = time.monotonic()
    assert conflicts(rules) == []
    assert time.monotonic() - t0 < 5


# --- 7. sizes --------------------------------------------------------------------------------------------
def test_chunking_a_huge_paragraph_is_linear_and_bounded():
    text = "# Voice\n\n" + "\n".join(["Write plainly and warmly about savings."] * 58000)  # 2.3 MB, no blank line
    t0 = time.monotonic()
    chunks = chunk_markdown(text, "g.md", "rb", "B")
    assert time.monotonic() - t0 < 10  # 216 s before
    assert len(chunks) > 500 and max(len(c.text) for c in chunks) < 2600


def test_oversized_rulebook_files_and_brief_fields_are_refused(home, tmp_path):
    rb = tmp_path / "big"
    (rb / "guidelines").mkdir(parents=True)
    (rb / "rulebook.yaml").write_text(RULEBOOK, "utf-8")
    (rb / "guidelines" / "huge.md").write_text("x" * (3 * 1024 * 1024), "utf-8")
    r = invoke(home, "rulebook", "validate", str(rb))
    assert "guidelines/huge.md: 3,145,728 bytes; the limit is 2,097,152" in one_line_error(r)
    p = tmp_path / "b.yaml"
    p.write_text(BRIEF + "key_message: " + "x" * 5000 + "\n", "utf-8")
    with pytest.raises(BriefError, match=r"field 'key_message': is longer than 2000 characters"):
        load_brief(p)


def test_huge_page_material_is_refused_before_parsing(tmp_path):
    from brandloop.materials import analyze

    page = tmp_path / "huge.html"
    page.write_bytes(b"<html><body>" + b"<p>Earn 4.10% APY</p>" * 300_000 + b"</body></html>")  # 6.3 MB
    t0 = time.monotonic()
    report = analyze(page)
    assert "file is too large" in report.error and "limit 5,000,000" in report.error
    assert time.monotonic() - t0 < 5


def test_facts_beyond_the_prompt_budget_are_dropped_with_a_trace_note(tmp_path):
    from langgraph.runtime import Runtime

    from brandloop.agents.context import Context
    from brandloop.agents.inputs import Brief
    from brandloop.agents.retriever import MAX_FACT_CHARS_IN_PROMPT, retrieve

    facts = [f"Fact number {i}: " + "y" * 400 for i in range(40)]
    brief = {"brand": "B", "product": {"name": "P", "facts": facts}, "audience": ["a"], "channel": "google_rsa"}
    events = []
    out = retrieve({"brief": Brief.model_validate(brief), "materials": []},
                   Runtime(context=Context(), stream_writer=events.append))
    assert sum(map(len, out["facts"])) <= MAX_FACT_CHARS_IN_PROMPT and len(out["facts"]) < 40
    assert "left out of the prompts" in events[0]["trace"]["notes"][0]


# --- 9. clear errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,data,expect", [
    ("latin1.yaml", "brand: Café\n".encode("latin-1"), "not UTF-8 text"),
    ("deep.json", b"[" * 100_000, "nested too deeply"),
    ("deep.yaml", b"a: " + b"[" * 100_000, "nesting too deep"),
])
def test_unreadable_briefs_give_one_line(home, tmp_path, name, data, expect):
    p = tmp_path / name
    p.write_bytes(data)
    assert expect in one_line_error(invoke(home, "run", str(p)))


@pytest.mark.parametrize("material,expect", [
    ("é" * 200 + ".txt", "File name too long"),
    ("a" * 300, "is longer than 255 characters"),
    ("~nosuchuser/x.txt", "materials.0"),
])
def test_bad_material_names_give_one_line(home, tmp_path, material, expect):
    p = tmp_path / "b.yaml"
    p.write_text(BRIEF + f"materials: ['{material}']\n", "utf-8")
    out = one_line_error(invoke(home, "run", str(p)))
    assert expect in out and "materials.0" in out


def test_non_utf8_rulebook_files_are_issues(home, tmp_path):
    rb = tmp_path / "enc"
    (rb / "guidelines").mkdir(parents=True)
    (rb / "vale" / "S").mkdir(parents=True)
    (rb / "rulebook.yaml").write_text(RULEBOOK, "utf-8")
    (rb / "guidelines" / "v.md").write_bytes("Café".encode("latin-1"))
    (rb / "vale" / "S" / "R.yml").write_bytes("message: 'Café'".encode("latin-1"))
    r = invoke(home, "rulebook", "validate", str(rb))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "guidelines/v.md:1: not UTF-8 text" in r.output and "S/R.yml:1: not UTF-8 text" in r.output


def test_unknown_user_home_is_a_one_line_input_error(tmp_path):
    r = CliRunner().invoke(cli, ["--home", "~nosuchuser_13/x", "runs"], obj={})
    assert "~nosuchuser_13" in one_line_error(r)


def test_non_json_body_to_the_api_is_a_400(home):
    with make_client(home) as c:
        for body in (b"not json", b"{\"brief\": ", b"\xff\xfe"):
            r = c.post("/api/runs", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 400 and "not valid JSON" in r.json()["detail"], r.text
        r = c.post("/api/runs", json=["a", "list"])
        assert r.status_code == 422


def test_deeply_nested_json_brief_is_a_400(home):
    with make_client(home) as c:
        for depth in (500, 5000):
            body = '{"brief": {"brand": ' + "[" * depth + "]" * depth + "}}"
            r = c.post("/api/runs", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 400, (depth, r.text[:200])
        assert c.get("/api/runs").json() == []


def test_read_only_data_home_says_how_to_fix_it(home, brief_file, monkeypatch):
    def readonly(self, *a, **kw):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(RunStore, "start_run", readonly)
    out = one_line_error(invoke(home, "run", str(brief_file)), code=1)
    assert "cannot write the data home" in out and "--home" in out
    from fastapi.testclient import TestClient

    from brandloop.web.app import create_app

    with TestClient(create_app(home, lambda spec, **kw: scripted(GOOD)), raise_server_exceptions=False) as c:
        assert c.get("/api/runs").status_code == 200
        monkeypatch.setattr(RunStore, "list_runs", readonly)
        r = c.get("/api/runs")
        assert r.status_code == 503 and "cannot write the data home" in r.json()["detail"]


def test_unwritable_home_folder_is_one_line(tmp_path, monkeypatch):
    import pathlib

    def denied(self, *a, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "mkdir", denied)
    r = CliRunner().invoke(cli, ["--home", str(tmp_path / "nohome"), "runs"], obj={})
    assert "cannot create the data home" in one_line_error(r, code=1)


def test_full_disk_mid_run_says_the_run_is_resumable(home, brief_file, monkeypatch):
    calls = {"n": 0}
    real = RunStore.add_events

    def add_events(self, run_id, events):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, run_id, events)

    monkeypatch.setattr(RunStore, "add_events", add_events)
    out = one_line_error(invoke(home, "run", "-q", str(brief_file)), code=1)
    run_id = RunStore(home).list_runs(1)[0]["run_id"]
    assert "the disk is full" in out and f"'brandloop resume {run_id}'" in out
    monkeypatch.setattr(RunStore, "add_events", real)
    r = invoke(home, "resume", run_id)
    assert r.exit_code == 0, r.output


def test_stale_staging_folders_are_removed_by_the_next_add(home, tmp_path):
    rb = tmp_path / "tiny"
    rb.mkdir()
    (rb / "rulebook.yaml").write_text(RULEBOOK, "utf-8")
    stale = home / "rulebooks" / "tiny" / ".staging-dead"
    stale.mkdir(parents=True)
    old = time.time() - STALE_STAGING_S - 5
    os.utime(stale, (old, old))
    RulebookRegistry(home).add(rb)
    assert not stale.exists()
    assert not list((home / "rulebooks" / "tiny").glob(".staging-*"))


# --- 10. every rulebook validate accepts also runs -------------------------------------------------------
@pytest.mark.parametrize("rule", [
    "  - {id: r1, type: required, text: Member FDIC}\n",
    "  - {id: r2, type: existence, raw: '\\bcheapest\\b', message: no}\n",
    "  - {id: r3, type: occurrence, token: savings, min: 1, message: say savings}\n",
])
def test_documented_rule_forms_run(home, tmp_path, brief_file, rule):
    rb = tmp_path / "forms"
    rb.mkdir()
    (rb / "rulebook.yaml").write_text("brand: {name: Northwind Bank}\nrules:\n" + rule, "utf-8")
    RulebookRegistry(home).validate(rb)
    result = Runner(home, lambda spec, **kw: scripted(GOOD)).run(brief_file, _settings(rulebook=str(rb)))
    assert len(result["variants"]) == 3


def _settings(**kw):
    from brandloop.graph.context import RunSettings

    return RunSettings(max_revisions=0, **kw)
