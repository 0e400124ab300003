"""Full asset sets: how many headlines and descriptions a variant carries (brief > rulebook > channel), drafted,
selected and written anew without repeats, checked in every combination and exported in every column."""
import csv
import io
import itertools
import json

import pytest

from brandloop.agents.common import channel_of
from brandloop.agents.selection import candidate_count
from brandloop.export import GOOGLE_COLUMNS, Target, google_ads_editor
from brandloop.graph.brief import BriefError, load_brief
from brandloop.knowledge.channels import get_channel
from brandloop.knowledge.checks import check_channel
from brandloop.knowledge.rulebook.loader import RulebookError, validate
from brandloop.agents.formats import item_number
from tests.fakes import COPY, CRITIC as CRITIC_TEMPLATE, NEW_LINE, REWRITE, ConstrainedScriptedChatModel
from tests.test_engines import CRITIC
from tests.test_graph import run

BRIEF = ("brand: Northwind Bank\nproduct:\n  name: Everyday Savings\n  description: A savings account.\n"
         "  facts: ['4.10% APY']\naudience: [savers]\nchannel: google_rsa\ngoal: sign-ups\nkey_message: Earn more.\n"
         "keywords: [savings]\nforbidden_words: [guaranteed]\nvariants: 3\n")
WORDS = ["Harbor", "Maple", "Cedar", "Summit", "Meadow", "River", "Canyon", "Prairie", "Aspen", "Willow", "Lantern",
         "Orchard", "Granite", "Juniper", "Falcon", "Beacon", "Clover", "Tundra", "Sierra", "Bramble", "Cobalt",
         "Ember", "Fjord", "Glacier", "Hazel", "Indigo", "Jasper", "Kestrel", "Laurel", "Marlin", "Nimbus", "Onyx",
         "Pebble", "Quartz", "Raven", "Sable", "Thistle", "Umber", "Violet", "Walnut", "Yarrow", "Zephyr", "Acorn",
         "Birch", "Comet", "Dune", "Egret", "Flint"]


class FakeRubric:
    """A stand-in for a loaded rulebook: only its channel overrides matter here."""

    def __init__(self, overrides):
        self.channel_overrides = overrides


def state_of(brief_path):
    brief, _ = load_brief(brief_path)
    return {"brief": brief}


def write(tmp_path, text):
    p = tmp_path / "brief.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def counts(spec):
    return spec.fields["headline"].draft, spec.fields["description"].draft


def test_counts_come_from_the_brief_then_the_rulebook_then_the_channel(tmp_path):
    plain = state_of(write(tmp_path, BRIEF))
    assert counts(channel_of(plain)) == (10, 4)
    rulebook = FakeRubric({"google_rsa": {"headline": {"draft": 12}}})
    assert counts(channel_of(plain, rulebook)) == (12, 4)
    own = state_of(write(tmp_path, BRIEF + "assets: {headline: 5, description: 3}\n"))
    assert counts(channel_of(own)) == (5, 3) and counts(channel_of(own, rulebook)) == (5, 3)
    capped = FakeRubric({"google_rsa": {"headline": {"max_count": 4}}})  # the rulebook's stricter limit holds
    assert counts(channel_of(own, capped)) == (4, 3)


@pytest.mark.parametrize("assets, words", [
    ("{headline: 16}", ["assets", "headline is 16", "3 to 15", "headline: 15"]),
    ("{description: 1}", ["assets", "description is 1", "2 to 4", "description: 2"]),
    ("{primary_text: 2}", ["assets", "no field 'primary_text'", "headline, description"]),
    ("{headline: many}", ["assets.headline", "whole number"]),
])
def test_bad_asset_counts_name_the_file_field_and_allowed_range(tmp_path, assets, words):
    path = write(tmp_path, BRIEF + f"assets: {assets}\n")
    with pytest.raises(BriefError) as e:
        load_brief(path)
    msg = str(e.value)
    assert len(msg.splitlines()) == 1 and msg.startswith(f"{path}: field '")
    for w in words:
        assert w in msg


def test_a_rulebook_draft_outside_the_channel_range_is_refused(tmp_path):
    rb = tmp_path / "rb"
    rb.mkdir()
    (rb / "rulebook.yaml").write_text("brand: {name: B}\nchannels:\n  google_rsa: {headline: {draft: 20}}\n",
                                      encoding="utf-8")
    with pytest.raises(RulebookError) as e:
        validate(rb)
    assert "draft 20 is outside google_rsa's allowed headline count 3 to 15" in str(e.value)
    (rb / "rulebook.yaml").write_text("brand: {name: B}\nchannels:\n  google_rsa: {headline: {draft: 12}}\n",
                                      encoding="utf-8")
    assert validate(rb).channels["google_rsa"]["headline"]["draft"] == 12


def distinct_ads(n_heads, n_descs):
    """A whole-ad reply per angle; each variant's lines use their own words, so nothing repeats, and no two lines of
    a field share more than 'Savings' (shown together, they read as different lines)."""
    angles = iter(range(100))

    def ad(prompt):
        k = next(angles)
        pairs = [[(2 * i, 2 * i + 1), (2 * i + 1, 2 * i + 2), (4 * (i // 2) + i % 2, 4 * (i // 2) + i % 2 + 2)][k % 3]
                 for i in range(n_heads)]  # no two of one variant share a word; no pair is another variant's
        heads = [f"{WORDS[a]} {WORDS[b]} Savings" for a, b in pairs]
        rest, when = WORDS[2 * n_heads + 2:] * 2, ["today", "anytime", "everywhere"][k % 3]
        rest = rest[[0, 2, 1][k % 3]:]  # some of each line's four words differ from any line of another variant
        descs = [f"Earn 4.10% APY with {' '.join(rest[4 * i:4 * i + 4])} savings {when}." for i in range(n_descs)]
        return "\n".join([f"HEADLINE {i + 1}: {h}" for i, h in enumerate(heads)] +
                         [f"DESCRIPTION {i + 1}: {d}" for i, d in enumerate(descs)])
    return ad


def test_ten_headlines_per_variant_none_repeated_within_or_across_variants(tmp_path):
    spec = get_channel("google_rsa")
    nh, nd = candidate_count(spec.fields["headline"]), candidate_count(spec.fields["description"])
    llm = ConstrainedScriptedChatModel(rules=[(COPY, distinct_ads(nh, nd)), (CRITIC_TEMPLATE, CRITIC)],
                                       calls=[], patterns=[])
    out, state = run(write(tmp_path, BRIEF), llm, max_revisions=0)
    drafts = llm.prompts_with(COPY)
    assert len(drafts) == 3 and f"(?:HEADLINE {item_number(nh)}: " in llm.patterns[0]
    assert f"{{{nh}}}(?:DESCRIPTION {item_number(nd)}: " in llm.patterns[0]  # 13 headlines, then descriptions
    seen = set()
    for v in out["variants"]:
        heads, descs = v["fields"]["headline"], v["fields"]["description"]
        assert (len(heads), len(descs)) == (10, 4)
        lines = [t.casefold() for t in heads + descs]
        assert len(set(lines)) == len(lines) and not seen & set(lines)
        seen |= set(lines)
    copy_calls = [c["target"] for e in state["trace"] if e["node"] == "copywriter" for c in e["calls"]]
    assert copy_calls == ["v1", "v2", "v3"]  # one batched draft per variant, nothing written line by line


def test_missing_lines_are_written_anew_never_copied_from_a_sibling(tmp_path):
    spec = get_channel("google_rsa")
    nh, nd = candidate_count(spec.fields["headline"]), candidate_count(spec.fields["description"])
    first = distinct_ads(nh, nd)("")
    heads = [line.split(": ", 1)[1] for line in first.splitlines() if line.startswith("HEADLINE")]
    # v2's draft offers 8 of the lines v1 may take, so it has too few of its own; v3's draft is its own
    others = distinct_ads(nh, nd)
    others("")  # its own words from here on
    # on the brief (a savings account), and no two read as a repeat shown side by side
    spare = ["Alpha", "Bravo", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Kilo", "Lima", "Oscar", "Papa",
             "Romeo", "Tango", "Victor", "Yankee", "Zulu", "Quebec", "Sigma", "Omega"]
    next_new = iter(f"{a} {b} Savings Perks" for a, b in zip(spare[::2], spare[1::2]))

    def ad(prompt):
        if "main benefit" in prompt:
            return first
        reply = others(prompt)
        if "concrete product fact" in prompt:
            lines = reply.splitlines()
            for i in range(8):
                lines[i] = f"HEADLINE {i + 1}: {heads[i]}"
            reply = "\n".join(lines)
        return reply

    llm = ConstrainedScriptedChatModel(rules=[(COPY, ad), (NEW_LINE, lambda p: next(next_new)),
                                              (CRITIC_TEMPLATE, CRITIC)], calls=[], patterns=[])
    out, state = run(write(tmp_path, BRIEF), llm, max_revisions=0)
    v1, v2 = out["variants"][0]["fields"]["headline"], out["variants"][1]["fields"]["headline"]
    assert len(v2) == 10 and not {t.casefold() for t in v1} & {t.casefold() for t in v2}
    written = [t for t in v2 if t.endswith("Savings Perks")]
    bad = [p[-300:] for p in llm.prompts_with(NEW_LINE) if "Write one headline for Everyday Savings" not in p]
    assert written and not bad and not llm.prompts_with(REWRITE), bad
    loop0 = [c["target"] for e in state["trace"] if e["node"] == "copywriter" for c in e["calls"]]
    assert loop0[:3] == ["v1", "v2", "v3"] and all(t.startswith("v2.headline.") for t in loop0[3:])
    assert len(loop0[3:]) == 2 * len(written)  # two candidates per missing line


def test_the_combination_check_sees_the_tenth_headline():
    spec = get_channel("google_rsa")
    heads = [f"{a} {b}" for a, b in zip(WORDS[:9], WORDS[20:29])]
    found = check_channel({"headline": heads + [heads[0].upper()], "description": ["a b c.", "d e f."]}, spec)
    assert [(x.rule_id, x.index) for x in found if x.field == "headline"] == [("channel.duplicate", 9)]
    heads = ["Open Online Today", "Earn 4.10% APY", "No Monthly Fee", "Save For a Home", "Bank From Anywhere",
             "Start With $1", "Member FDIC Bank", "Grow Your Money", "Quick Online Setup", "Open Today Online Now"]
    found = check_channel({"headline": heads, "description": ["a b c.", "d e f.", "g h i.", "j k l."]}, spec)
    assert [(x.rule_id, x.index) for x in found if x.field == "headline"] == [("channel.repetitive_combination", 9)]
    found = check_channel({"headline": heads[:9], "description": ["a b c.", "d e f.", "g h i.", "a b c."]}, spec)
    assert [(x.rule_id, x.index) for x in found] == [("channel.duplicate", 3)]


def test_the_google_ads_editor_csv_carries_every_headline_and_description():
    heads = [f"{w} Savings" for w in WORDS[:15]]
    descs = [f"Open {w} Everyday Savings online." for w in WORDS[:4]]
    variants = [{"id": "v1", "fields": {"headline": heads, "description": descs}},
                {"id": "v2", "fields": {"headline": heads[:10], "description": descs[:3]}}]
    text = google_ads_editor({"run_id": "r"}, variants, Target("C", "G", "https://x.example"))
    rows = [dict(zip(GOOGLE_COLUMNS, r)) for r in list(csv.reader(io.StringIO(text)))[1:]]
    assert [rows[0][f"Headline {i}"] for i in range(1, 16)] == heads
    assert [rows[0][f"Description {i}"] for i in range(1, 5)] == descs
    assert rows[1]["Headline 10"] == heads[9] and rows[1]["Headline 11"] == "" and rows[1]["Description 4"] == ""
    assert json.dumps(rows)  # plain strings only


def test_a_variant_short_of_the_asked_count_gets_a_warning(tmp_path):
    from brandloop.agents.compliance import check_variant

    state = state_of(write(tmp_path, BRIEF))
    heads = [f"{a} {b}" for a, b in zip(WORDS[:8], WORDS[20:28])]
    descs = ["Open Everyday Savings online in minutes.", "Earn 4.10% APY on savings.", "Savings for every saver."]
    found = [x for x in check_variant({"headline": heads, "description": descs}, state) if x.rule_id == "channel.count"]
    assert [(x.severity, x.field, x.message) for x in found] == [
        ("warning", "headline", "headline: 8 of the 10 item(s) asked for"),
        ("warning", "description", "description: 3 of the 4 item(s) asked for")]
    found = [x for x in check_variant({"headline": heads[:2], "description": descs}, state) if x.field == "headline"
             and x.rule_id == "channel.count"]
    assert [x.severity for x in found] == ["error"]  # under the channel's minimum


def test_the_missing_lines_of_one_batch_start_from_different_brief_texts(tmp_path):
    from brandloop.agents.copywriter import new_line_prompt

    brief, _ = load_brief(write(tmp_path, BRIEF))
    asks = [new_line_prompt(brief, "headline", get_channel("google_rsa"), k, "a call to action")[-1]
            .content for k in range(5)]
    built_on = [next(ln for ln in a.splitlines() if ln.startswith("Build it on: ")) for a in asks]
    assert built_on == ["Build it on: Earn more.", "Build it on: 4.10% APY", "Build it on: A savings account.",
                        "Build it on: Earn more.", "Build it on: 4.10% APY"]  # the goal ('sign-ups') is no copy
    assert all("Angle: a call to action" in a and "Write one headline for Everyday Savings, at most 30 characters" in a
               for a in asks)
