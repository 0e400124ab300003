"""Lines a marketer would not ship inside *approved* variants of `brandloop eval` reports, by today's checks: a word
cut at the limit, a dangling end, a worked example's product word, the prompt's instruction words, a
'bestselling'-type superlative, and a variant worded like a sibling. Compares reports made at different commits.

    .venv/bin/python scripts/approved_defects.py old.json new.json   # runs are read from ./.brandloop/runs
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from brandloop.agents.selection import example_topic, prompt_talk
from brandloop.knowledge.channels import get_channel
from brandloop.knowledge.lint import dangling, lint_set
from brandloop.knowledge.rules.claims import ClaimExtractor
from brandloop.knowledge.safeyaml import safe_load
from brandloop.knowledge.words import cut_word


def defects(report: Path, runs: Path) -> tuple[dict, list]:
    sup = ClaimExtractor(["superlative"])
    counts, examples = {"approved_lines": 0}, []
    for row in json.loads(report.read_text("utf-8"))["briefs"]:
        b = safe_load(Path(row["brief"]).read_text("utf-8"))
        p = b["product"]
        own = [b["brand"], p["name"], p.get("description", ""), b.get("key_message", ""), *p.get("facts", []),
               *b.get("keywords", [])]
        allowed = " ".join([*own, *b.get("audience", []), b.get("tone", "")])
        spec = get_channel(b["channel"])
        result = json.loads((runs / row["run_id"] / "result.json").read_text("utf-8"))
        repeats = lint_set({v["id"]: v["fields"] for v in result["variants"] if v.get("fields")})
        for v in result["variants"]:
            if v["delivered"] != "approved":
                continue
            if v["id"] in repeats:
                counts["worded_like_a_sibling"] = counts.get("worded_like_a_sibling", 0) + 1
                examples.append(("worded_like_a_sibling", repeats[v["id"]][0].message))
            for f, items in v["fields"].items():
                cap = spec.fields[f].max_chars if f in spec.fields else None
                for t in items:
                    counts["approved_lines"] += 1
                    for kind, hit in (("cut_word", cut_word(t, cap, own)), ("dangling", dangling(t)),
                                      ("example_word", example_topic(t, allowed)),
                                      ("prompt_text", prompt_talk(t, allowed)),
                                      ("selling_superlative", [c for c in sup.extract(t) if "sell" in c.text.lower()])):
                        if hit:
                            counts[kind] = counts.get(kind, 0) + 1
                            examples.append((kind, t))
    return counts, examples


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        counts, examples = defects(Path(arg), Path(".brandloop/runs"))
        print(arg, counts)
        for kind, text in examples:
            print(f"    {kind}: {text}")
