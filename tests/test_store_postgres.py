"""BRANDLOOP_DATABASE_URL: runs, traces and LangGraph checkpoints in Postgres, with the SQLite store's schema."""
import sqlite3

from click.testing import CliRunner

from brandloop.cli import cli
from brandloop.graph.context import RunSettings
from brandloop.graph.runner import Runner
from brandloop.graph.store import DB_NAME, MIGRATIONS, RunStore, open_store
from brandloop.graph.store_pg import PostgresRunStore
from tests.fakes import scripted
from tests.servers import database_url, pg_admin_url  # noqa: F401 - fixtures
from tests.test_graph import GOOD, LONG


def test_run_lives_in_postgres_and_resumes_from_its_checkpoint(home, brief_file, database_url):
    def exploding_critic(prompt):
        raise RuntimeError("power cut")

    try:
        Runner(home, lambda s, **kw: scripted(LONG, critic=exploding_critic)).run(
            brief_file, RunSettings(max_revisions=1), run_id="pg1")
    except RuntimeError:
        pass
    store = open_store(home)
    assert isinstance(store, PostgresRunStore)
    assert not (home / DB_NAME).exists()  # nothing went to SQLite
    assert store.get_run("pg1")["status"] == "error"
    before = [e["node"] for e in store.events("pg1")]
    assert before == ["describer", "retrieve", "copywriter", "compliance"]

    result = Runner(home, lambda s, **kw: scripted(GOOD)).resume("pg1")
    after = [e["node"] for e in store.events("pg1")][len(before):]
    assert after[0] == "critic" and "describer" not in after and after[-1] == "finalize"
    assert store.get_run("pg1")["status"] == "completed" and result["run_id"] == "pg1"
    assert store.latest_values("pg1")["variants"][0]["delivered"]

    listing = CliRunner().invoke(cli, ["runs"], obj={"home": home})
    assert listing.exit_code == 0 and "pg1" in listing.output and "completed" in listing.output
    trace = CliRunner().invoke(cli, ["trace", "pg1", "--node", "critic", "--json"], obj={"home": home})
    assert trace.exit_code == 0 and '"node": "critic"' in trace.output


def test_postgres_schema_matches_sqlite_and_is_versioned(home, database_url):
    pg = PostgresRunStore(database_url)
    PostgresRunStore(database_url).close()  # a second open migrates nothing twice
    lite = RunStore(home)
    for table in ("runs", "trace_events"):
        pg_cols = [r["column_name"] for r in pg._fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name=? ORDER BY ordinal_position", (table,))]
        lite_cols = [r[1] for r in sqlite3.connect(lite.path).execute(f"PRAGMA table_info({table})")]
        assert pg_cols == lite_cols
    latest = MIGRATIONS[-1][0]
    assert pg._fetch("SELECT version FROM schema_version WHERE component='runs'") == [{"version": latest}]
    assert lite._fetch("SELECT version FROM schema_version") == [{"version": latest}]


def test_old_sqlite_store_is_migrated_in_place(home):
    conn = sqlite3.connect(home / DB_NAME)  # a store as written before the migrations were versioned
    conn.executescript("CREATE TABLE runs (run_id TEXT PRIMARY KEY, brand TEXT, channel TEXT, brief_path TEXT,"
                       " model TEXT, status TEXT, started TEXT, ended TEXT, duration_s REAL, passed INTEGER,"
                       " failed INTEGER, stop_reason TEXT, out_dir TEXT, pid INTEGER, input_json TEXT, error TEXT);"
                       "INSERT INTO runs (run_id, status, started) VALUES ('old', 'completed', '2025-01-01T00:00:00');")
    conn.commit()
    conn.close()
    store = RunStore(home)
    assert store.get_run("old")["status"] == "completed"
    assert {"below", "host"} <= set(store.get_run("old"))


def test_unreachable_database_is_a_one_line_error(home, monkeypatch):
    monkeypatch.setenv("BRANDLOOP_DATABASE_URL", "postgresql://postgres:secret@127.0.0.1:1/nothing")
    r = CliRunner().invoke(cli, ["runs"], obj={"home": home})
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: BRANDLOOP_DATABASE_URL: cannot connect to")
    assert "secret" not in r.output and "unset it to use SQLite" in r.output
