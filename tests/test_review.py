"""A person in the loop: the run pauses after finalize (LangGraph interrupt, in the SQLite checkpoint), a person
approves, edits (re-checked at once) or rejects (rewritten with the note) each variant; the trace records who."""
import json

from click.testing import CliRunner

from brandloop.cli import cli
from brandloop.export import render
from brandloop.graph.context import RunSettings
from brandloop.graph.runner import Runner
from tests.fakes import COPY, scripted
from tests.test_cli import invoke
from tests.test_graph import GOOD, GOOD_B, GOOD_C

REWRITE = ("HEADLINE 1: Grow Savings Daily\nHEADLINE 2: Earn 4.10% APY\nHEADLINE 3: Start Online Now\n"
           "DESCRIPTION 1: Open an Everyday Savings account online.\nDESCRIPTION 2: Earn 4.10% APY on savings.")


def model():
    return scripted([GOOD, GOOD_B, GOOD_C, REWRITE])  # three first drafts, then every fresh draft after a rejection


def test_pause_survives_a_restart_and_decisions_are_applied(home, brief_file):
    llm = model()
    paused = Runner(home, lambda s, **kw: llm).run(brief_file, RunSettings(max_revisions=1, review=True))
    run_id = paused["run_id"]
    assert paused["status"] == "awaiting_review"
    assert [p["id"] for p in paused["review"]["pending"]] == ["v1", "v2", "v3"]

    again = Runner(home, lambda s, **kw: llm)  # a new process: the pause is read back from the checkpoint
    assert again.store.get_run(run_id)["status"] == "awaiting_review"
    assert [p["id"] for p in again.pending_review(run_id)["pending"]] == ["v1", "v2", "v3"]
    desc = paused["review"]["pending"][1]["fields"]["description"]
    edit = {"headline": ["Save More Every Day", "Guaranteed 4.10% APY", "Open Online Today"], "description": desc}
    found = again.recheck(run_id, edit)  # an edit is re-checked before it is kept
    assert [x["rule_id"] for x in found if x["severity"] == "error"] == ["brief.forbidden_word"]
    edit = {"headline": ["Save More Every Day", "Earn 4.10% APY Today", "Open Online Today"], "description": desc}
    assert [x for x in again.recheck(run_id, edit) if x["severity"] == "error"] == []

    second = again.review(run_id, {"v1": {"action": "approve"}, "v2": {"action": "edit", "fields": edit},
                                   "v3": {"action": "reject", "note": "lead with growing savings"}, "_by": "dana"})
    assert second["status"] == "awaiting_review" and [p["id"] for p in second["review"]["pending"]] == ["v3"]
    rewrite_prompt = llm.prompts_with(COPY)[-1]
    assert "lead with growing savings" in rewrite_prompt  # the note is the rewrite's instruction
    assert second["review"]["pending"][0]["fields"]["headline"][0] == "Grow Savings Daily"

    done = again.review(run_id, {"v3": {"action": "approve", "note": "better"}, "_by": "sam"})
    assert done["status"] == "completed"
    v1, v2, v3 = done["variants"]
    assert (v1["review"]["decision"], v1["review"]["by"]) == ("approved", "dana")
    assert v2["review"]["decision"] == "edited" and v2["fields"]["headline"][1] == "Earn 4.10% APY Today"
    assert v2["review"]["before"]["headline"][1] == "Get 4.10% APY"
    assert v2["delivered"] != "failed" and all(x["severity"] != "error" for x in v2["violations"])
    assert (v3["review"]["decision"], v3["review"]["by"], v3["review"]["note"]) == ("approved", "sam", "better")
    assert v3["fields"]["headline"][0] == "Grow Savings Daily"
    events = again.store.events(run_id, "review")
    assert [(e["reviewer"], sorted(e["output"])) for e in events] == [("dana", ["v1", "v2", "v3"]), ("sam", ["v3"])]
    assert events[0]["output"]["v3"]["decision"] == "rejected"
    # people's approvals and edits are exported (when free of hard violations)
    assert render(done, "json").count('"id": "v') == 3


def test_cli_run_review_interactive(home, brief_file):
    llm = model()
    keys = "a\ne\n\nEarn 4.10% APY Now\n\n\n\ny\nr\nshorter, please\na\n"
    r = CliRunner().invoke(cli, ["run", str(brief_file), "-k", "0", "--review", "--reviewer", "lee", "-q"],
                           obj={"home": home, "llm_factory": lambda s, **kw: llm}, input=keys)
    assert r.exit_code == 0, r.output
    assert "v1: [a]pprove, [e]dit or [r]eject" in r.output and "re-checked: no violations" in r.output
    assert "HEADLINE 1 (19/30): Save More Every Day" in r.output
    assert r.output.count("### Variant") == 3
    (result_file,) = (home / "runs").glob("*/result.json")
    result = json.loads(result_file.read_text())
    assert [v["review"]["decision"] for v in result["variants"]] == ["approved", "edited", "approved"]
    assert result["variants"][1]["fields"]["headline"][1] == "Earn 4.10% APY Now"
    assert all(v["review"]["by"] == "lee" for v in result["variants"])


def test_paused_review_keeps_and_file_decisions_finish(home, brief_file, tmp_path):
    llm = model()
    r = CliRunner().invoke(cli, ["run", str(brief_file), "-k", "0", "--review", "-q"],
                           obj={"home": home, "llm_factory": lambda s, **kw: llm}, input="")
    assert r.exit_code == 0 and "review paused; continue with 'brandloop review " in r.output
    run_id = r.output.split("brandloop review ")[1].split("'")[0]
    listing = invoke(home, ["runs"]).output
    assert "awaiting_review" in listing
    ex = invoke(home, ["export", run_id, "--format", "json"])
    assert ex.exit_code == 2 and "is awaiting review" in ex.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"v1": {"action": "maybe"}}))
    r = invoke(home, ["review", run_id, "--decisions", str(bad)], llm)
    assert r.exit_code == 2 and "variant 'v1': field 'action' must be one of approve, edit, reject" in r.output
    assert r.output.strip().count("\n") == 0
    good = tmp_path / "ok.json"
    good.write_text(json.dumps({v: {"action": "approve"} for v in ("v1", "v2", "v3")}))
    r = invoke(home, ["review", run_id, "--decisions", str(good), "--reviewer", "kim", "--json"], llm)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output[r.output.index("{"):])
    assert out["status"] == "completed" and all(v["review"]["by"] == "kim" for v in out["variants"])
    r = invoke(home, ["review", run_id, "--decisions", str(good)], llm)
    assert r.exit_code == 2 and "is not awaiting review (completed)" in r.output


def test_web_review_board_api(home, brief_file):
    import time

    from fastapi.testclient import TestClient

    from brandloop.web.app import create_app

    llm = model()
    run_id = Runner(home, lambda s, **kw: llm).run(brief_file, RunSettings(max_revisions=0, review=True))["run_id"]
    with TestClient(create_app(home, lambda s, **kw: llm)) as client:
        page = client.get(f"/runs/{run_id}/review")
        assert page.status_code == 200
        assert all(f'id="rv-{v}"' in page.text for v in ("v1", "v2", "v3")) and 'class="combos"' in page.text
        fields = {"headline": ["Guaranteed Savings", "Earn 4.10% APY", "Open Online Today"],
                  "description": ["Open an Everyday Savings account in minutes.", "Earn 4.10% APY on savings."]}
        found = client.post(f"/api/runs/{run_id}/review/check", json={"fields": fields}).json()
        assert [x["rule_id"] for x in found if x["severity"] == "error"] == ["brief.forbidden_word"]
        bad = client.post(f"/api/runs/{run_id}/review", json={"decisions": {"v1": {"action": "approve"}}})
        assert bad.status_code == 400 and "v2, v3: no decision" in bad.json()["detail"]
        ok = client.post(f"/api/runs/{run_id}/review", json={"reviewer": "ana", "decisions": {
            v: {"action": "approve"} for v in ("v1", "v2", "v3")}})
        assert ok.status_code == 202
        end = time.time() + 30
        while client.get(f"/api/runs/{run_id}").json()["status"] != "completed" and time.time() < end:
            time.sleep(0.2)
        info = client.get(f"/api/runs/{run_id}").json()
        assert info["status"] == "completed"
        assert [v["review"]["by"] for v in info["result"]["variants"]] == ["ana"] * 3
        assert client.get(f"/runs/{run_id}/review").status_code == 409  # nothing to review any more
        assert client.get("/runs/nope/review").status_code == 404


def test_resume_of_a_paused_run_points_to_review_and_the_page_links_the_board(home, brief_file):
    from fastapi.testclient import TestClient

    from brandloop.web.app import create_app

    llm = model()
    run_id = Runner(home, lambda s, **kw: llm).run(brief_file, RunSettings(max_revisions=0, review=True))["run_id"]
    r = invoke(home, ["resume", run_id], llm)
    assert r.exit_code == 0 and f"decide with 'brandloop review {run_id}'" in r.output
    assert Runner(home, lambda s, **kw: llm).store.get_run(run_id)["status"] == "awaiting_review"
    with TestClient(create_app(home, lambda s, **kw: llm)) as client:  # a CLI-started pause has no result.json yet
        page = client.get(f"/runs/{run_id}")
        assert page.status_code == 200 and f'href="/runs/{run_id}/review"' in page.text
