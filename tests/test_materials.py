"""Tests of the materials measurement layer: images, pages/text, errors, cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from brandloop import materials
from brandloop.materials import Fact, MaterialReport, analyze
from brandloop.materials import core
from brandloop.materials.colors import name_color
from brandloop.materials.image import geometry

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")


def _font(size: int):
    for p in FONT_CANDIDATES:
        if Path(p).exists():
            return ImageFont.truetype(p, size)
    return ImageFont.load_default(size=size)


def make_ad(path: Path, size=(1080, 1080), bg=(200, 20, 30), fg="white", lines=("SUMMER SALE", "Only $49.99"), **save):
    im = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(im)
    font = _font(size[0] // 11)
    y = size[1] // 3
    for line in lines:
        d.text((size[0] // 12, y), line, font=font, fill=fg)
        y += int(size[0] / 11 * 1.6)
    im.save(path, **save)
    return path


# ----------------------------------------------------------------------------- images
@needs_tesseract
def test_image_ocr_colours_geometry_and_price_fact(tmp_path):
    r = analyze(make_ad(tmp_path / "ad.png"))
    assert r.error is None and r.kind == "image"
    f = r.features
    assert (f["width"], f["height"], f["aspect_label"], f["orientation"]) == (1080, 1080, "1:1", "square")
    assert f["suited_placements"] == ["square feed 1:1"]
    names = [c["name"] for c in f["dominant_colors"]]
    assert names[0] == "red" and "white" in names
    assert f["dominant_colors"][0]["share"] > 0.8
    assert f["ocr"]["status"] == "ok"
    assert "SUMMER SALE" in f["ocr"]["text"] and "$49.99" in r.text
    prices = [x for x in r.facts if x.unit == "USD"]
    assert prices and prices[0].value == pytest.approx(49.99) and prices[0].source.startswith("ad.png#ocr")
    assert f["caption"] == {"status": "not configured"}
    assert "SUMMER SALE" in r.prompt_digest and len(r.prompt_digest) <= 800
    json.dumps(r.model_dump(mode="json"))  # serialisable


@needs_tesseract
def test_story_jpeg_with_exif_and_dark_text_on_light(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS R5"  # Model
    p = make_ad(tmp_path / "story.jpg", size=(1080, 1920), bg=(250, 250, 250), fg=(10, 20, 110),
                lines=("FRESH COFFEE",), quality=95, exif=exif)
    r = analyze(p)
    f = r.features
    assert f["orientation"] == "portrait" and f["aspect_label"] == "9:16"
    assert "vertical story 9:16" in f["suited_placements"]
    assert f["exif"]["Make"] == "Canon" and f["exif"]["Model"] == "EOS R5"
    assert f["dominant_colors"][0]["name"] == "white"
    assert f["brightness_label"] == "bright"
    assert "FRESH COFFEE" in f["ocr"]["text"]


def test_ocr_missing_is_recorded_not_raised(tmp_path, monkeypatch):
    from brandloop.materials import ocr

    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    ocr.tesseract_version.cache_clear()
    try:
        r = analyze(make_ad(tmp_path / "x.webp", size=(1200, 628), bg=(0, 0, 128)))
    finally:
        ocr.tesseract_version.cache_clear()
    assert r.error is None
    assert r.features["ocr"]["status"] == "unavailable" and "tesseract-ocr" in r.features["ocr"]["reason"]
    assert r.features["suited_placements"] == ["landscape banner 1.91:1"]
    assert r.features["dominant_colors"][0]["name"] == "navy"


@pytest.mark.parametrize(
    "rgb,name",
    [((255, 0, 0), "red"), ((0, 128, 0), "green"), ((0, 0, 255), "blue"), ((255, 255, 0), "yellow"),
     ((255, 140, 0), "orange"), ((128, 0, 128), "purple"), ((255, 192, 203), "pink"), ((139, 69, 19), "brown"),
     ((0, 0, 0), "black"), ((255, 255, 255), "white"), ((128, 128, 128), "gray"), ((0, 0, 128), "navy"),
     ((0, 128, 128), "teal")],
)
def test_colour_names(rgb, name):
    assert name_color(rgb) == name


def test_geometry_placements():
    g = geometry(1200, 628)
    assert g["aspect_label"] == "1.91:1" and g["orientation"] == "landscape"
    assert g["placements"]["landscape banner 1.91:1"]["fit"] == "native"
    assert g["placements"]["landscape video/banner 16:9"]["fit"] == "crop"
    assert geometry(1080, 1350)["suited_placements"] == ["portrait feed 4:5"]
    assert geometry(1920, 1080)["suited_placements"] == ["landscape video/banner 16:9"]


# ----------------------------------------------------------------------------- pages and text
PRODUCT_HTML = """<!doctype html><html><head><title>TrailBar – Peanut Crunch</title>
<meta name="description" content="A protein bar for the trail.">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "TrailBar Peanut Crunch",
 "brand": {"@type": "Brand", "name": "TrailBar"}, "sku": "TB-PC-12",
 "offers": {"@type": "Offer", "price": "24.99", "priceCurrency": "USD", "availability": "https://schema.org/InStock"},
 "aggregateRating": {"@type": "AggregateRating", "ratingValue": "4.6", "reviewCount": "212"}}
</script>
<style>.x{color:red}</style><script>var tracking = "$999.99";</script></head>
<body><nav>Home | Shop | Cart $0.00</nav>
<main><h1>TrailBar Peanut Crunch (12-pack)</h1>
<p class="price">Now $24.99 <s>$29.99</s></p>
<p>Each bar packs 6 g protein and 120 calories, with a 30-day money-back guarantee.</p>
<table><tr><th>Weight</th><td>45 g</td></tr><tr><th>Flavor</th><td>Peanut</td></tr></table>
<dl><dt>Shelf life</dt><dd>12 months</dd></dl>
<p>Savings account: 4.10% APY on your rewards.</p>
</main><footer>© 2024 TrailBar · Terms</footer></body></html>"""


def test_html_product_page_facts(tmp_path):
    p = tmp_path / "product.html"
    p.write_text(PRODUCT_HTML, encoding="utf-8")
    r = analyze(p)
    assert r.error is None and r.kind == "page"
    f = r.features
    assert f["title"].startswith("TrailBar") and f["h1"] == "TrailBar Peanut Crunch (12-pack)"
    assert f["specs"]["Weight"] == "45 g" and f["specs"]["Shelf life"] == "12 months"
    assert f["json_ld_products"][0]["offers"][0] == {"kind": "price", "price": 24.99, "currency": "USD", "availability": "InStock"}
    # main text: no script/style/nav/footer content
    assert "tracking" not in r.text and "Cart" not in r.text and "Terms" not in r.text
    assert "6 g protein" in r.text

    def find(pred):
        return [x for x in r.facts if pred(x)]

    offer = find(lambda x: x.source == "product.html#json-ld Product.offers")
    assert offer and offer[0].value == 24.99 and offer[0].unit == "USD"
    prices = sorted(x.value for x in find(lambda x: x.unit == "USD" and x.statement.startswith("price")))
    assert prices == [24.99, 29.99]  # $999.99 in <script> and $0.00 in <nav> are dropped
    assert find(lambda x: x.statement == "6 g protein" and x.value == 6 and x.unit == "g")
    assert find(lambda x: x.statement == "120 calories" and x.value == 120 and x.unit == "kcal")
    assert find(lambda x: x.statement.startswith("30-day") and x.value == 30 and x.unit == "day")
    assert find(lambda x: x.statement == "4.10% APY" and x.value == pytest.approx(4.1) and x.unit == "% APY")
    weight = find(lambda x: x.statement == "Weight: 45 g")
    assert weight and weight[0].value == 45 and weight[0].unit == "g" and weight[0].source == "product.html#table 1 row 1"
    assert find(lambda x: x.unit == "stars" and x.value == pytest.approx(4.6))
    assert "24.99" in r.prompt_digest and len(r.prompt_digest) <= 800


def test_markdown_and_plain_text_facts(tmp_path):
    md = tmp_path / "brief.md"
    md.write_text("# PowerCell X\n\n**Battery**: 12 hours battery life\n\n| Spec | Value |\n|---|---|\n"
                  "| Capacity | 5000 mAh |\n\nLaunch price **€79,00**, later EUR 89.\n", encoding="utf-8")
    r = analyze(md)
    assert r.error is None and r.kind == "text" and r.features["title"] == "PowerCell X"
    stmts = {x.statement: x for x in r.facts}
    assert stmts["12 hours battery"].value == 12 and stmts["12 hours battery"].unit == "h"
    assert stmts["Capacity: 5000 mAh"].value == 5000 and stmts["Capacity: 5000 mAh"].unit == "mAh"
    eur = sorted(x.value for x in r.facts if x.unit == "EUR" and x.statement.startswith("price"))
    assert eur == [79.0, 89.0]
    assert "**" not in r.text and "|---" not in r.text

    txt = tmp_path / "notes.txt"
    txt.write_text("Price: $1,299.00\nWarranty: 2 years\nShips in 3 days.\n", encoding="utf-8")
    r = analyze(txt)
    assert r.features["specs"] == {"Price": "$1,299.00", "Warranty": "2 years"}
    usd = [x for x in r.facts if x.unit == "USD"]
    assert usd[0].value == 1299.0 and usd[0].source == "notes.txt#line 1"
    assert any(x.value == 3 and x.unit == "day" for x in r.facts)


# ----------------------------------------------------------------------------- bad materials
def test_bad_materials_give_errors_not_exceptions(tmp_path):
    missing = analyze(tmp_path / "nope.png")
    assert missing.error and "nope.png" in missing.error and "not found" in missing.error and "fix:" in missing.error

    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    r = analyze(corrupt)
    assert r.kind == "image" and r.error and "broken.jpg" in r.error and "re-export" in r.error

    unsupported = tmp_path / "deck.pptx"
    unsupported.write_bytes(b"PK\x03\x04")
    r = analyze(unsupported)
    assert r.kind is None and "unsupported" in r.error and ".pptx" in r.error

    big = tmp_path / "big.txt"
    big.write_text("x" * 2000)
    r = analyze(big, max_bytes=1000)
    assert "too large" in r.error and "max_bytes" in r.error

    for name, data in [("empty.wav", b""), ("junk.wav", b"RIFF....WAVEjunk" * 8), ("junk.mp4", b"\x00" * 64 + b"ftyp" * 50),
                       ("junk.mp3", b"ID3" + b"\x00" * 300), ("dir.png", None)]:
        p = tmp_path / name
        p.mkdir() if data is None else p.write_bytes(data)
        r = analyze(p)
        assert r.error and name in r.error, (name, r.error)
        assert "\n" not in r.error
        json.dumps(r.model_dump(mode="json"))


def test_unexpected_analyser_bug_is_reported(tmp_path, monkeypatch):
    def boom(path, name, opts):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(core._ANALYZERS, "text", boom)
    p = tmp_path / "a.txt"
    p.write_text("hello")
    r = analyze(p)
    assert "analysis failed" in r.error and "kaboom" in r.error


# ----------------------------------------------------------------------------- cache
def test_cache_by_content_hash(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    p = tmp_path / "a.txt"
    p.write_text("Price: $5.00\n")
    first = analyze(p, cache_dir=cache)
    assert first.error is None and len(list(cache.glob("*.json"))) == 1

    calls = []
    real = core._ANALYZERS["text"]
    monkeypatch.setitem(core._ANALYZERS, "text", lambda *a: calls.append(a) or real(*a))
    again = analyze(p, cache_dir=cache)
    assert calls == [] and again == first  # cache hit: analyser not called

    copy = tmp_path / "b.txt"  # same bytes, other name: still a hit, sources renamed
    copy.write_bytes(p.read_bytes())
    hit = analyze(copy, cache_dir=cache)
    assert calls == [] and hit.source == str(copy) and all(f.source.startswith("b.txt#") for f in hit.facts)

    p.write_text("Price: $6.00\n")  # new bytes: analysed again
    changed = analyze(p, cache_dir=cache)
    assert len(calls) == 1 and changed.facts[0].value == 6.0


def test_public_api():
    assert materials.analyze is analyze
    f = Fact(statement="x", source="a#b")
    assert MaterialReport(source="a", facts=[f]).model_dump(mode="json")["facts"][0]["value"] is None
