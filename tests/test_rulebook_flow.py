"""A run with a real rulebook: rules reach the prompts, critiques cite real passage ids, repairs place disclaimers."""
from brandloop.graph.context import RunSettings
from brandloop.graph.runner import Runner
from tests.conftest import EXAMPLES
from tests.fakes import COPY, CRITIC, scripted

DRAFT = ("HEADLINE 1: Save With Northwind\nHEADLINE 2: Earn 4.10% APY\nHEADLINE 3: No Monthly Fee\n"
         "DESCRIPTION 1: Open an Everyday Savings account online in minutes and grow your savings.\n"
         "DESCRIPTION 2: Earn 4.10% APY on all balances with no monthly fee.")


def test_rulebook_rules_reach_prompts_citations_resolve_and_disclaimers_are_placed(home):
    llm = scripted(DRAFT, critic="SCORE: 7\nCRITIQUE: Calm and plain, see [G1].\nFIX: add the disclosures",
                   rewrite="Earn 4.10% APY")
    result = Runner(home, lambda s, **kw: llm).run(EXAMPLES / "northwind_search.yaml", RunSettings(max_revisions=1))
    first = llm.prompts_with(COPY)[0]
    assert 'Include the exact text "Rates subject to credit approval."' in first
    assert "Never use: guaranteed" in first
    assert "[G1]" in llm.prompts_with(CRITIC)[0]
    for v in result["variants"]:
        assert v["cited"] and all(c.startswith("northwind_bank/") for c in v["cited"])
        text = " ".join(v["fields"]["description"])
        # The disclaimers were asked for by compliance and placed exactly, inside the 90-character limit.
        assert "Rates subject to credit approval." in text and "Member FDIC" in text
        assert all(len(d) <= 90 for d in v["fields"]["description"])
        assert v["delivered"] in ("approved", "below_threshold")


def three_headline_brief(tmp_path):
    """The search example, asking for the 3 headlines and 2 descriptions the scripted drafts carry."""
    brief = tmp_path / "northwind_search.yaml"
    brief.write_text((EXAMPLES / "northwind_search.yaml").read_text(encoding="utf-8")
                     + "\nassets: {headline: 3, description: 2}\n", encoding="utf-8")
    return brief


def test_unbacked_superlatives_are_removed_but_unbacked_numbers_mark_the_variant_failed(home, tmp_path):
    draft = ("HEADLINE 1: Online Savings, Best Value\nHEADLINE 2: Earn 9% APY\nHEADLINE 3: No Monthly Fee\n"
             "DESCRIPTION 1: Open an account online in minutes.\nDESCRIPTION 2: Grow your savings with no fee.")
    llm = scripted(lambda p: draft if "main benefit" in p else DRAFT, rewrite=lambda p: p.rsplit(": ", 1)[-1])
    result = Runner(home, lambda s, **kw: llm).run(three_headline_brief(tmp_path), RunSettings(max_revisions=0))
    v1 = result["variants"][0]
    assert v1["fields"]["headline"][0] == "Online Savings"  # the whole phrase goes, never just 'Best' ("Online Savings, Value")
    assert any(r["before"] == "Online Savings, Best Value" for r in v1["repairs"])
    assert v1["delivered"] == "failed"  # '9%' is not a Northwind fact, and no repair invents one
    assert [x["message"] for x in v1["violations"] if x["severity"] == "error"] == [
        "Unbacked claim '9%': use a product fact or an approved claim."]
    assert result["variants"][1]["delivered"] != "failed"


def test_a_repair_never_makes_a_line_repeat_another_of_its_variant(home):
    # 10 headlines asked for, 3 drafted: the pool holds the variant's own 'Online Savings, Best Value', which the
    # claim repair would turn into a second 'Online Savings'. A pooled line the variant already carries is no
    # alternative.
    draft = ("HEADLINE 1: Online Savings, Best Value\nHEADLINE 2: Earn 9% APY\nHEADLINE 3: No Monthly Fee\n"
             "DESCRIPTION 1: Open an account online in minutes.\nDESCRIPTION 2: Grow your savings with no fee.")
    llm = scripted(lambda p: draft if "main benefit" in p else DRAFT, rewrite=lambda p: p.rsplit(": ", 1)[-1])
    result = Runner(home, lambda s, **kw: llm).run(EXAMPLES / "northwind_search.yaml", RunSettings(max_revisions=0))
    for v in result["variants"]:
        for items in v["fields"].values():
            assert len({t.casefold() for t in items}) == len(items), items
        assert not [x for x in v["violations"] if x["rule_id"] == "channel.unique" or "repeats headline" in x["message"]]


def test_a_forbidden_exclamation_mark_is_repaired_to_a_full_stop(home):
    # Cobalt's Vale package makes '!' an error in B2B copy; the small model echoed the line when asked to rewrite
    # it, and the variant was delivered failed. The mark becomes a full stop.
    draft = ("INTRO TEXT: Start using Cobalt Flow today! Close the books in days with approvals auditors trust.\n"
             "HEADLINE: Close the books in days with Cobalt Flow")
    llm = scripted(draft, rewrite=lambda p: p.rsplit(": ", 1)[-1])
    result = Runner(home, lambda s, **kw: llm).run(EXAMPLES / "cobalt_linkedin.yaml", RunSettings(max_revisions=0))
    v1 = result["variants"][0]
    assert v1["fields"]["intro_text"] == [
        "Start using Cobalt Flow today. Close the books in days with approvals auditors trust."]
    assert v1["delivered"] != "failed" and not [x for x in v1["violations"] if x["severity"] == "error"]
    assert [r["rule_id"] for r in v1["repairs"]] == ["Cobalt.Exclamation"]


def test_a_broken_line_carrying_the_disclaimer_is_dropped_and_the_disclaimer_placed_again(home, tmp_path):
    # the disclaimer went into the line with the most room, a prompt leak; dropping that line would have lost it
    # (one hard violation for another), so the variant was delivered failed with four descriptions where two
    # would do. The draft's own line carries it here.
    brief = tmp_path / "northwind_search.yaml"
    brief.write_text((EXAMPLES / "northwind_search.yaml").read_text(encoding="utf-8")
                     + "\nassets: {headline: 3, description: 3}\n", encoding="utf-8")
    draft = ("HEADLINE 1: Save With Northwind\nHEADLINE 2: Earn 4.10% APY\nHEADLINE 3: No Monthly Fee\n"
             "DESCRIPTION 1: Use the exact text today. Rates subject to credit approval.\n"
             "DESCRIPTION 2: Open an Everyday Savings account online in minutes. Member FDIC.\n"
             "DESCRIPTION 3: Earn 4.10% APY on every balance, with no monthly maintenance fee.")
    llm = scripted(draft, rewrite=lambda p: p.rsplit(": ", 1)[-1])
    result = Runner(home, lambda s, **kw: llm).run(brief, RunSettings(max_revisions=0))
    v1 = result["variants"][0]
    assert not [x for x in v1["violations"] if x["severity"] == "error"], v1["violations"]
    text = " ".join(v1["fields"]["description"])
    assert "exact text" not in text.lower() and "Rates subject to credit approval." in text and "Member FDIC" in text
    assert any(r["rule_id"] == "dropped" and "exact text" in r["before"].lower() for r in v1["repairs"])


def test_the_prompt_names_only_the_briefs_product_of_the_brands_products(home):
    # 'Write names exactly: FieldTable, FieldTable Family Box, FieldTable Veggie Box' reached a Family Box ad's
    # prompt, and the model wrote 'FieldTable Veggie Box' as its headline
    llm = scripted("HEADLINE: Dinner for four\nBODY: Weeknight dinners for four, planned and portioned for you.")
    Runner(home, lambda s, **kw: llm).run(EXAMPLES / "fieldtable_family_dsp.yaml", RunSettings(max_revisions=0))
    first = llm.prompts_with(COPY)[0]
    assert "Write names exactly: FieldTable, FieldTable Family Box;" in first and "Veggie" not in first
