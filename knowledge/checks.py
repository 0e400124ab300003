"""Exact checks that need no rulebook: channel field limits and the brief's own word lists."""
from __future__ import annotations

import regex

from brandloop.knowledge.channels import ChannelSpec
from brandloop.knowledge.text import char_length, has_emoji
from brandloop.knowledge.violations import Violation

_WORD = regex.compile(r"[\p{L}\p{N}']+")
_STOP = {"the", "a", "an", "and", "or", "for", "to", "of", "in", "on", "with", "your", "you", "our", "is", "at", "by"}


def label(field: str) -> str:
    """'primary_text' -> 'PRIMARY TEXT' (the line label used in prompts and parsing)."""
    return field.replace("_", " ").upper()


def check_channel(fields: dict[str, list[str]], spec: ChannelSpec) -> list[Violation]:
    """Length per item (grapheme clusters; wide chars as 2 where the channel says), counts, duplicates, chars."""
    out: list[Violation] = []
    wide = spec.wide_chars_count_double
    for name, fs in spec.fields.items():
        items = fields.get(name, [])
        if len(items) < fs.min_count:
            out.append(Violation(rule_id="channel.count", severity="error", field=name, index=max(len(items) - 1, 0),
                                 message=f"{spec.title} needs at least {fs.min_count} {name} item(s); got {len(items)}"))
        if len(items) > fs.max_count:
            out.append(Violation(rule_id="channel.count", severity="error", field=name, index=fs.max_count,
                                 message=f"{spec.title} allows at most {fs.max_count} {name} item(s); got {len(items)}"))
        seen: dict[str, int] = {}
        for i, text in enumerate(items):
            n = char_length(text, wide_counts_double=wide)
            if n > fs.max_chars:
                out.append(Violation(rule_id="channel.length", severity="error", field=name, index=i,
                                     start=0, end=len(text),
                                     message=f"{name} {i + 1} is {n} characters; the limit is {fs.max_chars}"))
            if n < fs.min_chars:
                out.append(Violation(rule_id="channel.length", severity="error", field=name, index=i, end=len(text),
                                     message=f"{name} {i + 1} is {n} characters; the minimum is {fs.min_chars}"))
            if not text.strip():
                out.append(Violation(rule_id="channel.empty", severity="error", field=name, index=i,
                                     message=f"{name} {i + 1} is empty"))
            for ch in fs.forbidden_chars:
                pos = text.find(ch)
                if pos >= 0:
                    out.append(Violation(rule_id="channel.chars", severity="error", field=name, index=i, start=pos,
                                         end=pos + len(ch), message=f"{name} {i + 1} contains '{ch}', which {spec.title} rejects",
                                         suggestion=""))
            if fs.no_emoji and has_emoji(text):
                out.append(Violation(rule_id="channel.emoji", severity="error", field=name, index=i,
                                     message=f"{name} {i + 1} contains an emoji, which {spec.title} rejects"))
            key = " ".join(_WORD.findall(text.casefold()))
            if fs.unique and key and key in seen:
                out.append(Violation(rule_id="channel.duplicate", severity="error", field=name, index=i, end=len(text),
                                     message=f"{name} {i + 1} repeats {name} {seen[key] + 1}; each must be unique"))
            seen.setdefault(key, i)
        if fs.unique and fs.max_count > 1:
            out.extend(_overlapping_items(name, items))
    for name in fields:
        if name not in spec.fields:
            out.append(Violation(rule_id="channel.field", severity="error", field=name,
                                 message=f"{spec.title} has no field '{name}'"))
    return out


def content_word_set(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 2}


def read_as_repeat(a: set[str], b: set[str]) -> set[str]:
    """The content words two items shown together share when they read as a repeat (2 or more, and most of the
    shorter one's), else an empty set."""
    shared = a & b
    return shared if a != b and len(shared) >= 2 and len(shared) / (min(len(a), len(b)) or 1) >= 0.6 else set()


def same_wording(a: set[str], b: set[str]) -> bool:
    """Two lines read as one line said twice: three content words or more each, and three quarters of all their
    content words shared ('Folding commuter e-bike with a removable battery' and 'VoltCycle Metro, a folding
    commuter e-bike with a removable battery')."""
    return min(len(a), len(b)) >= 3 and len(a & b) / len(a | b) >= 0.75


def _overlapping_items(name: str, items: list[str]) -> list[Violation]:
    """Items shown together (e.g. any 3 search headlines) should not repeat each other's content words."""
    out = []
    words = [content_word_set(t) for t in items]
    for i in range(len(items)):
        for j in range(i):
            shared = read_as_repeat(words[i], words[j])
            if shared:
                out.append(Violation(rule_id="channel.repetitive_combination", severity="warning", field=name, index=i,
                                     message=f"{name} {i + 1} and {name} {j + 1} repeat the words {sorted(shared)}; "
                                             f"shown together they read as a repeat"))
                break
    return out


def _term_pattern(term: str) -> regex.Pattern:
    return regex.compile(r"(?<![\p{L}\p{N}])" + regex.escape(term) + r"(?![\p{L}\p{N}])", regex.IGNORECASE)


def _keyword_pattern(term: str) -> regex.Pattern:
    """A keyword and its close variants, as search ads match them: plural or singular, and a suffix on its last
    word ('crunch' in 'Crunchy', 'fold' in 'Foldable', 'pale ale' in 'pale ales')."""
    base = term[:-1] if term.casefold().endswith("s") and len(term) > 3 else term
    return regex.compile(r"(?<![\p{L}\p{N}])" + regex.escape(base) + r"(?:s|es|y|ed|ing|ings|er|ers|able)?(?![\p{L}\p{N}])",
                         regex.IGNORECASE)


def mentions(term: str, text: str) -> bool:
    """Whether ``text`` uses the keyword ``term`` or a close variant of it."""
    return bool(_keyword_pattern(term).search(text))


def check_terms(fields: dict[str, list[str]], forbidden: list[str], required: list[str]) -> list[Violation]:
    """The brief's forbidden words (hard, exact) and required keywords (soft: somewhere in the ad, close variants
    count)."""
    out: list[Violation] = []
    for term in forbidden:
        pat = _term_pattern(term)
        for name, items in fields.items():
            for i, text in enumerate(items):
                for m in pat.finditer(text):
                    out.append(Violation(rule_id="brief.forbidden_word", severity="error", field=name, index=i,
                                         start=m.start(), end=m.end(), suggestion="",
                                         message=f"{name} {i + 1} uses the forbidden word '{m.group()}'"))
    all_text = "\n".join(t for items in fields.values() for t in items)
    for term in required:
        if not mentions(term, all_text):
            first = next(iter(fields), "copy")
            out.append(Violation(rule_id="brief.keyword", severity="warning", field=first,
                                 message=f"the ad never mentions the required keyword '{term}'"))
    return out
