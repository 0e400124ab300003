"""Benchmark: `brandloop check` speed on a 1,000-line file against a bundled rulebook (rulebook loaded and compiled
once, outside the timing; the run through the CLI is timed too). Prints lines/s and peak RSS.

    .venv/bin/python scripts/bench_check.py [--lines 1000] [--rulebook cobalt] [--kind md|txt|csv] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brandloop.knowledge.copycheck import CopyChecker  # noqa: E402
from brandloop.knowledge.registry import RulebookRegistry  # noqa: E402

SENTENCES = ["Automate handoffs with Cobalt Flow.", "Start a free trial today!", "Cobalt flow connects to 300+ apps.",
             "It is the fastest workflow tool on the market.", "Dashboards refresh every 5 minutes.",
             "We think this might possibly help your team.", "Clear workflows for busy operations teams.",
             "A game changer for IT leaders, developers and operations managers.", "No credit card required."]


def make_text(n: int, kind: str, seed: int = 7) -> str:
    rnd = random.Random(seed)
    lines = [" ".join(rnd.choice(SENTENCES) for _ in range(rnd.randint(1, 3))) for _ in range(n)]
    if kind == "csv":
        return "text\n" + "\n".join('"' + ln.replace('"', '""') + '"' for ln in lines[: n - 1]) + "\n"
    if kind == "md":
        return "\n".join(("# " + ln) if i % 25 == 0 else ln for i, ln in enumerate(lines)) + "\n"
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--rulebook", default="cobalt")
    ap.add_argument("--kind", default="md", choices=["md", "txt", "csv"])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        checker = CopyChecker(RulebookRegistry(Path(home)).rules_only(a.rulebook), channel="linkedin")
        load_s = time.perf_counter() - t0
        text = make_text(a.lines, a.kind)
        best, alerts = float("inf"), []
        for _ in range(a.repeat):
            t = time.perf_counter()
            alerts = checker.check(text, "bench", a.kind)
            best = min(best, time.perf_counter() - t)
        with tempfile.NamedTemporaryFile("w", suffix="." + a.kind, delete=False) as f:
            f.write(text)
        t = time.perf_counter()
        root = Path(__file__).resolve().parent.parent
        subprocess.run([sys.executable, "-c", "from brandloop.cli import main; main()", "--home", home, "check",
                        "--rulebook", a.rulebook, "--channel", "linkedin", f.name], capture_output=True, check=False,
                       cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
        cli_s = time.perf_counter() - t
        Path(f.name).unlink()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rulebook {a.rulebook}: {len(checker.knowledge.data.rules)} rules, loaded and compiled in {load_s:.2f} s")
    print(f"{a.lines} {a.kind} lines, {len(alerts)} alerts: best of {a.repeat} {best * 1000:.1f} ms "
          f"= {a.lines / best:,.0f} lines/s; peak RSS {rss:.0f} MiB")
    print(f"whole CLI process (start, load rulebook, check, print): {cli_s:.2f} s = {a.lines / cli_s:,.0f} lines/s")


if __name__ == "__main__":
    main()
