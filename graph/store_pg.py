"""The run store on Postgres (BRANDLOOP_DATABASE_URL): the runs and trace_events tables of graph/store.py with
the same migrations, and LangGraph checkpoints through langgraph-checkpoint-postgres."""
from __future__ import annotations

from contextlib import contextmanager

from brandloop.errors import ConfigError
from brandloop.graph.store import CHECKPOINT_SERDE, DATABASE_URL_ENV, MIGRATIONS, SqlRunStore

MIGRATION_LOCK = 7_140_014  # advisory lock ids: one process migrates at a time
CHECKPOINT_LOCK = 7_140_015
_CHECKPOINT_READY: set[str] = set()  # databases whose checkpoint tables this process has set up
_MIGRATED: set[tuple] = set()  # (database, component, version) this process has brought up to date


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def connect(url: str):
    """An autocommit connection returning dict rows; a bad URL or a server that is down is a one-line ConfigError."""
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:
        raise ConfigError(DATABASE_URL_ENV, "is set but the Postgres client is not installed",
                          "pip install 'brandloop[scale]', or unset it to use SQLite") from None

    try:
        return psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=10)
    except (psycopg.Error, ValueError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ConfigError(DATABASE_URL_ENV, f"cannot connect to {shown_url(url)} ({reason})",
                          "start Postgres or fix the URL (postgresql://USER:PASSWORD@HOST:5432/DB), "
                          "or unset it to use SQLite") from None


def migrate(conn, component: str, migrations: list[tuple[int, list[str]]]) -> None:
    """Apply the migrations of `component` above its stored version, under an advisory lock (once per process)."""
    done = (conn.info.dsn, component, migrations[-1][0])
    if done in _MIGRATED:
        return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version WHERE component=%s", (component,)).fetchone()
        current = row["version"] if row else 0
        for version, statements in migrations:
            if version > current:
                for sql in statements:
                    conn.execute(sql)
        conn.execute("INSERT INTO schema_version VALUES (%s, %s) ON CONFLICT (component) DO UPDATE SET"
                     " version=excluded.version", (component, migrations[-1][0]))
    _MIGRATED.add(done)


def _setup_checkpoints(conn, saver) -> None:
    """Run the saver's migrations in one process at a time. They build indexes CONCURRENTLY, which waits for every
    open transaction, so the others poll a try-lock (no transaction left waiting) rather than block on it."""
    import time

    while True:
        if conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (CHECKPOINT_LOCK,)).fetchone()["ok"]:
            try:
                saver.setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (CHECKPOINT_LOCK,))
            return
        time.sleep(0.1)


class PostgresRunStore(SqlRunStore):
    PARAM = "%s"

    def __init__(self, url: str):
        self.url = url
        self.conn = connect(url)
        migrate(self.conn, "runs", MIGRATIONS)

    def _execute(self, sql: str, params: tuple = ()) -> None:
        self.conn.execute(self._sql(sql), params)

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def _fetch(self, sql: str, params: tuple = ()) -> list[dict]:
        return [dict(r) for r in self.conn.execute(self._sql(sql), params).fetchall()]

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def checkpointer(self):
        """A LangGraph PostgresSaver on its own connection (its tables are migrated by its own setup())."""
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, prepare_threshold=0, row_factory=dict_row,
                                   connect_timeout=10)
        except psycopg.Error:
            connect(self.url)  # raises the one-line ConfigError
            raise
        try:
            saver = PostgresSaver(conn, serde=CHECKPOINT_SERDE)
            if self.url not in _CHECKPOINT_READY:
                _setup_checkpoints(conn, saver)
                _CHECKPOINT_READY.add(self.url)
            yield saver
        finally:
            conn.close()
