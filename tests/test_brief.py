import pytest

from graph.brief import BriefError, load_brief


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
    ("product: {name: P}\naudience: a\nchannel: x\n", "brand", "Field required"),
    (BASE.replace("meta_feed", "instagram"), "channel", "unknown channel 'instagram'"),
    (BASE + "variants: 0\n", "variants", "greater than or equal to 1"),
    (BASE + "colour: red\n", "colour", "Extra inputs"),
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
