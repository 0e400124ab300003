"""What the full-RSA line pattern costs: the same 3-prompt batch free, then constrained, twice each, in one process.

    .venv/bin/python scripts/bench_pattern.py
"""
import time
from langchain_core.messages import HumanMessage
from brandloop.llm import get_chat_model
from brandloop.agents.formats import ad_pattern
from brandloop.agents.selection import candidate_count
from brandloop.knowledge.channels import get_channel
llm = get_chat_model("small")
spec = get_channel("google_rsa")
wanted = {n: candidate_count(f) for n, f in spec.drafted_fields().items()}
pat = ad_pattern(spec, "Northwind Everyday Savings 4.10% APY no monthly fee", wanted)
msgs = [[HumanMessage(f"Write a Google search ad for Northwind Everyday Savings, angle {i}: 13 lines 'HEADLINE n: ...' (30 chars) then 5 lines 'DESCRIPTION n: ...' (90 chars).")] for i in range(3)]
llm.batch(msgs[:1], max_new_tokens=16)
for label, kw in [("free", {}), ("regex", {"regex": [pat]*3}), ("free", {}), ("regex", {"regex": [pat]*3})]:
    t = time.perf_counter(); out = llm.batch(msgs, max_new_tokens=240, **kw); dt = time.perf_counter() - t
    toks = sum(o.usage_metadata["output_tokens"] for o in out)
    print(label, round(dt, 1), "s", toks, "tokens", round(toks / dt, 1), "tok/s")
