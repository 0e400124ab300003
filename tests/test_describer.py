"""The describer inside the graph: real files parsed, facts reach the copywriter, bad files do not stop a run."""
from PIL import Image, ImageDraw, ImageFont

from graph.context import RunSettings
from graph.runner import Runner
from graph.store import RunStore
from tests.fakes import COPY_MARKER, DESCRIBE_MARKER, scripted
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
    copy_prompt = llm.prompts_with(COPY_MARKER)[0]
    assert "price $3.49" in copy_prompt and "Protein: 6 g per serving" in copy_prompt
    assert "BIG SALE" in llm.prompts_with(DESCRIBE_MARKER)[0]
    describer = RunStore(home).events(result["run_id"], "describer")[0]
    assert any("broken.png" in e for e in describer["errors"])
