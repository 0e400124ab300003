"""Reply patterns for constrained decoding, built from the channel spec.

With an engine that constrains generation (``llm.supports_regex``), a whole-ad reply can only come out as the
requested lines, in order, with the exact number of items per field, each within its character limit and in
the brief's script; a critique only as SCORE, CRITIQUE and FIX lines (citations are checked after parsing); a material's
summary only as one sentence ending with a full stop. The compliance
check stays the judge of what a pattern cannot express (wide characters counted double, rules, facts).
"""
from __future__ import annotations

import re
import unicodedata

from brandloop.knowledge.channels import ChannelSpec, FieldSpec
from brandloop.knowledge.checks import label

_LATIN_EXTRA = "‘’“”–—…€£¥®™°·•"
_OPENING_QUOTES = "\"'‘“"
_PLACEHOLDER_OPENERS = "<["  # a line may not start like the prompt's '<at most 30 characters>' placeholder
_DANGLING = " ,:;&/-\u2013\u2014"  # a line may not end in a space or a joining mark ('No Monthly Fee /')


def _escape(cp: int) -> str:
    return f"\\x{cp:02X}" if cp < 0x80 else f"\\u{cp:04X}"


def _class(codepoints: set[int]) -> str:
    """A regex character class of exactly these code points, as escaped ranges."""
    cps = sorted(codepoints)
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(_escape(cps[i]) if i == j else f"{_escape(cps[i])}-{_escape(cps[j])}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def is_latin(text: str) -> bool:
    """Whether every letter of ``text`` is in a Latin script (ASCII, Latin-1, Latin Extended-A/B)."""
    return all(ord(ch) < 0x250 or ch in _LATIN_EXTRA or not unicodedata.category(ch).startswith("L") for ch in text)


class LineFormat:
    """The characters one line may use: the brief's script, minus the channel's forbidden characters."""

    def __init__(self, latin: bool, forbidden: str = "", no_emoji: bool = False):
        self.latin = latin
        banned = {ord(c) for c in forbidden} | {0x0A, 0x0D}
        if latin:
            allowed = set(range(0x20, 0x7F)) | set(range(0xC0, 0x250)) | {ord(c) for c in _LATIN_EXTRA}
            self.body = _class(allowed - banned)
            self.first = _class(allowed - banned - {0x20} - {ord(c) for c in _OPENING_QUOTES + _PLACEHOLDER_OPENERS})
            self.no_stop = _class(allowed - banned - {0x2E})
            self.last = _class(allowed - banned - {ord(c) for c in _DANGLING})
        else:  # any script: everything but line breaks and the banned characters (emoji are left to the checker)
            neg = "".join(_escape(c) for c in sorted(banned))
            self.body = f"[^{neg}]"
            self.first = f"[^{neg}\\x20\\x22\\x27\\x3C\\x5B]"
            self.no_stop = f"[^{neg}\\x2E]"
            self.last = f"[^{neg}{''.join(_escape(ord(c)) for c in _DANGLING)}]"

    def sentence(self) -> str:
        """One sentence of any length: it ends at its first full stop (a decimal point does not end it)."""
        return f"(?:{self.no_stop}|\\.[0-9])+\\.?"

    def line(self, max_chars: int) -> str:
        """One line of 1..max_chars characters that does not start with a space, a quote mark or a placeholder's
        '<' or '[', and does not end in a space or a joining mark (comma, colon, slash, dash, '&')."""
        if max_chars <= 1:
            return self.first
        return f"{self.first}(?:{self.body}{{0,{max_chars - 2}}}{self.last})?"


def line_format(brief_text: str, field: FieldSpec | None = None) -> LineFormat:
    return LineFormat(is_latin(brief_text), "".join(field.forbidden_chars) if field else "",
                      bool(field and field.no_emoji))


def char_cap(spec: ChannelSpec, field: FieldSpec, fmt: LineFormat) -> int:
    """Characters a pattern may allow: half the limit where wide characters count double and may appear."""
    return field.max_chars if fmt.latin or not spec.wide_chars_count_double else max(1, field.max_chars // 2)


def literal(text: str) -> str:
    """``text`` as a pattern that matches it exactly (only regex metacharacters escaped: engines differ on others)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def item_label(name: str, count: int, n: int) -> str:
    return f"{label(name)} {n}" if count > 1 else label(name)


def item_number(count: int) -> str:
    """Any item number from 1 to ``count``: the pattern leaves the numbering to the model (the prompt shows it)."""
    tens, ones = divmod(count, 10)
    if count <= 9:
        return f"[1-{count}]" if count > 1 else "1"
    alts = ["[1-9]"] + [f"{t}[0-9]" for t in range(1, tens)] + [f"{tens}[0-{ones}]" if ones else f"{tens}0"]
    return "(?:" + "|".join(alts) + ")"


def ad_pattern(spec: ChannelSpec, brief_text: str, counts: dict[str, int] | None = None) -> str:
    """A whole ad: every drafted field's lines (``counts`` per field, default the ad's), labelled as the copywriter
    prompt asks, each within its limit. A field's lines are one line pattern repeated ``count`` times, with the item
    number left open (the parser tolerates a wrong one): the engine compiles a repeated line once, where 13 headlines
    and 5 descriptions spelled out item by item took it seconds. The last line break is optional, so the model can
    end its reply where it wants to."""
    fields = [(name, f, (counts or {}).get(name, f.draft)) for name, f in spec.drafted_fields().items()]
    fields = [x for x in fields if x[2] > 0]
    parts = []
    for k, (name, f, count) in enumerate(fields):
        fmt = line_format(brief_text, f)
        head = literal(label(name)) + (f" {item_number(count)}" if count > 1 else "")
        line = f"{head}: {fmt.line(char_cap(spec, f, fmt))}"
        last = k == len(fields) - 1
        repeated = count - 1 if last else count
        if repeated == 1:
            parts.append(f"{line}\\n")
        elif repeated > 1:
            parts.append(f"(?:{line}\\n){{{repeated}}}")
        if last:
            parts.append(f"{line}(?:\\n)?")
    return "".join(parts)


def rewrite_pattern(spec: ChannelSpec, field_name: str, brief_text: str) -> str:
    """One rewritten line of ``field_name``, within its limit."""
    f = spec.fields.get(field_name) or FieldSpec(max_chars=90)
    fmt = line_format(brief_text, f)
    return fmt.line(char_cap(spec, f, fmt))


def lead_pattern(spec: ChannelSpec, field_name: str, brief_text: str, lead: str) -> str:
    """One line of ``field_name`` within its limit that starts with ``lead`` (its first letter a capital): a brief
    keyword the small model leaves out when it is only asked to use it."""
    f = spec.fields.get(field_name) or FieldSpec(max_chars=90)
    fmt = line_format(brief_text, f)
    start = lead[:1].upper() + lead[1:]
    room = char_cap(spec, f, fmt) - len(start)
    if room < 2:
        return rewrite_pattern(spec, field_name, brief_text)
    return f"{literal(start)}(?:{fmt.body}{{0,{room - 1}}}{fmt.last})?"


def critique_pattern(brief_text: str) -> str:
    """SCORE 0-10, then a one-sentence CRITIQUE and a one-sentence FIX. The sentences are unbounded (the token
    budget bounds them): a bounded repetition costs the engine seconds to compile."""
    fmt = LineFormat(is_latin(brief_text))
    return f"SCORE: (?:10|[0-9])\\nCRITIQUE: {fmt.sentence()}\\nFIX: {fmt.sentence()}(?:\\n)?"


def summary_pattern(digest: str) -> str:
    """The describer's summary: one sentence that ends with a full stop (a decimal point does not end it), in the
    measurements' script, not starting with a space, quote or placeholder."""
    fmt = LineFormat(is_latin(digest))
    return f"{fmt.first}(?:{fmt.no_stop}|\\.[0-9])*\\."
