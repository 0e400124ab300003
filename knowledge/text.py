"""Exact text measurements: user-perceived characters, word-boundary trimming."""
from __future__ import annotations

import unicodedata

import regex

_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")


def graphemes(text: str) -> list[str]:
    """Split text into user-perceived characters (extended grapheme clusters)."""
    return _GRAPHEME.findall(text)


def char_length(text: str, *, wide_counts_double: bool = False) -> int:
    """Length in user-perceived characters; East Asian wide characters count 2 when asked."""
    if not wide_counts_double:
        return len(graphemes(text))
    return sum(2 if unicodedata.east_asian_width(g[0]) in ("W", "F") else 1 for g in graphemes(text))


def has_emoji(text: str) -> bool:
    return bool(_EMOJI.search(text))


def trim_to_limit(text: str, limit: int, *, wide_counts_double: bool = False) -> str:
    """Cut text to at most `limit` characters, at a word boundary, without trailing punctuation debris."""
    if char_length(text, wide_counts_double=wide_counts_double) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for g in graphemes(text):
        w = 2 if wide_counts_double and unicodedata.east_asian_width(g[0]) in ("W", "F") else 1
        if used + w > limit:
            break
        kept.append(g)
        used += w
    cut = "".join(kept)
    rest_starts_word = len(cut) < len(text) and not text[len(cut)].isspace()
    if rest_starts_word and " " in cut:
        cut = cut[: cut.rstrip().rfind(" ")]
    return cut.rstrip(" ,;:-–—&/").rstrip()
