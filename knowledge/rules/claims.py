"""Claim extraction: numbers, percentages, prices, superlatives and comparatives in ad text."""
from __future__ import annotations

from dataclasses import dataclass

import regex

NUMBER = regex.compile(
    r"(?<![\w.,/#])(?P<cur>[$€£¥]\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<pct>\s?(?:%|percent\b|per\s?cent\b))?(?![\d])"
)
# Digits glued to letters on the left or right (B2B, H2O, MP3, 4K) are names, not quantities,
# unless the letters are a unit or an ordinal.
_UNIT_TAIL = regex.compile(r"(?:g|mg|kg|ml|l|oz|lb|lbs|x|k|m|bn|hr|hrs|h|min|s|gb|tb|mb|st|nd|rd|th|am|pm)\b", regex.I)

SUPERLATIVE_WORDS = [
    "best", "greatest", "fastest", "cheapest", "lowest", "highest", "biggest", "largest", "smallest",
    "strongest", "safest", "smartest", "newest", "freshest", "finest", "purest", "richest", "quickest",
    "longest", "leading", "top-rated", "top rated", "top-selling", "top selling", "bestselling", "best-selling",
    "bestseller", "best-seller", "#1", "no. 1", "no.1",
    "number one", "number 1", "unbeatable", "unmatched", "unrivaled", "unrivalled", "ultimate",
    "world-class", "world class", "the only", "most", "least",
    # place-wide claims are superlatives too ("the lightest ale in the world")
    "in the world", "on the planet", "on earth", "in the universe", "of all time", "in the country",
    "in america", "anywhere else", "second to none",
]
COMPARATIVE_WORDS = [
    "better", "faster", "cheaper", "lower", "higher", "bigger", "larger", "smaller", "stronger",
    "safer", "smarter", "quicker", "healthier", "tastier", "easier", "fresher", "more than",
    "less than", "fewer than", "compared to", "compared with", "vs", "vs.", "versus", "outperforms",
    "beats",
]


@dataclass(frozen=True)
class Claim:
    kind: str  # number | percent | price | superlative | comparative
    start: int
    end: int
    text: str
    value: float | None = None


def _phrase_re(words: list[str]) -> regex.Pattern:
    alts = sorted({w.lower() for w in words if w.strip()}, key=len, reverse=True)
    body = "|".join(regex.escape(w).replace(r"\ ", r"\s+") for w in alts)
    return regex.compile(r"(?<![\w#])(?:" + body + r")(?![\w])", regex.I)


# "-est" after "the" ("the lightest", "the crispest") is a superlative, except for nouns ending in -est.
_EST_NOUNS = ("rest|test|guest|forest|harvest|west|east|contest|request|interest|quest|chest|nest|vest|pest|"
              "protest|manifest|conquest|priest|crest|zest|fest|midwest|northwest|southwest|digest|honest|modest|"
              "arrest|behest|tempest|pretest|retest|latest news|earnest")
_SUP_GENERIC = regex.compile(r"\b(?:most|least)\s+[a-z][\w-]+|\b[a-z]{3,}iest\b|\bthe\s+(?!(?:" + _EST_NOUNS
                             + r")\b)[a-z]{2,}est\b", regex.I)
_COMP_GENERIC = regex.compile(r"\b(?:more|less)\s+[a-z][\w-]+\s+than\b|\b[a-z]{2,}er\s+than\b", regex.I)


class ClaimExtractor:
    def __init__(self, kinds: list[str] | None = None, superlatives: list[str] = (), comparatives: list[str] = ()):
        self.kinds = set(kinds or ["number", "percent", "price", "superlative", "comparative"])
        self.sup = _phrase_re(SUPERLATIVE_WORDS + list(superlatives))
        self.comp = _phrase_re(COMPARATIVE_WORDS + list(comparatives))

    def extract(self, text: str) -> list[Claim]:
        out: list[Claim] = []
        if self.kinds & {"number", "percent", "price"}:
            for m in NUMBER.finditer(text):
                s, e = m.span()
                if s > 0 and text[s - 1].isalpha():
                    continue
                tail = text[e:e + 4]
                if tail[:1].isalpha() and not _UNIT_TAIL.match(tail):
                    continue
                value = float(m.group("num").replace(",", ""))
                kind = "percent" if m.group("pct") else "price" if m.group("cur") else "number"
                if kind in self.kinds:
                    out.append(Claim(kind, s, e, m.group(0).strip(), value))
        spans: list[tuple[int, int]] = []
        if "superlative" in self.kinds:
            for pat in (self.sup, _SUP_GENERIC):
                for m in pat.finditer(text):
                    if not _overlaps(m.span(), spans):
                        spans.append(m.span())
                        out.append(Claim("superlative", *m.span(), m.group(0)))
        if "comparative" in self.kinds:
            for pat in (_COMP_GENERIC, self.comp):
                for m in pat.finditer(text):
                    if not _overlaps(m.span(), spans):
                        spans.append(m.span())
                        out.append(Claim("comparative", *m.span(), m.group(0)))
        out.sort(key=lambda c: c.start)
        return out


def _overlaps(span, spans) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


def numbers_in(text: str) -> list[tuple[float, bool]]:
    """(value, is_percent) for every number in a fact statement or extra fact."""
    return [(float(m.group("num").replace(",", "")), bool(m.group("pct"))) for m in NUMBER.finditer(text)]


def _core(phrase: str) -> str:
    p = " ".join(phrase.lower().split())
    for lead in ("the ", "more ", "less ", "most ", "least "):
        if p.startswith(lead) and len(p) > len(lead) + 2 and lead in ("the ",):
            p = p[len(lead):]
    return p


def phrase_backed(phrase: str, backing_texts: list[str]) -> bool:
    """A superlative/comparative is backed when an approved claim or fact contains the same wording."""
    core = _core(phrase)
    pat = regex.compile(r"(?<![\w#])" + regex.escape(core).replace(r"\ ", r"\s+") + r"(?![\w])", regex.I)
    return any(pat.search(t) for t in backing_texts)
