"""Run and trace store. By default one SQLite file under the data home holds LangGraph checkpoints (thread id =
run id), the runs table and every node's trace events; with BRANDLOOP_DATABASE_URL they live in Postgres instead
(graph/store_pg.py), with the same tables and the same versioned migrations."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from brandloop.agents.inputs import Brief, RunSettings

DB_NAME = "brandloop.sqlite"
DATABASE_URL_ENV = "BRANDLOOP_DATABASE_URL"

# Versioned migrations shared by both stores: (version, statements). Applied in order, each once; the
# version reached is kept in schema_version. Written in the SQL both SQLite and Postgres accept.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, ["CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, brand TEXT, channel TEXT, brief_path TEXT,"
         " model TEXT, status TEXT, started TEXT, ended TEXT, duration_s REAL, passed INTEGER, failed INTEGER,"
         " stop_reason TEXT, out_dir TEXT, pid INTEGER, input_json TEXT, error TEXT)",
         "CREATE TABLE IF NOT EXISTS trace_events (run_id TEXT, seq INTEGER, node TEXT, loop INTEGER, started TEXT,"
         " ended TEXT, duration_s REAL, event_json TEXT, PRIMARY KEY (run_id, seq))"]),
    # approved / below-threshold / failed counted apart
    (2, ["ALTER TABLE runs ADD COLUMN below INTEGER"]),
    # which machine runs it: a pid is only checked on its own host
    (3, ["ALTER TABLE runs ADD COLUMN host TEXT"]),
]
HOST = socket.gethostname()
# The state's pydantic models, allowed back out of a checkpoint by name (anything else stays a plain value).
CHECKPOINT_SERDE = JsonPlusSerializer(allowed_msgpack_modules=[(m.__module__, m.__name__) for m in (Brief, RunSettings)])


def typed_values(values: dict) -> dict:
    """Checkpointed state values with the brief and the settings as models (a checkpoint written before the state
    was typed holds them as dicts)."""
    out = dict(values)
    out.pop("trace", None)  # trace events lived in state before; they are read from the trace store
    for key, model in (("brief", Brief), ("settings", RunSettings)):
        if isinstance(out.get(key), dict):
            out[key] = model.model_validate(out[key])
    return out


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


def open_store(home: Path):
    """The run store in force: Postgres when BRANDLOOP_DATABASE_URL is set, else SQLite under `home`."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        from brandloop.graph.store_pg import PostgresRunStore  # noqa: PLC0415 - psycopg only when configured

        return PostgresRunStore(url)
    return RunStore(home)


class SqlRunStore:
    """The runs and trace_events queries, written once; subclasses give the connection and the checkpointer."""

    PARAM = "?"

    def _sql(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

    def _execute(self, sql: str, params: tuple = ()) -> None:
        raise NotImplementedError

    def _fetch(self, sql: str, params: tuple = ()) -> list[dict]:
        raise NotImplementedError

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @contextmanager
    def checkpointer(self):
        raise NotImplementedError
        yield

    def latest_values(self, run_id: str) -> dict | None:
        """The state values of a run's last checkpoint (works for interrupted runs too)."""
        with self.checkpointer() as saver:
            tup = saver.get_tuple({"configurable": {"thread_id": run_id, "checkpoint_ns": ""}})
        return typed_values(tup.checkpoint["channel_values"]) if tup else None

    # runs -----------------------------------------------------------------
    def start_run(self, run_id: str, *, brand: str, channel: str, brief_path: str, model: str, out_dir: str,
                  run_input: dict) -> None:
        self._execute(
            "INSERT INTO runs (run_id, brand, channel, brief_path, model, status, started, out_dir, pid, host,"
            " input_json) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET brand=excluded.brand,"
            " channel=excluded.channel, brief_path=excluded.brief_path, model=excluded.model, status=excluded.status,"
            " started=excluded.started, ended=NULL, duration_s=NULL, out_dir=excluded.out_dir, pid=excluded.pid,"
            " host=excluded.host, input_json=excluded.input_json, error=NULL",
            (run_id, brand, channel, brief_path, model, "running", _now(), out_dir, os.getpid(), HOST,
             json.dumps(run_input)))

    def mark_running(self, run_id: str) -> None:
        self._execute("UPDATE runs SET status='running', pid=?, host=?, error=NULL WHERE run_id=?",
                      (os.getpid(), HOST, run_id))

    def finish_run(self, run_id: str, *, status: str, passed: int = 0, failed: int = 0, below: int = 0,
                   stop_reason: str = "", error: str | None = None) -> None:
        """`passed` counts approved variants, `below` clean ones under the score threshold, `failed` the rest."""
        row = self.get_run(run_id)
        started = datetime.fromisoformat(row["started"]) if row else datetime.now(timezone.utc)
        duration = (datetime.now(timezone.utc) - started).total_seconds()
        self._execute("UPDATE runs SET status=?, ended=?, duration_s=?, passed=?, below=?, failed=?,"
                      " stop_reason=?, error=? WHERE run_id=?",
                      (status, _now(), round(duration, 1), passed, below, failed, stop_reason, error, run_id))

    def get_run(self, run_id: str) -> dict | None:
        rows = self._fetch("SELECT * FROM runs WHERE run_id=?", (run_id,))
        return self._with_live_status(rows[0]) if rows else None

    def list_runs(self, limit: int = 50) -> list[dict]:
        rows = self._fetch("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,))
        return [self._with_live_status(r) for r in rows]

    @staticmethod
    def _with_live_status(row: dict) -> dict:
        """A 'running' run whose process on this host is gone was interrupted: it can be resumed from its
        checkpoint. A run on another host (a queue worker) is judged by its job's lease instead."""
        if row["status"] == "running" and row.get("host") in (None, HOST) and not _pid_alive(row.get("pid")):
            row["status"] = "interrupted"
        return row

    # trace ----------------------------------------------------------------
    def add_events(self, run_id: str, events: list[dict]) -> None:
        """Append events; one run is written by one process at a time (a run, a resume or a queue worker)."""
        if not events:
            return
        (start,) = self._fetch("SELECT COALESCE(MAX(seq), 0) AS m FROM trace_events WHERE run_id=?",
                               (run_id,))[0].values()
        self._executemany(
            "INSERT INTO trace_events VALUES (?,?,?,?,?,?,?,?)",
            [(run_id, start + i + 1, e.get("node"), e.get("loop", 0), e.get("started"), e.get("ended"),
              e.get("duration_s"), json.dumps(e, default=str)) for i, e in enumerate(events)])

    def events(self, run_id: str, node: str | None = None, after: int = 0) -> list[dict]:
        """A run's trace events in order; `after` skips those up to that sequence number (for followers)."""
        sql = ("SELECT seq, event_json FROM trace_events WHERE run_id=? AND seq>?" + (" AND node=?" if node else "")
               + " ORDER BY seq")
        rows = self._fetch(sql, (run_id, after, node) if node else (run_id, after))
        return [{"seq": r["seq"], **json.loads(r["event_json"])} for r in rows]


class RunStore(SqlRunStore):
    """The default store: one SQLite file under the data home."""

    def __init__(self, home: Path):
        self.path = Path(home) / DB_NAME
        self.conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self._migrate()
        self.conn.row_factory = sqlite3.Row

    def _migrate(self) -> None:
        """Apply the migrations above the stored version, holding the write lock (runs open stores concurrently)."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        self.conn.commit()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            current = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            if not current:  # a store from before versioning: its tables tell how far it got
                columns = {r[1] for r in self.conn.execute("PRAGMA table_info(runs)")}
                current = 0 if not columns else 2 if "below" in columns else 1
            for version, statements in MIGRATIONS:
                if version > current:
                    for sql in statements:
                        self.conn.execute(sql)
            self.conn.execute("DELETE FROM schema_version")
            self.conn.execute("INSERT INTO schema_version VALUES (?)", (MIGRATIONS[-1][0],))
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise

    def _execute(self, sql: str, params: tuple = ()) -> None:
        with self.conn:
            self.conn.execute(sql, params)

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        with self.conn:
            self.conn.executemany(sql, rows)

    def _fetch(self, sql: str, params: tuple = ()) -> list[dict]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def checkpointer(self):
        """A LangGraph SqliteSaver on the same database file (its own connection)."""
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        try:
            saver = SqliteSaver(conn, serde=CHECKPOINT_SERDE)
            saver.setup()
            yield saver
        finally:
            conn.close()
