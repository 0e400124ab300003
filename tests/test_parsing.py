from brandloop.agents.parsing import parse_critique, parse_fields

WANT = {"headline": 3, "description": 2}


def test_clean_reply_parses():
    raw = "HEADLINE 1: Save more\nHEADLINE 2: No fees\nHEADLINE 3: Open today\nDESCRIPTION 1: A.\nDESCRIPTION 2: B."
    fields, problems = parse_fields(raw, WANT)
    assert fields == {"headline": ["Save more", "No fees", "Open today"], "description": ["A.", "B."]}
    assert problems == []


def test_markdown_quotes_and_chatter_are_tolerated():
    raw = ("Sure! Here is your ad:\n\n**Headline 1:** \"Save more\"\n- headline 2 - No fees (12 characters)\n"
           "1. HEADLINE 3: Open today\n\nDescription 1: 'Earn 4.10% APY.'\nDescriptions 2: Open online.\nThanks!")
    fields, problems = parse_fields(raw, WANT)
    assert fields["headline"] == ["Save more", "No fees", "Open today"]
    assert fields["description"] == ["Earn 4.10% APY.", "Open online."]
    assert problems == []


def test_missing_field_is_a_problem_and_extras_are_cut():
    raw = "HEADLINE 1: a\nHEADLINE 2: b\nHEADLINE 3: c\nHEADLINE 4: d"
    fields, problems = parse_fields(raw, WANT)
    assert fields["headline"] == ["a", "b", "c"]
    assert fields["description"] == []
    assert problems == ["no DESCRIPTION line found"]


def test_placeholders_and_garbage_do_not_count():
    raw = "HEADLINE 1: <at most 30 characters>\n```python\nprint('x')\n```"
    fields, problems = parse_fields(raw, WANT)
    assert fields == {"headline": [], "description": []}
    assert len(problems) == 2


def test_unnumbered_and_duplicate_numbers_fill_slots_in_order():
    raw = "HEADLINE: a\nHEADLINE: b\nHEADLINE 2: c\nPRIMARY TEXT: x"
    fields, _ = parse_fields(raw, {"headline": 3, "primary_text": 1})
    assert fields == {"headline": ["a", "b", "c"], "primary_text": ["x"]}


def test_critique_parses_score_scales_and_citations():
    r, problems = parse_critique("SCORE: 7/10\nCRITIQUE: Good but long [voice.md#tone-2].\nFIX: shorten headline 2\nFIX: none")
    assert problems == []
    assert r["score10"] == 7.0
    assert r["cited"] == ["voice.md#tone-2"]
    assert r["instructions"] == ["shorten headline 2"]
    r, _ = parse_critique("**Score**: 85\nCritique: fine")
    assert r["score10"] == 8.5


def test_critique_without_score_reports_problem():
    r, problems = parse_critique("I think this is nice.")
    assert r["score10"] is None
    assert "no SCORE line found" in problems


def test_copied_example_lines_are_dropped_and_reported():
    raw = "HEADLINE: Run Farther in Comfort\nINTRO TEXT: Close the books faster."
    fields, problems = parse_fields(raw, {"headline": 1, "intro_text": 1}, {"run farther in comfort"})
    assert fields == {"headline": [], "intro_text": ["Close the books faster."]}
    assert any("copied the example" in p for p in problems) and "no HEADLINE line found" in problems


def test_a_line_with_nothing_after_its_label_is_skipped():
    raw = "HEADLINE 1: **\nHEADLINE 2:\nHEADLINE 3: Open today\nDESCRIPTION 1: A.\nDESCRIPTION 2: B."
    fields, _ = parse_fields(raw, WANT, reject={"Save more"})
    assert fields["headline"] == ["Open today"] and fields["description"] == ["A.", "B."]
