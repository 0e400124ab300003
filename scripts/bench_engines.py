"""`make bench`: engine speed, memory and the default run's wall time, as ratios against baselines of the same run.

Every measurement runs in a fresh process (so load times and peak RSS are real), in interleaved rounds
(these machines are shared, so only ratios taken side by side mean much). Prompts are the copywriter's real
prompts for the example search-ad brief, one per creative angle; decoding is greedy.

    .venv/bin/python scripts/bench_engines.py            # everything (about 10 minutes on 2 cores)
    .venv/bin/python scripts/bench_engines.py --quick    # engines only, one round

Reported:
- brandloop's OpenVINO chat model vs OpenVINO GenAI's own API on the same prompts (no LangChain);
- OpenVINO's prefix cache on and off;
- the OpenVINO engine vs the transformers engine, one stream and 8 prompts batched;
- batched vs one by one, per engine;
- a busy machine: both engines while another process spins on one core, transformers with torch's
  OpenMP threads spinning (OMP_WAIT_POLICY=ACTIVE) and yielding (PASSIVE, brandloop's default);
- `brandloop run` on the default brief: cold (empty data home: parts joined, model converted) and warm,
  with the share of wall time spent in model calls.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRIEF = ROOT / "examples" / "briefs" / "northwind_search.yaml"
MAX_NEW = 64


def _prompts(n: int, offset: int = 0):
    """The copywriter's first-draft prompts for the example brief, one per angle."""
    sys.path.insert(0, str(ROOT))
    from brandloop import prompts
    from brandloop.agents.copywriter import prompt_fields
    from brandloop.agents.selection import examples_for
    from brandloop.graph.brief import load_brief
    from brandloop.knowledge.channels import get_channel

    brief, _ = load_brief(BRIEF)
    spec = get_channel(brief.channel)
    angles = prompts.load_data("angles")
    shown = examples_for(brief)
    fields = prompt_fields(spec.drafted_fields(), examples=shown)
    out = []
    for i in range(offset, offset + n):
        out.append(prompts.render(
            "copywriter", examples=shown, brand=brief.brand, channel_title=spec.title,
            product=brief.product, audience=brief.audience, goal=brief.goal, tone=brief.tone,
            key_message=brief.key_message, keywords=brief.keywords, forbidden=brief.forbidden_words,
            facts=brief.product.facts, material_summaries=[], rules=[], fields=fields, approved=[],
            angle=f"{angles[i % len(angles)]} (take {i + 1})", avoid=[]))
    return out


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def worker(mode: str, home: str) -> dict:
    """One engine configuration in this process: load, one stream, 8 batched, 8 one by one."""
    sys.path.insert(0, str(ROOT))
    single, batch8, seq = _prompts(1, 16), _prompts(8, 0), _prompts(4, 8)
    res: dict = {"mode": mode}
    if mode.startswith("openvino-raw"):
        import openvino_genai

        from brandloop.llm.assets import PRESETS, preset_dir
        from brandloop.llm.batching import to_chat_dicts
        from brandloop.llm.factory import cpu_threads
        from brandloop.llm.ov_build import load_pipeline, openvino_dir

        # the converted model brandloop built (the "openvino" worker runs first), with OpenVINO GenAI's own API
        folder = openvino_dir(preset_dir("small", home), PRESETS["small"].sha256)
        pipe, load_s = _timed(lambda: load_pipeline(folder, cpu_threads(), prefix_caching=mode != "openvino-raw-noprefix"))
        tok = pipe.get_tokenizer()

        def gen(msg_lists):
            ids = [tok.encode(tok.apply_chat_template(to_chat_dicts(m), add_generation_prompt=True),
                              add_special_tokens=False).input_ids for m in msg_lists]
            cfg = openvino_genai.GenerationConfig()
            cfg.max_new_tokens = MAX_NEW
            cfg.do_sample = False
            outs = pipe.generate(ids, [cfg] * len(ids))
            return sum(len(o.m_generation_ids[0]) for o in outs)
    else:
        from brandloop.llm import get_chat_model

        engine = mode.split("-")[0]
        chat, load_s = _timed(lambda: get_chat_model("small", engine=engine, home=home))

        def gen(msg_lists):
            outs = chat.batch(msg_lists, max_new_tokens=MAX_NEW) if len(msg_lists) > 1 else [
                chat.invoke(msg_lists[0], max_new_tokens=MAX_NEW)]
            return sum(o.usage_metadata["output_tokens"] for o in outs)

    res["load_s"] = round(load_s, 2)
    gen(_prompts(1, 20))  # warm-up: first-call allocations, the shared prompt head
    n, dt = _timed(lambda: gen(single))
    res["single_tok_s"] = round(n / dt, 2)
    n, dt = _timed(lambda: gen(batch8))
    res["batch8_tok_s"] = round(n / dt, 2)
    total, dt_sum = 0, 0.0
    for p in seq:
        n, dt = _timed(lambda p=p: gen([p]))
        total, dt_sum = total + n, dt_sum + dt
    res["one_by_one_tok_s"] = round(total / dt_sum, 2)
    return res


def _child(args: list[str], env: dict | None = None, burner: bool = False) -> tuple[dict | None, float, float]:
    """Run a child; returns (its JSON line, wall seconds, peak RSS in MB of that child)."""
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if burner else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                            cwd=ROOT)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if spin:
        spin.kill()
        spin.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark child failed: {' '.join(args)}")
    data = None
    for line in out.splitlines()[::-1]:
        if line.startswith("{"):
            data = json.loads(line)
            break
    return data, wall, usage.ru_maxrss / 1024


def engine_round(home: str, modes: list[str], env: dict, burner: bool = False) -> dict:
    out = {}
    for mode in modes:
        data, _, rss = _child([sys.executable, __file__, "--worker", mode, "--home", home], env, burner)
        out[mode] = {**data, "peak_rss_mb": round(rss)}
        print(f"  {mode:<24} {json.dumps(out[mode])}", flush=True)
    return out


def run_brief(home: str) -> dict:
    args = [str(ROOT / ".venv" / "bin" / "brandloop"), "--home", home, "run", str(BRIEF), "--json", "--quiet"]
    proc_t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - proc_t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("brandloop run failed during the benchmark")
    result = json.loads(out[out.index("{"):])
    info = result.get("model_info") or {}
    return {"wall_s": round(wall, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "model_seconds": info.get("generate_seconds"), "load_s": info.get("load_seconds"),
            "model_share": round((info.get("generate_seconds") or 0) / wall, 2),
            "tokens_out": info.get("tokens_out"), "engine": info.get("engine"),
            "delivered": [v["delivered"] for v in result["variants"]]}


def _mean(rows: list[dict], mode: str, key: str) -> float:
    vals = [r[mode][key] for r in rows if mode in r]
    return sum(vals) / len(vals)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker")
    ap.add_argument("--home")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="engines only, one round")
    ap.add_argument("--out", default=str(ROOT / "bench-results.json"))
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.home)))
        return
    home = args.home or str(ROOT / ".brandloop")
    rounds = 1 if args.quick else args.rounds
    modes = ["openvino", "openvino-raw", "openvino-raw-noprefix", "transformers"]
    passive = {"OMP_WAIT_POLICY": "PASSIVE"}
    print(f"engines, {rounds} round(s), {MAX_NEW} new tokens, greedy, fresh process each", flush=True)
    quiet = [engine_round(home, modes, passive) for _ in range(rounds)]
    report: dict = {"quiet": quiet}
    if not args.quick:
        print("busy machine: another process spins on one core", flush=True)
        report["busy"] = [engine_round(home, ["openvino"], passive, burner=True)
                          | {"transformers-passive": engine_round(home, ["transformers"], passive, True)["transformers"]}
                          | {"transformers-active": engine_round(home, ["transformers"], {"OMP_WAIT_POLICY": "ACTIVE"},
                                                                 True)["transformers"]}]
        print("brandloop run on the default brief: cold (empty data home), then warm", flush=True)
        cold_home = tempfile.mkdtemp(prefix="brandloop-bench-")
        try:
            cold = run_brief(cold_home)
            print(f"  cold {json.dumps(cold)}", flush=True)
            warm = [run_brief(cold_home) for _ in range(rounds)]
            for w in warm:
                print(f"  warm {json.dumps(w)}", flush=True)
        finally:
            shutil.rmtree(cold_home, ignore_errors=True)
        report["run"] = {"cold": cold, "warm": warm}

    ov, raw, tf = (lambda k: _mean(quiet, "openvino", k)), (lambda k: _mean(quiet, "openvino-raw", k)), (
        lambda k: _mean(quiet, "transformers", k))
    lines = [
        "| measurement | OpenVINO (brandloop) | OpenVINO GenAI API | transformers | ratio |",
        "|---|---|---|---|---|",
        f"| one stream, tok/s | {ov('single_tok_s'):.1f} | {raw('single_tok_s'):.1f} | {tf('single_tok_s'):.1f} | "
        f"brandloop/API {ov('single_tok_s') / raw('single_tok_s'):.2f}×, OpenVINO/transformers "
        f"{ov('single_tok_s') / tf('single_tok_s'):.1f}× |",
        f"| 8 prompts batched, tok/s | {ov('batch8_tok_s'):.1f} | {raw('batch8_tok_s'):.1f} | {tf('batch8_tok_s'):.1f} |"
        f" brandloop/API {ov('batch8_tok_s') / raw('batch8_tok_s'):.2f}×, OpenVINO/transformers "
        f"{ov('batch8_tok_s') / tf('batch8_tok_s'):.1f}× |",
        f"| one by one, tok/s | {ov('one_by_one_tok_s'):.1f} | {raw('one_by_one_tok_s'):.1f} | "
        f"{tf('one_by_one_tok_s'):.1f} | batched/one by one: OpenVINO {ov('batch8_tok_s') / ov('one_by_one_tok_s'):.1f}×,"
        f" transformers {tf('batch8_tok_s') / tf('one_by_one_tok_s'):.1f}× |",
        f"| load, s | {ov('load_s'):.1f} | {raw('load_s'):.1f} | {tf('load_s'):.1f} | |",
        f"| peak RSS, MB | {ov('peak_rss_mb'):.0f} | {raw('peak_rss_mb'):.0f} | {tf('peak_rss_mb'):.0f} | |",
    ]
    nop = lambda k: _mean(quiet, "openvino-raw-noprefix", k)  # noqa: E731
    lines += ["", "| prefix cache (OpenVINO GenAI API, 8 copywriter prompts sharing their head) | tok/s |",
              "|---|---|",
              f"| on (brandloop's setting) | {raw('batch8_tok_s'):.1f} |",
              f"| off | {nop('batch8_tok_s'):.1f} |",
              f"| on/off | {raw('batch8_tok_s') / nop('batch8_tok_s'):.2f}× |"]
    if "busy" in report:
        b = report["busy"][0]
        lines += [
            "",
            "| busy machine (one core spinning elsewhere), one stream tok/s | value | vs quiet |",
            "|---|---|---|",
            f"| OpenVINO | {b['openvino']['single_tok_s']:.1f} | {b['openvino']['single_tok_s'] / ov('single_tok_s'):.2f}× |",
            f"| transformers, OMP_WAIT_POLICY=PASSIVE (default) | {b['transformers-passive']['single_tok_s']:.1f} | "
            f"{b['transformers-passive']['single_tok_s'] / tf('single_tok_s'):.2f}× |",
            f"| transformers, OMP_WAIT_POLICY=ACTIVE | {b['transformers-active']['single_tok_s']:.1f} | "
            f"{b['transformers-active']['single_tok_s'] / tf('single_tok_s'):.2f}× |",
        ]
    if "run" in report:
        c, w = report["run"]["cold"], report["run"]["warm"]
        lines += [
            "",
            "| `brandloop run` (default brief) | wall s | model calls | peak RSS MB |",
            "|---|---|---|---|",
            f"| cold (empty data home) | {c['wall_s']} | {c['model_share']:.0%} | {c['peak_rss_mb']} |",
        ] + [f"| warm | {x['wall_s']} | {x['model_share']:.0%} | {x['peak_rss_mb']} |" for x in w]
    table = "\n".join(lines)
    print("\n" + table)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
