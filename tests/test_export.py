"""`brandloop export`: formats, round trips, channel-limit checks before writing, and one-line errors."""
import csv
import io
import json

import pytest

from brandloop.export import GOOGLE_COLUMNS, META_COLUMNS, Target, parse_export, render
from brandloop.graph.brief import BriefError
from tests.fakes import scripted
from tests.test_cli import invoke
from tests.test_graph import GOOD, GUARANTEED, by_angle

META_COPY = ("PRIMARY TEXT: Open an Everyday Savings account in minutes and earn 4.10% APY.\n"
             "HEADLINE: Earn 4.10% APY\nDESCRIPTION: Open online today")
TARGET = ["--campaign", "Savings Q3", "--ad-group", "Savers", "--final-url", "https://northwind.example/save"]


def low_for_guaranteed(prompt):
    return "SCORE: 2\nCRITIQUE: Weak.\nFIX: none" if "guaranteed" in prompt.lower() else "SCORE: 9\nCRITIQUE: Sharp.\nFIX: none"


@pytest.fixture
def search_run(home, brief_file):
    """v1 is repaired and below the threshold; v2 and v3 are approved."""
    llm = scripted(lambda p: GUARANTEED if "main benefit" in p else by_angle(p), critic=low_for_guaranteed)
    r = invoke(home, ["run", str(brief_file), "--json", "-q", "-k", "0"], llm)
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert [v["delivered"] for v in result["variants"]] == ["below_threshold", "approved", "approved"]
    return result


@pytest.fixture
def meta_run(home, tmp_path):
    brief = tmp_path / "meta.yaml"
    brief.write_text("brand: Northwind Bank\nproduct: {name: Everyday Savings, facts: ['4.10% APY']}\n"
                     "audience: [savers]\nchannel: meta_feed\nvariants: 2\n"
                     "export: {campaign: Feed Q3, ad_group: Savers 25-40, final_url: 'https://northwind.example',"
                     " call_to_action: LEARN_MORE}\n")
    r = invoke(home, ["run", str(brief), "--json", "-q", "-k", "0"], scripted(META_COPY))
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def test_google_ads_editor_round_trip_exports_only_approved(home, search_run, tmp_path):
    out = tmp_path / "rsa.csv"
    r = invoke(home, ["export", search_run["run_id"], "--format", "google-ads-editor", "--out", str(out),
                      *TARGET, "--path-1", "savings"])
    assert r.exit_code == 0, r.output
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert rows[0] == GOOGLE_COLUMNS and len(rows) == 3  # header + the two approved variants
    rec = dict(zip(rows[0], rows[1]))
    assert (rec["Campaign"], rec["Ad group"], rec["Path 1"], rec["Final URL"]) == (
        "Savings Q3", "Savers", "savings", "https://northwind.example/save")
    approved = [v for v in search_run["variants"] if v["delivered"] == "approved"]
    back = list(parse_export(out.read_text(encoding="utf-8"), "google-ads-editor").values())
    assert back == [v["fields"] for v in approved]


def test_all_exports_every_variant_to_csv_and_json(home, search_run):
    run_id = search_run["run_id"]
    text = invoke(home, ["export", run_id, "--format", "csv", "--all"]).output
    back = parse_export(text, "csv")
    assert back == {v["id"]: v["fields"] for v in search_run["variants"]}
    rows = rows_of(text)
    assert rows[1][:5] == [run_id, "v1", "below_threshold", f"{search_run['variants'][0]['score']:g}", "yes"]
    doc = json.loads(invoke(home, ["export", run_id, "--format", "json", "--all"]).output)
    assert parse_export(json.dumps(doc), "json") == back
    assert [v["delivered"] for v in doc["variants"]] == ["below_threshold", "approved", "approved"]


def test_meta_sheet_round_trip_with_target_from_the_brief(home, meta_run, tmp_path):
    out = tmp_path / "meta.csv"
    r = invoke(home, ["export", meta_run["run_id"], "--format", "meta", "--all", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert rows[0] == META_COLUMNS and len(rows) == 3
    rec = dict(zip(rows[0], rows[1]))
    assert (rec["Campaign Name"], rec["Ad Set Name"], rec["Link"], rec["Call to Action"]) == (
        "Feed Q3", "Savers 25-40", "https://northwind.example", "LEARN_MORE")
    assert rec["Title"] == "Earn 4.10% APY" and rec["Ad Name"] == f"{meta_run['run_id']} v1"
    back = parse_export(out.read_text(encoding="utf-8"), "meta")
    assert back == {v["id"]: {k: v["fields"].get(k, []) for k in ("primary_text", "headline", "description")}
                    for v in meta_run["variants"]}


@pytest.mark.parametrize("args, message", [
    (["--format", "pdf"], "field 'format': unknown format 'pdf' (fix: use one of: google-ads-editor, meta, csv, json)"),
    ([], "field '--format': no format given"),
    (["--format", "google-ads-editor"], "field 'campaign': campaign is needed for this format (fix: pass --campaign"),
    (["--format", "meta", *TARGET], "meta takes meta_feed ads; this run is google_rsa (fix: use --format csv or json)"),
    (["--format", "google-ads-editor", "--campaign", "C", "--ad-group", "G", "--final-url", "northwind.example"],
     "'northwind.example' is not an http(s) URL"),
])
def test_bad_input_is_one_line_exit_2(home, search_run, args, message):
    r = invoke(home, ["export", search_run["run_id"], *args])
    assert r.exit_code == 2, r.output
    assert message in r.output and r.output.strip().count("\n") == 0 and "Traceback" not in r.output


def test_unknown_run_and_unwritable_out(home, search_run, tmp_path):
    r = invoke(home, ["export", "nope", "--format", "csv"])
    assert r.exit_code == 2 and "no run with id 'nope'" in r.output
    existing = tmp_path / "keep.csv"
    existing.write_text("precious")
    r = invoke(home, ["export", search_run["run_id"], "--format", "csv", "--out", str(tmp_path / "missing" / "x.csv")])
    assert r.exit_code == 2 and "cannot write there" in r.output
    r = invoke(home, ["export", search_run["run_id"], "--format", "pdf", "--out", str(existing)])
    assert r.exit_code == 2 and existing.read_text() == "precious"  # a refused export leaves the file alone


def test_limits_are_checked_before_writing(search_run):
    bad = json.loads(json.dumps(search_run))
    bad["variants"][1]["fields"]["headline"][0] = "A headline far longer than thirty characters"
    with pytest.raises(BriefError, match=r"field 'v2.headline': headline 1 is 44 characters; the limit is 30"):
        render(bad, "google-ads-editor", Target("C", "G", "https://x.example"))
    with pytest.raises(BriefError, match="no approved variants"):
        render({**bad, "variants": [bad["variants"][0]]}, "csv")


def test_web_download_matches_the_cli(home, search_run):
    from fastapi.testclient import TestClient

    from brandloop.web.app import create_app

    run_id = search_run["run_id"]
    with TestClient(create_app(home, lambda s, **kw: None)) as client:
        page = client.get(f"/runs/{run_id}")
        assert 'id="dl-google"' in page.text and 'id="dl-meta"' not in page.text
        r = client.get(f"/runs/{run_id}/export", params={"format": "google-ads-editor", "campaign": "Savings Q3",
                                                         "ad_group": "Savers", "final_url": "https://northwind.example/save"})
        assert r.status_code == 200 and r.headers["content-disposition"] == f'attachment; filename="{run_id}-google-ads-editor.csv"'
        cli = invoke(home, ["export", run_id, "--format", "google-ads-editor", *TARGET]).stdout_bytes.decode()
        assert r.text == cli
        bad = client.get(f"/runs/{run_id}/export", params={"format": "google-ads-editor"})
        assert bad.status_code == 400 and "campaign is needed for this format" in bad.text
        assert client.get("/runs/nope/export", params={"format": "csv"}).status_code == 404
