"""Measured parts of the critic's score: relevance, brand-voice fit, readability and diversity.

All are 0-100. The LLM's judgement and the exact violation penalties are combined with them in
`combine_score`. Embeddings come from the packaged all-MiniLM-L6-v2 (knowledge.embeddings).
"""
from __future__ import annotations

import re
from itertools import combinations

import numpy as np

from brandloop.agents.selection import words
from brandloop.knowledge.violations import hard_count, is_lint

WEIGHTS = {"judgement": 0.35, "relevance": 0.2, "voice": 0.15, "readability": 0.15, "uniqueness": 0.15}
HARD_PENALTY = 8.0
SOFT_PENALTY = 3.0
MAX_PENALTY = 30.0
UNPARSED_JUDGEMENT = 50.0

_WORD = re.compile(r"[A-Za-z0-9']+")
_VOWELS = re.compile(r"[aeiouy]+")


def _embed(texts: list[str]) -> np.ndarray:
    from brandloop.knowledge.embeddings import embed

    return np.asarray(embed(texts), dtype=np.float32)


def _cos_to_score(c: float, lo: float = 0.1, hi: float = 0.7) -> float:
    """Map a cosine similarity to 0-100: `lo` or less is 0, `hi` or more is 100."""
    return round(float(np.clip((c - lo) / (hi - lo), 0.0, 1.0)) * 100, 1)


def _syllables(word: str) -> int:
    w = word.lower()
    n = len(_VOWELS.findall(w)) - (1 if w.endswith("e") and len(w) > 2 else 0)
    return max(1, n)


def readability(text: str) -> float:
    """Flesch reading ease, clipped to 0-100 (higher reads easier). Ad lines count as sentences."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len([s for s in re.split(r"[.!?\n]+", text) if s.strip()]))
    syll = sum(_syllables(w) for w in words)
    score = 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syll / len(words))
    return round(float(np.clip(score, 0, 100)), 1)


def distinct_2(texts: list[str]) -> float:
    """Share of unique word bigrams across the set (1.0 = no bigram repeats)."""
    grams = []
    for t in texts:
        w = [x.lower() for x in _WORD.findall(t)]
        grams += list(zip(w, w[1:]))
    return round(len(set(grams)) / len(grams), 3) if grams else 0.0


def _bigrams(text: str) -> set[tuple[str, str]]:
    """Word pairs within each line of ``text`` (case ignored); character pairs in a line of one word (scripts
    written without spaces)."""
    out = set()
    for line in text.splitlines():
        w = words(line)
        if len(w) < 2:
            w = [ch for ch in line.casefold() if not ch.isspace()]
        out.update(zip(w, w[1:]))
    return out


def uniqueness(texts: list[str], by_design: list[str] = ()) -> list[float]:
    """Per variant, 0-100: the share of its word pairs no other variant of the set uses. Variants of one product
    share its facts and topic, so their embeddings sit close (cosine 0.75-0.87 for copy worded quite differently);
    what reads as a repeat to a marketer is the same wording, and that is what this counts. Word pairs of
    ``by_design`` (the brand's and product's names, the rulebook's required texts), which every variant is asked
    to carry, are not counted either way."""
    common = set().union(*(_bigrams(t) for t in by_design)) if by_design else set()
    grams = [_bigrams(t) - common for t in texts]
    out = []
    for i, g in enumerate(grams):
        others = set().union(*(h for j, h in enumerate(grams) if j != i))
        out.append(round(100.0 * len(g - others) / len(g), 1) if g else (100.0 if not others else 0.0))
    return out


def voice_text(brief, knowledge=None) -> str:
    """What voice fit is measured against: the brief's tone and the rulebook's voice words."""
    return " ".join([brief.tone, *(getattr(knowledge, "voice", None) or [])]) or brief.brand


def measure_set(texts: list[str], brief_text: str, voice_text: str, by_design: list[str] = ()) -> dict:
    """Per-variant relevance, voice fit, readability and uniqueness (wording no sibling uses, apart from the texts
    every variant carries ``by_design``), plus set diversity."""
    vecs = _embed([brief_text, voice_text, *texts])
    brief_v, voice_v, vs = vecs[0], vecs[1], vecs[2:]
    sims = vs @ vs.T if len(texts) else np.zeros((0, 0))
    per = []
    unique = uniqueness(texts, by_design)
    for i, t in enumerate(texts):
        others = [float(sims[i, j]) for j in range(len(texts)) if j != i]
        max_other = max(others) if others else 0.0
        per.append({"relevance": _cos_to_score(float(vs[i] @ brief_v)),
                    "voice": _cos_to_score(float(vs[i] @ voice_v), lo=0.0, hi=0.5),
                    "readability": readability(t),
                    "uniqueness": unique[i],
                    "max_cosine_to_others": round(max_other, 3)})
    pairs = [float(sims[i, j]) for i, j in combinations(range(len(texts)), 2)]
    return {"per_variant": per, "distinct_2": distinct_2(texts),
            "max_pairwise_cosine": round(max(pairs), 3) if pairs else 0.0}


def combine_score(judgement10: float | None, metrics: dict | None, violations: list[dict]) -> float:
    """0-100: weighted judgement and measurements, minus exact penalties per violation (capped, so a draft with many
    problems still scores above zero and progress between loops stays visible)."""
    parts = {"judgement": UNPARSED_JUDGEMENT if judgement10 is None else judgement10 * 10.0}
    parts.update({k: (metrics or {}).get(k, parts["judgement"]) for k in WEIGHTS if k != "judgement"})
    base = sum(WEIGHTS[k] * parts[k] for k in WEIGHTS)
    hard = hard_count(violations)
    soft = len(violations) - hard
    penalty = min(MAX_PENALTY, HARD_PENALTY * hard + SOFT_PENALTY * soft)
    return round(max(0.0, min(100.0, base - penalty)), 1)


def delivery_status(violations: list[dict], score: float | None, threshold: float) -> str:
    """approved: no hard violation, no lint hit, and the delivered text scores at least the threshold;
    below_threshold: clean but under it, or with a line lint flags; failed: a hard violation remains."""
    if hard_count(violations):
        return "failed"
    if any(is_lint(x) for x in violations):
        return "below_threshold"
    return "approved" if score is not None and score >= threshold else "below_threshold"
