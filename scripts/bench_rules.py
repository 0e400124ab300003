"""Benchmark: compiled rule engine vs a naive loop of one regex per rule, on a synthetic rulebook
of 500 rules. Prints variants/s for both, the ratio, and peak RSS.

    .venv/bin/python scripts/bench_rules.py [--rules 500] [--variants 5000]
"""
from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brandloop.knowledge.rules import Rule, RuleEngine  # noqa: E402


def synthetic(n_rules: int, seed: int = 7):
    rnd = random.Random(seed)
    syll = ["ka", "lo", "mi", "ve", "tor", "sen", "ra", "qu", "bel", "dan", "fi", "gro"]
    word = lambda: "".join(rnd.choice(syll) for _ in range(rnd.randint(2, 3)))  # noqa: E731
    rules = []
    for i in range(n_rules):
        if i % 5 == 4:
            rules.append(Rule(id=f"s{i}", type="substitution", message="Use '%s' instead of '%s'.",
                              params={"ignorecase": True, "swap": {word(): word(), f"{word()} {word()}": word()}}))
        else:
            rules.append(Rule(id=f"e{i}", type="existence", message="Avoid '%s'.",
                              params={"ignorecase": True, "tokens": [word() for _ in range(3)]}))
    vocab = [t for r in rules for t in (r.params.get("tokens") or list(r.params.get("swap", {})))]
    common = "save more with our new plan today for your team and family every day".split()
    texts = []
    for _ in range(2000):
        ws = [rnd.choice(common) for _ in range(rnd.randint(6, 12))]
        if rnd.random() < 0.3:
            ws.insert(rnd.randrange(len(ws)), rnd.choice(vocab))
        texts.append(" ".join(ws).capitalize())
    return rules, texts


def naive(rules, texts):
    pats = []
    for r in rules:
        toks = r.params.get("tokens") or list(r.params.get("swap", {}))
        pats.append(re.compile(r"\b(?:" + "|".join(toks) + r")\b", re.I))
    hits = 0
    for t in texts:
        for p in pats:
            hits += len(p.findall(t))
    return hits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=500)
    ap.add_argument("--variants", type=int, default=20000)
    a = ap.parse_args()
    rules, pool = synthetic(a.rules)
    texts = (pool * (a.variants // len(pool) + 1))[: a.variants]
    t0 = time.perf_counter()
    eng = RuleEngine(rules)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = 0
    for t in texts:
        n += len(eng.check({"headline": [t]}))
    comp = len(texts) / (time.perf_counter() - t0)
    sub = texts[: max(1000, a.variants // 10)]
    t0 = time.perf_counter()
    naive(rules, sub)
    nv = len(sub) / (time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rules={a.rules} variants={len(texts)} compile={compile_s * 1000:.0f} ms violations={n}")
    print(f"compiled engine: {comp:,.0f} variants/s")
    print(f"naive one-regex-per-rule: {nv:,.0f} variants/s")
    print(f"ratio: {comp / nv:.1f}x   peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
