"""What the full-RSA whole-ad pattern costs to compile: the layout spelled out item by item (13 headline and 5
description lines, each its own bounded repetition) against brandloop's layout (one line pattern per field,
repeated), in one process. Each pattern's first call compiles it; its second call shows the compiled cost.

    .venv/bin/python scripts/bench_pattern.py
"""
import time

from langchain_core.messages import HumanMessage

from brandloop.agents.formats import ad_pattern, char_cap, item_label, line_format, literal
from brandloop.agents.selection import candidate_count
from brandloop.knowledge.channels import get_channel
from brandloop.llm import get_chat_model


def spelled_out(spec, brief_text, counts):
    """The earlier layout: every item its own line pattern ('HEADLINE 1: ...\\nHEADLINE 2: ...')."""
    lines = []
    for name, f in spec.drafted_fields().items():
        fmt = line_format(brief_text, f)
        for n in range(1, counts[name] + 1):
            lines.append(f"{literal(item_label(name, counts[name], n))}: {fmt.line(char_cap(spec, f, fmt))}\\n")
    return "".join(lines)[: -len("\\n")] + "(?:\\n)?"


llm = get_chat_model("small")
spec = get_channel("google_rsa")
wanted = {n: candidate_count(f) for n, f in spec.drafted_fields().items()}
brief = "Northwind Everyday Savings 4.10% APY no monthly fee"
msgs = [[HumanMessage("Write a Google search ad for Northwind Everyday Savings: 13 lines 'HEADLINE n: ...' (30 "
                      "chars) then 5 lines 'DESCRIPTION n: ...' (90 chars).")]]
llm.batch(msgs, max_new_tokens=4)  # load and warm up, unconstrained
times = {}
for label, pattern in [("item by item", spelled_out(spec, brief, wanted)), ("one line per field", ad_pattern(spec, brief, wanted))]:
    t0 = time.perf_counter()
    llm.batch(msgs, max_new_tokens=4, regex=[pattern])
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    llm.batch(msgs, max_new_tokens=4, regex=[pattern])
    again = time.perf_counter() - t0
    times[label] = first
    print(f"{label}: pattern {len(pattern)} chars; first call (compiles) {first:.2f} s; again {again:.2f} s", flush=True)
print(f"compile: item by item / one line per field = {times['item by item'] / times['one line per field']:.2f}x")
