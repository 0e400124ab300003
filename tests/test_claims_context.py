"""Facts kept straight: a number stated as something its fact does not say, and unbacked superlatives
wherever they stand, are hard violations through the same check the delivery guarantee uses."""
import pytest

from brandloop.agents.compliance import check_variant
from brandloop.agents.inputs import Brief
from brandloop.knowledge.registry import RulebookRegistry
from brandloop.knowledge.rules.claims import ClaimExtractor
from brandloop.knowledge.rules.engine import RuleEngine
from brandloop.knowledge.rules.model import Rule
from brandloop.knowledge.rules.types import Ctx

HARBOR = "Harbor Pale Ale is the lightest and flavorful Ale in the world"


def _state(product: str, facts=(), channel="meta_feed", rulebook="harbor_brewing") -> dict:
    brief = {"brand": "Harbor Brewing Co.", "product": {"name": product, "description": "A hazy pale ale."},
             "audience": ["craft beer drinkers 21+"], "channel": channel, "goal": "taproom visits",
             "key_message": "Hazy and local.", "rulebook": rulebook}
    return {"brief": Brief.model_validate(brief), "facts": list(facts), "materials": []}


@pytest.fixture(scope="module")
def harbor(tmp_path_factory):
    return RulebookRegistry(tmp_path_factory.mktemp("home")).rules_only("harbor_brewing")


def test_regression_unbacked_superlative_is_a_hard_violation(harbor):
    fields = {"primary_text": [HARBOR + ". Please drink responsibly."], "headline": ["Hazy, local pale ale"],
              "description": ["Cascade and Citra hops"]}
    found = [v for v in check_variant(fields, _state("Harbor Pale Ale"), harbor) if v.rule_id == "harbor.claims"]
    assert {HARBOR[v.start:v.end] for v in found} == {"the lightest", "in the world"}
    assert all(v.severity == "error" for v in found)


def test_a_fact_that_backs_the_superlative_clears_it(harbor):
    fields = {"primary_text": [HARBOR + ". Please drink responsibly."], "headline": ["Hazy, local pale ale"]}
    state = _state("Harbor Pale Ale", facts=["Rated the lightest pale ale in the world by Beer Digest 2025"])
    assert not [v for v in check_variant(fields, state, harbor) if v.rule_id == "harbor.claims"]


@pytest.mark.parametrize("text,found", [
    ("the crispest lager on the coast", ["the crispest"]),
    ("the smoothest porter on earth", ["the smoothest", "on earth"]),
    ("Take the rest of the day off", []),
    ("Pass the test with ease", []),
    ("Our latest release", []),
    ("Harbor Pale Ale Bestselling", ["Bestselling"]),  # one word: 'best' alone did not match it
    ("Our best-seller is back", ["best-seller"]),
])
def test_superlatives_after_the_and_place_wide_claims(text, found):
    assert [c.text for c in ClaimExtractor(["superlative"]).extract(text)] == found


BANK = Rule(id="b.claims", type="claim", severity="error", params={})
BANK_FACTS = Ctx(fact_values=[(100.0, "price"), (4.10, "percent")],
                 backing_texts=["$100 minimum opening deposit", "4.10% APY on all balances"])


def _bank(text):
    return RuleEngine([BANK]).check({"headline": [text]}, BANK_FACTS)


def test_a_number_stated_as_another_fact_is_a_violation():
    (v,) = _bank("Free initial deposit $100")
    assert v.severity == "error" and (v.start, v.end) == (21, 25)
    assert v.message == "'$100' is stated as 'free initial deposit' but the fact says 'minimum opening deposit'"


@pytest.mark.parametrize("text", ["Open with just $100", "Earn 4.10% APY with no monthly fee",
                                  "Just $100 opens your account", "$100 minimum deposit"])
def test_a_number_stated_as_its_fact_passes(text):
    assert _bank(text) == []


def test_context_check_can_be_switched_off():
    rule = BANK.model_copy(update={"params": {"context": False}})
    assert RuleEngine([rule]).check({"headline": ["Free initial deposit $100"]}, BANK_FACTS) == []


def test_harbor_golden_examples_pass(harbor):
    results = harbor.run_golden()
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]


def test_words_of_another_numeric_fact_do_not_back_a_number():
    ctx = Ctx(fact_values=[(250000.0, "price"), (0.0, "price")],
              backing_texts=["FDIC insured up to $250,000", "$0 minimum deposit to open", "no monthly fee"])
    (v,) = RuleEngine([BANK]).check({"headline": ["$250,000 minimum deposit"]}, ctx)
    assert "'$250,000' is stated as 'minimum deposit'" in v.message
    # words of a fact with no number (an approved claim) describe the product and may stand next to any number
    assert RuleEngine([BANK]).check({"headline": ["FDIC insured to $250,000, no monthly fee"]}, ctx) == []


def test_regression_brief_without_rulebook_still_marks_the_superlative():
    fields = {"primary_text": [HARBOR + "."], "headline": ["Hazy, local pale ale"]}
    state = _state("Harbor Pale Ale", rulebook=None)
    state["brief"].product.facts = ["5.2% ABV"]
    found = [v for v in check_variant(fields, state, None) if v.rule_id == "brief.claims"]
    assert {HARBOR[v.start:v.end] for v in found} == {"the lightest", "in the world"}
    assert all(v.severity == "error" for v in found)
    fields = {"primary_text": ["A hazy 5.2% pale ale from the harbor."], "headline": ["Hazy, local pale ale"]}
    assert not [v for v in check_variant(fields, state, None) if v.rule_id == "brief.claims"]
    bent = {"primary_text": ["A hazy 6% pale ale."], "headline": ["Hazy, local pale ale"]}
    assert [v.rule_id for v in check_variant(bent, state, None) if v.rule_id == "brief.claims"] == ["brief.claims"]


def test_a_rulebook_claim_rule_replaces_the_brief_claim_check(harbor):
    fields = {"primary_text": [HARBOR + ". Please drink responsibly."], "headline": ["Hazy, local pale ale"]}
    ids = [v.rule_id for v in check_variant(fields, _state("Harbor Pale Ale"), harbor)]
    assert "harbor.claims" in ids and "brief.claims" not in ids


def test_regression_save_before_a_number_is_a_claim_of_its_own():
    # delivered clean on the Northwind search brief: "Save $250,000 with FDIC!" from "FDIC insured up to $250,000"
    ctx = Ctx(fact_values=[(250000.0, "price"), (40.0, "percent")],
              backing_texts=["FDIC insured up to $250,000", "40% off your first box"])
    (v,) = RuleEngine([BANK]).check({"headline": ["Save $250,000 with FDIC!"]}, ctx)
    assert "'$250,000' is stated as 'save'" in v.message
    for text in ["Save 40% on your first box", "Saves you 40% off", "Start saving with FDIC insured up to $250,000"]:
        assert RuleEngine([BANK]).check({"headline": [text]}, ctx) == [], text
    # approved in a search ad: 'up to' frames the number, it does not start another phrase that hides 'Save'
    (v,) = RuleEngine([BANK]).check({"description": ["Save up to $250,000 on your first home."]}, ctx)
    assert "'$250,000' is stated as 'save'" in v.message
    assert RuleEngine([BANK]).check({"headline": ["Save up to 40% on your first box"]}, ctx) == []
