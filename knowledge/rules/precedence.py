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


def scopes_overlap(a: Rule, b: Rule) -> bool:
    return all(_overlap(getattr(a.scope, d), getattr(b.scope, d)) for d in ("channels", "products", "audiences"))


def conflicts(rules: list[Rule]) -> list[str]:
    """Human-readable conflicts among the rules in force (reported when a rulebook is added)."""
    import regex

    from .types import PATTERN_TIMEOUT_S

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
                if e.type != "existence":
                    continue
                raw_toks = e.params.get("tokens") or []
                toks = [str(t) for t in ([raw_toks] if isinstance(raw_toks, (str, int, float)) else raw_toks)
                        if str(t).strip()]
                if not toks:
                    continue
                try:
                    pat = regex.compile(r"\b(?:" + "|".join(toks) + r")\b",
                                        regex.I if e.params.get("ignorecase") else 0)
                except regex.error:
                    continue
                texts = []
                if s.type == "substitution":
                    texts = [o for v in s.params.get("swap", {}).values() for o in str(v or "").split("|")]
                elif s.type == "required":
                    t = s.params.get("text")
                    texts = [t] if isinstance(t, str) else list(t or [])
                for t in texts:
                    try:
                        m = pat.search(str(t), timeout=PATTERN_TIMEOUT_S)
                    except TimeoutError:
                        continue  # the slow pattern itself is reported by validation
                    if m:
                        out.append(f"rule '{s.id}' requires or suggests '{t}', but rule '{e.id}' bans "
                                   f"'{m.group(0)}' (fix: change one of them or scope them apart)")
    return out
