"""Rulebook data model (what a loaded, flattened rulebook holds)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from knowledge.rules.model import Rule


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
    lint: dict[str, dict[str, Any]] = {}  # the `lint:` section, merged along the chain (knowledge.lint.LintConfig)
    warnings: list[str] = []
    conflicts: list[str] = []
    unsupported: list[str] = []
