"""Benchmark: briefs per hour through the shared queue with 1, 2 and 4 `brandloop worker` processes.

Two modes:

- ``--server``: one real ``brandloop model-server --model MODEL`` (the embedded engine behind its OpenAI-compatible
  API) that every worker uses through ``--model openai:URL#MODEL?guided=vllm``; the server gathers the workers'
  concurrent requests into shared batches. Also reports the peak RSS of the server and of the workers.
- default: a FAKE-LATENCY model (the scripted fake of tests/fakes.py that sleeps --latency seconds per batch call,
  standing in for a model server that has headroom). It measures the queue, the store and the graph's own work
  under several workers, NOT a real model server's throughput.

    BRANDLOOP_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_workers.py [--briefs 8] [--workers 1 2 4] [--latency 0.5]
    .venv/bin/python scripts/bench_workers.py --server [--model small] [--briefs 4] [--max-new-tokens 64]

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

SERVER_WORKER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from brandloop.cli import cli
    cli(["--home", {home!r}, "worker", "--concurrency", "1", "--poll", "0.2"], obj={{}})
""")
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
    cli(["--home", {home!r}, "worker", "--concurrency", "1", "--poll", "0.2"],
        obj={{"llm_factory": lambda spec, **kw: model}})
""")
BRIEF = ("brand: Northwind Bank\nproduct:\n  name: Everyday Savings\n  description: A savings account.\n"
         "  facts: ['4.10% APY']\naudience: [savers]\nchannel: google_rsa\ngoal: sign-ups\nkey_message: Earn more.\n"
         "keywords: [savings]\nforbidden_words: [guaranteed]\nvariants: 3\n")


def _worker_cpu(procs) -> float:
    """CPU seconds (user + system) the worker processes have used so far, from /proc."""
    total = 0.0
    for p in procs:
        fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(admin_url: str, workers: int, briefs: int, latency: float, server: dict | None = None) -> dict:
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
            script = (SERVER_WORKER.format(root=str(ROOT), home=str(home)) if server else
                      WORKER.format(root=str(ROOT), home=str(home), latency=latency))
            procs = [subprocess.Popen([sys.executable, "-c", script],
                                      env=env, stderr=subprocess.PIPE, text=True) for _ in range(workers)]
            for p in procs:  # every worker has imported and connected before the clock starts
                line = p.stderr.readline()
                if "waiting for runs" not in line:
                    raise SystemExit(f"a worker did not start: {line}{p.stderr.read()[-2000:]}")
            extra = (["--model", server["spec"], "-n", str(server["variants"]), "--max-new-tokens",
                      str(server["max_new_tokens"]), "--temperature", "0"] if server else [])

            def batch(n: int) -> None:
                subprocess.run([sys.executable, "-m", "brandloop", "--home", str(home), "batch", "-k", "1", *extra,
                                "--wait", *[str(brief)] * n], env=env, check=True, stdout=subprocess.DEVNULL)

            # warm-up: every worker loads its embedder and rule engine before the clock starts
            batch(workers if server else 2 * workers)
            cpu0 = _worker_cpu(procs)
            t0 = time.perf_counter()
            batch(briefs)
            elapsed = time.perf_counter() - t0
            cpu = _worker_cpu(procs) - cpu0
            rss = max(_peak_rss_mb(p.pid) for p in procs)
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=120)
            return {"rate": briefs / elapsed * 3600, "cpu": cpu / briefs, "rss": rss, "seconds": elapsed}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server(model: str, port: int, log: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "brandloop", "model-server", "--model", model, "--port",
                                 str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"brandloop model-server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--briefs", type=int, default=8)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--server", action="store_true", help="workers share one real brandloop model-server")
    ap.add_argument("--model", default="small", help="what the model server serves (--server)")
    ap.add_argument("--port", type=int, default=8008)
    ap.add_argument("--variants", type=int, default=1, help="variants per brief (--server)")
    ap.add_argument("--max-new-tokens", type=int, default=64, help="copywriter token budget (--server)")
    args = ap.parse_args()
    admin = os.environ.get("BRANDLOOP_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    load = os.getloadavg()[0]
    server, proc = None, None
    if args.server:
        proc, url = start_server(args.model, args.port, Path(tempfile.gettempdir()) / "bench-model-server.log")
        server = {"spec": f"openai:{url}#{args.model}?guided=vllm", "variants": args.variants,
                  "max_new_tokens": args.max_new_tokens}
    try:
        rates = {n: measure(admin, n, args.briefs, args.latency, server) for n in args.workers}
        server_rss = _peak_rss_mb(proc.pid) if proc else None
    finally:
        if proc:
            proc.terminate()
            proc.wait(60)
    if server:
        print(f"one brandloop model-server ({args.model}), workers on {server['spec']}; {args.briefs} briefs per "
              f"measurement, -n {args.variants} -k 1 --max-new-tokens {args.max_new_tokens} --temperature 0; "
              f"server peak RSS {server_rss:,.0f} MB")
    else:
        print(f"fake-latency model ({args.latency:g} s per batch call), {args.briefs} briefs, --max-revisions 1")
    print(f"{os.cpu_count()} CPU cores; load average at the start: {load:.2f}")
    print("| workers | briefs per hour | vs 1 worker | worker CPU seconds per brief | worker peak RSS (MB) |\n"
          "|---|---|---|---|---|")
    base = (rates.get(1) or next(iter(rates.values())))["rate"]
    for n, m in rates.items():
        print(f"| {n} | {m['rate']:,.0f} | {m['rate'] / base:.2f}× | {m['cpu']:.2f} | {m['rss']:,.0f} |")


if __name__ == "__main__":
    main()
