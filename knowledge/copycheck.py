"""Check copy a person already has against a rulebook (`brandloop check`, the web rulebook page): plain text,
Markdown, or a CSV with one ad per row, reported as Vale-style alerts with line and column.

- Plain text and Markdown are one piece of copy: every non-blank line is an item of the field `text` (Markdown
  headings are `headline` items), so line rules run per line and variant rules (`required`, `conditional`,
  `consistency`) see the whole file. Markdown code is skipped and link targets are masked.
- A CSV is one ad per row: columns named after ad fields (`headline`, `Headline 2`, `primary_text`, `body`, ...)
  are checked, other columns (ids, URLs) are not. With a channel, the channel's length and character limits apply.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from brandloop.knowledge.channels import channel_table, get_channel
from brandloop.knowledge.checks import check_channel
from brandloop.knowledge.violations import Violation

SEVERITY_ORDER = {"error": 0, "warning": 1, "suggestion": 2}
_MD_PREFIX = re.compile(r"^(\s*(?:#{1,6}\s+|>\s*|[-*+]\s+)?)")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_CODE = re.compile(r"`[^`\n]*`")
_MD_LINK_TARGET = re.compile(r"(?<=\])\([^)\n]*\)")
_NUMBERED = re.compile(r"\s*\d+$")


@dataclass
class Alert:
    file: str
    line: int
    col: int  # 1-based, like Vale
    end_col: int
    severity: str
    message: str
    rule: str
    match: str = ""
    suggestion: str | None = None

    def vale_line(self) -> str:
        return f"{self.file}:{self.line}:{self.col}  {self.severity}  {self.message}  {self.rule}"


def copy_fields() -> set[str]:
    """Every field name a channel knows, plus plain 'text': the CSV columns that hold copy."""
    return {f for spec in channel_table().values() for f in spec.fields} | {"text", "body"}


def column_field(name: str) -> str | None:
    """'Headline 2' -> 'headline'; 'Primary text' -> 'primary_text'; an unknown column -> None."""
    key = _NUMBERED.sub("", name.strip().lower()).replace(" ", "_").replace("-", "_")
    return key if key in copy_fields() else None


def _mask(s: str) -> str:
    return " " * len(s)


def _markdown_items(text: str) -> list[tuple[str, int, int, str]]:
    """(field, line, column offset, text) for each prose line of Markdown."""
    out, fenced = [], False
    for n, raw in enumerate(text.splitlines(), 1):
        if _MD_FENCE.match(raw):
            fenced = not fenced
            continue
        if fenced or not raw.strip() or raw.startswith("    "):
            continue
        prefix = _MD_PREFIX.match(raw).group(1)
        body = raw[len(prefix):]
        body = _MD_CODE.sub(lambda m: _mask(m.group()), body)
        body = _MD_LINK_TARGET.sub(lambda m: _mask(m.group()), body)
        if body.strip():
            out.append(("headline" if _MD_HEADING.match(raw) else "text", n, len(prefix), body.rstrip()))
    return out


def _plain_items(text: str) -> list[tuple[str, int, int, str]]:
    return [("text", n, 0, line.rstrip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _csv_rows(text: str, name: str) -> list[list[tuple[str, int, int, str]]]:
    """One list of (field, line, column offset, cell) per data row; the header picks the copy columns."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return []
    fields = [column_field(h) for h in header]
    if not any(fields):
        from brandloop.errors import BriefError

        raise BriefError(name, "(header)", f"no copy columns among {header[:6]}",
                         "name columns after ad fields, e.g. headline, description, primary_text, text")
    rows = []
    for cells in reader:
        line_no = reader.line_num - (sum(c.count("\n") for c in cells))  # the row's first line
        raw = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
        row, pos = [], 0
        for f, cell in zip(fields, cells):
            at = raw.find(cell, pos) if cell else -1
            if at >= 0:
                pos = at + len(cell)
            if f and cell.strip():
                row.append((f, line_no, max(at, 0), cell))
        if row:
            rows.append(row)
    return rows


def units_of(text: str, kind: str, name: str) -> list[list[tuple[str, int, int, str]]]:
    """The file as ads to check: one ad for text and Markdown, one per row for CSV."""
    if kind == "csv":
        return _csv_rows(text, name)
    items = _markdown_items(text) if kind == "md" else _plain_items(text)
    return [items] if items else []


def kind_of(path: str, ext: str | None = None) -> str:
    e = (ext or (path.rsplit(".", 1)[-1] if "." in path else "")).lower().lstrip(".")
    return "md" if e in ("md", "markdown") else "csv" if e == "csv" else "txt"


class CopyChecker:
    """Rules of one rulebook in force for a channel (all channels when None), compiled once."""

    def __init__(self, knowledge, channel: str | None = None, product: str | None = None):
        self.knowledge, self.channel, self.product = knowledge, channel, product
        self.spec = get_channel(channel, getattr(knowledge, "channel_overrides", {}).get(channel)) if channel else None
        self.engine = knowledge.engine(channel, product) if knowledge is not None else None
        self.ctx = knowledge.context(product) if knowledge is not None else None

    def _violations(self, fields: dict[str, list[str]]) -> list[Violation]:
        found = self.engine.check(fields, self.ctx) if self.engine is not None else []
        if self.spec is not None:
            present = {f for f in fields if f in self.spec.fields}
            found += [v for v in check_channel(fields, self.spec)
                      if v.field in present and v.rule_id not in ("channel.count", "channel.field")]
        return found

    def check(self, text: str, name: str = "-", kind: str = "txt") -> list[Alert]:
        alerts = []
        for unit in units_of(text, kind, name):
            fields: dict[str, list[str]] = {}
            where: dict[tuple[str, int], tuple[int, int]] = {}
            for f, line, off, t in unit:
                where[(f, len(fields.setdefault(f, [])))] = (line, off)
                fields[f].append(t)
            for v in self._violations(fields):
                line, off = where.get((v.field, v.index), (unit[0][1], 0))
                item = fields.get(v.field, [""])[v.index] if v.index < len(fields.get(v.field, [])) else ""
                alerts.append(Alert(name, line, off + v.start + 1, off + max(v.end, v.start + 1), v.severity,
                                    v.message, v.rule_id, item[v.start:v.end], v.suggestion))
        alerts.sort(key=lambda a: (a.line, a.col, SEVERITY_ORDER.get(a.severity, 3), a.rule))
        return alerts


def as_vale_json(alerts: list[Alert]) -> dict[str, list[dict]]:
    """Vale's --output=JSON shape: file -> alerts with Line, Span, Check, Message, Severity, Match."""
    out: dict[str, list[dict]] = {}
    for a in alerts:
        out.setdefault(a.file, []).append({"Line": a.line, "Span": [a.col, a.end_col], "Check": a.rule,
                                           "Message": a.message, "Severity": a.severity, "Match": a.match,
                                           "Suggestion": a.suggestion})
    return out


def summary(alerts: list[Alert], files: int) -> str:
    n = {s: sum(a.severity == s for a in alerts) for s in SEVERITY_ORDER}
    return (f"{n['error']} error(s), {n['warning']} warning(s) and {n['suggestion']} suggestion(s) in "
            f"{files} file(s).")
