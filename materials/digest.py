"""Compact, human-readable summary of a report (<= ~800 chars) for the describer LLM."""

from __future__ import annotations

from pathlib import Path

from .models import MaterialReport


def _colors(cols: list[dict], n: int = 3) -> str:
    return ", ".join(f"{c['name']} {round(c['share'] * 100)}%" for c in cols[:n]) or "n/a"


def _one_line(s: str, n: int) -> str:
    s = " / ".join(part.strip() for part in s.splitlines() if part.strip())
    return s if len(s) <= n else s[: n - 1] + "…"


def _image_lines(f: dict) -> list[str]:
    lines = []
    if "width" in f:
        fits = ", ".join(f.get("suited_placements") or []) or "none without cropping"
        lines.append(f"{f['width']}x{f['height']} px, {f['aspect_label']} {f['orientation']}; fits: {fits}")
    lines.append(f"colours: {_colors(f.get('dominant_colors', []))}; brightness {f['brightness']} ({f['brightness_label']}), "
                 f"contrast {f['contrast']} ({f['contrast_label']})")
    ocr = f.get("ocr", {})
    if ocr.get("status") == "ok":
        lines.append(f"text (OCR): {_one_line(ocr['text'], 160)!r}" if ocr.get("text") else "text (OCR): none found")
    else:
        lines.append(f"text (OCR): {ocr.get('status')}")
    cap = f.get("caption", {})
    if cap.get("status") == "ok" and cap.get("text"):
        lines.append(f"caption: {_one_line(cap['text'], 120)}")
    ex = f.get("exif") or {}
    keep = [f"{k} {ex[k]}" for k in ("Make", "Model", "DateTimeOriginal", "DateTime", "Software", "Artist") if k in ex]
    if keep:
        lines.append("EXIF: " + "; ".join(keep[:3]))
    return lines


def _audio_lines(a: dict) -> list[str]:
    t, k, c = a.get("tempo") or {}, a.get("key") or {}, a.get("content") or {}
    tempo = f"{t['bpm']:.0f} BPM" if t.get("bpm") and t.get("steady") else "no steady beat"
    key = k.get("label") if k.get("key") and k.get("clear") else "no clear key"
    ep = a.get("energy_profile", {})
    lines = [f"{a['duration_s']:.1f} s; loudness {a['rms_dbfs']} dBFS RMS, peak {a['peak_dbfs']} dBFS; "
             f"energy {ep.get('trend', '?')}, range {ep.get('dynamic_range_db', '?')} dB",
             f"tempo {tempo}; key {key}; speech {round(c.get('speech_share', 0) * 100)}% / "
             f"music {round(c.get('music_share', 0) * 100)}% (heuristic)"]
    asr = a.get("asr") or {}
    if asr.get("status") == "ok" and asr.get("text"):
        lines.append(f"speech: {_one_line(asr['text'], 160)!r}")
    return lines


def build_digest(report: MaterialReport, *, max_chars: int = 800) -> str:
    f = report.features
    name = Path(report.source).name
    lines = [f"{report.kind} {name}"]
    if report.kind == "image":
        lines += _image_lines(f)
    elif report.kind == "audio":
        lines += _audio_lines(f)
    elif report.kind == "video":
        lines.append(f"{f['width']}x{f['height']} px, {f['aspect_label']} {f['orientation']}, {f['duration_s']:.1f} s, "
                     f"{f['fps']} fps; {f['scene_count']} scene(s)")
        for kf in f.get("keyframes", [])[:4]:
            txt = kf["ocr"].get("text", "")
            lines.append(f"@{kf['time_s']:.1f}s: {_colors(kf['dominant_colors'], 2)}, {kf['brightness_label']}"
                         + (f", text {_one_line(txt, 60)!r}" if txt else ""))
        if f.get("audio") and "duration_s" in f["audio"]:
            lines += ["audio: " + ln for ln in _audio_lines(f["audio"])]
    else:
        title = f.get("h1") or f.get("title")
        if title:
            lines.append(f"title: {_one_line(title, 120)}")
        lines.append(f"{f.get('words', 0)} words")
        facts = [x.statement for x in report.facts]
        if facts:
            lines.append("facts: " + "; ".join(_one_line(s, 80) for s in facts[:12]))
        if report.text:
            lines.append(f"text: {_one_line(report.text, 200)}")
    if report.kind in ("image", "video", "audio"):
        extra = [x.statement for x in report.facts if "#ocr" in x.source and not x.statement.startswith("text ")
                 or "#transcript" in x.source]
        if extra:
            lines.append("facts from text: " + "; ".join(_one_line(s, 60) for s in extra[:6]))
    out = "\n".join(lines)
    return out if len(out) <= max_chars else out[: max_chars - 1] + "…"
