"""Approved ads (exemplars): loaded from ads/ (YAML and Google Ads Editor CSV), validated with one-line errors,
indexed in their own Chroma collection on disk, retrieved by channel and nearness, and installed atomically."""
import shutil
import textwrap

import pytest

from brandloop.knowledge.channels import get_channel
from brandloop.knowledge.lint import lint_for
from brandloop.knowledge.index import ads_collection
from brandloop.knowledge.registry import BUNDLED, RulebookRegistry
from brandloop.errors import RulebookError
from tests.test_cli import invoke

BUNDLED_NAMES = ["northwind_bank", "verdant", "verdant_kids", "cobalt", "harbor_brewing", "voltcycle", "fieldtable"]


@pytest.mark.parametrize("name", BUNDLED_NAMES)
def test_bundled_ads_obey_their_own_rulebook(tmp_path, name):
    know = RulebookRegistry(tmp_path).rules_only(name)
    mine = [e for e in know.data.exemplars if e.rulebook == name]
    assert 4 <= len(mine) <= 8
    for e in mine:
        spec = get_channel(e.channel, know.channel_overrides.get(e.channel))
        found = know.check(e.fields, channel=e.channel, product=e.product or None, audience=e.audience)
        found += lint_for(e.fields, spec, know)
        assert not [v for v in found if v.severity in ("error", "warning")], (e.id, found)
        assert set(e.fields) <= set(spec.fields) and e.performance in ("best", "good", "learning", "low")


def test_a_google_ads_editor_csv_is_read_by_its_columns(tmp_path):
    know = RulebookRegistry(tmp_path).rules_only("northwind_bank")
    (e,) = [x for x in know.data.exemplars if x.id == "northwind_bank/ads/rsa_2025_q2.csv#row2"]
    assert e.channel == "google_rsa" and e.performance == "best" and e.campaign == "Savings 2025"
    assert e.ad_group == "High-yield savings" and e.paths == ["savings", "high-yield"]
    assert e.fields["headline"] == ["Earn 4.10% APY on Savings", "No Monthly Fee on Savings", "Open Online in Minutes"]
    assert len(e.fields["description"]) == 2 and e.final_url == "https://northwind.example/savings"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    reg = RulebookRegistry(home)
    rep = reg.add(BUNDLED / "harbor_brewing", "harbor_brewing")
    return reg, rep


def test_add_indexes_ads_in_their_own_collection(installed):
    reg, rep = installed
    assert rep.exemplars == 4
    cur = reg._current("harbor_brewing")
    assert reg.index.exists(ads_collection(cur["collection"])) and reg.index.exists(cur["collection"])
    assert reg.index.client.get_collection(ads_collection(cur["collection"])).count() == 4


def test_exemplars_for_prefers_the_channel_then_nearness(installed):
    reg, _ = installed
    know = reg.load("harbor_brewing")
    rsa = know.exemplars_for("smooth porter with roasted malt and cocoa for winter", "google_rsa", k=2)
    assert [e.id for e in rsa] == ["harbor_brewing/ads/rsa.csv#row3", "harbor_brewing/ads/rsa.csv#row2"]
    assert rsa[0].fields["headline"][0] == "Harbor Night Porter Is Back" and rsa[0].score > rsa[1].score
    meta = know.exemplars_for("smooth porter with roasted malt and cocoa for winter", "meta_feed", k=1)
    assert [e.id for e in meta] == ["harbor_brewing/ads/social.yaml#meta-porter-season"]
    assert know.exemplars_for("anything", "linkedin", k=3)  # no same-channel ad: nearest of any channel
    assert know.exemplars_for("anything", "google_rsa", k=0) == []


def test_ads_of_another_product_are_left_out(installed):
    reg, _ = installed
    know = reg.load("harbor_brewing")
    text = "smooth porter with roasted malt and cocoa for winter"
    mine = know.exemplars_for(text, "meta_feed", k=9, product="Harbor Pale Ale")
    ids = [e.id for e in mine]
    assert "harbor_brewing/ads/social.yaml#meta-porter-season" not in ids  # names Harbor Night Porter
    assert all(e.product in ("", "Harbor Pale Ale") for e in mine) and ids
    assert len(know.exemplars_for(text, "meta_feed", k=9)) > len(mine)  # no product given: every ad


def test_a_line_copied_from_an_approved_ad_is_a_hard_violation(installed):
    from brandloop.agents.compliance import approved_ad_copies

    reg, _ = installed
    know = reg.load("harbor_brewing")
    found = approved_ad_copies({"headline": ["Harbor Night Porter is back", "A porter for long nights"]}, know)
    assert [(x.rule_id, x.severity, x.index) for x in found] == [("copy.approved_ad", "error", 0)]
    assert "rsa.csv#row3" in found[0].message


def test_better_performance_label_first_among_near_ties(tmp_path):
    d = tmp_path / "tie"
    (d / "ads").mkdir(parents=True)
    (d / "rulebook.yaml").write_text("brand:\n  name: Tie\n", "utf-8")
    (d / "ads" / "a.yaml").write_text(textwrap.dedent("""\
        - {id: a-low, channel: x, performance: low, post_text: ["Fresh bread every morning"]}
        - {id: z-best, channel: x, performance: best, post_text: ["Fresh bread every morning"]}
        - {id: far, channel: x, performance: best, post_text: ["Quarterly tax filing for accountants"]}
        """), "utf-8")
    reg = RulebookRegistry(tmp_path / "home")
    reg.add(d, "tie")
    ids = [e.id for e in reg.load("tie").exemplars_for("fresh bread every morning", "x", k=3)]
    assert ids == ["tie/ads/a.yaml#z-best", "tie/ads/a.yaml#a-low", "tie/ads/a.yaml#far"]  # a 'best' far off stays last


def test_copies_exemplar_is_an_exact_line_match(installed):
    reg, _ = installed
    know = reg.load("harbor_brewing")
    assert know.copies_exemplar("harbor night porter is BACK") == "harbor_brewing/ads/rsa.csv#row3"
    assert know.copies_exemplar("  Porter season is here!  ") == "harbor_brewing/ads/social.yaml#meta-porter-season"
    assert know.copies_exemplar("Harbor Night Porter is back soon") is None
    assert know.copies_exemplar("Please drink responsibly.") is None  # a required text is no copy


def test_replacing_a_rulebook_replaces_its_ads_collection(tmp_path):
    src = tmp_path / "harbor_brewing"
    shutil.copytree(BUNDLED / "harbor_brewing", src)
    reg = RulebookRegistry(tmp_path / "home")
    reg.add(src)
    old = reg._current("harbor_brewing")["collection"]
    (src / "ads" / "social.yaml").unlink()
    rep = reg.add(src)
    new = reg._current("harbor_brewing")["collection"]
    assert rep.replaced and rep.exemplars == 2 and new != old
    assert not reg.index.exists(ads_collection(old)) and reg.index.exists(ads_collection(new))
    reg.remove("harbor_brewing")
    assert not reg.index.exists(ads_collection(new))


@pytest.mark.parametrize("name,text,expected", [
    ("bad.yaml", "- {id: a, channel: snapchat, headline: [Hi there]}\n",
     "ads/bad.yaml:1: channel: ad a: unknown channel 'snapchat' (fix: use one of:"),
    ("bad.yaml", "ads:\n  - id: a\n    channel: google_rsa\n    performance: great\n    headline: [Hello]\n",
     "ads/bad.yaml:2: performance: ad a: unknown label 'great' (fix: use best, good, learning, low"),
    ("bad.yaml", "- id: a\n  channel: meta_feed\n  headline: [This headline is far too long for a feed ad]\n",
     "ads/bad.yaml:1: headline 1: ad a: 43 characters; the limit is 27"),
    ("bad.yaml", "- id: a\n  channel: meta_feed\n  caption: [Hi]\n",
     "ads/bad.yaml:1: caption: ad a: Meta feed ad has no field 'caption'"),
    ("bad.yaml", "- id: a\n  headline: [Hi]\n", "ads/bad.yaml:1: channel: ad a: missing field"),
    ("bad.yaml", "- id: a\n  channel: x\n  post_text: [a: b\n", "ads/bad.yaml:3"),
    ("bad.csv", "Campaign,Title\nC,T\n", "ads/bad.csv:1: header: no 'Headline 1' and 'Description 1' columns"),
    ("bad.csv", "Headline 1,Description 1,Performance label\nHi,There,meh\n",
     "ads/bad.csv:2: performance: ad row2: unknown label 'meh'"),
    ("bad.txt", "hello", "ads/bad.txt: not an ads file"),
])
def test_bad_ads_are_one_line_errors_with_file_line_field_fix(tmp_path, name, text, expected):
    d = tmp_path / "brandx"
    (d / "ads").mkdir(parents=True)
    (d / "rulebook.yaml").write_text("brand:\n  name: BrandX\n", "utf-8")
    (d / "ads" / name).write_text(text, "utf-8")
    with pytest.raises(RulebookError) as err:
        RulebookRegistry(tmp_path / "home").validate(d)
    lines = [str(i) for i in err.value.issues]
    assert any(x.startswith(expected) for x in lines), lines
    assert all("\n" not in x for x in lines)


def test_cli_add_reports_and_show_lists_ads(home):
    out = invoke(home, ["rulebook", "add", str(BUNDLED / "harbor_brewing")])
    assert out.exit_code == 0 and "4 approved ads" in out.output
    shown = invoke(home, ["rulebook", "show", "harbor_brewing"])
    assert "Approved ads (4):" in shown.output
    assert "harbor_brewing/ads/rsa.csv#row2  google_rsa  best  Harbor Pale Ale in 12 oz Cans" in shown.output
