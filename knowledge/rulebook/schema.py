"""Rulebook data model (what a loaded, flattened rulebook holds)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from brandloop.knowledge.rules.model import Rule


class Fact(BaseModel):
    statement: str
    value: float | None = None
    unit: str | None = None
    source: str | None = None
    product: str = ""

    def kind(self) -> str | None:
        u = (self.unit or "").strip().lower()
        if not u:
            return None
        if u in ("%", "percent", "pct", "apy", "apr", "% apy", "% apr"):
            return "percent"
        if u in ("$", "usd", "eur", "€", "gbp", "£", "dollars", "price"):
            return "price"
        return "other"


class Product(BaseModel):
    name: str
    aliases: list[str] = []
    description: str = ""
    facts: list[Fact] = []
    approved_claims: list[str] = []
    brand: str = ""


class Chunk(BaseModel):
    """One guideline section (markdown heading path) of one file."""

    id: str
    text: str
    section: str
    file: str
    line: int
    rulebook: str
    brand: str
    channel: str = ""


class Exemplar(BaseModel):
    """One approved ad: its lines by field ({"headline": [...], "description": [...]}) and where it came from."""

    id: str  # "<rulebook>/<file>#<ad id or line>"
    channel: str
    fields: dict[str, list[str]]
    performance: str = ""  # best | good | learning | low | "" (unlabelled)
    product: str = ""
    audience: list[str] = []
    campaign: str = ""
    ad_group: str = ""
    final_url: str = ""
    paths: list[str] = []
    file: str = ""
    line: int = 0
    rulebook: str = ""
    score: float = 0.0  # retrieval: how near the query (higher is nearer)

    def text(self) -> str:
        """All lines, field by field: what is embedded and searched."""
        return "\n".join(t for lines in self.fields.values() for t in lines)

    def first_line(self) -> str:
        """Its first headline (or first line of any field): how listings name it."""
        return next(iter(self.fields.get("headline") or []), "") or next(
            (t for lines in self.fields.values() for t in lines), "")


class RulebookData(BaseModel):
    """A rulebook with its parents flattened in: what is stored at add and read at load."""

    name: str
    version: str = ""
    brand: str
    parent: str | None = None
    chain: list[str] = []  # [self, parent, grandparent...] rulebook names
    brands: list[str] = []  # brand names along the chain
    description: str = ""
    voice: list[str] = []
    tone: list[str] = []
    audiences: list[str] = []
    values: list[str] = []
    products: list[Product] = []
    channel_overrides: dict[str, dict[str, dict[str, Any]]] = {}
    rules: list[Rule] = []
    chunks: list[Chunk] = []
    exemplars: list[Exemplar] = []  # approved ads from ads/ (knowledge.exemplars), own first, then parents'
    lint: dict[str, dict[str, Any]] = {}  # the `lint:` section, merged along the chain (knowledge.lint.LintConfig)
    warnings: list[str] = []
    conflicts: list[str] = []
    unsupported: list[str] = []
