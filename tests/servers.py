"""Throwaway servers for tests: a uniquely named Postgres database (on the local server, or on a private
server started from the Debian binaries when none runs), and `chroma run` on loopback. Tests skip with a
plain reason when neither is possible."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _start_private_pg(tmp: Path):
    """initdb + pg_ctl on a free port in `tmp`; returns (admin URL, stop function) or None."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    as_user: list[str] = []
    if os.geteuid() == 0:  # Postgres refuses to run as root: use the Debian package's postgres account
        import pwd

        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            return None
        os.chown(tmp, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = tmp / "pgdata", free_port()
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "-A", "trust"], check=True,
                   capture_output=True)
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-l", str(tmp / "pg.log"), "-o",
                    f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    return (f"postgresql://postgres@127.0.0.1:{port}/postgres",
            lambda: subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True))


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory):
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[dev]')")
    url = os.environ.get("BRANDLOOP_TEST_PG", LOCAL_PG)
    if _pg_reachable(url):
        yield url
        return
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="brandloop-pg-"))  # not under pytest's root-only folder: postgres reads it
    try:
        started = _start_private_pg(tmp)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip(f"could not start a throwaway Postgres: {(exc.stderr or b'').decode(errors='replace')[-300:]}")
    if started is None:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip("no Postgres: none at 127.0.0.1:5432 and no initdb/pg_ctl to start one "
                    "(apt-get install postgresql, or make system-packages)")
    try:
        yield started[0]
    finally:
        started[1]()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def database_url(pg_admin_url, monkeypatch):
    """A fresh database for this test only (dropped afterwards); BRANDLOOP_DATABASE_URL points at it."""
    import psycopg

    name = f"brandloop_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
    monkeypatch.setenv("BRANDLOOP_DATABASE_URL", url)
    try:
        yield url
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory):
    """`chroma run` (chromadb's own server) on a free loopback port, with a throwaway data path."""
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(exe).exists():
        pytest.skip("no 'chroma' command (pip install chromadb)")
    port, data = free_port(), tmp_path_factory.mktemp("chroma")
    log = open(data / "chroma.log", "wb")
    proc = subprocess.Popen([exe, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(data / "db")],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"chroma run did not start: {(data / 'chroma.log').read_text(errors='replace')[-500:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
