"""The run queue: `brandloop batch` enqueues, real `brandloop worker` subprocesses share it through Postgres,
and a worker killed mid-run leaves a lease that expires; another worker resumes the run from its checkpoint."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

from click.testing import CliRunner

from brandloop.cli import cli
from brandloop.queue.coalesce import CoalescingModel
from brandloop.queue.table import JobQueue
from brandloop.graph.store import open_store
from tests.conftest import ROOT
from tests.fakes import scripted
from tests.servers import database_url, pg_admin_url  # noqa: F401 - fixtures
from tests.test_graph import GOOD, LONG

WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from brandloop.cli import cli
    from tests.fakes import scripted
    from tests.test_graph import GOOD, LONG

    def hang(prompt):  # the rewrite of a failing line: say so, then hang until killed
        print("IN_REVISION", flush=True)
        time.sleep(600)

    model = scripted(LONG, rewrite=hang) if {hang!r} else scripted(GOOD)
    cli(["--home", {home!r}, "worker", "--lease", "3", "--poll", "0.2", "--concurrency", "1", *{args!r}],
        obj={{"llm_factory": lambda spec, **kw: model}})
""")


def start_worker(home, *, hang=False, args=()):
    """A worker subprocess; its log goes to a file (a full pipe would block it), read back with `log_of`."""
    script = WORKER.format(root=str(ROOT), home=str(home), hang=hang, args=list(args))
    log = open(home / f"worker-{time.monotonic_ns()}.log", "w+")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=log, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.log = log
    return proc


def finish(proc, timeout=120) -> str:
    """Wait for a worker to exit; its log."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.log.seek(0)
    return proc.log.read()


def enqueue(home, briefs, *extra):
    r = CliRunner().invoke(cli, ["batch", *map(str, briefs), "--json", "-k", "1", *extra], obj={"home": home})
    assert r.exit_code == 0, r.output
    return json.loads(r.output.strip().splitlines()[-1])["run_ids"]


def test_two_workers_share_the_queue_and_every_run_is_done_once(home, brief_file, database_url):
    run_ids = enqueue(home, [brief_file] * 4)
    workers = [start_worker(home, args=["--exit-when-idle"]) for _ in range(2)]
    logs = [finish(w) for w in workers]
    assert all(w.returncode == 0 for w in workers), logs
    rows = JobQueue().jobs(run_ids)
    assert [r["status"] for r in rows] == ["done"] * 4, (rows, logs) and all(r["attempts"] == 1 for r in rows)
    store = open_store(home)
    for run_id in run_ids:
        nodes = [e["node"] for e in store.events(run_id)]
        assert nodes.count("describer") == 1 and nodes.count("finalize") == 1
        assert store.get_run(run_id)["status"] == "completed"
        assert (home / "runs" / run_id / "result.json").is_file()
    assert {r["worker"] for r in rows} and all(r["worker"] for r in rows)


def test_worker_killed_mid_run_is_resumed_by_another_from_its_checkpoint(home, brief_file, database_url):
    killed_id, other_id = enqueue(home, [brief_file, brief_file])
    doomed = start_worker(home, hang=True)
    try:
        assert doomed.stdout.readline().strip() == "IN_REVISION"  # first run, inside its revision loop
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
    store = open_store(home)
    before = [e["node"] for e in store.events(killed_id)]
    assert before[-1] == "revise" and before.count("copywriter") == 1
    held = JobQueue().jobs([killed_id])[0]
    assert held["status"] == "running" and held["attempts"] == 1  # the dead worker's lease still stands

    t0 = time.monotonic()
    rescuer = start_worker(home, args=["--exit-when-idle"])
    err = finish(rescuer)
    assert rescuer.returncode == 0, err
    assert f"resuming {killed_id} (run, attempt 2)" in err
    rows = {r["run_id"]: r for r in JobQueue().jobs([killed_id, other_id])}
    assert rows[killed_id]["status"] == "done" and rows[killed_id]["attempts"] == 2
    assert rows[other_id]["status"] == "done" and rows[other_id]["attempts"] == 1
    assert rows[killed_id]["finished"] is not None and time.monotonic() - t0 >= 1  # waited out the lease

    nodes = [e["node"] for e in store.events(killed_id)]
    assert nodes[:len(before)] == before  # nothing redone: the run went on from its checkpoint
    assert nodes[len(before):][0] == "copywriter" and nodes[-1] == "finalize"
    assert nodes.count("describer") == 1 and nodes.count("finalize") == 1
    for run_id in (killed_id, other_id):
        assert store.get_run(run_id)["status"] == "completed"


def test_batch_needs_a_database_and_checks_briefs_first(home, brief_file, tmp_path, monkeypatch):
    monkeypatch.delenv("BRANDLOOP_DATABASE_URL", raising=False)
    r = CliRunner().invoke(cli, ["batch", str(brief_file)], obj={"home": home})
    assert r.exit_code == 2 and r.output.startswith("error: BRANDLOOP_DATABASE_URL: not set")
    r = CliRunner().invoke(cli, ["worker"], obj={"home": home})
    assert r.exit_code == 2 and "BRANDLOOP_DATABASE_URL" in r.output and len(r.output.strip().splitlines()) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: X\n", encoding="utf-8")
    monkeypatch.setenv("BRANDLOOP_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    r = CliRunner().invoke(cli, ["batch", str(brief_file), str(bad)], obj={"home": home})
    assert r.exit_code == 2 and "bad.yaml" in r.output  # the brief's error, before any connection


class Recorder:
    """A model whose batch records each call's prompts and answers each prompt with itself."""

    def __init__(self):
        self.calls = []

    def batch(self, inputs, config=None, **kwargs):
        self.calls.append((list(inputs), kwargs))
        time.sleep(0.05)
        return [f"reply to {p}" for p in inputs]


def test_concurrent_runs_batch_their_generate_calls_together():
    inner = Recorder()
    model = CoalescingModel(inner, window_s=0.05)
    results = {}

    def call(name, n, **kw):
        results[name] = model.batch([f"{name}{i}" for i in range(n)], **kw)

    same = [threading.Thread(target=call, args=(f"run{k}-", 2), kwargs={"max_new_tokens": 20, "regex": f"r{k}"})
            for k in range(3)]
    other = threading.Thread(target=call, args=("critic-", 1), kwargs={"max_new_tokens": 80})
    for t in [*same, other]:
        t.start()
    for t in [*same, other]:
        t.join()
    assert results["run1-"] == ["reply to run1-0", "reply to run1-1"]  # each caller gets its own replies
    assert results["critic-"] == ["reply to critic-0"]
    merged = [c for c in inner.calls if c[1]["max_new_tokens"] == 20]
    assert len(merged) == 1 and len(merged[0][0]) == 6 and len(inner.calls) == 2
    prompts, kwargs = merged[0]
    assert [kwargs["regex"][prompts.index(f"run{k}-1")] for k in range(3)] == ["r0", "r1", "r2"]
    assert model.stats["largest_merge"] == 3


def test_shared_fake_model_in_a_real_run_goes_through_the_coalescer(home, brief_file):
    from brandloop.queue.coalesce import shared_model_factory
    from brandloop.graph.runner import Runner

    fake = scripted(GOOD)
    factory = shared_model_factory(lambda spec, **kw: fake, window_s=0.5)
    assert factory("small", engine="auto") is factory("small", engine="auto")
    runners = [Runner(home, factory) for _ in range(2)]
    start = threading.Barrier(2)

    def run(runner, run_id):
        start.wait()
        runner.run(brief_file, run_id=run_id)

    threads = [threading.Thread(target=run, args=(r, f"c{i}")) for i, r in enumerate(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = factory("small", engine="auto").stats
    assert all(open_store(home).get_run(f"c{i}")["status"] == "completed" for i in range(2))
    assert stats["model_calls"] < stats["caller_calls"]  # some calls of the two runs went out together


def test_review_decisions_go_through_the_queue_too(home, brief_file, database_url):
    from brandloop.queue.worker import Worker
    from brandloop.graph.context import RunSettings

    queue = JobQueue()
    settings = RunSettings(max_revisions=1, review=True).model_dump()
    queue.enqueue("rv1", "run", {"brief_path": str(brief_file), "settings": settings})
    worker = Worker(home, lambda spec, **kw: scripted(GOOD), lease_s=10, poll_s=0.1)
    worker.run_forever(exit_when_idle=True)
    store = open_store(home)
    assert store.get_run("rv1")["status"] == "awaiting_review" and queue.jobs(["rv1"])[0]["status"] == "done"

    queue.enqueue("rv1", "review", {"decisions": {v: {"action": "approve"} for v in ("v1", "v2", "v3")}})
    worker.run_forever(exit_when_idle=True)
    assert [r["status"] for r in queue.jobs(["rv1"])] == ["done", "done"]
    assert store.get_run("rv1")["status"] == "completed"
    assert [e["node"] for e in store.events("rv1")].count("review") >= 1
