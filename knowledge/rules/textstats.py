"""Text statistics for Vale's `metric` and `readability` rule types: counts, the five grade formulas, and a small
safe evaluator for metric formulas (arithmetic, comparisons, `math.*`; nothing else)."""
from __future__ import annotations

import ast
import math
import operator

import regex

_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’-]*")
_SENTENCE_END = regex.compile(r"[.!?]+(?=\s|$)|\n")
_VOWELS = regex.compile(r"[aeiouy]+")
GRADE_METRICS = ("Gunning Fog", "Coleman-Liau", "Flesch-Kincaid", "SMOG", "Automated Readability")


def syllables(word: str) -> int:
    w = word.lower()
    n = len(_VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee")) and n > 1:
        n -= 1
    return max(1, n)


def stats(text: str) -> dict[str, float]:
    """The variables a metric formula may use (Vale's names). Each line of ad copy counts as a sentence."""
    words = _WORD.findall(text)
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    syl = [syllables(w) for w in words]
    paragraphs = [p for p in regex.split(r"\n\s*\n", text) if p.strip()]
    return {
        "words": float(len(words)),
        "sentences": float(max(1, len(sentences))) if words else 0.0,
        "syllables": float(sum(syl)),
        "characters": float(sum(sum(c.isalnum() for c in w) for w in words)),
        "polysyllabic_words": float(sum(n > 2 for n in syl)),
        "complex_words": float(sum((n - (1 if w.lower().endswith(("es", "ed", "ing")) else 0)) > 2
                                   for w, n in zip(words, syl))),
        "long_words": float(sum(len(w) > 6 for w in words)),
        "paragraphs": float(len(paragraphs)),
        "pre": 0.0, "list": 0.0, "blockquote": 0.0,
        **{f"heading_h{i}": 0.0 for i in range(1, 7)},
    }


def grade(name: str, s: dict[str, float]) -> float:
    """One of Vale's five grade-level formulas (the standard published ones)."""
    w, se = s["words"], s["sentences"]
    if name == "Flesch-Kincaid":
        return 0.39 * (w / se) + 11.8 * (s["syllables"] / w) - 15.59
    if name == "Gunning Fog":
        return 0.4 * ((w / se) + 100 * (s["complex_words"] / w))
    if name == "Coleman-Liau":
        return 0.0588 * (s["characters"] / w * 100) - 0.296 * (se / w * 100) - 15.8
    if name == "SMOG":
        return 1.0430 * math.sqrt(s["polysyllabic_words"] * 30 / se) + 3.1291
    if name == "Automated Readability":
        return 4.71 * (s["characters"] / w) + 0.5 * (w / se) - 21.43
    raise KeyError(name)


_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv}
_CMP = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Eq: operator.eq,
        ast.NotEq: operator.ne}
_MATH = {k: getattr(math, k) for k in ("sqrt", "log", "log10", "log2", "exp", "pow", "floor", "ceil", "fabs")}
_MATH.update(abs=abs, max=max, min=min)


class FormulaError(ValueError):
    pass


def parse_formula(expr: str) -> ast.Expression:
    """Parse a formula or condition, rejecting anything but arithmetic, comparisons, names and math.* calls."""
    try:
        tree = ast.parse(expr.strip().replace("\n", " "), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"not a formula: {exc.msg}") from None
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant, ast.Name, ast.Load,
                               ast.Call, ast.Attribute, ast.USub, ast.UAdd, *_BIN, *_CMP))
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "math"
                                                    and node.attr in _MATH):
            ok = False
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Attribute) or (
                isinstance(node.func, ast.Name) and node.func.id in _MATH)):
            ok = False
        if not ok:
            raise FormulaError(f"'{ast.unparse(node)}' is not allowed in a formula")
    return tree


def evaluate(tree: ast.Expression, names: dict[str, float]) -> float | bool:
    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.Name):
            if n.id not in names:
                raise FormulaError(f"unknown variable '{n.id}'")
            return names[n.id]
        if isinstance(n, ast.UnaryOp):
            return -ev(n.operand) if isinstance(n.op, ast.USub) else ev(n.operand)
        if isinstance(n, ast.BinOp):
            try:
                return _BIN[type(n.op)](ev(n.left), ev(n.right))
            except ZeroDivisionError:
                return 0.0
        if isinstance(n, ast.Compare):
            left = ev(n.left)
            for op, right in zip(n.ops, n.comparators):
                r = ev(right)
                if not _CMP[type(op)](left, r):
                    return False
                left = r
            return True
        if isinstance(n, ast.Call):
            fn = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            if fn not in _MATH:
                raise FormulaError(f"unknown function '{fn}'")
            return _MATH[fn](*[ev(a) for a in n.args])
        raise FormulaError("unsupported expression")

    return ev(tree)
