"""Tolerant parsers for the small models' tagged-line replies. Nothing here trusts the model's format."""
from __future__ import annotations

import re

from brandloop.knowledge.checks import label

_LINE = re.compile(r"^[\s>*_#`\-\d.)]*(?P<label>[A-Za-z][A-Za-z ]*?)\s*(?P<num>\d+)?\s*[*_]*\s*[:\-–—]\s*(?P<text>.*)$")
_PLACEHOLDER = re.compile(r"^<.*>$|^\[.*\]$|^(none|n/?a|nothing|-)\.?$", re.I)


def _clean(text: str) -> str:
    text = text.strip().strip("*_`").strip()
    if not text:  # 'HEADLINE 1: **': nothing left
        return text
    if len(text) >= 2 and text[0] in "\"'“‘" and text[-1] in "\"'”’":
        text = text[1:-1].strip()
    elif text[:1] in "\"“" and text.count(text[0]) == 1:  # an opening quote the token budget never closed
        text = text[1:].strip()
    elif text[-1:] in "\"”" and text.count(text[-1]) == 1:
        text = text[:-1].strip()
    text = re.sub(r"\s*\((?:\d+|at most \d+)\s*(?:characters|chars)\)\s*$", "", text, flags=re.I)
    return text.strip()


def parse_fields(raw: str, wanted: dict[str, int], reject: set[str] | frozenset = frozenset(),
                 need: dict[str, int] | None = None) -> tuple[dict[str, list[str]], list[str]]:
    """Parse 'HEADLINE 1: ...' lines into {field: [items]}. `wanted` maps field -> items to draft.

    Returns (fields, problems). Unknown lines are ignored; numbering gaps are tolerated; extra items are cut;
    lines equal to one in `reject` (the prompt's worked example, copied) are dropped and reported. With `need`
    (fewer lines than `wanted` are enough: the rest were options to choose from), copied lines are a problem only
    when a field is left with fewer lines than it needs.
    """
    copied = [m.group("text") for m in map(_LINE.match, raw.splitlines()) if m and _clean(m.group("text")).casefold()
              in {r.casefold() for r in reject}]
    labels = {label(f): f for f in wanted}
    found: dict[str, dict[int, str]] = {f: {} for f in wanted}
    for line in raw.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        key = re.sub(r"\s+", " ", m.group("label").strip().upper())
        field = labels.get(key) or labels.get(key.rstrip("S"))
        text = _clean(m.group("text"))
        if field is None or not text or _PLACEHOLDER.match(text) or text.casefold() in {r.casefold() for r in reject}:
            continue
        slot = int(m.group("num")) if m.group("num") else len(found[field]) + 1
        while slot in found[field]:
            slot += 1
        found[field][slot] = text
    fields = {f: [found[f][k] for k in sorted(found[f])][: wanted[f]] for f in wanted}
    problems = [f"no {label(f)} line found" for f, items in fields.items() if wanted[f] > 0 and not items]
    short = need is not None and any(len(fields[f]) < n for f, n in need.items() if f in fields)
    if copied and (need is None or short):
        problems.append("copied the example instead of writing about the product: " + "; ".join(copied[:2]))
    return fields, problems


_LABEL_PREFIX = re.compile(r"^[\s*_#>\-]*(?:(?:new|rewritten|revised|shorter)\s+)?(?:headline|description|primary text|"
                           r"intro text|post text|ad text|body|business name|card headline|text|line)s?\s*\d*\s*[*_]*\s*:\s*",
                           re.I)


def parse_line(raw: str) -> tuple[str, list[str]]:
    """The first non-empty line of a one-line rewrite, without a 'Headline:' label or quotes."""
    for line in raw.splitlines():
        text = line.strip()
        if not text or text.startswith("```"):
            continue
        m = _LABEL_PREFIX.match(text)
        if m and len(text) - m.end() >= 3:
            text = text[m.end():]
        text = _clean(text)
        if text and not _PLACEHOLDER.match(text):
            return text, []
    return "", ["no text in the reply"]


_SCORE = re.compile(r"score\W*(\d+(?:\.\d+)?)\s*(?:/\s*(10|100))?", re.I)
_TAG = re.compile(r"^[\s*_#>-]*(critique|fix|instruction)s?\s*\d*\s*[*_]*\s*[:\-–]\s*(.+)$", re.I)
_CITE = re.compile(r"\[([A-Za-z0-9_.:/#-]+)\]")


def parse_critique(raw: str) -> tuple[dict, list[str]]:
    """Parse 'SCORE: n', 'CRITIQUE: ...' and 'FIX: ...' lines. Returns (result, problems)."""
    result: dict = {"score10": None, "critique": "", "instructions": [], "cited": []}
    problems: list[str] = []
    m = _SCORE.search(raw)
    if m:
        value = float(m.group(1))
        scale = float(m.group(2) or (100 if value > 10 else 10))
        result["score10"] = max(0.0, min(10.0, value * 10.0 / scale))
    else:
        problems.append("no SCORE line found")
    for line in raw.splitlines():
        t = _TAG.match(line)
        if not t:
            continue
        text = t.group(2).strip().strip("*_").strip()
        if t.group(1).lower() == "critique" and not result["critique"]:
            result["critique"] = text
        elif text and not _PLACEHOLDER.match(text):
            result["instructions"].append(text)
    result["cited"] = sorted(set(_CITE.findall(raw)))
    if not result["critique"] and not result["instructions"]:
        problems.append("no CRITIQUE or FIX line found")
    return result, problems
