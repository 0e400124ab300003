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


_TRAILING_WEAK = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "our", "the",
                  "to", "with", "your", "you", "that", "is", "are", "no", "get", "use"}
_END = regex.compile(r"[.!?](?=\s|$)")


def trim_to_limit(text: str, limit: int, *, wide_counts_double: bool = False) -> str:
    """Cut text to at most `limit` characters so it still reads: at the last sentence end when that keeps most of
    the text, else at a word boundary without a dangling 'with'/'and'/'the' or trailing punctuation debris."""
    text = text.strip()
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
    ends = [m.end() for m in _END.finditer(cut)]
    if ends and ends[-1] >= 0.6 * len(cut):
        return cut[: ends[-1]].strip()
    rest_starts_word = len(cut) < len(text) and not text[len(cut)].isspace()
    if rest_starts_word and " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    words = cut.rstrip(" ,;:-–—&/").split(" ")
    while len(words) > 1 and words[-1].lower().strip(",;:") in _TRAILING_WEAK:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–—&/").strip()


def drop_cut_word(text: str) -> str:
    """A line that a length cap cut mid-word, back to its last whole word (and without a dangling 'and')."""
    text = text.strip()
    if " " not in text:
        return text
    return trim_to_limit(text + "x", char_length(text))
