"""Built-in quality lint: soft rules (warnings) for copy a marketer would not ship — a word repeated in a
line, a line far shorter than its limit where the channel rewards length, dangling punctuation or a trailing
connector, shouting caps, generic filler, a misspelled name ('Vegant' for 'Verdant'), a line of nothing but a
disclaimer, and the same line twice in a variant (two fields) or in two variants of one run.

On by default; a rulebook's `lint:` section switches each off or sets its parameters (docs/rulebooks.md)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import regex
from pydantic import BaseModel, ConfigDict, Field

from brandloop.knowledge.channels import ChannelSpec
from brandloop.knowledge.checks import content_word_set, same_wording
from brandloop.knowledge.text import char_length
from brandloop.knowledge.violations import Violation
from brandloop.knowledge.words import cut_word, misspelled_name, name_vocabulary

_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’-]*")
_STOP = set("a an the and or but of to in on at by for from with your you our we is are be it its as so no not "
            "this that all any more less per each every up".split())  # '4 ingredients per person, $8.99 per serving'
_CONNECTORS = {"and", "or", "but", "with", "without", "for", "to", "of", "the", "a", "an", "your", "our", "from", "by",
               "in", "on", "at", "&", "plus", "as", "than", "that", "so", "into", "about",
               "is", "are", "was", "were", "will", "can", "be",  # a verb left without its rest: 'Night Porter is'
               "no", "every", "each", "their", "its", "my"}  # a determiner without its noun: 'Savings with No'
_SENTENCE_END = regex.compile(r"[.!?](?=\s|$)")
_CUT_WORD = regex.compile(r"[^\W\dAaIi\p{Lu}]", regex.UNICODE)  # one small letter left of a cut word ('cocoa n');
# a capital may be a name ('Vitamin C'): agents.copywriter.uncut judges those by the line's limit
_DANGLING_END = regex.compile(r"[,:;&/\-\u2013\u2014]\s*$")
# a determiner with its noun gone: "the in every regard", "our, and"
_ORPHAN = regex.compile(r"(?<![\p{L}\p{N}'’-])(?:(?i:the|an|our|your|their|its)|a)\s*(?:(?i:and|or|but|nor|in|on|at|of|to|for|"
                        r"with|by|from|than|the|an|a|our|your)(?![\p{L}\p{N}'’-])|[,.;:!?]|$)")
# a joining word whose other half is gone: "deliver and ever.", "faster than."
_ORPHAN_JOIN = regex.compile(r"(?i)(?<![\p{L}\p{N}'’-])(?:and|or|but)\s+(?:ever|yet|before|again)\s*[.!?]?\s*$|"
                             r"(?<![\p{L}\p{N}'’-])than\s*[.!?,;:]")
# a digit stuck to the end of a word: 'Cutting ties in the monthly0'
_GLUED_DIGIT = regex.compile(r"(?<![\p{L}\p{N}])\p{Ll}{3,}\d+(?![\p{L}\p{N}])")
# a subject with its verb gone: "From hazy to high quality, We!"
_SUBJECT_END = regex.compile(r"(?i)(?<![\p{L}\p{N}'’-])(?:we|they|he|she)\s*[.!?]*\s*$")
_DOUBLED = regex.compile(r",\s*,|;\s*;|\s[,.;:!?](?!\d)|\(\s*\)|(?<!\.)\.\.(?!\.)|[.,;:][!?]|[!?][.,;:]|"
                         r"(?<=\p{L}{2})\.(?=\d)|"  # a number glued to a word: 'Five.2% ABV'
                         r"(?:^|(?<=[.!?]\s))[!-/:-@\[-`{-~]+(?=\s|$)")  # a sentence of ASCII symbols alone: 'fee. #.'
ACRONYMS = {"USA", "FDIC", "APY", "APR", "ABV", "SOC", "SLA", "API", "APIS", "CRM", "ERP", "HTML", "JSON", "HVAC",
            "NASA", "ASAP", "FAQ", "FAQS", "SMS", "IPA", "IPAS", "ESG", "GDPR", "HIPAA", "ISO", "LLC", "USDA",
            "SaaS", "SAAS", "B2B", "KPI", "KPIS", "ROI", "UEFA", "NFL", "NBA", "IRA", "IRAS", "AI", "EV", "EVS"}
FILLER = ["learn more", "click here", "and more", "best in class", "best-in-class", "solutions",
          "unlock your potential", "take it to the next level", "next level", "game changer", "game-changer",
          "world-class", "cutting-edge", "cutting edge", "synergy", "seamless", "innovative solutions",
          "look no further", "one-stop shop", "state of the art", "state-of-the-art"]
RULE_IDS = ("lint.repeated_word", "lint.short_line", "lint.dangling", "lint.all_caps", "lint.duplicate_line",
            "lint.filler", "lint.misspelled_name", "lint.disclaimer_only")


class ShortLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    # 0.4: "Savings" (7 of 30) wastes the slot; a tight 14-character line such as "Earn 4.10% APY" is
    # ordinary, shippable RSA copy and passes
    min_ratio: float = Field(0.4, gt=0, le=1)
    # where the channel rewards length: channel -> fields checked
    channels: dict[str, list[str]] = {"google_rsa": ["headline"]}


class Toggle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class AllCaps(Toggle):
    acronyms: list[str] = []  # more words allowed in caps (the rulebook's names and facts are already)


class Filler(Toggle):
    phrases: list[str] | None = None  # replaces the built-in list
    add: list[str] = []  # extends it
    allow: list[str] = []  # removes entries from it


class LintConfig(BaseModel):
    """The `lint:` section of a rulebook. Each entry: false (off), true (on, defaults) or a mapping."""
    model_config = ConfigDict(extra="forbid")
    repeated_word: Toggle = Toggle()
    short_line: ShortLine = ShortLine()
    dangling: Toggle = Toggle()
    all_caps: AllCaps = AllCaps()
    duplicate_line: Toggle = Toggle()
    filler: Filler = Filler()
    misspelled_name: Toggle = Toggle()
    disclaimer_only: Toggle = Toggle()

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None) -> "LintConfig":
        """Accepts `rule: false|true|{...}` per rule; raises pydantic's ValidationError on bad input."""
        raw = {}
        for k, v in (section or {}).items():
            raw[k] = {"enabled": v} if isinstance(v, bool) else v
        return cls.model_validate(raw)

    def filler_phrases(self) -> list[str]:
        base = FILLER if self.filler.phrases is None else self.filler.phrases
        drop = {p.casefold() for p in self.filler.allow}
        return [p for p in [*base, *self.filler.add] if p.casefold() not in drop]


def _v(rule: str, field: str, i: int, message: str, start: int = 0, end: int = 0) -> Violation:
    return Violation(rule_id=rule, severity="warning", field=field, index=i, start=start, end=end, message=message)


# adjectives that need their noun: after an article at a line's cap, or after another determiner anywhere at its
# end, they mean the noun was cut ('for a new?')
_NEEDS_NOUN = {"new", "first", "next", "best", "better", "great", "good", "whole", "full", "other", "warm", "perfect",
               "ideal", "favorite", "favourite", "daily", "weekly", "monthly", "everyday", "local", "unique", "special",
               "single", "secure", "healthy", "tasty", "simple", "smart"}
_DETERMINERS = {"a", "an", "the", "your", "our", "their", "its", "my", "this", "every", "each", "no"}
# where the line ends, these never stand without their noun ('Unlock your savings in a new', 'with no monthly');
# 'the' and 'this' may ('Simply the best', 'Be the first')
_BARE_DETERMINERS = _DETERMINERS - {"the", "this"}


def unfinished_before_mark(text: str) -> bool:
    """Whether the words before a line's end mark cannot end it: a connector ('portioned for!') or a determiner
    and an adjective without its noun ('save for a new?'). Only telling at a line's cap, where the engine closed
    the line: elsewhere 'for!' can be correct English."""
    words = _last_words(text)
    return bool(words) and (words[-1].group().casefold() in _CONNECTORS or _noun_missing(words, _DETERMINERS))


def unfinished_end(text: str) -> str | None:
    """The last two words when a line ends in a determiner and an adjective without its noun, wherever it stops
    ('Money saved with no monthly', 'Harbor Pale Ale, a unique!'), else None."""
    words = _last_words(text)
    return text[words[-2].start():words[-1].end()] if _noun_missing(words, _BARE_DETERMINERS) else None


def _last_words(text: str) -> list[regex.Match]:
    return list(_WORD.finditer(text.rstrip().rstrip(".!?")))


def _noun_missing(words: list[regex.Match], determiners: set[str]) -> bool:
    """Whether ``words`` end in one of ``determiners`` and an adjective that needs its noun ('a new', 'no monthly')."""
    last_two = [w.group().casefold() for w in words[-2:]]
    return len(last_two) == 2 and last_two[0] in determiners and last_two[1] in _NEEDS_NOUN


def dangling(text: str) -> tuple[str, int, int] | None:
    """A dangling end ('... and', '... with,') or stray punctuation (', ,', ' .'): (what, start, end), or None."""
    words = list(_WORD.finditer(text))
    last = words[-1].group().casefold() if words else ""
    tail = text.rstrip()
    if not tail:
        return None
    if _DANGLING_END.search(tail) or (last in _CONNECTORS and tail.casefold().endswith(last)):
        return f"ends in a dangling '{tail.split()[-1]}'", len(tail) - len(tail.split()[-1]), len(tail)
    if len(words) > 1 and _CUT_WORD.fullmatch(words[-1].group()) and tail.endswith(words[-1].group()):
        return f"ends in a cut word '{words[-1].group()}'", words[-1].start(), words[-1].end()
    m = _DOUBLED.search(text)
    if m:
        return f"has stray punctuation '{m.group().strip()}'", m.start(), m.end()
    if end := unfinished_end(text):
        return f"ends in '{end}' without its noun", text.rfind(end), text.rfind(end) + len(end)
    m = _GLUED_DIGIT.search(text)
    if m:
        return f"has a number glued to a word '{m.group()}'", m.start(), m.end()
    m = _ORPHAN.search(text)
    if m:
        return f"has an article without its noun '{m.group().strip()}'", m.start(), m.end()
    m = _ORPHAN_JOIN.search(text)
    if m:
        return f"has a joining word without its other half '{m.group().strip()}'", m.start(), m.end()
    m = _SUBJECT_END.search(text)
    if m:
        return f"ends in a subject without its verb '{m.group().strip()}'", m.start(), m.end()
    return None


def lint_line(text: str, field: str, index: int, config: LintConfig, known: set[str],
              limit: int | None = None, cap: int | None = None, own: Sequence[str] = ()) -> list[Violation]:
    """Every lint warning on one line. `known`: words allowed in caps; `limit`: the line's character limit when
    the channel rewards using it; `cap`: its limit in any case, and `own`: the brand's and brief's texts (a line
    that stops near its cap inside a word was cut there: 'High Calor'; a name is written as they write it)."""
    out: list[Violation] = []
    where = f"{field} {index + 1}"
    words = list(_WORD.finditer(text))
    if config.misspelled_name.enabled and own:
        names, vocab = name_vocabulary(tuple(map(str, own)))
        for m in words:
            if name := misspelled_name(m.group(), names, vocab):
                out.append(_v("lint.misspelled_name", field, index, f"{where} misspells '{name}' as '{m.group()}'",
                              m.start(), m.end()))
                break
    if config.repeated_word.enabled:  # within one sentence: a disclaimer after it may reuse a word
        seen: dict[str, int] = {}
        ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        for m in words:
            w = m.group().casefold()
            sentence = sum(1 for e in ends if e <= m.start())
            if w in _STOP or w.isdigit():
                continue
            if seen.get(w) == sentence:
                out.append(_v("lint.repeated_word", field, index, f"{where} repeats '{m.group()}'", m.start(), m.end()))
                break
            seen[w] = sentence
    if config.short_line.enabled and limit and text.strip():
        n = char_length(text)
        if n < config.short_line.min_ratio * limit:
            out.append(_v("lint.short_line", field, index,
                          f"{where} is {n} of {limit} characters; use at least {int(-(-config.short_line.min_ratio * limit // 1))}",
                          0, len(text)))
    if config.dangling.enabled and text.strip():
        found = dangling(text)
        if not found and (w := cut_word(text, cap, own)):
            start = text.rstrip().rfind(w)
            found = f"ends in a cut word '{w}'", start, start + len(w)
        if found:
            what, start, end = found
            out.append(_v("lint.dangling", field, index, f"{where} {what}", start, end))
    if config.all_caps.enabled:
        letters = [m for m in words if any(c.isalpha() for c in m.group())]
        shouted = [m for m in letters if len(m.group()) >= 4 and m.group().isupper() and m.group() not in known
                   and m.group().rstrip("S") not in known]
        whole = len(letters) >= 2 and all(m.group().isupper() or m.group() in known for m in letters) and \
            any(m.group() not in known for m in letters)
        if whole:
            out.append(_v("lint.all_caps", field, index, f"{where} is all caps; write it in sentence case",
                          0, len(text)))
        elif shouted:
            m = shouted[0]
            out.append(_v("lint.all_caps", field, index, f"{where} shouts '{m.group()}' in caps; it is no known acronym",
                          m.start(), m.end()))
    if config.filler.enabled:
        for phrase in config.filler_phrases():
            pat = regex.compile(r"(?<![\p{L}\p{N}])" + regex.escape(phrase).replace(r"\ ", r"\s+") + r"(?![\p{L}\p{N}])",
                                regex.I)
            m = pat.search(text)
            if m:
                out.append(_v("lint.filler", field, index, f"{where} uses the generic filler '{m.group()}'; say something "
                                                           f"specific about the product", m.start(), m.end()))
                break
    return out


def disclaimer_only(fields: Mapping[str, Sequence[str]], required: Sequence[str], names: Sequence[str],
                    config: LintConfig | None = None) -> list[Violation]:
    """Lines that hold a required text (a disclaimer) and nothing else but names: 'Please drink responsibly.' as a
    search headline, 'Harbor Night Porter. Please drink responsibly.' as a feed ad's whole primary text."""
    config = config or LintConfig()
    if not config.disclaimer_only.enabled or not required:
        return []
    texts = sorted({t.strip() for t in required if t and t.strip()}, key=len, reverse=True)
    drops = [regex.compile(regex.escape(t).replace(r"\ ", r"\s+").rstrip("\\.") + r"\.?", regex.I) for t in texts]
    name_set = {w.casefold() for n in names for w in _WORD.findall(n)}
    out = []
    for field, items in fields.items():
        for i, text in enumerate(items or []):
            rest = text or ""
            for d in drops:
                rest = d.sub(" ", rest)
            if rest == text:
                continue
            if all(w.casefold() in name_set for w in _WORD.findall(rest)):
                out.append(_v("lint.disclaimer_only", field, i, f"{field} {i + 1} says nothing but the required text;"
                                                                 " say something about the product too", 0, len(text)))
    return out


def line_key(text: str | None) -> str:
    """A line as two duplicate checks compare it: its words, case ignored."""
    return " ".join(w.casefold() for w in _WORD.findall(text or ""))


def lint_fields(fields: Mapping[str, Sequence[str]], spec: ChannelSpec, config: LintConfig | None = None,
                known_terms: Iterable[str] = ()) -> list[Violation]:
    """Every lint warning on one variant's fields (field -> lines) for channel `spec`. `known_terms`: the brand's
    and the brief's names and facts."""
    config = config or LintConfig()
    terms = [str(t) for t in known_terms]
    known = _known(terms, config)
    wants_length = set(config.short_line.channels.get(spec.name, [])) if config.short_line.enabled else set()
    out: list[Violation] = []
    first: dict[str, tuple[str, int]] = {}  # a line's first field in this variant
    for field, items in fields.items():
        fs = spec.fields.get(field)
        limit = fs.max_chars if fs is not None and field in wants_length else None
        for i, text in enumerate(items or []):
            out.extend(lint_line(text or "", field, i, config, known, limit, fs.max_chars if fs else None, terms))
            key = line_key(text)
            owner = first.setdefault(key, (field, i)) if key else None
            if owner and owner[0] != field and config.duplicate_line.enabled:  # same field: channel.duplicate
                out.append(_v("lint.duplicate_line", field, i, f"{field} {i + 1} is the same as {owner[0]} "
                              f"{owner[1] + 1}; write a different line", 0, len(text)))
    return out


def lint_set(variants_fields: Mapping[str, Mapping[str, Sequence[str]]],
             config: LintConfig | None = None) -> dict[str, list[Violation]]:
    """The same line (case, spacing and punctuation aside) in two variants of one run. The first variant keeps
    it; each later one gets a `lint.duplicate_line` warning. Returns {variant id: warnings}, only variants with
    a duplicate."""
    config = config or LintConfig()
    if not config.duplicate_line.enabled:
        return {}
    first: dict[str, tuple[str, str, int]] = {}
    worded: list[tuple[set[str], tuple[str, str, int]]] = []  # earlier variants' lines by content words
    out: dict[str, list[Violation]] = {}
    for vid, fields in variants_fields.items():
        mine: set[str] = set()
        for field, items in fields.items():
            for i, text in enumerate(items or []):
                key = line_key(text)
                if not key:
                    continue
                owner, same = first.get(key), "the same as"
                if not owner or owner[0] == vid:
                    words = content_word_set(text)
                    owner = next((o for w, o in worded if o[0] != vid and same_wording(words, w)), None)
                    same = "worded like"
                if owner and owner[0] != vid:
                    out.setdefault(vid, []).append(_v(
                        "lint.duplicate_line", field, i,
                        f"{field} {i + 1} is {same} {owner[1]} {owner[2] + 1} of variant {owner[0]}; write a "
                        f"different line", 0, len(text)))
                elif key not in mine:
                    first.setdefault(key, (vid, field, i))
                mine.add(key)
        worded += [(content_word_set(t), (vid, f, i)) for f, items in fields.items()
                   for i, t in enumerate(items or []) if t]
    return out


def _known(terms: Iterable[str], config: LintConfig) -> set[str]:
    known = set(ACRONYMS) | set(config.all_caps.acronyms)
    for t in terms:
        known.update(m.group() for m in _WORD.finditer(str(t)) if m.group().isupper())
    return known


def lint_for(fields: Mapping[str, Sequence[str]], spec: ChannelSpec, knowledge=None,
             brief_terms: Iterable[str] = ()) -> list[Violation]:
    """lint_fields with a rulebook's `lint:` settings and names (when `knowledge`, a BrandKnowledge, is given) and
    the brief's own texts."""
    if knowledge is None:
        return lint_fields(fields, spec, known_terms=brief_terms)
    return lint_fields(fields, spec, knowledge.lint_config, [*knowledge.known_terms(), *brief_terms])
