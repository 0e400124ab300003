"""Which rules are in force: inheritance (child overrides parent by id), explicit `overrides`,
and scope precedence (a narrower rule beats a broader one on the same subject: term or field)."""
from __future__ import annotations

from .model import Rule, _norm


def by_id(rules: list[Rule]) -> list[Rule]:
    """Child (lower depth) replaces a parent rule with the same id; order follows first appearance."""
    best: dict[str, Rule] = {}
    order: list[str] = []
    for r in rules:
        if r.id not in best:
            order.append(r.id)
            best[r.id] = r
        elif r.origin.depth < best[r.id].origin.depth:
            best[r.id] = r
    return [best[i] for i in order]


def rank(r: Rule) -> tuple[int, int]:
    return (r.scope.specificity(), -r.origin.depth)


def resolve(rules: list[Rule], *, channel=None, product=None, audience=None) -> list[Rule]:
    live = [r for r in by_id(rules) if r.enabled and r.scope.applies(channel=channel, product=product, audience=audience)]
    overridden = {o for r in live for o in r.overrides}
    live = [r for r in live if r.id not in overridden]
    best: dict[str, tuple[int, int]] = {}
    for r in live:
        for k in r.subject_keys():
            best[k] = max(best.get(k, (-1, -99)), rank(r))
    out = []
    for r in live:
        keys = r.subject_keys()
        lost = {k for k in keys if rank(r) < best[k]}
        if not lost:
            out.append(r)
            continue
        if lost == keys:
            continue
        out.append(_without(r, lost))
    return out


def _without(r: Rule, lost: set[str]) -> Rule:
    p = dict(r.params)
    if r.type == "existence":
        p["tokens"] = [t for t in p.get("tokens", []) if "term:" + _norm(t) not in lost]
    elif r.type == "substitution":
        p["swap"] = {k: v for k, v in p.get("swap", {}).items() if "term:" + _norm(k) not in lost}
    elif r.type == "length":
        p["fields"] = [f for f in p.get("fields", []) if "length:" + f not in lost]
        p.pop("field", None)
    return r.model_copy(update={"params": p})


def _overlap(a: list[str], b: list[str]) -> bool:
    return not a or not b or bool({_norm(x) for x in a} & {_norm(x) for x in b})


def _fields_overlap(a: Rule, b: Rule) -> bool:
    """Whether some ad field can be checked by both rules (explicit field lists, heading-only, never-heading)."""
    from .model import is_heading_field

    if not _overlap(a.scope.fields, b.scope.fields):
        return False
    for x, y in ((a, b), (b, a)):
        if x.scope.blocks == "heading" and (y.scope.not_heading or (
                y.scope.fields and not any(is_heading_field(f) for f in y.scope.fields))):
            return False
    return True


def scopes_overlap(a: Rule, b: Rule) -> bool:
    """Whether the two rules can ever check the same text: channel, product, audience and field scopes."""
    return all(_overlap(getattr(a.scope, d), getattr(b.scope, d)) for d in ("channels", "products", "audiences")) \
        and _fields_overlap(a, b)


def conflicts(rules: list[Rule]) -> list[str]:
    """Human-readable conflicts among the rules in force (reported when a rulebook is added). Rules that cannot
    match the same text (disjoint scopes, a ban that needs a raw prefix) do not conflict."""
    from .types import Ctx, RuleCompileError, compile_rule

    live = [r for r in by_id(rules) if r.enabled]
    out: list[str] = []
    for i, a in enumerate(live):
        for b in live[i + 1:]:
            if not scopes_overlap(a, b):
                continue
            if b.id in a.overrides or a.id in b.overrides:
                continue
            shared = a.subject_keys() & b.subject_keys()
            if shared and rank(a) == rank(b):
                differs = a.type != b.type or a.severity != b.severity or (
                    a.type == "length" and (a.params.get("max_chars"), a.params.get("min_chars"))
                    != (b.params.get("max_chars"), b.params.get("min_chars")))
                if differs:
                    key = sorted(shared)[0].split(":", 1)[1]
                    out.append(f"rules '{a.id}' and '{b.id}' both govern '{key}' with the same scope precedence "
                               f"but disagree (fix: narrow one rule's scope or add 'overrides: [{a.id}]' to '{b.id}')")
            for s, e in ((a, b), (b, a)):
                if e.type != "existence" or s.type not in ("substitution", "required"):
                    continue
                try:  # the banning rule's real pattern: raw prefixes, exceptions and case as it runs
                    banned = compile_rule(e)
                except RuleCompileError:
                    continue
                if s.type == "substitution":
                    texts = [o for v in s.params.get("swap", {}).values() for o in str(v or "").split("|")]
                else:
                    t = s.params.get("text")
                    texts = [t] if isinstance(t, str) else list(t or [])
                for t in texts:
                    try:
                        hits = banned.on_text(str(t), Ctx())
                    except TimeoutError:
                        continue  # the slow pattern itself is reported by validation
                    if hits:
                        out.append(f"rule '{s.id}' requires or suggests '{t}', but rule '{e.id}' bans "
                                   f"'{str(t)[hits[0].start:hits[0].end]}' (fix: change one of them or scope them apart)")
    return out
