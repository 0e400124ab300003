"""Compiled rule types. Vale's extension points follow Vale's documented semantics; brand types
(required, claim, length) are brandloop's own.

Every compiled rule exposes:
  keys   -- lowercase words one of which must occur in a text for the rule to fire (None: always run)
  level  -- "text" (checked item by item) or "variant" (needs every field of the variant at once)
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field as dfield
from typing import Any

import regex

from brandloop.knowledge.text import char_length

from .claims import ClaimExtractor, numbers_in, phrase_backed
from .factcontext import misstated
from .model import Rule
from .textstats import GRADE_METRICS, FormulaError, evaluate, grade, parse_formula, stats

WORD = regex.compile(r"\w+")
_SENT = regex.compile(r"[^.!?\n]+(?:[.!?]+|$)|\n")
_LITERAL = regex.compile(r"^[\w\s'’&-]+$")


class RuleCompileError(ValueError):
    def __init__(self, field: str, message: str, fix: str = ""):
        self.field, self.message, self.fix = field, message, fix
        super().__init__(f"{field}: {message}")


@dataclass
class Hit:
    start: int
    end: int
    message: str
    suggestion: str | None = None


@dataclass
class Ctx:
    """What a check knows beyond the text: facts and approved claims for the product."""

    fact_values: list[tuple[float, str | None]] = dfield(default_factory=list)  # (value, percent|price|other|None)
    backing_texts: list[str] = dfield(default_factory=list)  # fact statements, approved claims, extra facts
    masks: list[str] = dfield(default_factory=list)  # product/brand names whose digits are not claims


PATTERN_TIMEOUT_S = 0.25  # one search of one rule pattern; catastrophic backtracking stops here
TIMEOUT_MESSAGE = "rule pattern took longer than {:g} s on this text, so the text is not verified".format(
    PATTERN_TIMEOUT_S)


class TimedPattern:
    """A compiled rule pattern whose searches raise TimeoutError after PATTERN_TIMEOUT_S."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: regex.Pattern):
        self.compiled = compiled

    @property
    def pattern(self) -> str:
        return self.compiled.pattern

    def finditer(self, text, *a, **kw):
        return self.compiled.finditer(text, *a, timeout=PATTERN_TIMEOUT_S, **kw)

    def search(self, text, *a, **kw):
        return self.compiled.search(text, *a, timeout=PATTERN_TIMEOUT_S, **kw)

    def match(self, text, *a, **kw):
        return self.compiled.match(text, *a, timeout=PATTERN_TIMEOUT_S, **kw)

    def fullmatch(self, text, *a, **kw):
        return self.compiled.fullmatch(text, *a, timeout=PATTERN_TIMEOUT_S, **kw)

    def findall(self, text, *a, **kw):
        return self.compiled.findall(text, *a, timeout=PATTERN_TIMEOUT_S, **kw)

    def sub(self, repl, text, *a, **kw):
        return self.compiled.sub(repl, text, *a, timeout=PATTERN_TIMEOUT_S, **kw)

    def split(self, text, *a, **kw):
        return self.compiled.split(text, *a, timeout=PATTERN_TIMEOUT_S, **kw)

    def __getattr__(self, name):
        return getattr(self.compiled, name)


def rx(pattern: str, ignorecase: bool = False, field: str = "pattern") -> TimedPattern:
    try:
        return TimedPattern(regex.compile(pattern, (regex.I if ignorecase else 0) | regex.M | regex.V0))
    except (regex.error, TypeError, ValueError) as exc:
        raise RuleCompileError(field, f"bad regular expression {pattern!r}: {exc}",
                               "fix the pattern (Python/Go regex syntax); escape literal ( ) [ ] . * + ?") from None


def fmt(msg: str, *subs: str) -> str:
    for s in subs:
        if "%s" not in msg:
            break
        msg = msg.replace("%s", s, 1)
    return msg.replace("%s", subs[-1] if subs else "")


def _strs(v: Any, field: str, *, required: bool = False) -> list[str]:
    if v is None:
        if required:
            raise RuleCompileError(field, "missing field", f"add '{field}:' with a list of strings")
        return []
    if isinstance(v, (str, int, float)):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, (str, int, float)) for x in v):
        raise RuleCompileError(field, "must be a list of strings", f"write '{field}:' as a YAML list")
    out = [str(x) for x in v]
    if required and not any(s.strip() for s in out):
        raise RuleCompileError(field, "is empty", f"give at least one entry under '{field}:'")
    return out


def _noncapture(p: str) -> str:
    """Turn capturing groups into non-capturing ones (we number our own groups)."""
    return regex.sub(r"(?<!\\)\((?![?*])", "(?:", p)


def _exceptions(exc: list[str], ignorecase: bool) -> tuple[regex.Pattern | None, list[regex.Pattern]]:
    if not exc:
        return None, []
    ordered = sorted(exc, key=len, reverse=True)
    ex_re = rx(r"\b(?:" + "|".join(ordered) + r")\b", False, "exceptions")
    phrases = [rx(r"\b(?:" + e + r")\b", ignorecase, "exceptions") for e in exc if " " in e]
    return ex_re, phrases


def _excepted(ex_re, phrases, observed: str, text: str, span: tuple[int, int]) -> bool:
    if ex_re is not None and ex_re.search(observed):
        return True
    for p in phrases:
        for m in p.finditer(text):
            if m.start() <= span[0] and span[1] <= m.end():
                return True
    return False


def _first_words(tokens: list[str], nonword: bool) -> set[str] | None:
    keys: set[str] = set()
    for t in tokens:
        if nonword or not _LITERAL.match(t):
            return None
        w = WORD.findall(t.lower())
        if not w:
            return None
        keys.add(w[0])
    return keys


class Compiled:
    level = "text"
    keys: set[str] | None = None

    def __init__(self, rule: Rule):
        self.rule = rule

    def blocks(self, text: str):
        if self.rule.scope.blocks == "sentence":
            for m in _SENT.finditer(text):
                if m.group(0).strip():
                    yield m.start(), m.group(0)
        else:
            yield 0, text

    def on_text(self, text: str, ctx: Ctx) -> list[Hit]:
        out = []
        for off, blk in self.blocks(text):
            for h in self.on_block(blk, ctx):
                h.start += off
                h.end += off
                out.append(h)
        return out

    def on_block(self, text: str, ctx: Ctx) -> list[Hit]:  # pragma: no cover
        return []


class Existence(Compiled):
    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        tokens = [t for t in _strs(p.get("tokens"), "tokens") if t.strip()]
        raw = "".join(_strs(p.get("raw"), "raw"))
        if not tokens and not raw:
            raise RuleCompileError("tokens", "missing field", "add 'tokens:' (a list of words or patterns) or 'raw:'")
        ic = bool(p.get("ignorecase", False))
        nonword = bool(p.get("nonword", False))
        body = "|".join(tokens)
        tmpl = (r"\b(?:%s)\b" if (not nonword and tokens) else r"(?:%s)") % body
        pattern = tmpl + raw if p.get("append") else raw + tmpl
        self.pattern = rx(pattern, ic, "tokens")
        self.ex_re, self.phrases = _exceptions(_strs(p.get("exceptions"), "exceptions"), ic)
        self.keys = None if raw else _first_words(tokens, nonword)

    def on_block(self, text, ctx):
        hits = []
        for m in self.pattern.finditer(text):
            if m.end() == m.start():
                continue
            observed = m.group(0).strip()
            if self.ex_re is not None and self.ex_re.search(observed):  # Vale 3: the match itself, not its context
                continue
            hits.append(Hit(m.start(), m.end(), fmt(self.rule.message, m.group(0))))
        return hits


def _is_phrase(s: str) -> bool:
    return any(c.isspace() for c in s)


class Substitution(Compiled):
    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        swap = p.get("swap")
        if not isinstance(swap, dict) or not swap:
            raise RuleCompileError("swap", "missing field", "add 'swap:' mapping each pattern to its replacement")
        self.ic = bool(p.get("ignorecase", False))
        nonword = bool(p.get("nonword", False))
        self.repl: list[str] = []
        parts = []
        for k, v in sorted(swap.items(), key=lambda kv: len(str(kv[0])), reverse=True):  # longest first, as Vale
            k = str(k)
            rx(k, self.ic, f"swap.{k}")  # validate each key on its own for a precise message
            parts.append("(" + _noncapture(k) + ")")
            self.repl.append("" if v is None else str(v))
        body = "|".join(parts)
        self.pattern = rx((r"\b(?:%s)\b" if not nonword else r"(?:%s)") % body, self.ic, "swap")
        self.ex_re, self.phrases = _exceptions(_strs(p.get("exceptions"), "exceptions"), self.ic)
        self.keys = _first_words([str(k) for k in swap], nonword)
        self._same_cache: dict[tuple[str, str], bool] = {}

    def _same(self, expected: str, observed: str) -> bool:
        """Whether the text already is the replacement. Case-sensitive even under `ignorecase` (as Vale 3), so
        'gb: GB' fires on 'gb'."""
        key = (expected, observed)
        if key not in self._same_cache:
            if _is_phrase(expected):
                same = expected == observed
            else:
                try:
                    same = regex.fullmatch("(?:" + expected + ")", observed, timeout=PATTERN_TIMEOUT_S) is not None
                except regex.error:
                    same = expected == observed
            self._same_cache[key] = same
        return self._same_cache[key]

    def on_block(self, text, ctx):
        hits = []
        for m in self.pattern.finditer(text):
            for gi in range(1, len(self.repl) + 1):
                if m.start(gi) == -1:
                    continue
                expected = self.repl[gi - 1]
                observed = m.group(gi).strip()
                if self._same(expected, observed) or (self.ex_re is not None and self.ex_re.search(observed)):
                    break
                options = [o.strip() for o in expected.split("|") if o.strip()]
                shown = " or ".join(f"'{o}'" for o in options) if len(options) > 1 else expected
                msg = self.rule.message
                if len(options) > 1:
                    for spec in ("'%s'", '"%s"'):
                        if msg.count(spec) == 2:
                            msg = msg.replace(spec, "%s", 1)
                hits.append(Hit(m.start(gi), m.end(gi), fmt(msg, shown, observed),
                                _match_case(options[0], observed) if options else None))
                break
        return hits


def _match_case(replacement: str, observed: str) -> str:
    """Keep a capital first letter when the replacement is all lowercase (e.g. 'Utilize' -> 'Use')."""
    if replacement and replacement == replacement.lower() and observed[:1].isupper():
        return replacement[0].upper() + replacement[1:]
    return replacement


class Occurrence(Compiled):
    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        token = p.get("token")
        if token is None or str(token) == "":
            raise RuleCompileError("token", "missing field", "add 'token:' (the pattern to count)")
        self.max = int(p.get("max") or 0)
        self.min = int(p.get("min") or 0)
        if not self.max and not self.min:
            raise RuleCompileError("max", "missing field", "add 'max:' and/or 'min:'")
        self.pattern = rx("(?:" + str(token) + ")", bool(p.get("ignorecase", False)), "token")

    def on_block(self, text, ctx):
        locs = [m.span() for m in self.pattern.finditer(text)]
        n = len(locs)
        if (self.max > 0 and n > self.max) or (self.min > 0 and n < self.min):
            s, e = locs[0] if locs else (0, 0)
            return [Hit(s, e, self.rule.message)]
        return []


class Repetition(Compiled):
    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        tokens = _strs(p.get("tokens"), "tokens", required=True)
        self.ic = bool(p.get("ignorecase", False))
        self.alpha = bool(p.get("alpha", False))
        self.max = int(p.get("max") or 0)
        self.pattern = rx("(" + "|".join(tokens) + ")", self.ic, "tokens")
        self.ex_re, self.phrases = _exceptions(_strs(p.get("exceptions"), "exceptions"), self.ic)

    def on_block(self, text, ctx):
        hits, prev, ploc, count = [], "", None, 0
        for m in self.pattern.finditer(text):
            curr = m.group(0).strip()
            hit = curr != "" and (curr.casefold() == prev.casefold() if self.ic else curr == prev)
            hit = hit and (not self.alpha or all(c.isalpha() for c in curr))
            if hit:
                count += 1
            if hit and count > self.max:
                span = (ploc[0], m.end())
                seg = text[span[0]:span[1]]
                single_sentence = not regex.search(r"[.!?]\s+\S", seg)
                if single_sentence and not _excepted(self.ex_re, self.phrases, seg, text, span):
                    hits.append(Hit(span[0], span[1], fmt(self.rule.message, curr)))
                    count = 0
            ploc, prev = m.span(), curr
        return hits


_SMALL_AP = {"a", "an", "and", "at", "but", "by", "for", "in", "nor", "of", "on", "or", "so", "the", "to",
             "up", "yet", "as", "off", "per", "via", "vs"}
_SMALL_CHICAGO = _SMALL_AP | {"about", "above", "across", "after", "against", "along", "among", "around",
                              "before", "behind", "below", "beneath", "beside", "between", "beyond", "down",
                              "during", "except", "from", "inside", "into", "like", "near", "onto", "out",
                              "outside", "over", "past", "since", "through", "throughout", "till", "toward",
                              "under", "underneath", "until", "upon", "with", "within", "without"}
_CAP_WORD = r"[\p{N}\p{L}*]+[^\s]*"


def title_case(s: str, style: str = "AP") -> str:
    small = _SMALL_CHICAGO if style == "Chicago" else _SMALL_AP
    words = list(regex.finditer(r"\S+", s))
    out, last = [], 0
    for i, m in enumerate(words):
        w = m.group(0)
        core = w.strip("\"'“”‘’()[]:;,.!?").lower()
        out.append(s[last:m.start()])
        if 0 < i < len(words) - 1 and core in small and not words[i - 1].group(0).endswith(":"):
            out.append(w.lower())
        elif w[:1].isalpha() and (w == w.lower() or w[1:] == w[1:].lower()):
            out.append(w[0].upper() + w[1:])
        else:
            out.append(w)
        last = m.end()
    out.append(s[last:])
    return "".join(out)


_NUMBER_LIST = regex.compile(r"\d+\.")


def sentence_case(s: str, indicators: tuple[str, ...] = (":",), vocab: dict[str, str] | None = None) -> str:
    """Vale 3's sentence case: the first word and every word after an indicator (a word ending in one of
    `indicators`, or a leading list number such as '1.') capitalized, exceptions as listed, the rest lowercase."""
    words = list(regex.finditer(_CAP_WORD, s))
    expected = _sentence_tokens([m.group(0) for m in words], indicators, vocab or {})
    out, last = [], 0
    for m, e in zip(words, expected):
        out += [s[last:m.start()], e]
        last = m.end()
    return "".join(out) + s[last:]


def _sentence_tokens(tokens: list[str], indicators, vocab: dict[str, str]) -> list[str]:
    out = []
    for i, t in enumerate(tokens):
        low = t.lower()
        prev = tokens[i - 1] if i else ""
        if low in vocab:
            out.append(vocab[low])
        elif i == 0 or any(prev.endswith(x) for x in indicators) or (i == 1 and _NUMBER_LIST.search(prev)):
            out.append(low[:1].upper() + low[1:])
        else:
            out.append(low)
    return out


class Capitalization(Compiled):
    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        self.match = p.get("match")
        if not self.match:
            raise RuleCompileError("match", "missing field", "add 'match:' ($title, $sentence, $lower, $upper or a pattern)")
        self.style = p.get("style", "AP")
        self.threshold = float(p.get("threshold") or 0.8)
        self.indicators = tuple(_strs(p.get("indicators"), "indicators"))
        exc = _strs(p.get("exceptions"), "exceptions")
        self.vocab = {e.lower(): e for e in exc}
        self.ex_re = rx(r"\b(?:" + "|".join(sorted(exc, key=len, reverse=True)) + r")\b", False, "exceptions") if exc else None
        self.words = rx((self.ex_re.pattern + "|" if self.ex_re else "") + _CAP_WORD, False, "exceptions")
        if self.match not in ("$title", "$sentence", "$lower", "$upper"):
            self.pattern = rx(str(self.match), False, "match")

    def _isx(self, s):
        return bool(self.ex_re and self.ex_re.search(s))

    def _title(self, s):
        expected = self.words.findall(title_case(s, self.style))
        words = self.words.findall(s)
        if not words:
            return True
        count = 0
        for i, w in enumerate(words):
            if i >= len(expected) or w == expected[i] or self._isx(w) or w == w.upper():
                count += 1
        return count / len(words) >= self.threshold  # Vale: the threshold is a minimum

    def _sentence(self, s):
        """Vale 3: each word must equal its sentence-case form (or be an exception); an all-caps word that is not an
        exception counts as miscased; a wrong first word fails at once; the share of right words must reach the
        threshold."""
        toks = self.words.findall(s)
        if not toks:
            return True
        expected = _sentence_tokens(toks, self.indicators, self.vocab)
        count = 0
        for i, w in enumerate(toks):
            if w == expected[i] or self._isx(w):
                count += 1
            elif i == 0 and w != w.lower().title():
                return False
        return count / len(toks) >= self.threshold

    def on_block(self, text, ctx):
        m = self.match
        if not text.strip():
            return []
        if m == "$title":
            ok, sug = self._title(text), title_case(text, self.style)
        elif m == "$sentence":
            ok, sug = self._sentence(text), sentence_case(text, self.indicators, self.vocab)
        elif m == "$lower":
            ok, sug = text == text.lower() or self._isx(text), text.lower()
        elif m == "$upper":
            ok, sug = text == text.upper() or self._isx(text), text.upper()
        else:
            ok, sug = bool(self.pattern.search(text)) or self._isx(text), None
        if ok:
            return []
        if sug is not None and self.ex_re is not None and len(sug) == len(text):
            for em in self.ex_re.finditer(text):  # keep excepted words (trademarks, acronyms) as written
                sug = sug[:em.start()] + em.group(0) + sug[em.end():]
        return [Hit(0, len(text), fmt(self.rule.message, text), sug)]


def _has_capture(p: str) -> bool:
    return p.count("(") > p.count("(?") + p.count(r"\(")


class Conditional(Compiled):
    level = "variant"

    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        for k in ("first", "second"):
            if not p.get(k):
                raise RuleCompileError(k, "missing field", f"add '{k}:' (a pattern)")
        self.first = rx(str(p["first"]), False, "first")
        self.second = rx(str(p["second"]), False, "second")
        self.second_group = _has_capture(str(p["second"]))
        self.ex_re, self.phrases = _exceptions(_strs(p.get("exceptions"), "exceptions"), False)

    def on_variant(self, items, ctx):
        texts = [t for _, _, t in items]
        out = []
        if not self.second_group:
            if any(self.second.search(t) for t in texts):
                return []
            defined: set[str] | None = None
        else:
            defined = set()
            for t in texts:
                for m in self.second.finditer(t):
                    defined.update(g for g in m.groups() if g)
        for n, (_, _, t) in enumerate(items):
            for m in self.first.finditer(t):
                s = m.group(0)
                if defined is not None and s in defined:
                    continue
                if _excepted(self.ex_re, self.phrases, s, t, m.span()):
                    continue
                out.append((n, Hit(m.start(), m.end(), fmt(self.rule.message, s))))
        return out


class Consistency(Compiled):
    level = "variant"

    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        either = p.get("either")
        if not isinstance(either, dict) or not either:
            raise RuleCompileError("either", "missing field", "add 'either:' mapping one spelling to the other")
        ic, nonword = bool(p.get("ignorecase", False)), bool(p.get("nonword", False))
        tmpl = r"(?:%s)" if nonword else r"\b(?:%s)\b"
        self.steps = [rx(tmpl % f"({_noncapture(str(a))})|({_noncapture(str(b))})", ic, f"either.{a}")
                      for a, b in either.items()]

    def on_variant(self, items, ctx):
        out = []
        for pat in self.steps:
            seen: set[int] = set()
            for n, (_, _, t) in enumerate(items):
                matches = list(pat.finditer(t))
                last = None
                for m in matches:
                    for g in (1, 2):
                        if m.start(g) != -1:
                            seen.add(g)
                            last = (m.start(g), m.end(g))
                if matches and seen == {1, 2}:
                    out.append((n, Hit(last[0], last[1], fmt(self.rule.message, t[last[0]:last[1]]))))
        return out


def _norm_ws(s: str) -> str:
    return " ".join(s.lower().split()).rstrip(".!")


class Required(Compiled):
    """A phrase (e.g. a disclaimer) must appear in the variant when `when` matches (always if no `when`)."""

    level = "variant"

    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        self.texts = [t for t in _strs(p.get("text"), "text", required=True) if t.strip()]
        self.ic = bool(p.get("ignorecase", True))
        whens = _strs(p.get("when"), "when")
        self.when = [rx(w, self.ic, "when") for w in whens]
        self.in_fields = _strs(p.get("in_fields"), "in_fields")
        pats = _strs(p.get("pattern"), "pattern")
        self.accept = [rx(x, self.ic, "pattern") for x in pats] + [
            rx(r"(?<!\w)" + regex.escape(t.strip().rstrip(".!")).replace(r"\ ", r"\s+") + r"(?!\w)", self.ic, "text")
            for t in self.texts]

    def present(self, text: str) -> bool:
        return any(a.search(text) for a in self.accept)

    def on_variant(self, items, ctx):
        pool = [t for f, _, t in items if not self.in_fields or f in self.in_fields]
        if any(self.present(t) for t in pool):
            return []
        msg = fmt(self.rule.message or "Add the required text: '%s'", self.texts[0])
        if not self.when:
            for n, (f, _, t) in enumerate(items):
                if self.rule.scope.field_ok(f) and (not self.in_fields or f in self.in_fields):
                    return [(n, Hit(len(t), len(t), msg, self.texts[0]))]
            return [(0, Hit(len(items[0][2]), len(items[0][2]), msg, self.texts[0]))] if items else []
        for n, (f, _, t) in enumerate(items):
            if not self.rule.scope.field_ok(f):
                continue
            found = [m for m in (w.search(t) for w in self.when) if m]
            if found:
                m = min(found, key=lambda x: (x.start(), -x.end()))
                return [(n, Hit(m.start(), m.end(), msg, self.texts[0]))]
        return []


class Claim(Compiled):
    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        self.ex = ClaimExtractor(_strs(p.get("kinds"), "kinds") or None,
                                 _strs(p.get("superlatives"), "superlatives"),
                                 _strs(p.get("comparatives"), "comparatives"))
        bad = set(self.ex.kinds) - {"number", "percent", "price", "superlative", "comparative"}
        if bad:
            raise RuleCompileError("kinds", f"unknown kind(s) {sorted(bad)}",
                                   "use number, percent, price, superlative, comparative")
        self.ignore = [rx(x, True, "ignore") for x in _strs(p.get("ignore"), "ignore")]
        self.tolerance = float(p.get("tolerance", 1e-9))
        self.context = p.get("context", True) is not False  # numbers must be stated as their fact says

    def _mask(self, text: str, ctx: Ctx) -> str:
        for pat in self.ignore + _masks_pattern(tuple(ctx.masks)):
            text = pat.sub(lambda m: " " * len(m.group(0)), text)
        return text

    def on_block(self, text, ctx):
        hits = []
        masked = self._mask(text, ctx)
        for c in self.ex.extract(masked):
            if c.value is not None:
                ok = any(abs(v - c.value) <= self.tolerance and _unit_ok(c.kind, kind) for v, kind in ctx.fact_values)
                ok = ok or any(abs(v - c.value) <= self.tolerance and (c.kind != "percent" or pct)
                               for t in ctx.backing_texts for v, pct in numbers_in(t))
                bent = misstated(masked, c.start, c.end, c.value, ctx.backing_texts, self.tolerance, ctx.masks) \
                    if ok and self.context else None
                if bent:
                    hits.append(Hit(c.start, c.end, bent))
                    continue
            else:
                ok = phrase_backed(c.text, ctx.backing_texts)
            if not ok:
                msg = fmt(self.rule.message or "Unbacked claim '%s': back it with a product fact", text[c.start:c.end])
                hits.append(Hit(c.start, c.end, msg))
        return hits


@lru_cache(maxsize=64)
def _masks_pattern(masks: tuple[str, ...]) -> list[regex.Pattern]:
    """Product and brand names as one alternation, longest first (compiled once per set of names)."""
    names = sorted({m for m in masks if m}, key=len, reverse=True)
    return [regex.compile("|".join(regex.escape(m) for m in names), regex.I)] if names else []


def _unit_ok(claim_kind: str, fact_kind: str | None) -> bool:
    if fact_kind is None or claim_kind == "number":
        return True
    return claim_kind == fact_kind


class Length(Compiled):
    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        fields = _strs(p.get("fields") or p.get("field"), "field")
        if not fields:
            raise RuleCompileError("field", "missing field", "add 'field:' (the ad field the limit applies to)")
        p["fields"] = fields
        self.fields = fields
        self.max = p.get("max_chars")
        self.min = p.get("min_chars")
        if self.max is None and self.min is None:
            raise RuleCompileError("max_chars", "missing field", "add 'max_chars:' (an integer)")
        for k in ("max_chars", "min_chars"):
            if p.get(k) is not None and (not isinstance(p[k], int) or p[k] < 0):
                raise RuleCompileError(k, "must be a non-negative integer", f"write '{k}: 30'")
        self.wide = bool(p.get("wide_counts_double", False))

    def on_text(self, text, ctx):  # the field filter is applied by the engine
        n = char_length(text, wide_counts_double=self.wide)
        if self.max is not None and n > self.max:
            from brandloop.knowledge.text import trim_to_limit
            return [Hit(len(trim_to_limit(text, self.max, wide_counts_double=self.wide)), len(text),
                        fmt(self.rule.message or f"%s characters; the limit is {self.max}", str(n)),
                        trim_to_limit(text, self.max, wide_counts_double=self.wide))]
        if self.min is not None and n < self.min:
            return [Hit(0, len(text), fmt(self.rule.message or f"%s characters; the minimum is {self.min}", str(n)))]
        return []


class Metric(Compiled):
    """Vale's `metric`: a formula over the ad's counts (words, sentences, syllables, ...) and a condition such as
    '> 10'; one alert, on the first item, with the formula's value for %s."""

    level = "variant"

    def __init__(self, rule: Rule):
        super().__init__(rule)
        p = rule.params
        formula, cond = p.get("formula"), p.get("condition")
        if not formula or not cond:
            raise RuleCompileError("formula" if not formula else "condition", "missing field",
                                   "add 'formula:' (e.g. words / sentences) and 'condition:' (e.g. '> 20')")
        formula = regex.sub(r"heading\.(h[1-6])", r"heading_\1", str(formula))
        try:
            self.formula = parse_formula(formula)
            self.condition = parse_formula("__value__ " + str(cond))
            evaluate(self.formula, {**stats("One two. Three."), "__value__": 0.0})
        except FormulaError as exc:
            raise RuleCompileError("formula", str(exc), "use +, -, *, /, parentheses, math.sqrt(...) and Vale's "
                                   "variables (words, sentences, syllables, characters, ...)") from None

    def _value(self, text: str) -> float | None:
        s = stats(text)
        if not s["words"]:
            return None
        return float(evaluate(self.formula, s))

    def on_variant(self, items, ctx):
        text = "\n".join(t for f, _, t in items if self.rule.scope.field_ok(f))
        value = self._value(text)
        if value is None or not evaluate(self.condition, {"__value__": value}):
            return []
        return [(0, Hit(0, 0, fmt(self.rule.message, f"{value:.2f}")))]


class Readability(Metric):
    """Vale's `readability`: the mean of the chosen grade formulas must not exceed `grade`."""

    def __init__(self, rule: Rule):
        Compiled.__init__(self, rule)
        p = rule.params
        self.metrics = _strs(p.get("metrics"), "metrics", required=True)
        bad = [m for m in self.metrics if m not in GRADE_METRICS]
        if bad:
            raise RuleCompileError("metrics", f"unknown metric(s) {bad}", "use: " + ", ".join(GRADE_METRICS))
        if p.get("grade") is None:
            raise RuleCompileError("grade", "missing field", "add 'grade:' (the highest acceptable grade level)")
        self.grade = float(p["grade"])
        self.condition = parse_formula(f"__value__ > {self.grade}")

    def _value(self, text: str) -> float | None:
        s = stats(text)
        if not s["words"]:
            return None
        return sum(grade(m, s) for m in self.metrics) / len(self.metrics)


TYPES: dict[str, type[Compiled]] = {
    "existence": Existence, "substitution": Substitution, "occurrence": Occurrence,
    "repetition": Repetition, "capitalization": Capitalization, "conditional": Conditional,
    "consistency": Consistency, "required": Required, "claim": Claim, "length": Length,
    "metric": Metric, "readability": Readability,
}


def compile_rule(rule: Rule) -> Compiled:
    cls = TYPES.get(rule.type)
    if cls is None:
        raise RuleCompileError("type", f"unsupported rule type {rule.type!r}",
                               "use one of: " + ", ".join(TYPES))
    return cls(rule)


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)
