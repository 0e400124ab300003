"""Is a line's last word whole? A constrained line that reaches its character cap can stop inside a word
('High Calor', 'with Northw.', 'Pacific Co'). English words come from the GCIDE dictionary (package
`english-words`) with inflections by rule, and from the packaged embedding model's vocabulary (newer words: 'app',
'email'); the brand's and the brief's own words are words too."""
from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache
from typing import Iterable

import regex

from brandloop.knowledge.text import char_length

_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’-]*")
# suffix -> what replaces it on the stem ('calories' -> 'calorie', 'savings' -> 'saving' -> 'save')
_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"), ("ing", ""),
                ("ing", "e"), ("er", ""), ("er", "e"), ("est", ""), ("ly", ""), ("y", ""), ("y", "e"), ("'s", ""),
                ("’s", ""))
NEAR_CAP = 6  # a line that stops this many characters or fewer short of its cap may have been cut there


@lru_cache(maxsize=1)
def english() -> tuple[frozenset[str], tuple[str, ...]]:
    """The word set and the same words sorted (for prefix lookups)."""
    from english_words import get_english_words_set

    from brandloop.knowledge.embeddings import model_dir

    words = set(get_english_words_set(["gcide"], lower=True, alpha=True))
    vocab = model_dir() / "vocab.txt"
    if vocab.is_file():  # WordPiece: whole words, not '##' pieces or '[CLS]'-style markers
        words.update(w for w in vocab.read_text("utf-8").split() if len(w) > 1 and w.isalpha() and w.isascii())
    words = frozenset(words)
    return words, tuple(sorted(words))


def _stems(w: str) -> Iterable[str]:
    yield w
    for suffix, repl in _INFLECTIONS:
        if w.endswith(suffix) and len(w) > len(suffix) + 1:
            stem = w[: -len(suffix)]
            yield stem + repl
            if len(stem) > 2 and stem[-1] == stem[-2]:  # 'running' -> 'runn' -> 'run'
                yield stem[:-1]


def is_word(word: str, own: frozenset[str] = frozenset()) -> bool:
    """A known word (case ignored): English, an inflection of one, one of ``own``, a number, or a compound of
    known words ('plant-based')."""
    w = word.casefold().strip("'’-")
    if not w or any(ch.isdigit() for ch in w) or w in own:
        return True
    if "-" in w:
        return all(is_word(part, own) for part in w.split("-") if part)
    known, _ = english()
    return any(s in known or s in own for s in _stems(w))


def _begins_longer(prefix: str, own: frozenset[str]) -> bool:
    """Some known word starts with ``prefix`` and is longer."""
    _, ordered = english()
    i = bisect_left(ordered, prefix)
    if i < len(ordered) and ordered[i].startswith(prefix) and ordered[i] != prefix:
        return True
    if i + 1 < len(ordered) and ordered[i] == prefix and ordered[i + 1].startswith(prefix):
        return True
    return any(o.startswith(prefix) and o != prefix for o in own)


def own_words(texts: Iterable[str]) -> frozenset[str]:
    """The words of the brand's and the brief's texts, case folded."""
    return frozenset(m.group().casefold() for t in texts for m in _WORD.finditer(str(t)))


_COMPANY = {"co", "inc", "ltd", "llc", "corp", "gmbh", "plc"}


def cut_name(found: list, texts: list[str]) -> str | None:
    """The end of a line that is a name's first words, short of its rest ('Open a Northwind Everyday' of
    'Northwind Everyday Savings'): two words or more of a name of two to five capitalised words among ``texts``;
    a company suffix ('Co.') may be left off."""
    tail = [m.group().casefold() for m in found]
    for t in texts:
        name = [w for w in _WORD.findall(t)]
        if not 2 < len(name) <= 5 or not all(w[0].isupper() or w[0].isdigit() for w in name):
            continue
        name = [w.casefold().rstrip(".") for w in name]
        for k in range(len(name) - 1, 1, -1):
            if tail[-k:] == name[:k] and name[k:] and not set(name[k:]) <= _COMPANY:
                return " ".join(m.group() for m in found[-k:])
    return None


def cut_word(text: str, cap: int | None, own_texts: Iterable[str] = ()) -> str | None:
    """The last word of a line that stops within NEAR_CAP characters of its cap and reads as the start of a longer
    word: no word itself ('Calor', 'Northw.'), or the start of the brief's own phrase ('Pacific Co' where the brief
    says 'Pacific Coast'). None where the line ends whole, or ends in '!' or '?' (the writer chose to stop)."""
    line = text.rstrip()
    if not cap or not line or line[-1] in "!?" or char_length(line) < cap - NEAR_CAP:
        return None
    found = list(_WORD.finditer(line))
    if len(found) < 2 or not line[found[-1].end():].strip() in ("", "."):
        return None
    last = found[-1].group().rstrip("'’-")
    w = last.casefold()
    if any(ch.isdigit() for ch in w):
        return None
    texts = [str(t) for t in own_texts]
    own = own_words(texts)
    if not is_word(w, own) and (_begins_longer(w, own) or len(w) <= 2):
        return last
    if name := cut_name(found, texts):
        return name
    prev = f"(?<![\\p{{L}}\\p{{N}}]){regex.escape(found[-2].group())}\\s+{regex.escape(w)}"
    longer, whole = regex.compile(prev + r"\p{L}", regex.I), regex.compile(prev + r"(?![\p{L}\p{N}])", regex.I)
    # 'Pacific Co' where the brief says 'Pacific Coast' (and never 'Pacific Co' itself, though 'Co.' is a word)
    if any(longer.search(t) for t in texts) and not any(whole.search(t) for t in texts):
        return last
    return None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it is sure to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        if min(row) > limit:
            return limit + 1
    return row[-1]


def name_words(texts: Iterable[str]) -> frozenset[str]:
    """The capitalised words of 5 letters or more in names ('Verdant', 'Veggie', 'Chickpea')."""
    return frozenset(w for t in texts for w in _WORD.findall(str(t)) if len(w) >= 5 and w.isalpha() and w[0].isupper())


@lru_cache(maxsize=32)
def name_vocabulary(texts: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(name words, own words) of the brand's and brief's texts: computed once per set of texts, not per line."""
    return name_words(texts), own_words(texts)


def misspelled_name(word: str, names: frozenset[str], own: frozenset[str]) -> str | None:
    """The name ``word`` misspells ('Vegant' for 'Verdant', 'Avegie' for 'Veggie'), or None: a word that is no
    English word nor one of the brief's own, within 1 edit of a name of 5 letters (2 from 6), and no inflection
    of it."""
    w = word.casefold().removesuffix("'s").removesuffix("’s")
    if len(w) < 5 or not w.isalpha() or is_word(w, own):
        return None
    for name in sorted(names):
        n = name.casefold()
        if w.startswith(n) or n.startswith(w):
            continue
        if edit_distance(w, n, 2) <= (1 if min(len(w), len(n)) <= 5 else 2):
            return name
    return None
