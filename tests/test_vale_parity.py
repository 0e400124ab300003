"""Behaviour that follows Vale 3's source (internal/check/*.go, jdkato/twine strcase), one test per difference
that used to exist: capitalization, substitution, exceptions, negated scopes, limit, metric, readability,
and which rule pairs `rulebook add` reports as conflicts."""
import textwrap

import pytest

from brandloop.knowledge.rules import Rule, RuleEngine
from brandloop.knowledge.rules.precedence import conflicts
from brandloop.knowledge.rules.model import Scope
from brandloop.knowledge.rules.types import RuleCompileError, compile_rule
from brandloop.knowledge.rules.vale import load_vale


def style(tmp_path, name, body):
    f = tmp_path / "vale" / "S" / f"{name}.yml"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(textwrap.dedent(body).lstrip(), "utf-8")
    rules, errs, warns = load_vale(tmp_path / "vale", tmp_path, "t", "T")
    assert not errs and not warns, (errs, warns)
    return RuleEngine(rules)


def hits(engine, text, field="text"):
    return [(v.rule_id, v.start, v.end) for v in engine.check({field: [text]})]


SENTENCE = """
    extends: capitalization
    message: "'%s' should use sentence case."
    match: $sentence
    indicators: [':']
    exceptions: [Azure]
    threshold: 0.8
    """


def test_sentence_case_indicator_number_list_and_all_caps(tmp_path):
    eng = style(tmp_path, "Sentence", SENTENCE)
    assert hits(eng, "Quickstart: Get started with Azure") == []
    # the word after ':' must be capitalized (5 words, 'get' miscased: 0.8 reaches the threshold of 0.8...)
    assert hits(eng, "Quickstart: get started with Azure") == []
    # ...but with fewer words the share falls under it
    assert hits(eng, "Setup: get going") == [("S.Sentence", 0, 16)]
    # an all-caps word that is not an exception is miscased
    assert hits(eng, "Build FAST apps") == [("S.Sentence", 0, 15)]
    assert hits(eng, "Build apps with Azure") == []
    # a leading '1.' is an indicator: the next word is capitalized
    assert hits(eng, "1. Open the app") == []
    assert hits(eng, "1. open it") == [("S.Sentence", 0, 10)]
    v = eng.check({"text": ["1. open it"]})[0]
    assert v.suggestion == "1. Open it"


def test_capitalization_threshold_is_at_least(tmp_path):
    eng = style(tmp_path, "Title", """
        extends: capitalization
        message: "'%s' should be in title case."
        match: $title
        threshold: 0.75
        """)
    assert hits(eng, "Save More Every day") == []  # 3 of 4 words = 0.75: at least the threshold passes
    assert hits(eng, "Save more Every day") == [("S.Title", 0, 19)]


def test_substitution_fires_when_only_the_case_differs(tmp_path):
    eng = style(tmp_path, "Units", """
        extends: substitution
        message: "Use '%s' instead of '%s'."
        ignorecase: true
        swap:
          gb: GB
        """)
    assert hits(eng, "Get 5 gb free") == [("S.Units", 6, 8)]
    assert hits(eng, "Get 5 GB free") == []


def test_swap_keys_are_tried_longest_first(tmp_path):
    eng = style(tmp_path, "Swap", """
        extends: substitution
        message: "Use '%s' instead of '%s'."
        ignorecase: true
        swap:
          sign: signature
          sign up: register
        """)
    v = eng.check({"text": ["Sign up today"]})
    assert [(x.start, x.end, x.message) for x in v] == [(0, 7, "Use 'register' instead of 'Sign up'.")]


def test_existence_exceptions_are_tested_against_the_match(tmp_path):
    eng = style(tmp_path, "Ban", """
        extends: existence
        message: "Avoid '%s'."
        ignorecase: true
        tokens: ['cheap\\w*']
        exceptions: [cheaper]
        """)
    assert hits(eng, "cheaper fees") == []  # the match itself is the exception
    assert hits(eng, "cheap fees") == [("S.Ban", 0, 5)]
    eng = style(tmp_path, "Ban", """
        extends: existence
        message: "Avoid '%s'."
        tokens: [cheap]
        exceptions: ['cheap tricks']
        """)
    assert hits(eng, "no cheap tricks") == [("S.Ban", 3, 8)]  # a surrounding phrase does not excuse the match


def test_negated_heading_scope(tmp_path):
    eng = style(tmp_path, "Bang", """
        extends: existence
        message: "No '!' outside headings."
        nonword: true
        scope: ~heading
        tokens: ['!']
        """)
    assert hits(eng, "Save now!", "headline") == []
    assert hits(eng, "Save now!", "description") == [("S.Bang", 8, 9)]


def test_limit(tmp_path):
    eng = style(tmp_path, "Weasel", """
        extends: existence
        message: "'%s' is a weasel word."
        ignorecase: true
        limit: 2
        tokens: [very, really]
        """)
    assert hits(eng, "very really very fast") == [("S.Weasel", 0, 4), ("S.Weasel", 5, 11)]


def test_metric(tmp_path):
    eng = style(tmp_path, "Long", """
        extends: metric
        message: "Sentences average %s words; keep them under 8."
        formula: words / sentences
        condition: "> 8"
        """)
    assert eng.check({"text": ["Save more. Pay less."]}) == []
    v = eng.check({"text": ["Open an everyday savings account with no monthly fees in minutes today."]})
    assert [(x.rule_id, x.message) for x in v] == [("S.Long", "Sentences average 12.00 words; keep them under 8.")]
    with pytest.raises(RuleCompileError, match="not allowed"):
        compile_rule(Rule(id="x", type="metric", message="m", params={"formula": "__import__('os')",
                                                                        "condition": "> 1"}))


def test_readability(tmp_path):
    eng = style(tmp_path, "Grade", """
        extends: readability
        message: "Grade level %s is too high."
        metrics: [Flesch-Kincaid, Automated Readability]
        grade: 8
        """)
    assert eng.check({"text": ["Save more. Pay no fees."]}) == []
    v = eng.check({"text": ["Institutional capitalization optimization infrastructure notwithstanding considerations."]})
    assert len(v) == 1 and v[0].rule_id == "S.Grade" and v[0].message.startswith("Grade level ")
    assert float(v[0].message.split()[2]) > 8


def rule(rid, typ, scope=None, **params):
    return Rule(id=rid, type=typ, message="m", scope=scope or Scope(), params=params)


def test_conflicts_only_between_rules_that_can_match_the_same_text():
    ban = rule("ban", "existence", tokens=["free"], ignorecase=True)
    suggest = rule("sub", "substitution", swap={"complimentary": "free"})
    assert len(conflicts([ban, suggest])) == 1  # a real conflict is still reported
    raw = rule("ban", "existence", tokens=["free"], raw=[r"\b100% "], ignorecase=True)
    assert conflicts([raw, suggest]) == []  # the ban needs the '100% ' prefix; 'free' alone never matches
    heads = rule("ban", "existence", Scope(blocks="heading"), tokens=["free"], ignorecase=True)
    body = rule("sub", "substitution", Scope(fields=["description"]), swap={"complimentary": "free"})
    assert conflicts([heads, body]) == []  # headlines only vs descriptions only
    not_heads = rule("sub", "substitution", Scope(not_heading=True), swap={"complimentary": "free"})
    assert conflicts([heads, not_heads]) == []
    same_term = rule("ban2", "existence", Scope(blocks="heading"), tokens=["free"], severity="warning")
    other = rule("ban3", "substitution", Scope(fields=["description"]), swap={"free": "no-cost"})
    assert conflicts([same_term, other]) == []
