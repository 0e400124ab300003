"""The jobs table on Postgres (BRANDLOOP_DATABASE_URL): enqueue, claim with FOR UPDATE SKIP LOCKED under a lease,
heartbeat, finish. Every write after the claim is fenced by (worker, attempt): a worker whose lease expired and
was taken over can no longer touch the job."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from brandloop.errors import ConfigError
from brandloop.graph.store import DATABASE_URL_ENV

QUEUE_MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, ["CREATE TABLE IF NOT EXISTS jobs (id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, kind TEXT NOT NULL,"
         " payload JSONB NOT NULL, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0,"
         " worker TEXT, lease_until TIMESTAMPTZ, enqueued TIMESTAMPTZ NOT NULL DEFAULT now(), started TIMESTAMPTZ,"
         " finished TIMESTAMPTZ, error TEXT)",
         "CREATE INDEX IF NOT EXISTS jobs_claimable ON jobs (id) WHERE status IN ('queued', 'running')",
         "CREATE INDEX IF NOT EXISTS jobs_run ON jobs (run_id)"]),
]
KINDS = ("run", "review")
DONE, ERROR, GAVE_UP = "done", "error", "gave_up"
MAX_ATTEMPTS = 3  # a run whose workers die this many times is given up (a poison brief must not loop forever)


@dataclass(frozen=True)
class Job:
    id: int
    run_id: str
    kind: str
    payload: dict
    attempts: int
    worker: str


def database_url() -> str:
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        raise ConfigError(DATABASE_URL_ENV, "not set; the run queue lives in Postgres",
                          "export BRANDLOOP_DATABASE_URL=postgresql://USER@HOST:5432/DB (see deploy/README.md)")
    return url


class JobQueue:
    def __init__(self, url: str | None = None):
        from brandloop.graph.store_pg import connect, migrate

        self.conn = connect(url or database_url())
        migrate(self.conn, "queue", QUEUE_MIGRATIONS)

    def close(self) -> None:
        self.conn.close()

    def enqueue(self, run_id: str, kind: str, payload: dict) -> int:
        if kind not in KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        row = self.conn.execute("INSERT INTO jobs (run_id, kind, payload) VALUES (%s, %s, %s) RETURNING id",
                                (run_id, kind, json.dumps(payload))).fetchone()
        self.conn.execute("SELECT pg_notify('brandloop_jobs', %s)", (str(row["id"]),))
        return row["id"]

    def claim(self, worker: str, lease_s: float) -> Job | None:
        """The oldest queued job, or one whose worker's lease expired; None when there is nothing to do."""
        row = self.conn.execute(
            "UPDATE jobs SET status='running', worker=%s, attempts=attempts+1, started=COALESCE(started, now()),"
            " lease_until=now() + make_interval(secs => %s) WHERE id = (SELECT id FROM jobs WHERE status='queued'"
            " OR (status='running' AND lease_until < now()) ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)"
            " RETURNING id, run_id, kind, payload, attempts",
            (worker, lease_s)).fetchone()
        if row is None:
            return None
        return Job(row["id"], row["run_id"], row["kind"], row["payload"], row["attempts"], worker)

    def heartbeat(self, job: Job, lease_s: float) -> bool:
        """Extend the lease; False when the job was taken over (this worker must stop writing it)."""
        cur = self.conn.execute("UPDATE jobs SET lease_until=now() + make_interval(secs => %s) WHERE id=%s AND"
                                " worker=%s AND attempts=%s AND status='running'",
                                (lease_s, job.id, job.worker, job.attempts))
        return cur.rowcount == 1

    def finish(self, job: Job, status: str, error: str | None = None) -> bool:
        cur = self.conn.execute("UPDATE jobs SET status=%s, error=%s, finished=now(), lease_until=NULL WHERE id=%s"
                                " AND worker=%s AND attempts=%s AND status='running'",
                                (status, error, job.id, job.worker, job.attempts))
        return cur.rowcount == 1

    def release(self, job: Job) -> None:
        """Give a job back untouched-by-failure (a worker stopping): the next claim resumes it at once."""
        self.conn.execute("UPDATE jobs SET status='queued', lease_until=NULL, attempts=attempts-1 WHERE id=%s AND"
                          " worker=%s AND attempts=%s AND status='running'", (job.id, job.worker, job.attempts))

    def jobs(self, run_ids: list[str] | None = None) -> list[dict]:
        sql = "SELECT id, run_id, kind, status, attempts, worker, error, enqueued, started, finished FROM jobs"
        if run_ids is not None:
            return [dict(r) for r in self.conn.execute(sql + " WHERE run_id = ANY(%s) ORDER BY id", (run_ids,))]
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY id")]

    def counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self.conn.execute("SELECT status, count(*) AS n FROM jobs GROUP BY status")}
