"""Brand rule types, precedence and inheritance, repair, over the example rulebooks (no index, no LLM)."""
import pathlib

import pytest

from brandloop.knowledge.retrieval import BrandKnowledge
from brandloop.knowledge.rulebook import flatten, load_folder

ROOT = pathlib.Path(__file__).resolve().parent.parent / "rulebooks"


def _know(name):
    L = load_folder(ROOT / name)
    assert not L.errors, [str(e) for e in L.errors]
    return BrandKnowledge(flatten(L, "test"))


@pytest.fixture(scope="module")
def bank():
    return _know("northwind_bank")


@pytest.fixture(scope="module")
def kids():
    return _know("verdant_kids")


@pytest.mark.parametrize("name", ["northwind_bank", "verdant", "verdant_kids", "cobalt"])
def test_golden_examples_pass(name):
    results = _know(name).run_golden()
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]


def test_required_disclaimer_and_repair(bank):
    fields = {"headline": ["Earn 4.10% APY"], "description": ["Open an account in minutes."]}
    vs = bank.check(fields, channel="google_rsa", product="Northwind Everyday Savings")
    req = [v for v in vs if v.rule_id == "nw.rate-disclaimer"]
    assert len(req) == 1 and req[0].severity == "error" and req[0].field == "headline"
    assert (req[0].start, req[0].end) == (5, 10)
    fixed = bank.repair(fields["description"][0], req)
    assert fixed == "Open an account in minutes. Rates subject to credit approval."
    fields["description"] = [fixed]
    assert not [v for v in bank.check(fields, channel="google_rsa", product="Northwind Everyday Savings")
                if v.rule_id == "nw.rate-disclaimer"]


def test_claims_backed_by_facts_and_extra_facts(bank):
    ok = bank.check({"headline": ["4.10% APY, no monthly fee"]}, channel="meta_feed", product="Northwind Everyday Savings")
    assert not [v for v in ok if v.rule_id == "nw.claims"]
    bad = bank.check({"headline": ["Earn 4.25% APY"]}, channel="meta_feed", product="Northwind Everyday Savings")
    assert [(v.rule_id, v.start, v.end) for v in bad if v.rule_id == "nw.claims"] == [("nw.claims", 5, 10)]
    # a rate of another product does not back this one
    other = bank.check({"headline": ["21.99% APR"]}, channel="meta_feed", product="Northwind Everyday Savings")
    assert [v for v in other if v.rule_id == "nw.claims"]
    # extra facts from the describer back a number
    extra = bank.check({"headline": ["Open in 5 minutes"]}, channel="meta_feed", product="Northwind Everyday Savings",
                       extra_facts=["Account opening takes 5 minutes online"])
    assert not [v for v in extra if v.rule_id == "nw.claims"]
    sup = bank.check({"headline": ["The best bank, #1 in savings"]}, channel="meta_feed", product="Northwind Everyday Savings")
    assert {v.message.split("'")[1] for v in sup if v.rule_id == "nw.claims"} == {"best", "#1"}
    # product names with digits are not claims
    cobalt = _know("cobalt")
    assert not [v for v in cobalt.check({"t": ["Cobalt Flow for B2B teams"]}, channel="linkedin", product="Cobalt Flow")
                if v.rule_id == "cobalt.claims"]


def test_substitution_casing_repair(bank):
    text = "Meet the northwind rewards card"
    vs = bank.check({"description": [text]}, channel="meta_feed")
    assert [v.rule_id for v in vs] == ["nw.names"]
    assert bank.repair(text, vs) == "Meet the Northwind Rewards Card"
    assert bank.repair("nothing to fix", []) == "nothing to fix"


def test_child_overrides_parent_rule(kids):
    ids = {r.id: r for r in kids.rules_for()}
    assert "candy" in ids["verdant.banned"].params["tokens"]  # child's version of the parent id
    assert ids["verdant.exclamation"].params["max"] == 3  # relaxed
    assert "verdant.claims" not in ids and "kids.claims" in ids  # explicit overrides
    assert "verdant.trademarks" in ids  # inherited untouched
    vs = kids.check({"headline": ["Better than candy! Yum! Wow!"]}, channel="meta_feed", product="Veggie Stars")
    rules = {v.rule_id for v in vs}
    assert "verdant.banned" in rules and "verdant.exclamation" not in rules
    parent = {r.id: r for r in kids.rules_for(brand="Verdant")}
    assert "candy" not in parent["verdant.banned"].params["tokens"] and parent["verdant.exclamation"].params["max"] == 1


def test_channel_scoped_rule_beats_global(kids):
    search = kids.rules_for(channel="google_rsa")
    other = kids.rules_for(channel="meta_feed")
    assert "verdant.casual-search" in {r.id for r in search}
    glob = {r.id: r for r in search}["verdant.casual"]
    assert "yummy" not in glob.params["tokens"] and "snack attack" in glob.params["tokens"]
    assert "verdant.casual-search" not in {r.id for r in other}
    vs = kids.check({"headline": ["Yummy stars"]}, channel="google_rsa")
    assert [(v.rule_id, v.severity) for v in vs] == [("verdant.casual-search", "error")]
    vs = kids.check({"headline": ["Yummy stars"]}, channel="meta_feed")
    assert [(v.rule_id, v.severity) for v in vs] == [("verdant.casual", "warning")]


def test_audience_scope_and_facts(kids):
    fields = {"primary_text": ["Kids love Veggie Stars."]}
    assert "kids.parent-audience" in {v.rule_id for v in kids.check(fields, channel="meta_feed", audience=["parents of young children"])}
    assert "kids.parent-audience" not in {v.rule_id for v in kids.check(fields, channel="meta_feed", audience=["students"])}
    assert [f.value for f in kids.facts_for("Verdant Crunch Bites")] == [6, 120, 100]
    assert kids.facts_for("Veggie Stars")[0].statement == "No added sugar"


def test_graph_queries_match(kids):
    from brandloop.knowledge import kg

    G = kg.build_graph(kids.data)
    assert {r.id for r in kg.rules_for(G, channel="google_rsa")} == {r.id for r in kids.rules_for(channel="google_rsa")}
    assert [f.value for f in kg.facts_for(G, "Crunch Bites")] == [6, 120, 100]
    kinds = {d["kind"] for _, _, d in G.edges(data=True)}
    assert {"inherits", "has_product", "has_fact", "applies_to", "replaces", "requires", "overrides", "cites"} <= kinds


def test_compiled_once_per_version(bank):
    e1 = bank.engine("google_rsa", None, None)
    bank.check({"headline": ["x"]}, channel="google_rsa")
    assert bank.engine("google_rsa", None, None) is e1
