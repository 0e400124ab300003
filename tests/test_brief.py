import pytest

from brandloop.graph.brief import BriefError, load_brief


def write(tmp_path, text, name="b.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


BASE = "brand: B\nproduct: {name: P}\naudience: a\nchannel: meta_feed\n"


def test_valid_brief_accepts_one_audience_string(tmp_path):
    brief, base = load_brief(write(tmp_path, BASE))
    assert brief.audience == ["a"] and brief.variants == 3 and base == tmp_path


def test_json_briefs_work(tmp_path):
    brief, _ = load_brief(write(tmp_path, '{"brand":"B","product":{"name":"P"},"audience":["a"],"channel":"x"}', "b.json"))
    assert brief.channel == "x"


@pytest.mark.parametrize("text, field, words", [
    ("product: {name: P}\naudience: a\nchannel: x\n", "brand", "is missing (fix: write the brand's name"),
    (BASE.replace("meta_feed", "instagram"), "channel", "unknown channel 'instagram'"),
    (BASE + "variants: 0\n", "variants", "must be between 1 and 12 (fix: use a number from 1 to 12)"),
    (BASE + "colour: red\n", "colour", "is not a brief field (fix: remove it or check its spelling (brand,"),
    (BASE + "materials: [missing.png]\n", "materials.0", "material file not found: missing.png"),
    ("brand: [unclosed\n", "(syntax)", "not valid YAML at line"),
    ("- just\n- a list\n", "(top level)", "mapping"),
])
def test_errors_name_file_field_and_fix(tmp_path, text, field, words):
    p = write(tmp_path, text)
    with pytest.raises(BriefError) as e:
        load_brief(p)
    msg = str(e.value)
    assert e.value.field == field
    assert str(p) in msg and f"'{field}'" in msg and words in msg
    assert "\n" not in msg


def test_missing_brief_file(tmp_path):
    with pytest.raises(BriefError, match="brief file not found"):
        load_brief(tmp_path / "nope.yaml")


def test_every_problem_of_a_brief_is_reported_at_once_in_plain_words(tmp_path):
    p = write(tmp_path, "brand: ''\nproduct: {description: d}\naudience: []\nchannel: x\nvariants: many\n"
                        "materials: [gone.png]\n")
    with pytest.raises(BriefError) as e:
        load_brief(p)
    lines = str(e.value).splitlines()
    assert [f for f, _, _ in e.value.issues] == ["brand", "product.name", "audience", "variants", "materials.0"]
    assert len(lines) == 5 and all(ln.startswith(f"{p}: field '") and ln.count("(fix:") == 1 for ln in lines)
    assert "'audience': is empty (fix: name at least one audience segment" in lines[2]
    assert "'variants': must be a whole number (fix: write a whole number, e.g. 3)" in lines[3]
    for wording in ("should have", "Input should", "after validation", "correct the value", "Field required"):
        assert wording not in str(e.value)


def test_a_fix_is_never_given_twice():
    err = BriefError("b.yaml", "rulebook", "rulebook 'x' is not installed (fix: run 'brandloop rulebook list')",
                     "add it with 'brandloop rulebook add PATH'")
    assert str(err).count("(fix:") == 1
