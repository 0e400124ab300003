"""Run and trace store: one SQLite file under the data home holds LangGraph checkpoints (thread id = run id),
the runs table and every node's trace events."""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

DB_NAME = "brandloop.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, brand TEXT, channel TEXT, brief_path TEXT, model TEXT, status TEXT,
  started TEXT, ended TEXT, duration_s REAL, passed INTEGER, failed INTEGER, stop_reason TEXT,
  out_dir TEXT, pid INTEGER, input_json TEXT, error TEXT, below INTEGER);
CREATE TABLE IF NOT EXISTS trace_events (
  run_id TEXT, seq INTEGER, node TEXT, loop INTEGER, started TEXT, ended TEXT, duration_s REAL,
  event_json TEXT, PRIMARY KEY (run_id, seq));
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class RunStore:
    def __init__(self, home: Path):
        self.path = Path(home) / DB_NAME
        self.conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(_SCHEMA)
        columns = {r[1] for r in self.conn.execute("PRAGMA table_info(runs)")}
        if "below" not in columns:  # stores written before approved / below-threshold / failed were counted apart
            with self.conn:
                self.conn.execute("ALTER TABLE runs ADD COLUMN below INTEGER")
        self.conn.row_factory = sqlite3.Row

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def checkpointer(self):
        """A LangGraph SqliteSaver on the same database file (its own connection)."""
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        try:
            saver = SqliteSaver(conn)
            saver.setup()
            yield saver
        finally:
            conn.close()

    def latest_values(self, run_id: str) -> dict | None:
        """The state values of a run's last checkpoint (works for interrupted runs too)."""
        with self.checkpointer() as saver:
            tup = saver.get_tuple({"configurable": {"thread_id": run_id, "checkpoint_ns": ""}})
        return dict(tup.checkpoint["channel_values"]) if tup else None

    # runs -----------------------------------------------------------------
    def start_run(self, run_id: str, *, brand: str, channel: str, brief_path: str, model: str, out_dir: str,
                  run_input: dict) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO runs (run_id, brand, channel, brief_path, model, status, started, out_dir, pid,"
                " input_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (run_id, brand, channel, brief_path, model, "running", _now(), out_dir, os.getpid(),
                 json.dumps(run_input)))

    def mark_running(self, run_id: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE runs SET status='running', pid=?, error=NULL WHERE run_id=?", (os.getpid(), run_id))

    def finish_run(self, run_id: str, *, status: str, passed: int = 0, failed: int = 0, below: int = 0,
                   stop_reason: str = "", error: str | None = None) -> None:
        """`passed` counts approved variants, `below` clean ones under the score threshold, `failed` the rest."""
        row = self.get_run(run_id)
        started = datetime.fromisoformat(row["started"]) if row else datetime.now(timezone.utc)
        duration = (datetime.now(timezone.utc) - started).total_seconds()
        with self.conn:
            self.conn.execute("UPDATE runs SET status=?, ended=?, duration_s=?, passed=?, below=?, failed=?,"
                              " stop_reason=?, error=? WHERE run_id=?",
                              (status, _now(), round(duration, 1), passed, below, failed, stop_reason, error, run_id))

    def get_run(self, run_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return self._with_live_status(dict(row)) if row else None

    def list_runs(self, limit: int = 50) -> list[dict]:
        rows = self.conn.execute("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,)).fetchall()
        return [self._with_live_status(dict(r)) for r in rows]

    @staticmethod
    def _with_live_status(row: dict) -> dict:
        """A 'running' run whose process is gone was interrupted: it can be resumed from its checkpoint."""
        if row["status"] == "running" and not _pid_alive(row.get("pid")):
            row["status"] = "interrupted"
        return row

    # trace ----------------------------------------------------------------
    def add_events(self, run_id: str, events: list[dict]) -> None:
        if not events:
            return
        with self.conn:
            (start,) = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM trace_events WHERE run_id=?",
                                         (run_id,)).fetchone()
            self.conn.executemany(
                "INSERT INTO trace_events VALUES (?,?,?,?,?,?,?,?)",
                [(run_id, start + i + 1, e.get("node"), e.get("loop", 0), e.get("started"), e.get("ended"),
                  e.get("duration_s"), json.dumps(e, default=str)) for i, e in enumerate(events)])

    def events(self, run_id: str, node: str | None = None, after: int = 0) -> list[dict]:
        """A run's trace events in order; `after` skips those up to that sequence number (for followers)."""
        sql = ("SELECT seq, event_json FROM trace_events WHERE run_id=? AND seq>?" + (" AND node=?" if node else "")
               + " ORDER BY seq")
        rows = self.conn.execute(sql, (run_id, after, node) if node else (run_id, after)).fetchall()
        return [{"seq": r["seq"], **json.loads(r["event_json"])} for r in rows]
