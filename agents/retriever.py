"""Retrieve: gathers what the copywriter and critic may rely on — facts, rules in force, guideline passages."""
from __future__ import annotations

from langgraph.runtime import Runtime

from brandloop import prompts
from brandloop.agents.common import brief_of
from brandloop.agents.context import Context, context_of, emit
from brandloop.agents.describer import prompt_facts
from brandloop.agents.tracing import NodeTrace

MAX_RULES_IN_PROMPT = 8
MAX_SWAPS_IN_PROMPT = 6
MAX_FACT_CHARS_IN_PROMPT = 3000  # prompt budget for facts (brief, materials, rulebook); the rest is dropped


def within_budget(items: list[str], budget: int) -> tuple[list[str], int]:
    """The leading items whose total length fits `budget` (the first one is cut if it alone is longer)."""
    kept, used = [], 0
    for item in items:
        if used + len(item) > budget:
            if not kept:
                kept.append(item[:budget])
            break
        kept.append(item)
        used += len(item)
    return kept, len(items) - len(kept)


def _fact_text(f) -> str:
    return getattr(f, "statement", None) or (f.get("statement") if isinstance(f, dict) else str(f))


def other_products(knowledge, product: str) -> set[str]:
    """The names and aliases (case folded) of the rulebook's products other than the brief's ``product``."""
    out = set()
    for p in getattr(getattr(knowledge, "data", None), "products", None) or []:
        names = {" ".join(str(x).casefold().split()) for x in (p.name, *p.aliases)}
        if " ".join(product.casefold().split()) not in names:
            out |= names
    return out


def rule_line(rule, others: set[str] = frozenset()) -> str:
    """One short line for the copywriter. Substitutions that only fix casing read as 'write names exactly'; the
    names of ``others`` (the brand's other products) are left out: shown, a small model writes them into the ad
    ('FieldTable Veggie Box' as a headline for the Family Box)."""
    swap = rule.params.get("swap") or {}
    casing = list(dict.fromkeys(new for old, new in swap.items() if str(old).lower() == str(new).lower()
                                and " ".join(str(new).casefold().split()) not in others))
    swaps = [(new, old) for old, new in swap.items() if str(old).lower() != str(new).lower()][:MAX_SWAPS_IN_PROMPT]
    part = rule.type if prompts.has_part("rules", rule.type) else "fallback"
    line = prompts.render_text("rules", part, params=rule.params, message=rule.message, casing=casing, swaps=swaps,
                               type=rule.type)
    return line or prompts.render_text("rules", "fallback", message=rule.message, type=rule.type)


def retrieve(state, runtime: Runtime[Context]) -> dict:
    knowledge = context_of(runtime, state).knowledge
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
        others = other_products(knowledge, brief.product.name)
        rules = [rule_line(r, others) for r in hard_first if r.type != "length"][:MAX_RULES_IN_PROMPT]
        query = " ".join(x for x in (brief.key_message, brief.goal, brief.product.name, brief.tone) if x)
        guidelines = [p.model_dump() if hasattr(p, "model_dump") else dict(p)
                      for p in knowledge.guidelines_for(query, brand=brief.brand, channel=brief.channel, k=4)]
    facts, dropped = within_budget(list(dict.fromkeys(f for f in facts if f)), MAX_FACT_CHARS_IN_PROMPT)
    trace.set(output={"facts": facts, "rules": rules, "guidelines": [g["id"] for g in guidelines]},
              retrieved={"passages": guidelines, "rules": rules})
    if dropped:
        trace.set(notes=[f"prompt budget: {dropped} fact(s) beyond {MAX_FACT_CHARS_IN_PROMPT} characters "
                         "left out of the prompts"])
    emit(runtime, trace)
    return {"facts": facts, "rules_summary": rules, "guidelines": guidelines}
