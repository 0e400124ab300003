from brandloop.knowledge.channels import get_channel
from brandloop.knowledge.checks import check_channel, check_terms
from brandloop.knowledge.text import char_length, trim_to_limit


def test_graphemes_and_wide_characters():
    assert char_length("e\u0301te\u0301") == 3  # combining accents count once
    assert char_length("👍🏽ok") == 3  # emoji + skin tone modifier is one character
    assert char_length("日本語") == 3
    assert char_length("日本語", wide_counts_double=True) == 6


def test_length_violation_names_field_index_and_limit():
    spec = get_channel("google_rsa")
    v = check_channel({"headline": ["ok", "x" * 31, "fine"], "description": ["a", "b"]}, spec)
    assert [(x.rule_id, x.field, x.index) for x in v] == [("channel.length", "headline", 1)]
    assert v[0].message == "headline 2 is 31 characters; the limit is 30"


def test_cjk_counts_double_on_google():
    spec = get_channel("google_rsa")
    v = check_channel({"headline": ["日" * 16, "a", "b"], "description": ["a", "b"]}, spec)
    assert any(x.rule_id == "channel.length" and x.index == 0 for x in v)


def test_counts_duplicates_and_unknown_fields():
    spec = get_channel("google_rsa")
    v = check_channel({"headline": ["Save More", "save more!"], "description": ["a", "b"], "cta": ["x"]}, spec)
    ids = sorted(x.rule_id for x in v)
    assert ids == ["channel.count", "channel.duplicate", "channel.field"]


def test_tiktok_forbidden_chars_and_emoji():
    spec = get_channel("tiktok")
    v = check_channel({"ad_text": ["Snack time #yum 🍪 for everyone"]}, spec)
    assert {x.rule_id for x in v} == {"channel.chars", "channel.emoji"}


def test_overrides_replace_limits():
    spec = get_channel("meta_feed", {"headline": {"max_chars": 10}})
    assert spec.fields["headline"].max_chars == 10
    assert get_channel("meta_feed").fields["headline"].max_chars == 27


def test_forbidden_words_are_whole_words_with_offsets():
    v = check_terms({"headline": ["Guaranteed returns", "unguaranteed"]}, ["guaranteed"], ["savings"])
    hard = [x for x in v if x.severity == "error"]
    assert [(x.index, x.start, x.end) for x in hard] == [(0, 0, 10)]
    assert [x.rule_id for x in v if x.severity == "warning"] == ["brief.keyword"]


def test_a_keyword_counts_in_its_close_variants_and_a_forbidden_word_is_exact():
    assert not check_terms({"headline": ["Crunchy chickpea bites"]}, [], ["crunch"])
    assert not check_terms({"headline": ["Two hazy pale ales"]}, [], ["pale ale"])
    assert not check_terms({"headline": ["A saving account"]}, [], ["savings"])
    # delivered without the keyword 'fold', by this check: "Foldable commuter e-bike with removable battery"
    assert not check_terms({"ad_text": ["Foldable commuter e-bike with removable battery"]}, [], ["fold"])
    assert [x.rule_id for x in check_terms({"headline": ["Crunchiness, pale alehouse"]}, [], ["crunch", "pale ale"])] \
        == ["brief.keyword", "brief.keyword"]
    assert not check_terms({"headline": ["Guarantee it"]}, ["guaranteed"], [])


def test_trim_cuts_at_word_boundary():
    assert trim_to_limit("Earn more on every single dollar", 20) == "Earn more on every"
    assert trim_to_limit("short", 20) == "short"
    assert len(trim_to_limit("Supercalifragilistic expialidocious", 10)) <= 10
