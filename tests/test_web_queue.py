"""`brandloop serve` with BRANDLOOP_DATABASE_URL: a submitted brief goes to the shared queue, a worker runs it,
and the page's live events follow the run from the database."""
import threading

from brandloop.queue.table import JobQueue
from brandloop.queue.worker import Worker
from tests.servers import database_url, pg_admin_url  # noqa: F401 - fixtures
from tests.test_web_api import events_of, fake_model, make_client, submit_upload, wait_done


def test_web_submission_is_enqueued_and_run_by_a_worker(home, brief_file, database_url):
    def no_model(spec, **kw):
        raise AssertionError("the web process must not run the model in queue mode")

    with make_client(home, no_model) as client:
        r = submit_upload(client, brief_file.read_bytes())
        assert r.status_code == 303, r.text
        run_id = r.headers["location"].rsplit("/", 1)[1]
        (job,) = JobQueue().jobs([run_id])
        assert job["kind"] == "run" and job["status"] in ("queued", "running")

        worker = Worker(home, lambda spec, **kw: fake_model(), lease_s=10, poll_s=0.1)
        t = threading.Thread(target=worker.run_forever, kwargs={"exit_when_idle": True})
        t.start()
        events = events_of(client, run_id)
        t.join(timeout=60)
        kinds = [k for k, _ in events]
        assert kinds[0] == "queued" and "started" in kinds and kinds[-1] == "done", events
        lines = [d["line"] for k, d in events if k == "progress"]
        assert lines[0].startswith("[describer] loop 0") and lines[-1].startswith("[finalize]")
        info = wait_done(client, run_id)
        assert info["status"] == "completed" and info["result"]["variants"]
        assert JobQueue().jobs([run_id])[0]["status"] == "done" and worker.processed == 1


def test_a_queued_web_run_holds_materials_to_the_web_folders(home, tmp_path, brief_file):
    """The worker reloads a web brief with the web's material roots, not with the CLI's free paths."""
    import pytest

    from brandloop.queue.table import Job
    from brandloop.queue.worker import execute
    from brandloop.graph.brief import BriefError
    from brandloop.graph.context import RunSettings
    from brandloop.graph.runner import Runner

    outside = tmp_path / "secret.txt"
    outside.write_text("Earn more with Everyday Savings.", encoding="utf-8")
    brief = tmp_path / "web-brief.yaml"
    brief.write_text(brief_file.read_text() + f"materials: ['{outside}']\n", encoding="utf-8")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    payload = {"brief_path": str(brief), "settings": RunSettings(max_revisions=0).model_dump()}
    runner = Runner(home, lambda spec, **kw: fake_model())
    with pytest.raises(BriefError, match="lies outside the uploaded files"):
        execute(runner, Job(1, "webrun1", "run", {**payload, "material_roots": [str(uploads)]}, 1, "w"))
    assert execute(runner, Job(2, "clirun1", "run", payload, 1, "w"))["status"] == "completed"
