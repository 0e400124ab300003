"""Data models of the measurement layer: :class:`Fact` and :class:`MaterialReport`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["image", "video", "audio", "page", "text"]


class Fact(BaseModel):
    """One measured or extracted fact, with where it came from.

    ``value``/``unit`` are set when the fact is numeric (a price: ``49.99``/``USD``;
    a quantity: ``6``/``g``); ``source`` is ``"<file name>#<where>"``, e.g.
    ``"product.html#json-ld Product.offers"`` or ``"notes.txt#line 3"``.
    """

    statement: str
    value: float | None = None
    unit: str | None = None
    source: str


class MaterialReport(BaseModel):
    """Everything measured about one material file (no LLM involved)."""

    source: str
    kind: Kind | None = None
    sha256: str | None = None
    features: dict[str, Any] = Field(default_factory=dict)
    facts: list[Fact] = Field(default_factory=list)
    text: str = ""
    prompt_digest: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
