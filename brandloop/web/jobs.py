"""Runs submitted from the web: a small thread pool, one Runner per run, and an in-memory event log
per run that the SSE endpoint replays (so late or reconnecting listeners see every line). With
BRANDLOOP_DATABASE_URL set, runs go to the shared queue instead (`brandloop worker` executes them) and the
event log follows the run's trace in the database."""
from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from brandloop.errors import UserError, describe_error
from brandloop.graph.status import finish_line

log = logging.getLogger("brandloop.web")


def user_error(exc: BaseException) -> bool:
    """Bad input (a brief, a rulebook): its message is all a person needs; no traceback in the log."""
    return isinstance(exc, UserError)


class Job:
    """One submitted run: its status and the progress events it produced so far."""

    def __init__(self, run_id: str, brief_name: str):
        self.run_id = run_id
        self.brief_name = brief_name
        self.status = "queued"  # queued -> running -> completed | error
        self.error: str | None = None
        self.submitted = time.time()
        self.events: list[dict] = []
        self.cancel = threading.Event()  # the cancel button: the run stops before its next LLM batch or step
        self._lock = threading.Lock()

    def push(self, kind: str, **data) -> None:
        with self._lock:
            self.events.append({"id": len(self.events), "event": kind, **data})

    def since(self, index: int) -> list[dict]:
        with self._lock:
            return self.events[index:]

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "error", "interrupted")


class JobManager:
    def __init__(self, home: Path, llm_factory: Callable, workers: int = 2, keep: int = 200):
        self.home = Path(home)
        self.llm_factory = llm_factory
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="brandloop-run")
        self.jobs: dict[str, Job] = {}
        self.keep = keep
        self.closing = False
        self.queued = bool(os.environ.get("BRANDLOOP_DATABASE_URL", "").strip())  # run on `brandloop worker`s
        self._lock = threading.Lock()

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self.jobs.get(run_id)

    def submit(self, run_id: str, brief_path: Path, settings, brief_name: str,
               material_roots: list[Path] | None = None) -> Job:
        job = Job(run_id, brief_name)
        with self._lock:
            self.jobs[run_id] = job
            done = [j for j in self.jobs.values() if j.finished]
            for old in sorted(done, key=lambda j: j.submitted)[:max(0, len(self.jobs) - self.keep)]:
                self.jobs.pop(old.run_id, None)
        job.push("queued", line="queued")
        if self.queued:
            payload = {"brief_path": str(Path(brief_path).resolve()), "settings": settings.model_dump()}
            if material_roots is not None:  # the worker holds the brief's materials to the same folders
                payload["material_roots"] = [str(Path(p).resolve()) for p in material_roots]
            self._enqueue(job, "run", payload)
        else:
            self.pool.submit(self._work, job, Path(brief_path), settings, None, material_roots)
        return job

    def submit_review(self, run_id: str, decisions: dict) -> Job:
        """Resume a run paused for review with a person's decisions (a rejection rewrites: it needs the model)."""
        job = Job(run_id, "review")
        with self._lock:
            self.jobs[run_id] = job
        job.push("queued", line="queued: review decisions")
        if self.queued:
            self._enqueue(job, "review", {"decisions": decisions})
        else:
            self.pool.submit(self._work, job, None, None, decisions)
        return job

    # the shared queue (BRANDLOOP_DATABASE_URL) -------------------------------------------------------------
    def _enqueue(self, job: Job, kind: str, payload: dict) -> None:
        from brandloop.queue.table import JobQueue

        queue = JobQueue()
        try:
            job_id = queue.enqueue(job.run_id, kind, payload)
        finally:
            queue.close()
        threading.Thread(target=self._follow, args=(job, job_id), daemon=True, name=f"follow-{job.run_id}").start()

    def _follow(self, job: Job, job_id: int, poll_s: float = 1.0) -> None:
        """Mirror a queued run's progress (its trace events, then its job status) into the job's event log."""
        from brandloop.queue.table import JobQueue
        from brandloop.report import progress_line
        from brandloop.graph.store import open_store

        queue, store = JobQueue(), open_store(self.home)
        seen = len(store.events(job.run_id))
        try:
            while not self.closing:
                row = next(r for r in queue.jobs([job.run_id]) if r["id"] == job_id)
                if row["status"] != "queued" and job.status == "queued":
                    job.status = "running"
                    job.push("started", line=f"started on worker {row['worker']}")
                events = store.events(job.run_id)[seen:]
                seen += len(events)
                for ev in events:
                    job.push("progress", node=ev["node"], loop=ev.get("loop", 0), duration_s=ev.get("duration_s"),
                             line=progress_line(ev["node"], {"trace": [ev]}))
                if row["status"] in ("queued", "running"):
                    time.sleep(poll_s)
                    continue
                run = store.get_run(job.run_id) or {}
                if row["status"] == "done":
                    job.status = "completed"
                    job.push("done", status="completed", stop_reason=run.get("stop_reason"),
                             line=finish_line(run.get("status"), run.get("stop_reason")))
                else:
                    job.status, job.error = "error", row["error"] or row["status"]
                    job.push("failed", status="error", error=job.error, line=f"failed: {job.error}")
                return
        except Exception as exc:  # noqa: BLE001 - the run goes on in its worker; only the live view stops
            log.warning("following run %s stopped: %s", job.run_id, exc)
        finally:
            queue.close()
            store.close()

    def _work(self, job: Job, brief_path: Path | None, settings, decisions: dict | None = None,
              material_roots: list[Path] | None = None) -> None:
        from brandloop.report import progress_line, write_result
        from brandloop.errors import RunCancelled
        from brandloop.graph.progress import LLMProgress, progress_text
        from brandloop.graph.runner import Runner

        job.status = "running"
        job.push("started", line="started")
        runner = None
        try:
            runner = Runner(self.home, self.llm_factory)  # one per run: its own SQLite connections
            runner.llm_progress = LLMProgress(lambda r: job.push("llm", **r, line=progress_text(r)), job.cancel)

            def progress(node: str, update: dict) -> None:
                ev = (update.get("trace") or [{}])[-1]
                job.push("progress", node=node, loop=ev.get("loop", 0), duration_s=ev.get("duration_s"),
                         line=progress_line(node, update))

            if decisions is not None:
                result = runner.review(job.run_id, decisions, on_progress=progress)
            else:
                result = runner.run(brief_path, settings, run_id=job.run_id, on_progress=progress,
                                    material_roots=material_roots)
            write_result(result, self.home / "runs" / job.run_id)
            job.status = "completed"
            job.push("done", status="completed", stop_reason=result.get("stop_reason"),
                     line=finish_line(result.get("status"), result.get("stop_reason")))
        except RunCancelled:
            job.status = "interrupted"
            job.error = f"cancelled; continue it with 'brandloop resume {job.run_id}'"
            job.push("failed", status="interrupted", error=job.error, line="cancelled")
        except BaseException as exc:  # noqa: BLE001 - a failed run must never take the server down
            job.error = describe_error(exc)
            job.status = "error"
            if self.closing and runner is not None and runner.store.get_run(job.run_id):
                job.error = f"stopped with the server; continue it with 'brandloop resume {job.run_id}'"
                runner.store.finish_run(job.run_id, status="interrupted", error=job.error)
                log.warning("run %s %s", job.run_id, job.error)
            elif not user_error(exc):
                log.exception("run %s failed", job.run_id)
            job.push("failed", status="error", error=job.error, line=f"failed: {job.error}")
        finally:
            if runner is not None:
                runner.store.close()

    def shutdown(self) -> None:
        self.closing = True
        self.pool.shutdown(wait=False, cancel_futures=True)
