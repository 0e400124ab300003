"""BrandKnowledge: the one object agents use — rules in force, facts, exact checks, guideline
retrieval (Chroma) and deterministic repairs."""
from __future__ import annotations

import logging
import pathlib
import re
from dataclasses import dataclass
from typing import Iterable

from pydantic import BaseModel

from brandloop.knowledge.rulebook.schema import Exemplar, Fact, RulebookData
from brandloop.knowledge.rules.engine import RuleEngine
from brandloop.knowledge.rules.model import Rule
from brandloop.knowledge.rules.precedence import by_id, resolve

log = logging.getLogger("brandloop.knowledge")
from brandloop.knowledge.rules.types import Ctx
from brandloop.knowledge.violations import Violation


class Passage(BaseModel):
    id: str  # stable: "<rulebook>/<file>#<section-slug>"
    text: str
    section: str
    file: str
    line: int
    rulebook: str
    brand: str = ""
    score: float = 0.0


@dataclass
class GoldenResult:
    rule_id: str
    expect: str  # "pass" or "fail"
    text: str
    ok: bool
    detail: str = ""


_ENGINES: dict[tuple, RuleEngine] = {}  # compiled once per rulebook version and context


def _n(s: str) -> str:
    return " ".join(str(s).lower().split())


class BrandKnowledge:
    def __init__(self, data: RulebookData, *, graph_path: pathlib.Path | None = None,
                 index_path: pathlib.Path | None = None, collection: str | None = None):
        self.data = data
        self.name, self.version, self.brand = data.name, data.version, data.brand
        self.voice: list[str] = list(data.voice) + [t for t in data.tone if t not in data.voice]
        self.channel_overrides: dict[str, dict[str, dict]] = data.channel_overrides
        self.graph_path, self.index_path, self.collection = graph_path, index_path, collection
        self._graph = None
        self._index = None

    def __repr__(self) -> str:
        return f"BrandKnowledge({self.name!r}, version={self.version!r}, rules={len(self.data.rules)})"

    # --- graph -----------------------------------------------------------------------------
    @property
    def graph(self):
        if self._graph is None:
            from brandloop.knowledge import kg

            if self.graph_path and self.graph_path.is_file():
                self._graph = kg.load_graph(self.graph_path)
            else:
                self._graph = kg.build_graph(self.data)
        return self._graph

    # --- rules -------------------------------------------------------------------------------
    def _chain_rules(self, brand: str | None) -> list[Rule]:
        if brand is None:
            return self.data.rules
        depth = None
        for i, (rb, b) in enumerate(zip(self.data.chain, self.data.brands)):
            if _n(brand) in (_n(rb), _n(b)):
                depth = i
                break
        if depth is None:
            return []
        return [r.model_copy(update={"origin": r.origin.model_copy(update={"depth": r.origin.depth - depth})})
                for r in self.data.rules if r.origin.depth >= depth]

    def rules_for(self, brand=None, product=None, channel=None, audience=None) -> list[Rule]:
        if isinstance(audience, str):
            audience = [audience]
        return resolve(self._chain_rules(brand), channel=channel, product=product, audience=audience)

    def facts_for(self, product: str | None) -> list[Fact]:
        p = self._product(product)
        if p is None:
            return [] if product else [f for q in self.data.products for f in q.facts]
        return list(p.facts)

    def _product(self, product: str | None):
        if not product:
            return None
        key = _n(product)
        for p in self.data.products:
            if key in {_n(p.name)} | {_n(a) for a in p.aliases}:
                return p
        return None

    def _ctx(self, product: str | None, extra_facts: Iterable[str] = ()) -> Ctx:
        p = self._product(product)
        prods = [p] if p is not None else self.data.products
        facts = [f for q in prods for f in q.facts]
        backing = [f.statement for f in facts] + [c for q in prods for c in q.approved_claims] + [str(x) for x in extra_facts]
        masks = sorted({x for q in self.data.products for x in [q.name, *q.aliases]} | set(self.data.brands),
                       key=len, reverse=True)
        return Ctx(fact_values=[(float(f.value), f.kind()) for f in facts if f.value is not None],
                   backing_texts=backing, masks=masks)

    def context(self, product: str | None, extra_facts: Iterable[str] = ()) -> Ctx:
        """Facts, approved claims and name masks a check of `product` copy uses (compute once, reuse)."""
        return self._ctx(product, extra_facts)

    def engine(self, channel=None, product=None, audience=None) -> RuleEngine:
        key = (self.name, self.version, channel, _n(product) if product else None,
               tuple(sorted(audience)) if audience else None)
        eng = _ENGINES.get(key)
        if eng is None:
            eng = _ENGINES[key] = RuleEngine(self.rules_for(product=product, channel=channel, audience=audience))
        return eng

    def check(self, fields: dict[str, list[str]], *, channel: str, product: str | None = None,
              audience: list[str] | None = None, extra_facts: Iterable[str] = ()) -> list[Violation]:
        if isinstance(audience, str):
            audience = [audience]
        fields = {k: ([v] if isinstance(v, str) else list(v or [])) for k, v in fields.items()}
        return self.engine(channel, product, audience).check(fields, self._ctx(product, extra_facts))

    # --- quality lint ----------------------------------------------------------------------------
    @property
    def lint_config(self):
        from brandloop.knowledge.lint import LintConfig

        return LintConfig.from_section(self.data.lint)

    def known_terms(self) -> list[str]:
        """Names the brand writes its own way (brands, products, aliases, facts, approved claims, swaps)."""
        terms = [*self.data.brands]
        for p in self.data.products:
            terms += [p.name, *p.aliases, *p.approved_claims, *(f.statement for f in p.facts)]
        for r in self.data.rules:
            swap = r.params.get("swap")
            if isinstance(swap, dict):
                terms += [str(x) for x in swap.values()]
        return terms

    # --- repair ------------------------------------------------------------------------------
    def _rule(self, rule_id: str) -> Rule | None:
        for r in by_id(self.data.rules):
            if r.id == rule_id:
                return r
        return None

    def repair(self, text: str, violations: Iterable[Violation]) -> str:
        """Deterministic fixes: substitution swap, casing fix, a forbidden exclamation mark made a full stop, append
        a required disclaimer. Violations whose span no longer fits the text, or that cannot be fixed, are left
        alone."""
        spans, appends = [], []
        for v in violations:
            r = self._rule(v.rule_id)
            if r is not None and r.type == "existence" and 0 <= v.start < v.end <= len(text) \
                    and re.fullmatch(r"!+", text[v.start:v.end]):  # 'Start today! Book a demo.'
                spans.append((v.start, v.end, "."))
            if r is None or not v.suggestion:
                continue
            if r.type in ("substitution", "capitalization") and 0 <= v.start < v.end <= len(text):
                spans.append((v.start, v.end, v.suggestion))
            elif r.type == "required":
                appends.append(v.suggestion)
        spans.sort(key=lambda s: s[0], reverse=True)
        last = len(text) + 1
        for s, e, sug in spans:
            if e <= last:
                text = text[:s] + sug + text[e:]
                last = s
        for a in dict.fromkeys(appends):
            if _n(a).rstrip(".") not in _n(text):
                sep = "" if not text or text.endswith(" ") else (" " if re.search(r"[.!?]$", text.rstrip()) else ". ")
                text = text.rstrip() + sep + a if text.strip() else a
        return text

    # --- guidelines ---------------------------------------------------------------------------
    def guidelines_for(self, query: str, brand=None, channel=None, k: int = 4) -> list[Passage]:
        where = None
        conds = []
        if brand:
            names = [rb for rb, b in zip(self.data.chain, self.data.brands) if _n(brand) in (_n(rb), _n(b))]
            conds.append({"rulebook": {"$in": names or [str(brand)]}})
        if channel:
            conds.append({"channel": {"$in": ["", channel]}})
        if conds:
            where = conds[0] if len(conds) == 1 else {"$and": conds}
        hits = None
        if self.index_path and self.collection:
            from brandloop.knowledge.index import GuidelineIndex, index_errors

            try:
                if self._index is None:
                    self._index = GuidelineIndex(self.index_path)
                hits = self._index.query(self.collection, query, k=k, where=where)
            except index_errors() as exc:  # the index is a cache of the chunks: answer lexically, but say so
                log.warning("guideline index %s unavailable (%s: %s); falling back to lexical search",
                            self.index_path, type(exc).__name__, exc)
                hits = None
        if hits is None:  # no index (not installed): lexical fallback over the chunks
            return self._lexical(query, brand, channel, k)
        out = []
        for h in hits:
            m = h["meta"]
            out.append(Passage(id=h["id"], text=h["text"], section=m.get("section", ""), file=m.get("file", ""),
                               line=int(m.get("line", 0)), rulebook=m.get("rulebook", ""), brand=m.get("brand", ""),
                               score=1.0 - h["distance"]))
        return out

    def _lexical(self, query, brand, channel, k) -> list[Passage]:
        q = set(re.findall(r"\w+", query.lower()))
        scored = []
        for c in self.data.chunks:
            if brand and _n(brand) not in (_n(c.rulebook), _n(c.brand)):
                continue
            if channel and c.channel not in ("", channel):
                continue
            words = set(re.findall(r"\w+", c.text.lower()))
            scored.append((len(q & words) / (len(q) or 1), c))
        scored.sort(key=lambda x: -x[0])
        return [Passage(id=c.id, text=c.text, section=c.section, file=c.file, line=c.line, rulebook=c.rulebook,
                        brand=c.brand, score=s) for s, c in scored[:k]]

    # --- approved ads (exemplars) ---------------------------------------------------------------
    AUDIENCE_BONUS = 0.03  # an ad for one of the brief's audiences counts as a little nearer
    NEAR_TIE = 0.05  # ads within this much similarity of each other are a tie: the better performance label first

    def exemplars_for(self, text: str, channel: str, audience: list[str] | None = None, k: int = 3,
                      product: str = "") -> list[Exemplar]:
        """The k approved ads nearest `text` (e.g. the brief's key message and product): ads of `channel` first,
        then others; within each, nearest first, and among near ties (NEAR_TIE) the better performance label
        (best, good, unlabelled/learning, low). With `product`, an ad that names another product is left out: its
        facts (a card's APR in a savings ad) are not this brief's. Each has .id, .channel, .fields
        ({"headline": [...], ...}), .performance and .score (cosine similarity plus the audience bonus). [] when
        the rulebook has no ads."""
        from brandloop.knowledge.exemplars import perf_rank

        ads = [e for e in self.data.exemplars if not (product and e.product and _n(e.product) != _n(product))]
        if not ads or k <= 0:
            return []
        if isinstance(audience, str):
            audience = [audience]
        sims = self._ad_similarities(text, ads)
        want = {_n(a) for a in audience or []}
        out: list[Exemplar] = []
        for same in (True, False):
            group = []
            for e in ads:
                if (e.channel == channel) != same:
                    continue
                s = sims.get(e.id, 0.0) + (self.AUDIENCE_BONUS if want & {_n(a) for a in e.audience} else 0.0)
                group.append(e.model_copy(update={"score": round(s, 4)}))
            group.sort(key=lambda e: (-e.score, e.id))
            while group:  # take the nearest and its near ties, best label first
                ties = [e for e in group if group[0].score - e.score <= self.NEAR_TIE]
                ties.sort(key=lambda e: (perf_rank(e.performance), -e.score, e.id))
                out.extend(ties)
                group = [e for e in group if e not in ties]
        return out[:k]

    def _ad_similarities(self, text: str, ads: list[Exemplar]) -> dict[str, float]:
        """Cosine similarity per ad id from the Chroma ads collection; a lexical overlap when there is no index."""
        if self.index_path and self.collection:
            from brandloop.knowledge.index import GuidelineIndex, ads_collection, index_errors

            try:
                if self._index is None:
                    self._index = GuidelineIndex(self.index_path)
                hits = self._index.query(ads_collection(self.collection), text, k=len(ads))
                return {h["id"]: 1.0 - h["distance"] for h in hits}
            except index_errors() as exc:
                log.warning("exemplar index %s unavailable (%s: %s); falling back to lexical search",
                            self.index_path, type(exc).__name__, exc)
        q = set(re.findall(r"\w+", text.lower()))
        return {e.id: len(q & set(re.findall(r"\w+", e.text().lower()))) / (len(q) or 1) for e in ads}

    def copies_exemplar(self, line: str) -> str | None:
        """The id of an approved ad that has this exact line (case, spacing and punctuation aside), else None.
        Required texts (a disclaimer every ad carries) never count as copying."""
        from brandloop.knowledge.exemplars import normalize_line

        key = normalize_line(line)
        if not key or key in self._required_lines():
            return None
        for e in self.data.exemplars:
            if any(normalize_line(t) == key for lines in e.fields.values() for t in lines):
                return e.id
        return None

    def _required_lines(self) -> set[str]:
        from brandloop.knowledge.exemplars import normalize_line

        texts = []
        for r in self.data.rules:
            if r.type == "required":
                t = r.params.get("text")
                texts += [str(x) for x in (t if isinstance(t, list) else [t]) if x]
        return {normalize_line(t) for t in texts}

    # --- golden examples ----------------------------------------------------------------------
    def run_golden(self) -> list[GoldenResult]:
        results = []
        for r in by_id(self.data.rules):
            if not (r.passes or r.fails):
                continue
            eng = RuleEngine([r])
            for expect, examples in (("pass", r.passes), ("fail", r.fails)):
                for ex in examples:
                    field = ex.field or (r.scope.fields[0] if r.scope.fields else None) or \
                        ((r.params.get("fields") or [None])[0] if r.type == "length" else None) or \
                        ("headline" if r.scope.blocks == "heading" else "text")
                    product = ex.product or (r.scope.products[0] if r.scope.products else None)
                    vs = [v for v in eng.check({field: [ex.text]}, self._ctx(product, ex.extra_facts)) if v.rule_id == r.id]
                    ok = (not vs) if expect == "pass" else bool(vs)
                    detail = "; ".join(f"{v.message} at {v.start}-{v.end}" for v in vs) if vs else "no violation"
                    results.append(GoldenResult(r.id, expect, ex.text, ok, detail))
        return results
