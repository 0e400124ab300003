"""A number must be stated as the fact it comes from: the words next to the number in the ad are compared
with the words next to the same number in the fact ("free initial deposit $100" against "$100 minimum
opening deposit" is a bent fact; "open with just $100" is not).

Lexical and deterministic: the ad's content words within WINDOW words of the number, inside its clause and
phrase, lightly stemmed. They pass when at least THRESHOLD of them appear in the clause of some fact (or approved
claim / brief fact) that carries the same value. Words that only frame a number ("just", "earn", "from") are
neutral and never count."""
from __future__ import annotations

import regex

WINDOW = 3
THRESHOLD = 0.5

_CLAUSE = regex.compile(r"[.!?;:,()\[\]|\u2013\u2014]|\s-\s|\n")
_TOKEN = regex.compile(r"[$€£¥]?\d[\d,]*(?:\.\d+)?%?|[\p{L}][\p{L}'-]*")
_NEUTRAL = set("""
a an the and or but of to in on at by for from with without per each every all any your you our we us it its this
that these those is are be get gets got earn earns enjoy enjoys pay pays just only now today as low high up
starting start starts plus over under about around nearly almost than more less new yes
""".split())
# 'Save $100' states a reduction, which a fact says as 'off' or 'discount'; it does not frame any number
# ('Save $250,000' is not 'FDIC insured up to $250,000').
_ALIKE = {"save": "off", "discount": "off"}
# A phrase about another thing starts at a join or a preposition, on either side of the number.
_JOINS = {"and", "or", "but", "plus", "so", "while", "when", "if", "&"}
_NEXT_PHRASE = {"with", "without", "no", "for", "to", "on", "in", "at", "from", "by", "that", "which"}


def _stem(w: str) -> str:
    w = w.lower().strip("'-")
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            w = w[: -len(suf)]
            break
    return _ALIKE.get(w, w)


def _is_number(tok: str) -> bool:
    return tok[:1].isdigit() or (tok[:1] in "$€£¥" and len(tok) > 1)


def _value(tok: str) -> float | None:
    digits = tok.lstrip("$€£¥").rstrip("%").replace(",", "")
    try:
        return float(digits)
    except ValueError:
        return None


def words_near(text: str, start: int, end: int, window: int = WINDOW, stop_at_phrases: bool = True) -> list[str]:
    """Content words within `window` words either side of text[start:end], in the same clause and phrase."""
    left = text[:start]
    cut = [m.end() for m in _CLAUSE.finditer(left)]
    left = left[cut[-1]:] if cut else left
    right = text[end:]
    m = _CLAUSE.search(right)
    right = right[:m.start()] if m else right
    stops = (_JOINS | _NEXT_PHRASE) if stop_at_phrases else set()
    before = _content(_until_number(_TOKEN.findall(left)[::-1], stops))[:window][::-1]
    after = _content(_until_number(_TOKEN.findall(right), stops))[:window]
    return before + after


def _content(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t.lower() not in _NEUTRAL]


def _until_number(tokens: list[str], stops: set[str]) -> list[str]:
    """``tokens`` up to a number or a phrase stop; the left side comes reversed, where 'to', 'up' is 'up to', which
    frames the number and starts no phrase ('Save up to $250,000')."""
    out = []
    for i, t in enumerate(tokens):
        if t.lower() == "to" and tokens[i + 1:i + 2] and tokens[i + 1].lower() == "up":
            continue
        if _is_number(t) or t.lower() in stops:
            break
        out.append(t)
    return out


def _fact_phrases(value: float, texts: list[str], tolerance: float) -> list[list[str]]:
    """For each text that holds `value`, the content words of the clause around it (a fact is short: all of
    its words describe the number)."""
    out = []
    for t in texts:
        for m in _TOKEN.finditer(t):
            v = _value(m.group()) if _is_number(m.group()) else None
            if v is not None and abs(v - value) <= tolerance:
                out.append(words_near(t, m.start(), m.end(), window=99, stop_at_phrases=False))
    return out


def misstated(text: str, start: int, end: int, value: float, fact_texts: list[str],
              tolerance: float = 1e-9, subject: list[str] = ()) -> str | None:
    """A message when the words around the number at text[start:end] do not state the fact it comes from;
    None when they do, when the ad puts no content words next to it, or when no fact text carries the value.
    `subject`: product and brand names. Their words, and the words of facts and approved claims that hold no
    number ("award-winning"), describe the product, not one number, so they always match. Words of another
    numeric fact never do: "$250,000 minimum deposit" stays wrong when another fact says "$0 minimum deposit"."""
    ad = words_near(text, start, end)
    if not ad:
        return None
    phrases = [p for p in _fact_phrases(value, fact_texts, tolerance) if p]
    if not phrases:
        return None
    ad_stems = [_stem(w) for w in ad]
    best, best_ratio = phrases[0], -1.0
    plain = [t for t in fact_texts if not any(_is_number(w) for w in _TOKEN.findall(t))]
    named = {_stem(w) for s in [*subject, *plain] for w in _TOKEN.findall(s)}
    for p in phrases:
        stems = {_stem(w) for w in p} | named
        ratio = sum(1 for w in ad_stems if w in stems) / len(ad_stems)
        if ratio > best_ratio:
            best, best_ratio = p, ratio
    if best_ratio >= THRESHOLD:
        return None
    return (f"'{text[start:end].strip()}' is stated as '{' '.join(ad).lower()}' but the fact says "
            f"'{' '.join(best).lower()}'")
