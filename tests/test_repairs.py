"""Deterministic repairs never ship fragments: a claim or forbidden phrase goes whole or not at all, an over-long
line is cut only after a whole sentence or phrase, and gaps are never filled with another variant's lines."""
import pytest

from brandloop.agents.compliance import check_variant
from brandloop.agents.finalizer import item_pool
from brandloop.agents.repairs import place_required, reads_whole, remove_phrase, repair_fields, trim_whole
from brandloop.graph.brief import load_brief
from brandloop.graph.context import RunSettings
from brandloop.knowledge.channels import get_channel
from brandloop.knowledge.lint import dangling

RSA = get_channel("google_rsa")
HEADS = ["Save More Every Day", "Earn 4.10% APY", "Open Online Today"]
DESCS = ["Open an Everyday Savings account in minutes.", "Earn 4.10% APY on savings."]


@pytest.fixture
def state(brief_file):
    brief, base = load_brief(brief_file)
    return {"brief": brief, "brief_dir": str(base), "settings": RunSettings()}


def _recheck(state):
    return lambda fields: [x.model_dump() for x in check_variant(fields, state, None)]


def _span(text, word):
    start = text.index(word)
    return start, start + len(word)


@pytest.mark.parametrize("fragment", ["our e-bikes are the in every regard.", "VoltCycle City e-bikes deliver and ever."])
def test_the_shipped_fragments_do_not_read_as_lines(fragment):
    assert dangling(fragment) and not reads_whole(fragment)
    assert reads_whole("our e-bikes lead in every regard.") and reads_whole("Faster than ever.")


@pytest.mark.parametrize("line, word", [
    ("our e-bikes are the best in every regard.", "best"),  # would leave "the in every regard."
    ("VoltCycle City e-bikes deliver faster and further than ever.", "faster and further than"),  # "deliver and ever."
    ("Open an Everyday Savings account with guaranteed growth.", "guaranteed"),  # a word inside the phrase
])
def test_a_claim_inside_a_phrase_is_not_removed(line, word):
    assert remove_phrase(line, *_span(line, word)) is None


def test_a_claim_phrase_goes_whole():
    line = "Online Savings, Best Value"
    assert remove_phrase(line, *_span(line, "Best")) == "Online Savings"  # never "Online Savings, Value"
    line = "Best Value, Online Savings"
    assert remove_phrase(line, *_span(line, "Best")) == "Online Savings"
    line = "Open in minutes, guaranteed."
    assert remove_phrase(line, *_span(line, "guaranteed")) == "Open in minutes."
    line = "Ride farther. The best e-bike. Book a test ride."
    assert remove_phrase(line, *_span(line, "best")) == "Ride farther. Book a test ride."
    line = "Save more, and the best part is you can open online in minutes"
    assert remove_phrase(line, *_span(line, "best")) is None  # a clause, not a short phrase


def test_a_line_is_never_cut_mid_phrase_at_its_limit():
    assert trim_whole("Savings Plan for Young Savers", 22) is None  # never "Savings Plan for Young"
    assert trim_whole("Earn 4.10% APY, On Every Dollar You Save", 30) == "Earn 4.10% APY"
    assert trim_whole("Open online in minutes. Earn 4.10% APY on every dollar.", 30) == "Open online in minutes."
    assert trim_whole("Fits already", 30) == "Fits already"
    assert trim_whole("Earn a $1,000 bonus when you open", 20) is None  # never "Earn a $1"
    line = "Earn a $1,000 bonus, best rates"
    assert remove_phrase(line, *_span(line, "best")) == "Earn a $1,000 bonus"


def test_forbidden_phrase_removed_whole_and_length_cut_at_a_phrase(state):
    fields = {"headline": ["Save More Every Day", "Earn 4.10% APY, On Every Dollar You Save", "Open Online Today"],
              "description": ["Open an Everyday Savings account in minutes, guaranteed.", DESCS[1]]}
    found = _recheck(state)(fields)
    out, log = repair_fields(fields, found, state)
    assert out["headline"][1] == "Earn 4.10% APY"
    assert out["description"][0] == "Open an Everyday Savings account in minutes."
    assert {r["rule_id"] for r in log} == {"brief.forbidden_word", "channel.length"}
    assert not [x for x in _recheck(state)(out) if x["severity"] == "error"]


def test_an_unrepairable_line_is_left_as_written_without_alternatives(state):
    fields = {"headline": ["Save More Every Day", "Savings Plan for Young Savers Today", "Open Online Today"],
              "description": ["Open an account with guaranteed growth.", DESCS[1]]}
    out, log = repair_fields(fields, _recheck(state)(fields), state)
    assert out == fields and log == []  # the copywriter rewrites them, or they are delivered marked failed


def test_an_unrepairable_line_takes_the_next_clean_alternative(state):
    fields = {"headline": ["Save More Every Day", "Savings Plan for Young Savers Today", "Open Online Today"],
              "description": ["Open an account with guaranteed growth.", DESCS[1]]}
    pool = {"headline": ["Save More Every Day", "Grow Savings Online Each Day With Us", "Savings That Grow Daily"],
            "description": ["Guaranteed growth for every saver.", "Start saving online in minutes."]}
    out, log = repair_fields(fields, _recheck(state)(fields), state, pool=pool, recheck=_recheck(state))
    # the duplicate and the over-long alternative are skipped; the forbidden-word one too
    assert out["headline"][1] == "Savings That Grow Daily"
    assert out["description"][0] == "Start saving online in minutes."
    assert [r["rule_id"] for r in log] == ["alternative", "alternative"]
    assert not [x for x in _recheck(state)(out) if x["severity"] == "error"]


def test_an_unrepairable_line_is_dropped_only_above_the_channels_minimum(state):
    long_line = "Savings Plan for Young Savers Today"  # over 30 characters, no phrase to cut at
    fields = {"headline": ["Save More Every Day", long_line, "Open Online Today", "Earn 4.10% APY"],
              "description": list(DESCS)}
    out, log = repair_fields(fields, _recheck(state)(fields), state, recheck=_recheck(state))
    assert out["headline"] == ["Save More Every Day", "Open Online Today", "Earn 4.10% APY"]
    assert log == [{"rule_id": "dropped", "field": "headline", "index": 1, "before": long_line, "after": ""}]
    assert not [x for x in _recheck(state)(out) if x["severity"] == "error"]
    at_minimum = {"headline": ["Save More Every Day", long_line, "Open Online Today"], "description": list(DESCS)}
    out, log = repair_fields(at_minimum, _recheck(state)(at_minimum), state, recheck=_recheck(state))
    assert out == at_minimum and log == []  # 3 headlines is the RSA minimum: delivered marked failed instead


def test_disclaimer_keeps_whole_phrases_of_the_line_it_joins():
    fields = {"description": ["Open an Everyday Savings account in minutes. Earn 4.10% APY on every dollar you save.",
                              "Earn 4.10% APY on every savings dollar with no monthly fee and no minimum balance to start"]}
    log = place_required(fields, ["Member FDIC."], [], RSA)
    assert fields["description"][0] == "Open an Everyday Savings account in minutes. Member FDIC."
    assert log[0]["index"] == 0 and all(len(d) <= 90 for d in fields["description"])
    # no item's copy can give way by whole phrases: the disclaimer takes a whole item, never a cut line
    fields = {"description": ["Earn 4.10% APY on every savings dollar with no monthly fee and no minimum balance",
                              "Open an Everyday Savings account online in minutes with no fees and no minimum"]}
    place_required(fields, ["Member FDIC."], [], RSA)
    assert "Member FDIC." in fields["description"] and all(
        d == "Member FDIC." or "FDIC" not in d for d in fields["description"])


def test_the_pool_holds_only_this_variants_own_lines(state):
    spec = get_channel("google_rsa")
    state = {**state, "history": [
        {"loop": 0, "id": "v1", "fields": {"headline": ["Save More Every Day"]}},
        {"loop": 0, "id": "v2", "fields": {"headline": ["Sibling Line Here"], "description": ["Sibling copy."]}},
        {"loop": 1, "id": "v1", "fields": {"headline": ["Earn More Daily", "Open Online Today"]}}]}
    v1 = {"id": "v1", "fields": {"headline": ["Save More Every Day"]},
          "runners_up": {"headline": ["Savings That Grow Daily"], "description": ["Start saving online today."]}}
    v2 = {"id": "v2", "fields": {"headline": ["Open Online Today"], "description": ["Sibling copy."]}}
    pool = item_pool(state, spec, v1, [v2])
    assert pool == {"headline": ["Savings That Grow Daily", "Earn More Daily", "Save More Every Day"],
                    "description": ["Start saving online today."]}  # 'Open Online Today' is v2's delivered line


def test_a_line_from_a_worked_example_is_a_hard_violation_and_a_cut_alternative_is_never_taken(state):
    # a worked example this brief is shown (prompts/copy_examples.yaml's desk lamps)
    fields = {"headline": HEADS, "description": ["Set the warmth you like for your savings.", DESCS[1]]}
    found = _recheck(state)(fields)
    leak = [x for x in found if x["rule_id"] == "copy.worked_example"]
    assert [(x["field"], x["index"], x["severity"]) for x in leak] == [("description", 0, "error")]
    assert "'set warmth like'" in leak[0]["message"]
    pool = {"description": ["Set the warmth you like for", "Open an Everyday Savings account in minutes."]}
    out, log = repair_fields(fields, found, state, pool=pool, recheck=_recheck(state))
    assert out["description"][0] == "Open an Everyday Savings account in minutes."  # not the cut line
    assert [r["rule_id"] for r in log] == ["alternative"]


def test_a_worked_example_products_word_or_the_prompts_instructions_are_prompt_leaks(state):
    fields = {"headline": [*HEADS, "Perfect for New Runners", "Savings Bright as a Lamp"],
              "description": [*DESCS, 'Use the exact text "Member FDIC."']}
    leak = [(x["rule_id"], x["field"], x["index"], x["severity"]) for x in _recheck(state)(fields)
            if x["rule_id"].startswith("copy.")]
    assert leak == [("copy.worked_example", "headline", 3, "error"), ("copy.worked_example", "headline", 4, "error"),
                    ("copy.prompt_text", "description", 2, "error")]
    # the brief's own words are no leak: a bank that writes about a lamp; nor is an example it was not shown
    state = {**state, "facts": ["A desk lamp on us when you open an account."]}
    assert not [x for x in _recheck(state)({"headline": [*HEADS, "A Desk Lamp on Us", "Pre-portioned Savings"],
                                            "description": DESCS})
                if x["rule_id"].startswith("copy.")]


def test_a_line_naming_the_channel_is_a_prompt_leak(state):
    fields = {"headline": [*HEADS, "Google Ads responsive search"], "description": DESCS}
    leak = [x for x in _recheck(state)(fields) if x["rule_id"] == "copy.worked_example"]
    assert [(x["field"], x["index"]) for x in leak] == [("headline", 3)]
    assert "names the channel" in leak[0]["message"]
