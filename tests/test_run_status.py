"""graph.status: one definition of a run's shown status and counts, used by the run store, `brandloop runs`,
the web pages and the event stream."""
import re

from fastapi.testclient import TestClient

from brandloop.web.app import create_app
from brandloop.graph.context import RunSettings
from brandloop.graph.runner import Runner
from brandloop.graph.status import (AWAITING, current_status, delivery_counts, finish_line, outcome, run_counts,
                          status_text)
from tests.fakes import scripted
from tests.test_cli import invoke
from tests.test_graph import GOOD, GUARANTEED, by_angle


def test_delivery_counts_counts_each_kind_and_ignores_others():
    variants = [{"delivered": "approved"}, {"delivered": "failed"}, {"delivered": "approved"},
                {"delivered": "below_threshold"}, {"delivered": None}, {}]
    assert delivery_counts(variants) == {"approved": 2, "below_threshold": 1, "failed": 1}
    assert delivery_counts([]) == {"approved": 0, "below_threshold": 0, "failed": 0}


def test_run_counts_reads_store_columns_and_treats_missing_as_zero():
    assert run_counts({"passed": 2, "below": 1, "failed": 3}) == (2, 1, 3)
    assert run_counts({"passed": None, "below": None, "failed": None}) == (0, 0, 0)  # a run still going
    assert run_counts({}) == (0, 0, 0)


def test_status_text_marks_only_resumable_runs():
    assert status_text("interrupted") == "interrupted (resumable)"
    assert status_text("error") == "error (resumable)"
    for s in ("completed", AWAITING, "running", "queued"):
        assert status_text(s) == s


def test_current_status_prefers_the_job_while_it_knows_better():
    # a run started elsewhere: the store row alone
    assert current_status("completed", None, True) == "completed"
    assert current_status("interrupted", None, False) == "interrupted"
    # queued here, or failed before the runner stored the run: the job
    assert current_status(None, "queued", False) == "queued"
    assert current_status("running", "error", False) == "error"
    assert current_status(None, "running", False) == "running"
    # the store says completed while this server still writes result.json: still running
    assert current_status("completed", "running", False) == "running"
    assert current_status("completed", "running", True) == "completed"
    assert current_status(AWAITING, "completed", False) == AWAITING
    assert current_status(None, None, False) == "unknown"


def test_outcome_ends_the_event_stream():
    assert outcome("completed", "ignored", "r1") == ("done", None)
    assert outcome(AWAITING, None, "r1") == ("done", None)
    assert outcome("error", "boom", "r1") == ("failed", "boom")
    assert outcome("interrupted", None, "r1") == ("failed", "interrupted; continue it with 'brandloop resume r1'")
    assert outcome("weird", None, "r1") == ("failed", "run ended with status weird")


def test_finish_line():
    assert finish_line(AWAITING, "budget") == "paused: awaiting your review"
    assert finish_line("completed", "all_passed") == "finished: all_passed"


def test_cli_runs_and_web_index_show_the_same_counts(home, brief_file):
    llm = scripted(lambda p: GUARANTEED if "main benefit" in p else by_angle(p),
                   critic=lambda p: "SCORE: 2\nCRITIQUE: Weak.\nFIX: none" if "guaranteed" in p.lower()
                   else "SCORE: 9\nCRITIQUE: Sharp.\nFIX: none")
    result = Runner(home, lambda s, **kw: llm).run(brief_file, RunSettings(max_revisions=0))
    counts = delivery_counts(result["variants"])
    shown = (counts["approved"], counts["below_threshold"], counts["failed"])
    assert shown == (2, 1, 0)
    listing = invoke(home, ["runs"]).output
    line = next(x for x in listing.splitlines() if x.startswith(result["run_id"]))
    assert line.split()[-1] == "/".join(map(str, shown))
    with TestClient(create_app(home, lambda s, **kw: llm)) as client:
        page = client.get("/").text
        row = page[page.index(result["run_id"]):]
        assert re.search(r"<td>\s*2 / 1 / 0\s*</td>", row[:2000])
        assert client.get(f"/api/runs/{result['run_id']}").json()["status"] == "completed"
