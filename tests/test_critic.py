"""A critic that speaks to this variant: instructions name the field their line belongs to, and an instruction that
left its line unchanged is not given again."""
from brandloop.agents.critic import fixes, name_right_field, target_of, unheeded
from tests.fakes import CRITIC, scripted
from tests.test_graph import GOOD, by_angle, run

FIELDS = {"headline": ["Save More Every Day", "Earn 4.10% APY", "Open Online Today"],
          "description": ["Open an account in minutes.", "Earn 4.10% APY on savings."]}


def test_an_instruction_names_the_field_its_quoted_line_belongs_to():
    fixed = name_right_field('Make "Open an account in minutes" in headline 3 more specific.', FIELDS)
    assert fixed == 'Make "Open an account in minutes" in description 1 more specific.'
    assert target_of(fixed, FIELDS) == ("description", 0)
    assert name_right_field("Shorten headline 2.", FIELDS) == "Shorten headline 2."
    assert target_of("Shorten headline 2.", FIELDS) == ("headline", 1)
    assert name_right_field("Be bolder.", FIELDS) == "Be bolder." and target_of("Be bolder.", FIELDS) is None


def test_an_instruction_for_a_field_or_item_the_variant_lacks_is_dropped():
    assert name_right_field("Add urgency to the primary text.", FIELDS) is None  # a Meta field, not in a search ad
    assert name_right_field("Rewrite headline 5.", FIELDS) is None  # three headlines
    assert name_right_field("Sharpen the card headline.", FIELDS) is None  # not read as 'headline'
    parsed = {"instructions": ["Add urgency to the primary text.", "Name the audience in headline 1."]}
    assert fixes(parsed, FIELDS, []) == ["Name the audience in headline 1."]


def test_an_instruction_that_left_its_line_unchanged_is_not_given_again():
    before = {**FIELDS, "description": ["Open an account in minutes.", "Earn more on savings."]}
    v = {"fields": FIELDS, "versions": [{"fields": before, "fixes": ["Shorten headline 2.", "Warmer description 2."]}]}
    assert unheeded(v) == ["Shorten headline 2."]  # headline 2 is as it was; description 2 changed
    parsed = {"instructions": ["shorten headline 2", "Name the audience in headline 1."]}
    assert fixes(parsed, FIELDS, unheeded(v)) == ["Name the audience in headline 1."]


def test_the_critic_sees_its_unheeded_instruction_and_does_not_repeat_it(brief_file):
    drafted = set()

    def ads(prompt):  # each variant's own ad (a shared line is lint), then the same ad with description 2 changed
        ad = by_angle(prompt)
        if ad not in drafted:
            drafted.add(ad)
            return ad
        last = ad.splitlines()[-1]
        return ad.replace(last, f"DESCRIPTION 2: {last.split()[2]} more savings at 4.10% APY.")

    llm = scripted(ads, critic="SCORE: 3\nCRITIQUE: Bland.\nFIX: Shorten headline 2.")
    _, state = run(brief_file, llm, max_revisions=1)
    second = llm.prompts_with(CRITIC)[3:]
    assert second and all("Your last instruction left its line unchanged" in p and "- Shorten headline 2." in p
                          for p in second)
    for v in state["variants"]:
        first, last = v["versions"][0], v["versions"][-1]
        assert first["fixes"] == ["Shorten headline 2."] and len(v["versions"]) == 2
        assert last["fields"]["headline"][1] == first["fields"]["headline"][1]  # the copy never changed it
        assert last["fixes"] == [] and "Shorten headline 2." not in v["instructions"]


def test_a_reused_critique_does_not_repeat_its_instruction(brief_file):
    llm = scripted(GOOD, critic="SCORE: 3\nCRITIQUE: Bland.\nFIX: Shorten headline 2.")
    _, state = run(brief_file, llm, max_revisions=1)
    assert len(llm.prompts_with(CRITIC)) == 3  # the same text: the loop-0 critique stands
    for v in state["variants"]:
        assert [x["fixes"] for x in v["versions"]] == [["Shorten headline 2."], []]
        assert "Shorten headline 2." not in v["instructions"]


def test_a_critique_that_restates_a_guideline_is_asked_again_without_it(brief_file, home, tmp_path):
    from brandloop.agents.critic import echoed

    passages = [{"id": "nw/tone", "text": "## Tone\nSpeak plainly."},
                {"id": "nw/compare", "text": "## Comparisons\nComparisons with other banks need a dated, sourced study "
                                             "approved by Compliance."}]
    assert echoed("Comparisons with other banks need a dated, sourced study.", passages) == "G2"
    assert echoed("Compare us with other banks.", passages) is None  # a few shared words are fine
    assert echoed("Clear, but the description could name who it is for.", passages) == "the worked example"

    import re

    from brandloop.graph.context import RunSettings
    from brandloop.graph.runner import Runner

    brief = tmp_path / "brief.yaml"
    brief.write_text(brief_file.read_text("utf-8") + "rulebook: northwind_bank\n", "utf-8")
    calls = []

    def critic(prompt):  # the first three asks restate G1; the second asks review the ad
        calls.append(prompt)
        if len(calls) <= 3:
            g1 = re.search(r"^\[G1\] (.+)$", prompt, re.M).group(1)
            return f"SCORE: 6\nCRITIQUE: {g1.split('. ')[0].rstrip('.')}.\nFIX: none"
        return "SCORE: 6\nCRITIQUE: Headline 2 is vague about the rate.\nFIX: Name the rate in headline 2."
    llm = scripted(by_angle, critic=critic)
    runner = Runner(home, lambda s, **kw: llm)
    result = runner.run(brief, RunSettings(max_revisions=0))
    first_g1 = [re.search(r"^\[G1\] (.+)$", p, re.M).group(1) for p in calls[:3]]
    assert len(calls) == 6 and all(g not in p for g, p in zip(first_g1, calls[3:]))  # asked again without it
    assert all(v["critique"] == "Headline 2 is vague about the rate." for v in result["variants"])
    event = runner.store.events(result["run_id"], "critic")[0]
    assert event["restated"] == {"v1": "guideline G1", "v2": "guideline G1", "v3": "guideline G1"}


def test_the_brand_product_and_required_texts_are_carried_by_design():
    from types import SimpleNamespace

    from brandloop.agents.critic import carried_by_design
    from brandloop.graph.brief import load_brief
    from brandloop.knowledge.rules.model import Rule

    brief, _ = load_brief("examples/briefs/northwind_search.yaml")
    rules = [Rule(id="nw.fdic", type="required", severity="error", params={"text": "Member FDIC."}),
             Rule(id="nw.rates", type="required", severity="error", params={"text": ["Rates may change.", "Terms apply."]}),
             Rule(id="nw.banned", type="banned", severity="error", params={"words": ["guaranteed"]})]
    knowledge = SimpleNamespace(rules_for=lambda **_: rules)
    assert carried_by_design(brief, knowledge) == ["Northwind Bank", "Northwind Everyday Savings", "Member FDIC.",
                                                   "Rates may change.", "Terms apply."]
    assert carried_by_design(brief) == ["Northwind Bank", "Northwind Everyday Savings"]
    from brandloop.agents.critic import set_metrics

    variants = [{"id": "v1", "fields": {"description": ["Earn 4.10% APY on every balance. Member FDIC."]}},
                {"id": "v2", "fields": {"description": ["No monthly fee, opened online. Member FDIC."]}}]
    per = set_metrics({"brief": brief}, variants, knowledge)["per_variant"]
    assert per["v1"]["uniqueness"] == per["v2"]["uniqueness"] == 100.0
    assert set_metrics({"brief": brief}, variants)["per_variant"]["v1"]["uniqueness"] < 100.0
