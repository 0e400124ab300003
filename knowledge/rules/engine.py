"""The compiled rule engine: rules compiled once, term rules indexed by word so that a short text
only runs the rules that could match it."""
from __future__ import annotations

from brandloop.knowledge.violations import Violation

from .model import Rule
from .types import TIMEOUT_MESSAGE, WORD, Compiled, Ctx, Hit, Length, compile_rule


class RuleEngine:
    def __init__(self, rules: list[Rule]):
        self.compiled: list[Compiled] = [compile_rule(r) for r in rules]
        self.by_id = {c.rule.id: c for c in self.compiled}
        self.limits = {c.rule.id: int(c.rule.params["limit"]) for c in self.compiled
                       if str(c.rule.params.get("limit", "")).strip().isdigit() and int(c.rule.params["limit"]) > 0}
        self.index: dict[str, list[int]] = {}
        self.always: list[int] = []
        self.variant: list[int] = []
        for i, c in enumerate(self.compiled):
            if c.level == "variant":
                self.variant.append(i)
            elif c.keys is None:
                self.always.append(i)
            else:
                for k in c.keys:
                    self.index.setdefault(k, []).append(i)

    def _candidates(self, text: str) -> list[int]:
        if not self.index:
            return self.always
        found = set(self.always)
        idx = self.index
        for w in set(WORD.findall(text.lower())):
            hit = idx.get(w)
            if hit:
                found.update(hit)
        return sorted(found)

    def check_text(self, text: str, field: str = "text", index: int = 0, ctx: Ctx | None = None) -> list[Violation]:
        return self.check({field: [text]}, ctx=ctx) if index == 0 else [
            v.model_copy(update={"index": index}) for v in self.check({field: [text]}, ctx=ctx)]

    def check(self, fields: dict[str, list[str]], ctx: Ctx | None = None) -> list[Violation]:
        ctx = ctx or Ctx()
        items = [(f, i, t or "") for f, texts in fields.items() for i, t in enumerate(texts or [])]
        out: list[Violation] = []
        for f, i, t in items:
            for ci in self._candidates(t):
                c = self.compiled[ci]
                if not c.rule.scope.field_ok(f):
                    continue
                if isinstance(c, Length) and f not in c.fields:
                    continue
                try:
                    hits = c.on_text(t, ctx)
                except TimeoutError:
                    hits = [Hit(0, 0, TIMEOUT_MESSAGE)]
                for h in hits:
                    out.append(_violation(c.rule, f, i, h))
        for ci in self.variant:
            c = self.compiled[ci]
            sub = items if c.rule.type == "required" else [it for it in items if c.rule.scope.field_ok(it[0])]
            try:
                found = c.on_variant(sub, ctx)
            except TimeoutError:
                found = [(0, Hit(0, 0, TIMEOUT_MESSAGE))] if sub else []
            for n, h in found:
                f, i, _ = sub[n]
                out.append(_violation(c.rule, f, i, h))
        order = {f: n for n, f in enumerate(fields)}
        out.sort(key=lambda v: (order.get(v.field, 99), v.index, v.start, v.rule_id))
        return self._limited(out) if self.limits else out

    def _limited(self, found: list[Violation]) -> list[Violation]:
        """Vale's `limit`: at most that many alerts of a rule per checked text (the first ones)."""
        seen: dict[str, int] = {}
        kept = []
        for v in found:
            cap = self.limits.get(v.rule_id)
            if cap:
                seen[v.rule_id] = seen.get(v.rule_id, 0) + 1
                if seen[v.rule_id] > cap:
                    continue
            kept.append(v)
        return kept


def _violation(rule: Rule, field: str, index: int, h) -> Violation:
    return Violation(rule_id=rule.id, severity=rule.severity, field=field, index=index,
                     start=h.start, end=h.end, message=h.message, suggestion=h.suggestion)
