"""The describer inside the graph: real files parsed, facts reach the copywriter, bad files do not stop a run."""
from PIL import Image, ImageDraw, ImageFont

from brandloop.graph.context import RunSettings
from brandloop.graph.runner import Runner
from brandloop.graph.store import RunStore
from tests.fakes import COPY, DESCRIBE, scripted
from tests.test_graph import GOOD


def make_materials(tmp_path):
    img = Image.new("RGB", (800, 800), (200, 30, 30))
    ImageDraw.Draw(img).text((60, 340), "BIG SALE", fill="white",
                             font=ImageFont.truetype("DejaVuSans-Bold.ttf", 110))
    img.save(tmp_path / "ad.png")
    (tmp_path / "page.html").write_text("<html><body><main><h1>Bites</h1><p>Only $3.49 per pack.</p>"
                                        "<table><tr><th>Protein</th><td>6 g per serving</td></tr></table>"
                                        "</main></body></html>")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")


def test_materials_are_described_and_a_corrupt_file_does_not_stop_the_run(home, tmp_path):
    make_materials(tmp_path)
    brief = tmp_path / "brief.yaml"
    brief.write_text("brand: B\nproduct: {name: Bites}\naudience: kids\nchannel: google_rsa\n"
                     "materials: [ad.png, page.html, broken.png]\n")
    llm = scripted(GOOD, describe="A bold red sale graphic.")
    result = Runner(home, lambda s, **kw: llm).run(brief, RunSettings(max_revisions=0))
    mats = {m["source"].rsplit("/", 1)[-1]: m for m in result["materials"]}
    assert mats["ad.png"]["summary"] == "A bold red sale graphic." and mats["ad.png"]["error"] is None
    assert "broken.png" in mats["broken.png"]["error"] and len(result["variants"]) == 3
    assert any(f["value"] == 3.49 and f["unit"] == "USD" for f in mats["page.html"]["facts"])
    # Facts from the page and the OCR'd text reach the copywriter's prompt.
    copy_prompt = llm.prompts_with(COPY)[0]
    assert "price $3.49" in copy_prompt and "Protein: 6 g per serving" in copy_prompt
    assert "BIG SALE" in llm.prompts_with(DESCRIBE)[0]
    describer = RunStore(home).events(result["run_id"], "describer")[0]
    assert any("broken.png" in e for e in describer["errors"])


def _describe(home, args, llm_factory):
    from click.testing import CliRunner

    from brandloop.cli import cli

    return CliRunner().invoke(cli, ["describe", *args], obj={"home": home, "llm_factory": llm_factory})


def test_describe_measures_without_the_model_unless_summary_is_asked(home, tmp_path):
    import json
    import re

    note = tmp_path / "note.txt"
    note.write_text("Earn 4.10% APY on everyday savings, with no monthly fee.\n")

    def no_model(spec, **kw):
        raise AssertionError("the model was loaded without --summary")

    plain = _describe(home, [str(note)], no_model)
    assert plain.exit_code == 0, plain.output
    assert "summary:" not in plain.output and "words" in plain.output
    digest = json.loads(_describe(home, [str(note), "--json"], no_model).output)[0]["prompt_digest"]
    words = re.search(r"(\d+) words", digest).group(1)

    # a reply cut off by the token budget keeps its complete sentences only
    cut = scripted("", describe=f"A short savings note of {words} words. It mentions a fee and the")
    r = _describe(home, [str(note), "--summary"], lambda spec, **kw: cut)
    assert f"   summary: A short savings note of {words} words.\n" in r.output

    # a measured number with the wrong unit is not passed on: the measurements are
    wrong = scripted("", describe=f"A savings note of {words} pages.")
    r = _describe(home, [str(note), "--summary", "--json"], lambda spec, **kw: wrong)
    summary = json.loads(r.output)[0]["summary"]
    assert "pages" not in summary and f"{words} words" in summary and summary.startswith("text note.txt; ")


def test_a_measured_number_with_another_unit_is_caught():
    from brandloop.agents.describer import unit_problems

    digest = "video clip.mp4\n1920x1080 px, 16:9 landscape, 6.0 s, 12.0 fps; 3 scene(s)"
    assert unit_problems("A 6-second landscape clip at 12.0 frames.", digest) == [
        "'12.0 frames' but measured 12.0 fps"]
    assert unit_problems("A 1920x1080 landscape clip, 6.0 seconds at 12 frames per second, 3 scenes.", digest) == []


def test_a_constraining_engine_gets_a_one_sentence_summary_pattern(tmp_path):
    import re as _re

    from brandloop.agents.describer import describe_files
    from brandloop.agents.formats import summary_pattern
    from brandloop.agents.tracing import NodeTrace
    from tests.fakes import ConstrainedScriptedChatModel

    note = tmp_path / "note.txt"
    note.write_text("Everyday Savings pays 4.10% APY with no monthly fee.", encoding="utf-8")
    llm = ConstrainedScriptedChatModel(rules=[(DESCRIBE, "A short savings note about one account.")],
                                       calls=[], patterns=[])
    [report] = describe_files([note], llm, NodeTrace("describer", 0, {}), cache_dir=None, max_new_tokens=40)
    assert report["summary"] == "A short savings note about one account."
    assert llm.patterns == [summary_pattern(report["prompt_digest"])]  # the reply was held to it
    p = llm.patterns[0]
    assert not _re.fullmatch(p, "A short note. It mentions a fee")  # one sentence, and it ends
    assert not _re.fullmatch(p, "A short note") and not _re.fullmatch(p, "<one sentence>.")
