"""`rulebook` CLI: broken rulebooks give file:line errors and exit code 2; examples validate."""
import pathlib
import textwrap

import pytest
from click.testing import CliRunner

from brandloop.cli_rulebook import rulebook

ROOT = pathlib.Path(__file__).resolve().parent.parent / "rulebooks"

GOOD = """\
brand:
  name: Test Brand
rules:
  - id: t.banned
    type: existence
    severity: error
    message: "No '%s'."
    tokens: [cheap]
    examples: {pass: [fine], fail: [cheap]}
"""


def _rb(tmp_path, body, name="tb", files=None):
    d = tmp_path / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "rulebook.yaml").write_text(textwrap.dedent(body), "utf-8")
    for rel, txt in (files or {}).items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(txt, "utf-8")
    return d


def _run(args, home):
    return CliRunner().invoke(rulebook, args, obj={"home": str(home)})


@pytest.mark.parametrize("name", ["northwind_bank", "verdant", "verdant_kids", "cobalt"])
def test_examples_validate(name, tmp_path):
    res = _run(["validate", str(ROOT / name)], tmp_path)
    assert res.exit_code == 0, res.output + res.stderr
    assert res.output.startswith("ok:") or "ok:" in res.output


@pytest.mark.parametrize("body,line,needle", [
    ("brand:\n  name: X\nrules:\n  - id: a\n    type: existence\n    tokens: [a\n", 6, "YAML syntax"),
    ("brand:\n  name: X\nrules:\n  - id: a\n    type: sparkle\n    message: m\n", 5, "unknown rule type 'sparkle'"),
    ("brand:\n  name: X\nrules:\n  - id: a\n    type: existence\n    message: m\n", 4, "rules.0.tokens: missing field"),
    ("brand:\n  name: X\nrules:\n  - id: a\n    type: existence\n    message: m\n    tokens: ['(oops']\n", 7, "bad regular expression"),
    ("brand:\n  name: X\n  parent: ghost\n", 3, "parent rulebook 'ghost' does not exist"),
    ("brand:\n  voice: [x]\n", 1, "brand.name: missing field"),
])
def test_broken_rulebooks_exit_2_with_file_line(tmp_path, body, line, needle):
    d = _rb(tmp_path, body)
    res = _run(["validate", str(d)], tmp_path / "home")
    assert res.exit_code == 2, res.output
    assert f"rulebook.yaml:{line}" in res.stderr and needle in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    res = _run(["add", str(d)], tmp_path / "home")
    assert res.exit_code == 2 and "rulebook.yaml" in res.stderr


def test_inheritance_cycle(tmp_path):
    _rb(tmp_path, "brand:\n  name: A\n  parent: b\n", name="a")
    _rb(tmp_path, "brand:\n  name: B\n  parent: a\n", name="b")
    res = _run(["validate", str(tmp_path / "a")], tmp_path / "home")
    assert res.exit_code == 2
    assert "rulebook.yaml:3" in res.stderr and "inheritance cycle: a -> b -> a" in res.stderr


def test_vale_errors_have_file_line(tmp_path):
    d = _rb(tmp_path, GOOD, files={"vale/S/Bad.yml": "extends: existence\nmessage: x\ntokens:\n  - '[unclosed'\n"})
    res = _run(["validate", str(d)], tmp_path / "home")
    assert res.exit_code == 2 and "vale/S/Bad.yml:3" in res.stderr


def test_missing_rulebook_and_not_installed(tmp_path):
    assert _run(["validate", str(tmp_path / "nope")], tmp_path).exit_code == 2
    res = _run(["show", "nope"], tmp_path)
    assert res.exit_code == 2 and "not installed" in res.stderr
    assert _run(["remove", "nope"], tmp_path).exit_code == 2


def test_test_command_reports_failures(tmp_path):
    d = _rb(tmp_path, GOOD.replace("fail: [cheap]", "fail: [pricey]"))
    res = _run(["test", str(d)], tmp_path / "home")
    assert res.exit_code == 1 and "FAIL t.banned [fail] 'pricey'" in res.output and "1 passed, 1 failed" in res.output


def test_home_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("BRANDLOOP_HOME", str(tmp_path / "envhome"))
    res = CliRunner().invoke(rulebook, ["list"])
    assert res.exit_code == 0 and "installed" not in res.output.replace("installed on first use", "")
    assert not (tmp_path / "envhome" / "rulebooks").exists() or not any((tmp_path / "envhome" / "rulebooks").iterdir())


def test_list_shows_bundled_examples_as_available_before_install(tmp_path):
    home = tmp_path / "home"
    rows = {ln.split()[0]: ln.split()[1] for ln in _run(["list"], home).output.splitlines()[1:-1]}
    bundled = sorted(p.name for p in ROOT.iterdir() if (p / "rulebook.yaml").is_file())
    assert rows == {name: "available" for name in bundled} and "northwind_bank" in rows
    assert _run(["add", str(ROOT / "cobalt")], home).exit_code == 0
    out = _run(["list"], home).output
    rows = {ln.split()[0]: ln.split()[1] for ln in out.splitlines()[1:-1]}
    assert rows["cobalt"] == "installed" and rows["verdant"] == "available" and out.count("cobalt") == 1


def test_show_prints_each_rule_readably(tmp_path):
    home = tmp_path / "home"
    d = _rb(tmp_path, GOOD, files={"guidelines/voice.md": "# Voice\n\nWrite plainly. Never say cheap.\n"})
    assert _run(["add", str(d)], home).exit_code == 0
    res = _run(["show", "tb"], home)
    assert res.exit_code == 0, res.output
    lines = [ln.strip() for ln in res.output.splitlines()]
    i = lines.index("t.banned  [existence, error]")
    assert lines[i + 1:i + 5] == ["No ….", "terms:   cheap", "flags:   cheap", "accepts: fine"]
    assert "Voice  (guidelines/voice.md:1, 1 passage(s))" in lines
    assert "rules_by_type" not in res.output and "node_kinds" not in res.output
