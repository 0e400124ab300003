"""Benchmark: briefs per hour through the shared queue with 1, 2 and 4 `brandloop worker` processes.

The model is a FAKE-LATENCY model (the scripted fake of tests/fakes.py that sleeps --latency seconds per batch
call, standing in for a model server that has headroom). It measures the queue, the store and the graph's own
work under several workers, NOT a real model server's throughput.

    BRANDLOOP_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_workers.py [--briefs 8] [--workers 1 2 4] [--latency 0.5]

Each measurement uses its own throwaway database (created in the server of BRANDLOOP_DATABASE_URL, then dropped).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from brandloop.cli import cli
    from tests.fakes import scripted
    from tests.test_graph import GOOD

    class Slow(type(scripted(GOOD))):
        def batch(self, inputs, config=None, **kw):
            time.sleep({latency!r})  # one round trip to a model server with headroom (fake)
            return super().batch(inputs, config, **kw)

    fake = scripted(GOOD)
    model = Slow(rules=fake.rules, calls=[])
    cli(["--home", {home!r}, "worker", "--concurrency", "1", "--poll", "0.2", "--exit-when-idle"],
        obj={{"llm_factory": lambda spec, **kw: model}})
""")
BRIEF = ("brand: Northwind Bank\nproduct:\n  name: Everyday Savings\n  description: A savings account.\n"
         "  facts: ['4.10% APY']\naudience: [savers]\nchannel: google_rsa\ngoal: sign-ups\nkey_message: Earn more.\n"
         "keywords: [savings]\nforbidden_words: [guaranteed]\nvariants: 3\n")


def measure(admin_url: str, workers: int, briefs: int, latency: float) -> float:
    import psycopg

    name = f"brandloop_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    env = {**os.environ, "BRANDLOOP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home, brief = Path(tmp) / "home", Path(tmp) / "brief.yaml"
            home.mkdir()
            brief.write_text(BRIEF, encoding="utf-8")
            os.environ["BRANDLOOP_DATABASE_URL"] = url
            from brandloop.queue.table import JobQueue

            queue = JobQueue(url)
            queue.close()  # migrated before the clock starts
            procs = [subprocess.Popen([sys.executable, "-c", WORKER.format(root=str(ROOT), home=str(home),
                                                                           latency=latency)],
                                      env=env, stderr=subprocess.DEVNULL) for _ in range(workers)]
            time.sleep(8)  # let every worker import and connect before the clock starts
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "brandloop", "--home", str(home), "batch", "-k", "1",
                            "--wait", *[str(brief)] * briefs], env=env, check=True, stdout=subprocess.DEVNULL)
            elapsed = time.perf_counter() - t0
            for p in procs:
                p.wait(timeout=120)
            return briefs / elapsed * 3600
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--briefs", type=int, default=8)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--latency", type=float, default=0.5)
    args = ap.parse_args()
    admin = os.environ.get("BRANDLOOP_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    rates = {n: measure(admin, n, args.briefs, args.latency) for n in args.workers}
    print(f"fake-latency model ({args.latency:g} s per batch call), {args.briefs} briefs, --max-revisions 1")
    print("| workers | briefs per hour | vs 1 worker |\n|---|---|---|")
    base = rates.get(1) or next(iter(rates.values()))
    for n, r in rates.items():
        print(f"| {n} | {r:,.0f} | {r / base:.2f}× |")


if __name__ == "__main__":
    main()
