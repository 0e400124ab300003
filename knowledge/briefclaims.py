"""Claims in copy for a brief whose rulebook has no claim rule (or that names no rulebook): numbers,
superlatives and comparatives must still be backed, by the brief's own words (product facts, description, key
message) and its materials' facts. Without this, "the lightest ale in the world" on such a brief would be
delivered unmarked."""
from __future__ import annotations

from brandloop.knowledge.rules.engine import RuleEngine
from brandloop.knowledge.rules.model import Rule
from brandloop.knowledge.rules.types import Ctx
from brandloop.knowledge.violations import Violation

RULE = Rule(id="brief.claims", type="claim", severity="error",
            message="Unbacked claim '%s': no fact in the brief or its materials backs it")
_ENGINE = RuleEngine([RULE])


def has_claim_rule(knowledge, channel: str, product: str | None, audience: list[str] | None) -> bool:
    return any(r.type == "claim" and r.enabled
               for r in knowledge.rules_for(channel=channel, product=product, audience=audience))


def check_brief_claims(fields: dict[str, list[str]], state, knowledge=None) -> list[Violation]:
    """Hard `brief.claims` violations, only where no rulebook claim rule is in force (that one checks claims
    against the rulebook's facts and the brief's)."""
    brief = state["brief"]
    brief = brief.model_dump() if hasattr(brief, "model_dump") else brief
    product = brief.get("product") or {}
    audience = brief.get("audience") or None
    if knowledge is not None and has_claim_rule(knowledge, brief.get("channel"), product.get("name"), audience):
        return []
    backing = [*product.get("facts", []), product.get("description", ""), brief.get("key_message", ""),
               *state.get("facts", []), *(f["statement"] for m in state.get("materials", []) for f in m.get("facts", []))]
    names = [n for n in (brief.get("brand"), product.get("name")) if n]
    if knowledge is not None:
        names += list(knowledge.data.brands) + [x for p in knowledge.data.products for x in (p.name, *p.aliases)]
    return _ENGINE.check(fields, Ctx(backing_texts=[str(b) for b in backing if b], masks=names))
