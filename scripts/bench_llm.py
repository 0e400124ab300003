"""Benchmark the local LLM backend: cold vs cached load, sequential vs batched generation.

Each measurement runs in a fresh subprocess, so load times are real process starts:

- cold:   an empty data home; parts joined + sha256 checked + GGUF dequantized + dense
          cache written (what a first run on a new machine pays);
- cached: the same home again; the dense safetensors cache is loaded.

In each child, after a warm-up call, the same n prompts are generated one by one
(``invoke``) and then together (one ``batch`` call), greedy, same max_new_tokens.
Throughput counts only the tokens each answer really has (usage_metadata).
Because other processes may share the CPU, CPU seconds of this process and the load
average are recorded next to wall-clock figures.

    .venv/bin/python scripts/bench_llm.py --n 4 --max-new-tokens 48
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    "Write three short taglines for a new oat-milk latte.",
    "Write an ad headline and one sentence of body copy for waterproof hiking boots.",
    "Write a tweet announcing a weekend sale at a neighbourhood bakery.",
    "Write two short Google ad headlines for a budgeting app.",
    "Write a one-paragraph product blurb for noise-cancelling headphones.",
    "Write three Instagram captions for a yoga studio's opening week.",
    "Write an email subject line and preview text for a bike shop spring tune-up offer.",
    "Write a radio ad opening line for a family-run pizza place.",
]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def child(args) -> dict:
    sys.path.insert(0, str(ROOT))
    import torch
    from langchain_core.messages import HumanMessage, SystemMessage

    from brandloop.llm import get_chat_model, model_info

    t0, c0 = time.perf_counter(), _cpu()
    llm = get_chat_model(args.spec, home=Path(args.home), num_threads=args.threads or None)
    load_wall, load_cpu = time.perf_counter() - t0, _cpu() - c0
    info = model_info(llm)
    out = {
        "label": args.label,
        "load_wall_s": round(load_wall, 2),
        "load_cpu_s": round(load_cpu, 2),
        "model_load_s": info["load_seconds"],
        "cache_hit": info["cache_hit"],
        "device": info["device"],
        "dtype": info["dtype"],
        "peak_rss_after_load_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "torch_threads": torch.get_num_threads(),
        "loadavg_start": _loadavg(),
    }
    if args.n:
        prompts = [[SystemMessage("You are a concise copywriter."), HumanMessage(p)] for p in PROMPTS[: args.n]]
        llm.invoke(prompts[0], max_new_tokens=4)  # warm-up: page in the weights

        t, c = time.perf_counter(), _cpu()
        seq = [llm.invoke(p, max_new_tokens=args.max_new_tokens) for p in prompts]
        seq_wall, seq_cpu = time.perf_counter() - t, _cpu() - c
        seq_tokens = sum(m.usage_metadata["output_tokens"] for m in seq)

        t, c = time.perf_counter(), _cpu()
        bat = llm.batch(prompts, max_new_tokens=args.max_new_tokens)
        bat_wall, bat_cpu = time.perf_counter() - t, _cpu() - c
        bat_tokens = sum(m.usage_metadata["output_tokens"] for m in bat)
        out.update(
            n=args.n,
            max_new_tokens=args.max_new_tokens,
            seq_tokens=seq_tokens,
            seq_wall_s=round(seq_wall, 2),
            seq_tok_s=round(seq_tokens / seq_wall, 2),
            seq_tok_per_cpu_s=round(seq_tokens / seq_cpu, 2),
            batch_tokens=bat_tokens,
            batch_wall_s=round(bat_wall, 2),
            batch_tok_s=round(bat_tokens / bat_wall, 2),
            batch_tok_per_cpu_s=round(bat_tokens / bat_cpu, 2),
            same_text=sum(a.content == b.content for a, b in zip(seq, bat)),
        )
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["loadavg_end"] = _loadavg()
    return out


def run_child(label: str, home: Path, args) -> dict:
    cmd = [
        sys.executable, __file__, "--child", "--label", label, "--home", str(home), "--spec", args.spec,
        "--n", str(args.n), "--max-new-tokens", str(args.max_new_tokens), "--threads", str(args.threads or 0),
    ]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"child {label} failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(time.perf_counter() - t, 1)
    return result


def table(rows: list[dict]) -> str:
    cols = [
        ("start", "label"), ("fast cache hit", "cache_hit"), ("get_chat_model s", "load_wall_s"),
        ("model load s", "model_load_s"), ("process wall s", "process_wall_s"), ("peak RSS MB", "peak_rss_mb"),
        ("RSS after load MB", "peak_rss_after_load_mb"), ("threads", "torch_threads"), ("seq tok/s", "seq_tok_s"), ("batch tok/s", "batch_tok_s"),
        ("seq tok/CPU-s", "seq_tok_per_cpu_s"), ("batch tok/CPU-s", "batch_tok_per_cpu_s"), ("loadavg", "loadavg_start"),
    ]
    lines = ["| " + " | ".join(c for c, _ in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(k, "")) for _, k in cols) + " |")
    for r in rows:
        if "seq_tok_s" in r:
            lines.append(
                f"\n{r['label']}: n={r['n']} prompts, max_new_tokens={r['max_new_tokens']}; "
                f"sequential {r['seq_tokens']} tokens in {r['seq_wall_s']} s, batched {r['batch_tokens']} tokens "
                f"in {r['batch_wall_s']} s; batched/sequential = {r['batch_tok_s'] / r['seq_tok_s']:.2f}x wall, "
                f"{r['batch_tok_per_cpu_s'] / r['seq_tok_per_cpu_s']:.2f}x per CPU-second; "
                f"identical answers {r['same_text']}/{r['n']}; device {r['device']} {r['dtype']}, "
                f"torch threads {r['torch_threads']}, loadavg {r['loadavg_start']}->{r['loadavg_end']}"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default="small")
    ap.add_argument("--n", type=int, default=4, help="prompts (max %d)" % len(PROMPTS))
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--home", help="data home for the cached run (default: a temporary one, removed after)")
    ap.add_argument("--skip-cold", action="store_true", help="only the cached start (needs --home with a cache)")
    ap.add_argument("--cold-gen", action="store_true", help="also generate in the cold child (GGUF-loaded weights)")
    ap.add_argument("--threads", default="0", help="torch threads for the cached runs, comma list; 0 = torch default")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.n = max(0, min(args.n, len(PROMPTS)))
    if args.child:
        args.threads = int(args.threads)
        print(json.dumps(child(args)))
        return
    thread_list = [int(t) for t in str(args.threads).split(",")]

    tmp = None
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="brandloop-bench-"))
    if not args.home:
        tmp = home
    rows = []
    try:
        if not args.skip_cold:
            if any((home / "models").glob("*")):
                raise SystemExit(f"--home {home} already has models; a cold start needs an empty home")
            n = args.n
            if not args.cold_gen:
                args.n = 0
            args.threads = thread_list[0]
            rows.append(run_child("cold (assemble + convert)", home, args))
            args.n = n
        for threads in thread_list:
            args.threads = threads
            rows.append(run_child(f"cached, threads={threads or 'default'}", home, args))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(table(rows))


if __name__ == "__main__":
    main()
