"""The one record every check produces."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning", "suggestion"]


class Violation(BaseModel):
    """One broken rule at one place in one field of one variant."""

    rule_id: str = Field(description="Stable id of the rule, e.g. 'channel.length' or a rulebook rule id.")
    severity: Severity = Field(description="'error' is a hard rule: a delivered variant may not break it.")
    field: str = Field(description="Field name, e.g. 'headline'.")
    index: int = Field(0, description="Which item of the field (headline 2 has index 1).")
    start: int = Field(0, description="Start offset (characters) of the offending span.")
    end: int = Field(0, description="End offset (characters) of the offending span.")
    message: str
    suggestion: str | None = Field(None, description="A replacement or fix, where one exists.")

    @property
    def is_hard(self) -> bool:
        return self.severity == "error"

    def where(self) -> str:
        return f"{self.field} {self.index + 1}"


def hard_count(violations) -> int:
    """How many hard (error-severity) violations, for Violation objects or their dict dumps."""
    return sum(1 for x in violations if (x["severity"] if isinstance(x, dict) else x.severity) == "error")


def is_lint(x) -> bool:
    """A built-in quality lint finding (`lint.*`): soft, but an approved variant has none."""
    return str(x.get("rule_id", "") if isinstance(x, dict) else x.rule_id).startswith("lint.")
