"""Rulebook errors: every problem is one line with file:line, field and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    file: str
    line: int
    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        out = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        out += f" (fix: {self.fix})" if self.fix else ""
        return out.replace("\r", "\\r").replace("\n", "\\n")  # one line, even for keys holding newlines


class RulebookError(Exception):
    """A rulebook is missing or invalid. `issues` lists every problem found."""

    def __init__(self, issues: list[Issue] | Issue | str):
        if isinstance(issues, str):
            issues = [Issue(file="", line=0, field="", message=issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
        super().__init__(str(self.issues[0]) if self.issues else "invalid rulebook")

    def report(self) -> str:
        return "\n".join(str(i) for i in self.issues)
