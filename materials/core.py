"""``analyze``: file checks, content-hash cache, dispatch per kind, facts and prompt digest."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from .models import Fact, MaterialReport

from brandloop.errors import MaterialError

ANALYZER_VERSION = "1"
DIGEST_MAX_CHARS = 800
# Text is parsed whole (HTML into a tree), so pages and text files have a far lower limit than media.
MAX_BYTES_BY_KIND = {"page": 5_000_000, "text": 5_000_000}

EXTENSIONS = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image",
    ".mp4": "video", ".mov": "video", ".webm": "video",
    ".wav": "audio", ".mp3": "audio", ".ogg": "audio", ".flac": "audio",
    ".html": "page", ".htm": "page",
    ".md": "text", ".markdown": "text", ".txt": "text",
}
FIX_BY_KIND = {
    "image": "re-export it as PNG or JPEG",
    "video": "re-export it as MP4 (H.264)",
    "audio": "re-export it as WAV or MP3",
    "page": "save the page again as UTF-8 HTML",
    "text": "save it again as UTF-8 text",
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _options_key(kind: str, image_to_text_model: str | None, asr_model: str | None) -> str:
    from .ocr import tesseract_version

    raw = json.dumps([ANALYZER_VERSION, kind, image_to_text_model, asr_model, tesseract_version()])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


# ----------------------------------------------------------------------------- per kind
def _analyze_image(path: Path, name: str, opts: dict) -> tuple[dict, list[Fact], str]:
    from PIL import Image

    from .image import describe_image, open_image

    try:
        img, info = open_image(path)
    except Image.DecompressionBombError as exc:
        raise MaterialError(f"image has too many pixels ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - boundary: a decoder on a user's file raises anything
        raise MaterialError(f"cannot decode image ({type(exc).__name__}: {exc})") from exc
    feats = dict(info)
    feats.update(describe_image(img, caption_model=opts.get("image_to_text_model")))
    text = feats["ocr"].get("text", "")
    facts = _image_facts(feats, f"{name}#image")
    facts += _text_facts(text, f"{name}#ocr")
    return feats, facts, text


def _image_facts(f: dict, src: str) -> list[Fact]:
    facts = []
    if "width" in f:
        facts.append(Fact(statement=f"{f['width']}x{f['height']} px, {f['aspect_label']} {f['orientation']}",
                          value=f["aspect_ratio"], unit="width/height", source=src))
        if f.get("suited_placements"):
            facts.append(Fact(statement="fits " + ", ".join(f["suited_placements"]) + " without cropping", source=src))
    for c in f.get("dominant_colors", [])[:3]:
        facts.append(Fact(statement=f"dominant colour {c['name']} ({c['hex']})", value=c["share"], unit="share of pixels", source=src))
    facts.append(Fact(statement=f"brightness {f['brightness_label']}", value=f["brightness"], unit="mean luma 0-1", source=src))
    facts.append(Fact(statement=f"contrast {f['contrast_label']}", value=f["contrast"], unit="luma std 0-1", source=src))
    ocr = f.get("ocr", {})
    if ocr.get("status") == "ok" and ocr.get("text"):
        facts.append(Fact(statement=f"text in image: {ocr['text'][:160]!r}".replace("\\n", " / "),
                          value=ocr.get("text_area_share"), unit="share of area", source=src.replace("#image", "#ocr")))
    return facts


def _text_facts(text: str, src_prefix: str) -> list[Fact]:
    if not text:
        return []
    from .text import facts_from_lines

    name, _, where = src_prefix.partition("#")
    facts, _ = facts_from_lines(text.splitlines(), name, f"{where} line")
    return facts


def _audio_facts(a: dict, src: str) -> list[Fact]:
    facts = [Fact(statement=f"audio duration {a['duration_s']:.1f} s", value=a["duration_s"], unit="s", source=src),
             Fact(statement="loudness (RMS)", value=a["rms_dbfs"], unit="dBFS", source=src),
             Fact(statement="peak level", value=a["peak_dbfs"], unit="dBFS", source=src)]
    t = a.get("tempo") or {}
    if t.get("bpm") and t.get("steady"):
        facts.append(Fact(statement=f"tempo about {t['bpm']:.0f} BPM (confidence {t['confidence']})", value=t["bpm"], unit="BPM", source=src))
    k = a.get("key") or {}
    if k.get("key") and k.get("clear"):
        facts.append(Fact(statement=f"estimated key {k['label']}", value=k.get("correlation"), unit="profile correlation", source=src))
    c = a.get("content") or {}
    if "speech_share" in c:
        facts.append(Fact(statement="share of speech-like audio (heuristic)", value=c["speech_share"], unit="share", source=src))
        facts.append(Fact(statement="share of music-like audio (heuristic)", value=c["music_share"], unit="share", source=src))
    return facts


def _analyze_audio(path: Path, name: str, opts: dict) -> tuple[dict, list[Fact], str]:
    from . import audio

    try:
        y, sr, info = audio.decode_file(path)
    except Exception as exc:  # noqa: BLE001 - boundary: a decoder on a user's file raises anything
        raise MaterialError(f"cannot decode audio ({str(exc)[:160]})") from exc
    if y.size == 0:
        raise MaterialError("audio file contains no samples")
    feats = {k: v for k, v in info.items() if k != "peak"}
    feats.update(audio.describe_audio(y, sr, peak=info.get("peak"), asr_model=opts.get("asr_model")))
    text = feats["asr"].get("text", "") if feats["asr"].get("status") == "ok" else ""
    return feats, _audio_facts(feats, f"{name}#audio") + _text_facts(text, f"{name}#transcript"), text


def _analyze_video(path: Path, name: str, opts: dict) -> tuple[dict, list[Fact], str]:
    from .video import describe_video

    try:
        feats = describe_video(path, caption_model=opts.get("image_to_text_model"), asr_model=opts.get("asr_model"))
    except Exception as exc:  # noqa: BLE001 - boundary: a decoder on a user's file raises anything
        raise MaterialError(f"cannot decode video ({type(exc).__name__}: {str(exc)[:160]})") from exc
    src = f"{name}#video"
    facts = [Fact(statement=f"video {feats['width']}x{feats['height']} px, {feats['aspect_label']} {feats['orientation']}, "
                            f"{feats['duration_s']:.1f} s at {feats['fps'] or '?'} fps",
                  value=feats["duration_s"], unit="s", source=src),
             Fact(statement=f"{feats['scene_count']} scene(s); cuts at "
                            + (", ".join(f"{t:.1f}s" for t in feats["cut_times_s"][:10]) or "none"),
                  value=float(feats["scene_count"]), unit="scenes", source=src)]
    texts = []
    for kf in feats["keyframes"]:
        t = kf["time_s"]
        cols = ", ".join(c["name"] for c in kf["dominant_colors"][:2])
        facts.append(Fact(statement=f"keyframe at {t:.1f}s: {cols}, brightness {kf['brightness_label']}",
                          value=t, unit="s", source=f"{name}#keyframe {t:.2f}s"))
        ocr_text = kf["ocr"].get("text", "")
        if ocr_text:
            texts.append(f"[{t:.1f}s] {ocr_text}")
            facts.append(Fact(statement=f"text on screen at {t:.1f}s: {ocr_text[:120]!r}".replace("\\n", " / "),
                              value=t, unit="s", source=f"{name}#ocr {t:.2f}s"))
            facts += _text_facts(ocr_text, f"{name}#ocr {t:.2f}s")
    a = feats.get("audio")
    if a and "duration_s" in a:
        facts += _audio_facts(a, f"{name}#audio track")
        if a.get("asr", {}).get("status") == "ok" and a["asr"].get("text"):
            texts.append(a["asr"]["text"])
            facts += _text_facts(a["asr"]["text"], f"{name}#transcript")
    return feats, facts, "\n".join(texts)


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise MaterialError("file looks binary, not text")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _analyze_page(path: Path, name: str, opts: dict) -> tuple[dict, list[Fact], str]:
    from .text import analyze_html, text_stats

    text, facts, feats = analyze_html(_read_text(path), name)
    feats.update(text_stats(text))
    return feats, facts, text


def _analyze_textfile(path: Path, name: str, opts: dict) -> tuple[dict, list[Fact], str]:
    from .text import analyze_text, text_stats

    md = path.suffix.lower() in (".md", ".markdown")
    text, facts, feats = analyze_text(_read_text(path), name, markdown=md)
    feats["format"] = "markdown" if md else "plain"
    feats.update(text_stats(text))
    return feats, facts, text


_ANALYZERS: dict[str, Callable[[Path, str, dict], tuple[dict, list[Fact], str]]] = {
    "image": _analyze_image,
    "video": _analyze_video,
    "audio": _analyze_audio,
    "page": _analyze_page,
    "text": _analyze_textfile,
}


# ----------------------------------------------------------------------------- cache
def _cache_file(cache_dir: Path, sha: str, key: str) -> Path:
    return Path(cache_dir) / f"{sha}.{key}.json"


def _load_cache(file: Path, path: Path) -> MaterialReport | None:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        report = MaterialReport.model_validate(data)
    except (OSError, ValueError):
        return None
    old_name, new_name = Path(report.source).name, path.name
    report.source = str(path)
    if old_name != new_name:  # same bytes under another name: rewrite the fact sources
        for f in report.facts:
            if f.source.startswith(old_name + "#"):
                f.source = new_name + f.source[len(old_name):]
        report.prompt_digest = report.prompt_digest.replace(old_name, new_name, 1)
    return report


def _save_cache(file: Path, report: MaterialReport) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(report.model_dump(mode="json"), f, ensure_ascii=False)
        os.replace(tmp, file)
    except OSError:
        pass  # a cache that cannot be written only costs time


# ----------------------------------------------------------------------------- entry point
def _error(path: Path, kind: str | None, what: str, fix: str, sha: str | None = None) -> MaterialReport:
    msg = f"{path}: {what}; fix: {fix}".replace("\n", " ")
    return MaterialReport(source=str(path), kind=kind, sha256=sha, error=msg,
                          prompt_digest=f"{path.name}: not analysed ({what})"[:DIGEST_MAX_CHARS])


def analyze(
    path: str | Path,
    *,
    cache_dir: Path | None = None,
    max_bytes: int = 200_000_000,
    image_to_text_model: str | None = None,
    asr_model: str | None = None,
) -> MaterialReport:
    """Measure one material file. Never raises for a bad material: see ``report.error``."""
    path = Path(path)
    kind = EXTENSIONS.get(path.suffix.lower())
    try:
        if kind is None:
            supported = ", ".join(sorted(EXTENSIONS))
            return _error(path, None, f"unsupported file type {path.suffix or '(no extension)'!r}",
                          f"convert it to one of {supported} or remove it from the materials")
        if not path.exists():
            return _error(path, kind, "file not found", "check the path in the brief (relative paths are resolved "
                          "from the working directory)")
        if not path.is_file():
            return _error(path, kind, "not a regular file", "point to a file, not a folder")
        size = path.stat().st_size
        if size == 0:
            return _error(path, kind, "file is empty", f"{FIX_BY_KIND[kind]} or remove it from the materials")
        limit = min(max_bytes, MAX_BYTES_BY_KIND.get(kind, max_bytes))
        if size > limit:
            return _error(path, kind, f"file is too large ({size:,} bytes > limit {limit:,})",
                          "pass a smaller or compressed copy" + (", or raise max_bytes" if limit == max_bytes else
                                                                 " (the limits are in README.md)"))
        sha = _sha256(path)
    except OSError as exc:
        return _error(path, kind, f"cannot read file ({exc.strerror or exc})", "check the file permissions")

    opts = {"image_to_text_model": image_to_text_model, "asr_model": asr_model}
    cache_file = _cache_file(cache_dir, sha, _options_key(kind, image_to_text_model, asr_model)) if cache_dir else None
    if cache_file is not None and cache_file.is_file():
        cached = _load_cache(cache_file, path)
        if cached is not None:
            return cached

    try:
        feats, facts, text = _ANALYZERS[kind](path, path.name, opts)
    except MaterialError as exc:
        return _error(path, kind, str(exc), f"{FIX_BY_KIND[kind]} or remove it from the materials", sha)
    except Exception as exc:  # noqa: BLE001 - boundary: an analyser on a user's file; a bug never stops the run
        return _error(path, kind, f"analysis failed ({type(exc).__name__}: {str(exc)[:160]})",
                      "report this file to the maintainers; the run continues without it", sha)
    feats["file_bytes"] = size
    from .digest import build_digest

    report = MaterialReport(source=str(path), kind=kind, sha256=sha, features=feats, facts=facts, text=text)
    report.prompt_digest = build_digest(report, max_chars=DIGEST_MAX_CHARS)
    if cache_file is not None:
        _save_cache(cache_file, report)
    return report
