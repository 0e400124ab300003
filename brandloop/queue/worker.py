"""`brandloop worker`: take runs from the shared queue and execute them, several at once, on one shared model.

A claimed job holds a lease that a heartbeat thread extends. A worker that dies stops extending it; once it
expires, any worker claims the job again and resumes the run from its last LangGraph checkpoint. A run whose
row already says completed is only marked done, never run twice."""
from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from brandloop.errors import UserError
from brandloop.queue.table import DONE, ERROR, GAVE_UP, MAX_ATTEMPTS, Job, JobQueue
from brandloop.graph.status import AWAITING, FINISHED
from brandloop.graph.store import HOST

log = logging.getLogger("brandloop.worker")
FINISHED_RUN = FINISHED  # a run in this state needs no worker


def execute(runner, job: Job, on_progress=None) -> dict | None:
    """Run, resume or review `job` with `runner`; None when an earlier attempt already finished the run."""
    from brandloop.graph.context import RunSettings

    row = runner.store.get_run(job.run_id)
    started = row is not None and runner.store.latest_values(job.run_id) is not None
    if job.kind == "review":
        if row is not None and row["status"] == AWAITING:
            return runner.review(job.run_id, job.payload["decisions"], on_progress=on_progress)
        if row is not None and row["status"] == "completed":
            return None
        return runner.resume(job.run_id, on_progress=on_progress)  # a review killed part-way
    if row is not None and row["status"] in FINISHED_RUN:
        return None
    if started:
        return runner.resume(job.run_id, on_progress=on_progress)
    settings = RunSettings.model_validate(job.payload["settings"])
    out = Path(job.payload["out_dir"]) if job.payload.get("out_dir") else None
    roots = job.payload.get("material_roots")  # a web submission: materials only from these folders
    return runner.run(job.payload["brief_path"], settings, run_id=job.run_id, out_dir=out, on_progress=on_progress,
                      material_roots=None if roots is None else [Path(r) for r in roots])


class Worker:
    def __init__(self, home: Path, llm_factory: Callable, *, concurrency: int = 1, lease_s: float = 60.0,
                 poll_s: float = 1.0, name: str | None = None, on_line: Callable[[str], None] | None = None):
        self.home = Path(home)
        self.llm_factory = llm_factory
        self.concurrency = max(1, concurrency)
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.name = name or f"{HOST}:{os.getpid()}"
        self.on_line = on_line or (lambda line: None)
        self.stopping = threading.Event()
        self.processed = 0

    def _say(self, line: str) -> None:
        self.on_line(f"[{self.name}] {line}")

    def run_forever(self, *, max_jobs: int | None = None, exit_when_idle: bool = False) -> int:
        """Claim and execute jobs until stopped (or `max_jobs` done, or idle with `exit_when_idle`)."""
        queue = JobQueue()
        slots = threading.BoundedSemaphore(self.concurrency)
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="brandloop-worker")
        claimed = 0
        try:
            while not self.stopping.is_set() and (max_jobs is None or claimed < max_jobs):
                slots.acquire()
                job = queue.claim(self.name, self.lease_s)
                if job is None:
                    slots.release()
                    if exit_when_idle and self._idle(slots) and not self._pending(queue):
                        break
                    self.stopping.wait(self.poll_s)
                    continue
                claimed += 1
                pool.submit(self._work, job, slots)
        finally:
            pool.shutdown(wait=True)
            queue.close()
        return self.processed

    @staticmethod
    def _pending(queue: JobQueue) -> bool:
        """Whether any run is queued or held by some worker (a dead worker's run counts until taken over)."""
        counts = queue.counts()
        return bool(counts.get("queued") or counts.get("running"))

    def _idle(self, slots: threading.BoundedSemaphore) -> bool:
        """True when no run of this worker is in flight (every slot free)."""
        taken = 0
        while slots.acquire(blocking=False):
            taken += 1
        for _ in range(taken):
            slots.release()
        return taken == self.concurrency

    def _work(self, job: Job, slots: threading.BoundedSemaphore) -> None:
        from brandloop.report import write_result
        from brandloop.errors import describe_error
        from brandloop.graph.runner import Runner

        try:
            queue = JobQueue()  # its own connection: the heartbeat and the finish are fenced writes
        except Exception as exc:  # noqa: BLE001 - the database is away: the lease expires, the run is taken again
            self._say(f"cannot reach the queue for {job.run_id}: {exc}")
            slots.release()
            return
        lost = threading.Event()
        beat_done = threading.Event()

        def heartbeat() -> None:
            while not beat_done.wait(self.lease_s / 3):
                try:
                    if not queue.heartbeat(job, self.lease_s):
                        lost.set()
                        self._say(f"lost the lease on {job.run_id}; another worker has it")
                        return
                except Exception as exc:  # noqa: BLE001 - a database blip: the next beat retries
                    log.warning("heartbeat for %s failed: %s", job.run_id, exc)

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        runner = None
        try:
            if job.attempts > MAX_ATTEMPTS:
                queue.finish(job, GAVE_UP, f"given up after {MAX_ATTEMPTS} attempts (workers died running it)")
                self._say(f"gave up {job.run_id} after {MAX_ATTEMPTS} attempts")
                return
            self._say(f"{'resuming' if job.attempts > 1 else 'running'} {job.run_id} ({job.kind}, attempt {job.attempts})")
            runner = Runner(self.home, self.llm_factory)
            result = execute(runner, job)
            if lost.is_set():
                return
            if result is not None:
                out = Path(job.payload.get("out_dir") or self.home / "runs" / job.run_id)
                write_result(result, out)
            queue.finish(job, DONE)
            self.processed += 1
            self._say(f"done {job.run_id}" + ("" if result is not None else " (finished by an earlier attempt)"))
        except Exception as exc:  # noqa: BLE001 - a failed run must not take the worker down
            if not lost.is_set():
                queue.finish(job, ERROR, describe_error(exc))
            self._say(f"failed {job.run_id}: {describe_error(exc)}")
            if not isinstance(exc, UserError):  # ConfigError is one too
                log.exception("run %s failed", job.run_id)
        finally:
            beat_done.set()
            beat.join(timeout=5)
            if runner is not None:
                runner.store.close()
            queue.close()
            slots.release()


def wait_for(queue: JobQueue, run_ids: list[str], *, poll_s: float = 1.0, timeout_s: float | None = None) -> list[dict]:
    """Block until every job of `run_ids` has left queued/running; returns their rows."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        rows = queue.jobs(run_ids)
        if all(r["status"] not in ("queued", "running") for r in rows):
            return rows
        if deadline is not None and time.monotonic() > deadline:
            return rows
        time.sleep(poll_s)
