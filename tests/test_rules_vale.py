"""Vale styles dropped in as they are: rules written in the format of public packages
(write-good, proselint, Microsoft), authored here. Offsets are what Vale reports (rune offsets)."""
import pathlib
import textwrap

import pytest

from brandloop.knowledge.rules import RuleEngine
from brandloop.knowledge.rules.vale import load_vale


def _style(tmp_path, files: dict) -> tuple:
    root = tmp_path / "vale"
    for rel, body in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(textwrap.dedent(body).lstrip(), "utf-8")
    return load_vale(root, tmp_path, "t", "T")


def _check(rules, text, field="text"):
    return [(v.rule_id, v.start, v.end, v.message, v.severity) for v in RuleEngine(rules).check({field: [text]})]


def test_existence_write_good_weasel(tmp_path):
    rules, errs, warns = _style(tmp_path, {"write-good/Weasel.yml": """
        extends: existence
        message: "'%s' is a weasel word!"
        ignorecase: true
        level: warning
        tokens:
          - extremely
          - fairly
          - many
          - very
        exceptions:
          - many hands
        """})
    assert not errs and not warns
    got = _check(rules, "Very fast and fairly cheap, many hands help; Extremelyish no.")
    # Vale 3 tests exceptions against the match itself ('many'), so the phrase 'many hands' does not excuse it
    assert got == [("write-good.Weasel", 0, 4, "'Very' is a weasel word!", "warning"),
                   ("write-good.Weasel", 14, 20, "'fairly' is a weasel word!", "warning"),
                   ("write-good.Weasel", 28, 32, "'many' is a weasel word!", "warning")]


def test_existence_case_sensitive_raw_and_nonword(tmp_path):
    rules, errs, _ = _style(tmp_path, {
        "S/Caps.yml": """
            extends: existence
            message: "Avoid '%s'."
            tokens: [Cloud]
            """,
        "S/Spaces.yml": """
            extends: existence
            message: "One space between sentences."
            level: error
            nonword: true
            tokens: ['[a-z][.?!] {2,}[A-Z]']
            """,
        "S/Raw.yml": """
            extends: existence
            message: "No '%s'."
            raw: ['\\b(?:e\\.g|i\\.e)\\.']
            """})
    assert not errs
    got = _check(rules, "cloud Cloud. e.g. x.  Next")
    assert ("S.Caps", 6, 11, "Avoid 'Cloud'.", "warning") in got
    assert not any(g[0] == "S.Caps" and g[1] == 0 for g in got)  # case-sensitive by default
    assert ("S.Raw", 13, 17, "No 'e.g.'.", "warning") in got
    assert ("S.Spaces", 18, 23, "One space between sentences.", "error") in got


def test_substitution_proselint_style(tmp_path):
    rules, errs, _ = _style(tmp_path, {"proselint/Cliches.yml": """
        extends: substitution
        message: "Use '%s' instead of '%s'."
        level: error
        ignorecase: true
        swap:
          utilize: use
          in order to: to
          javascript: JavaScript
        """})
    assert not errs
    got = _check(rules, "Utilize JavaScript and javascript in order to win.")
    # As in Vale 3: whether the text already is the replacement is decided case-sensitively, even with
    # ignorecase, so 'javascript' is reported ('JavaScript' is not).
    assert got == [("proselint.Cliches", 0, 7, "Use 'use' instead of 'Utilize'.", "error"),
                   ("proselint.Cliches", 23, 33, "Use 'JavaScript' instead of 'javascript'.", "error"),
                   ("proselint.Cliches", 34, 45, "Use 'to' instead of 'in order to'.", "error")]
    v = RuleEngine(rules).check({"t": ["Utilize it"]})[0]
    assert v.suggestion == "Use"


def test_substitution_multiple_options_and_exceptions(tmp_path):
    rules, errs, _ = _style(tmp_path, {"Microsoft/Terms.yml": """
        extends: substitution
        message: "Prefer '%s' over '%s'."
        level: warning
        ignorecase: true
        exceptions: ['Login']
        swap:
          log in to|login: sign in|log in
        """})
    assert not errs
    got = _check(rules, "Please login now. Login Page")  # exceptions are case-sensitive and tested on the match
    assert got == [("Microsoft.Terms", 7, 12, "Prefer 'sign in' or 'log in' over 'login'.", "warning")]


def test_capitalization_microsoft_headings_scope(tmp_path):
    rules, errs, _ = _style(tmp_path, {"Microsoft/Headings.yml": """
        extends: capitalization
        message: "'%s' should use sentence-style capitalization."
        link: https://example.invalid
        level: suggestion
        scope: heading
        match: $sentence
        indicators: [':']
        exceptions: [Azure, API]
        """})
    assert not errs
    eng = RuleEngine(rules)
    bad = "Build Better Apps With Azure"
    vs = eng.check({"headline": [bad, "Build better apps with Azure", "Quickstart: Get started"], "description": [bad]})
    assert [(v.field, v.index, v.start, v.end) for v in vs] == [("headline", 0, 0, len(bad))]
    assert vs[0].suggestion == "Build better apps with Azure"


def test_occurrence_repetition_conditional_consistency(tmp_path):
    rules, errs, _ = _style(tmp_path, {
        "write-good/Illusions.yml": """
            extends: repetition
            message: "'%s' is repeated!"
            level: warning
            alpha: true
            tokens: ['[^\\s]+']
            """,
        "S/Commas.yml": """
            extends: occurrence
            message: "More than 2 commas!"
            scope: sentence
            level: error
            token: ','
            max: 2
            """,
        "Microsoft/Acronyms.yml": """
            extends: conditional
            message: "'%s' has no definition."
            level: suggestion
            ignorecase: false
            first: '\\b([A-Z]{3,5})\\b'
            second: '(?:\\b[A-Z][a-z]+ )+\\(([A-Z]{3,5})\\)'
            exceptions: [API]
            """,
        "S/Either.yml": """
            extends: consistency
            message: "Inconsistent spelling of '%s'."
            level: warning
            ignorecase: true
            either:
              advisor: adviser
            """})
    assert not errs
    eng = RuleEngine(rules)
    vs = eng.check({"t": ["It is is fine. a, b, c, d. Ok, fine, now."]})
    assert [(v.rule_id, v.start, v.end, v.message) for v in vs] == [
        ("write-good.Illusions", 3, 8, "'is' is repeated!"), ("S.Commas", 16, 17, "More than 2 commas!")]
    vs = eng.check({"t": ["Ask the WHO about API use."], "u": ["World Health (ABC) and ABC."]})
    assert [(v.field, v.start, v.end, v.message) for v in vs] == [("t", 8, 11, "'WHO' has no definition.")]
    vs = eng.check({"t": ["Ask an advisor."], "u": ["Your Adviser helps."]})
    assert [(v.field, v.start, v.end) for v in vs] == [("u", 5, 12)]


def test_unsupported_and_unknown_extension_points(tmp_path):
    rules, errs, warns = _style(tmp_path, {
        "S/Order.yml": """
            extends: sequence
            message: "x"
            """,
        "S/Spell.yml": """
            extends: spelling
            message: "Did you really mean '%s'?"
            """,
        "S/Bogus.yml": """
            extends: bogus
            message: "x"
            """,
        "S/BadRe.yml": """
            extends: existence
            message: "x"
            tokens: ['(unclosed']
            """})
    assert rules == []
    assert len(warns) == 2 and all("not supported" in w.message for w in warns)
    assert {e.file for e in errs} == {"vale/S/Bogus.yml", "vale/S/BadRe.yml"}
    assert all(e.line >= 1 for e in errs)
