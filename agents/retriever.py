"""Retrieve: gathers what the copywriter and critic may rely on — facts, rules in force, guideline passages."""
from __future__ import annotations

import prompts
from agents.common import brief_of
from agents.describer import prompt_facts
from agents.tracing import NodeTrace

MAX_RULES_IN_PROMPT = 8
MAX_SWAPS_IN_PROMPT = 6


def _fact_text(f) -> str:
    return getattr(f, "statement", None) or (f.get("statement") if isinstance(f, dict) else str(f))


def rule_line(rule) -> str:
    """One short line for the copywriter. Substitutions that only fix casing read as 'write names exactly'."""
    swap = rule.params.get("swap") or {}
    casing = list(dict.fromkeys(new for old, new in swap.items() if str(old).lower() == str(new).lower()))
    swaps = [(new, old) for old, new in swap.items() if str(old).lower() != str(new).lower()][:MAX_SWAPS_IN_PROMPT]
    return prompts.render_text("rules", rule.type, params=rule.params, message=rule.message, casing=casing,
                               swaps=swaps)


def make_retriever(knowledge=None):
    def retrieve(state) -> dict:
        brief = brief_of(state)
        trace = NodeTrace("retrieve", 0, {"rulebook": getattr(knowledge, "name", None)})
        facts = list(brief.product.facts)
        for m in state.get("materials", []):
            facts += prompt_facts(m)
        rules, guidelines = [], []
        if knowledge is not None:
            facts += [_fact_text(f) for f in knowledge.facts_for(brief.product.name)]
            in_force = knowledge.rules_for(brand=knowledge.brand, product=brief.product.name, channel=brief.channel,
                                           audience=brief.audience)
            hard_first = sorted(in_force, key=lambda r: r.severity != "error")
            rules = [rule_line(r) for r in hard_first if r.type != "length"][:MAX_RULES_IN_PROMPT]
            query = " ".join(x for x in (brief.key_message, brief.goal, brief.product.name, brief.tone) if x)
            guidelines = [p.model_dump() if hasattr(p, "model_dump") else dict(p)
                          for p in knowledge.guidelines_for(query, brand=brief.brand, channel=brief.channel, k=4)]
        facts = list(dict.fromkeys(f for f in facts if f))
        trace.set(output={"facts": facts, "rules": rules, "guidelines": [g["id"] for g in guidelines]},
                  retrieved={"passages": guidelines, "rules": rules})
        return {"facts": facts, "rules_summary": rules, "guidelines": guidelines, "trace": [trace.event()]}

    return retrieve
