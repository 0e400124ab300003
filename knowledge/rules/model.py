"""The normalized rule record every source (rulebook.yaml, Vale styles) is turned into."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning", "suggestion"]

VALE_TYPES = ("existence", "substitution", "occurrence", "repetition", "capitalization",
              "conditional", "consistency", "metric", "readability")
BRAND_TYPES = ("required", "claim", "length")
SUPPORTED_TYPES = VALE_TYPES + BRAND_TYPES
# Vale extension points this engine does not enforce: reported when a Vale style is added.
VALE_UNSUPPORTED = ("sequence", "spelling", "script")
LEVEL_TO_SEVERITY: dict[str, Severity] = {"error": "error", "warning": "warning", "suggestion": "suggestion"}


class Scope(BaseModel):
    """Where a rule is in force. An empty list means 'everywhere' for that dimension."""

    channels: list[str] = []
    products: list[str] = []
    audiences: list[str] = []
    fields: list[str] = []
    # Vale markup scope, mapped onto ad fields: text (every field), sentence (each sentence of
    # every field), heading (headline-like fields only).
    blocks: Literal["text", "sentence", "heading"] = "text"
    not_heading: bool = False  # Vale's negated scope '~heading': never on headline-like fields

    def specificity(self) -> int:
        return sum(1 for d in (self.channels, self.products, self.audiences) if d)

    def applies(self, *, channel: str | None, product: str | None, audience: list[str] | None) -> bool:
        if self.channels and channel is not None and channel not in self.channels:
            return False
        if self.products and product is not None and _norm(product) not in {_norm(p) for p in self.products}:
            return False
        if self.audiences and audience is not None and not set(map(_norm, audience)) & set(map(_norm, self.audiences)):
            return False
        return True

    def field_ok(self, field: str) -> bool:
        if self.fields and field not in self.fields:
            return False
        if self.blocks == "heading":
            return is_heading_field(field)
        if self.not_heading:
            return not is_heading_field(field)
        return True


def is_heading_field(field: str) -> bool:
    f = field.lower()
    return any(k in f for k in ("headline", "title", "heading"))


def _norm(s: str) -> str:
    return " ".join(str(s).lower().split())


class Example(BaseModel):
    text: str
    field: str | None = None
    channel: str | None = None
    product: str | None = None
    audience: list[str] | None = None
    extra_facts: list[str] = []


class Origin(BaseModel):
    rulebook: str = ""
    brand: str = ""
    file: str = ""
    line: int = 0
    depth: int = Field(0, description="0 for the rulebook itself, 1 for its parent, 2 for the grandparent...")
    source: Literal["rulebook", "vale"] = "rulebook"


class Rule(BaseModel):
    id: str
    type: str
    severity: Severity = "error"
    scope: Scope = Scope()
    message: str = ""
    params: dict[str, Any] = {}
    passes: list[Example] = []
    fails: list[Example] = []
    overrides: list[str] = []
    enabled: bool = True
    origin: Origin = Origin()

    def subject_keys(self) -> set[str]:
        """What the rule governs, for implicit precedence (a narrower rule on the same subject wins)."""
        p = self.params
        if self.type == "existence":
            if p.get("raw"):  # the tokens only match next to the raw pattern: not the bare term
                return set()
            return {"term:" + _norm(t) for t in p.get("tokens", []) or [] if str(t).strip()}
        if self.type == "substitution":
            return {"term:" + _norm(k) for k in (p.get("swap") or {})}
        if self.type == "length":
            return {"length:" + f for f in p.get("fields", [])}
        return set()
