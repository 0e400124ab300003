"""Does the critic's SCORE tell a good ad from a worse one? Each brand's approved ads (rulebooks/*/ads) are scored
beside copies made worse in one known way, on the real default model, greedy, with the critic's own prompt and
pattern. A pair counts as won when the approved ad scores higher, tied when both score the same.

    .venv/bin/python scripts/bench_critic.py                   # the critic prompt in this tree
    .venv/bin/python scripts/bench_critic.py --against HEAD~1  # and the one at a commit, in the same run

The worse copies: every line cut to its first half (fragments), every line reduced to one word said twice
("Savings Savings"), generic filler in place of every line, and the lines of another brand's ad (off-brief).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import yaml

from brandloop import prompts
from brandloop.agents.common import labelled
from brandloop.agents.formats import critique_pattern
from brandloop.agents.parsing import parse_critique
from brandloop.knowledge.channels import get_channel
from brandloop.knowledge.exemplars import load_ads
from brandloop.knowledge.safeyaml import safe_load

ROOT = Path(__file__).resolve().parents[1]
FILLER = ["Quality you can trust", "The best choice for you today.", "Great value for everyone.",
          "Discover more now.", "Something for every need."]


def fragment(line: str) -> str:
    w = line.split()
    return " ".join(w[: max(1, len(w) // 2)])


def stutter(line: str) -> str:
    word = max(line.split(), key=len).strip(".,!?:;")
    return f"{word} {word}"


def worse_copies(fields: dict[str, list[str]], other: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    others = [t for items in other.values() for t in items] or ["Shop now."]
    k = iter(range(10_000))
    return {"fragment": {f: [fragment(t) for t in items] for f, items in fields.items()},
            "stutter": {f: [stutter(t) for t in items] for f, items in fields.items()},
            "filler": {f: [FILLER[next(k) % len(FILLER)] for _ in items] for f, items in fields.items()},
            "off_brief": {f: [others[next(k) % len(others)] for _ in items] for f, items in fields.items()}}


def cases() -> list[dict]:
    """One case per approved ad whose product an example brief sells: the brief's context, the ad, its worse copies."""
    briefs = [safe_load(p.read_text("utf-8")) for p in sorted((ROOT / "examples" / "briefs").glob("*.yaml"))]
    ads = {}
    for folder in sorted((ROOT / "rulebooks").iterdir()):
        found, _issues = load_ads(folder, folder.name)
        ads[folder.name] = found
    out = []
    names = sorted(ads)
    for b in briefs:
        mine = [a for a in ads.get(b["rulebook"], []) if a.product == b["product"]["name"]]
        other_book = names[(names.index(b["rulebook"]) + 1) % len(names)]
        other = ads[other_book][0].fields if ads[other_book] else {}
        for a in mine:
            fields = {f: items[:3] for f, items in a.fields.items()}  # a few lines each keep the prompt short
            out.append({"brief": b, "ad": a.id, "channel": a.channel, "good": fields,
                        "worse": worse_copies(fields, other)})
    return out


def render(c: dict, fields: dict[str, list[str]]):
    b = c["brief"]
    product = SimpleNamespace(name=b["product"]["name"])
    return prompts.render("critic", brand=b["brand"], channel_title=get_channel(c["channel"]).title, product=product,
                          audience=b.get("audience", []), goal=b.get("goal", ""), key_message=b.get("key_message", ""),
                          variant=labelled(fields), findings=[], unheeded=[], guidelines=[])


_LOAD = prompts._load


def use_prompt_at(rev: str | None) -> None:
    """Render the critic from prompts/critic.yaml at ``rev`` (None: this tree)."""
    prompts._load = _LOAD
    if rev is None:
        return
    raw = subprocess.run(["git", "show", f"{rev}:prompts/critic.yaml"], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout
    compiled = prompts.compile_template(yaml.safe_load(raw))
    prompts._load = lambda name: compiled if name == "critic" else _LOAD(name)  # noqa: E731


def measure(llm, all_cases: list[dict]) -> dict:
    asks, keys = [], []
    for n, c in enumerate(all_cases):
        asks.append(render(c, c["good"]))
        keys.append((n, "good"))
        for kind, fields in c["worse"].items():
            asks.append(render(c, fields))
            keys.append((n, kind))
    pattern = critique_pattern("latin text")
    t0 = time.perf_counter()
    replies = []
    for i in range(0, len(asks), 8):
        chunk = asks[i:i + 8]
        replies += llm.batch(chunk, max_new_tokens=80, regex=[pattern] * len(chunk))
    seconds = time.perf_counter() - t0
    scores = {}
    for key, r in zip(keys, replies):
        scores[key] = parse_critique(str(r.content))[0]["score10"]
    won = tied = lost = 0
    per_kind: dict[str, list[int]] = {}
    for (n, kind), s in scores.items():
        if kind == "good":
            continue
        g = scores[(n, "good")]
        if g is None or s is None:
            continue
        r = 1 if g > s else 0 if g == s else -1
        won, tied, lost = won + (r == 1), tied + (r == 0), lost + (r == -1)
        per_kind.setdefault(kind, []).append(r)
    good = [s for (n, k), s in scores.items() if k == "good" and s is not None]
    bad = [s for (n, k), s in scores.items() if k != "good" and s is not None]
    pairs = won + tied + lost
    return {"pairs": pairs, "won": won, "tied": tied, "lost": lost,
            "accuracy": round(won / pairs, 3) if pairs else 0.0,
            "per_kind_won": {k: f"{v.count(1)}/{len(v)}" for k, v in per_kind.items()},
            "mean_good": round(statistics.mean(good), 2) if good else None,
            "mean_worse": round(statistics.mean(bad), 2) if bad else None,
            "distinct_scores": sorted({s for s in scores.values() if s is not None}),
            "unparsed": sum(s is None for s in scores.values()), "model_seconds": round(seconds, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", help="also measure prompts/critic.yaml at this git revision")
    ap.add_argument("--model", default="small")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    from brandloop.llm import get_chat_model

    llm = get_chat_model(args.model)
    all_cases = cases()
    results = {}
    for name, rev in ([("against " + args.against, args.against)] if args.against else []) + [("this tree", None)]:
        use_prompt_at(rev)
        results[name] = measure(llm, all_cases)
    print(f"{len(all_cases)} approved ads, {sum(len(c['worse']) for c in all_cases)} worse copies")
    print("| critic prompt | pairs won | tied | lost | accuracy | fragment | stutter | filler | off_brief |"
          " mean SCORE approved | mean SCORE worse | scores used | unparsed | model s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        k = r["per_kind_won"]
        print(f"| {name} | {r['won']} | {r['tied']} | {r['lost']} | {r['accuracy']} | {k.get('fragment')} | "
              f"{k.get('stutter')} | {k.get('filler')} | {k.get('off_brief')} | {r['mean_good']} | {r['mean_worse']} | "
              f"{', '.join(f'{s:g}' for s in r['distinct_scores'])} | {r['unparsed']} | {r['model_seconds']} |")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
