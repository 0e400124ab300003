"""`brandloop check`: Vale-style alerts with exact positions for text, Markdown and CSV; JSON output; exit codes."""
import json

import pytest
from click.testing import CliRunner

from brandloop.cli import cli
from brandloop.knowledge.copycheck import CopyChecker, column_field, kind_of
from brandloop.knowledge.registry import RulebookRegistry

MD = ("# Start your free trial!\n\n```\nfree trial!\n```\n"
      "Cobalt flow is the fastest workflow tool. It is a game changer.\n\n- `free trial!` and [docs](https://x.example/fastest)\n")


def check(home, args, stdin=None):
    return CliRunner().invoke(cli, ["check", *args], obj={"home": home}, input=stdin)


@pytest.fixture
def cobalt(home):
    return RulebookRegistry(home).rules_only("cobalt")


def test_markdown_alerts_have_vale_positions_and_skip_code(home, tmp_path):
    f = tmp_path / "copy.md"
    f.write_text(MD)
    r = check(home, ["--rulebook", "cobalt", "--channel", "linkedin", str(f)])
    assert r.exit_code == 1, r.output
    lines = [x for x in r.stdout.splitlines() if x]
    assert lines == [
        f"{f}:1:14  error  Free-trial offers need 'No credit card required.'  cobalt.trial-terms",
        f"{f}:1:24  error  Don't use exclamation marks in B2B copy.  Cobalt.Exclamation",
        f"{f}:6:1  error  Use 'Cobalt Flow' instead of 'Cobalt flow'.  Cobalt.Trademarks",
        f"{f}:6:20  error  Unbacked claim 'fastest': cite a product fact.  cobalt.claims",
        f"{f}:6:51  error  'game changer' reads as hype on LinkedIn.  cobalt.linkedin-hype",
    ]  # the fenced block, the inline code and the link target on lines 4 and 8 are not copy
    assert "5 error(s), 0 warning(s) and 0 suggestion(s) in 1 file(s)." in r.stderr


def test_channel_scoping_and_clean_copy_exits_0(home, tmp_path):
    f = tmp_path / "copy.txt"
    f.write_text("It is a game changer.\n")
    assert check(home, ["--rulebook", "cobalt", "--channel", "linkedin", str(f)]).exit_code == 1
    r = check(home, ["--rulebook", "cobalt", "--channel", "x", str(f)])  # the hype rule is LinkedIn-only
    assert r.exit_code == 0 and r.stdout == "" and "0 error(s)" in r.stderr


def test_csv_one_ad_per_row_with_channel_limits_and_json(home, tmp_path):
    f = tmp_path / "ads.csv"
    f.write_text("id,Headline 1,Headline 2,Description 1,url\n"
                 "a1,Automate handoffs,Cobalt flow for teams,Start a free trial today.,https://x.example/fastest\n"
                 "a2,A headline that is much too long to fit,Fine,Connects to 300+ apps.,https://x.example\n")
    r = check(home, ["--rulebook", "cobalt", "--channel", "google_rsa", "--output", "json", str(f)])
    assert r.exit_code == 1, r.output
    alerts = json.loads(r.stdout)[str(f)]
    got = [(a["Line"], a["Span"], a["Check"], a["Match"]) for a in alerts]
    assert got == [(2, [22, 32], "Cobalt.Trademarks", "Cobalt flow"),
                   (2, [52, 61], "cobalt.trial-terms", "free trial"),
                   (3, [4, 42], "channel.length", "A headline that is much too long to fit")]
    assert all(a["Severity"] == "error" for a in alerts)  # the url column is not copy: 'fastest' is not flagged


def test_stdin_and_required_rule_sees_the_whole_text(home):
    r = check(home, ["--rulebook", "cobalt", "-"], stdin="Start a free trial.\nNo credit card required.\n")
    assert r.exit_code == 0, r.output
    r = check(home, ["--rulebook", "cobalt", "--ext", "csv", "-"], stdin="text\nStart a free trial.\nNo credit card required.\n")
    assert r.exit_code == 1 and "cobalt.trial-terms" in r.stdout  # a CSV row is one ad on its own


@pytest.mark.parametrize("args, message", [
    (["--rulebook", "nope", "x.txt"], "no rulebook named 'nope'"),
    (["--rulebook", "cobalt", "--channel", "myspace", "x.txt"], "field '--channel': unknown channel 'myspace'"),
    (["--rulebook", "cobalt", "missing.txt"], "missing.txt: field '(file)': cannot read it (No such file or directory)"),
])
def test_bad_input_exits_2_with_one_line(home, args, message):
    r = check(home, args)
    assert r.exit_code == 2 and message in r.output and r.output.strip().count("\n") == 0, r.output


def test_bad_files(home, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    r = check(home, ["--rulebook", "cobalt", str(latin)])
    assert r.exit_code == 2 and "is not UTF-8 text (fix: save it as UTF-8)" in r.output
    nocopy = tmp_path / "ids.csv"
    nocopy.write_text("id,url\n1,https://x.example\n")
    r = check(home, ["--rulebook", "cobalt", str(nocopy)])
    assert r.exit_code == 2 and "no copy columns" in r.output


def test_helpers(cobalt):
    assert column_field("Headline 12") == "headline" and column_field("Primary text") == "primary_text"
    assert column_field("Final URL") is None
    assert (kind_of("a.MD"), kind_of("a.csv"), kind_of("-", "md"), kind_of("notes")) == ("md", "csv", "md", "txt")
    alerts = CopyChecker(cobalt).check("Meet Cobalt insights!", "s")
    assert [(a.col, a.end_col, a.rule) for a in alerts] == [(6, 20, "Cobalt.Trademarks"), (21, 21, "Cobalt.Exclamation")]


def test_web_check_api_gives_the_same_alerts(home):
    from fastapi.testclient import TestClient

    from brandloop.web.app import create_app

    from brandloop.knowledge.registry import BUNDLED

    RulebookRegistry(home).add(BUNDLED / "cobalt", "cobalt")
    with TestClient(create_app(home, lambda s, **kw: None)) as client:
        page = client.get("/rulebooks/cobalt")
        assert 'id="check-copy"' in page.text and "/static/check.js" in page.text
        r = client.post("/api/rulebooks/cobalt/check", json={"text": "Meet Cobalt insights!", "channel": "linkedin"})
        assert r.status_code == 200
        assert [(a["col"], a["end_col"], a["rule"]) for a in r.json()] == [(6, 20, "Cobalt.Trademarks"),
                                                                           (21, 21, "Cobalt.Exclamation")]
        assert client.post("/api/rulebooks/cobalt/check", json={"text": "x", "channel": "myspace"}).status_code == 400
        assert client.post("/api/rulebooks/nope/check", json={"text": "x"}).status_code == 404
