"""Text in images via the Tesseract CLI (Debian package ``tesseract-ocr``), through subprocess.

No Python binding is needed. When the ``tesseract`` binary is missing, :func:`ocr_image`
returns ``{"status": "unavailable", ...}`` instead of failing.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

TIMEOUT_S = 60
MIN_WORD_CONF = 40.0


@functools.lru_cache(maxsize=1)
def tesseract_version() -> str | None:
    """``"tesseract 5.3.0"`` or ``None`` when the binary is not on PATH."""
    exe = shutil.which("tesseract")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].strip() if first else "tesseract"


def _prepare(img: Image.Image) -> tuple[Image.Image, float]:
    """Greyscale copy, upscaled so small text has enough pixels; returns (image, scale)."""
    g = ImageOps.exif_transpose(img) if img.format else img
    if g.mode in ("RGBA", "LA", "P"):
        g = g.convert("RGBA")
        bg = Image.new("RGBA", g.size, (255, 255, 255, 255))
        g = Image.alpha_composite(bg, g)
    g = g.convert("L")
    scale = 1.0
    longest = max(g.size)
    if longest < 1000:
        scale = min(3.0, 1000 / max(1, longest))
    elif longest > 3000:
        scale = 3000 / longest
    if scale != 1.0:
        g = g.resize((max(1, round(g.width * scale)), max(1, round(g.height * scale))), Image.Resampling.LANCZOS)
    return g, scale


def ocr_image(img: Image.Image, *, lang: str = "eng") -> dict:
    """Run Tesseract on ``img``. Returns a dict with ``status`` ("ok"|"unavailable"|"error"),
    ``text`` (lines joined by newlines), ``words``, ``mean_confidence`` (0-100) and
    ``text_area_share`` (share of the image covered by recognised word boxes)."""
    version = tesseract_version()
    if version is None:
        return {
            "status": "unavailable",
            "reason": "tesseract not found on PATH (install the Debian package tesseract-ocr)",
            "text": "",
        }
    prepared, scale = _prepare(img)
    with tempfile.TemporaryDirectory(prefix="materials-ocr-") as tmp:
        src = Path(tmp) / "in.png"
        prepared.save(src)
        try:
            proc = subprocess.run(
                [shutil.which("tesseract") or "tesseract", str(src), "stdout", "-l", lang, "--psm", "3", "tsv"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return {"status": "error", "reason": f"tesseract timed out after {TIMEOUT_S}s", "text": "", "engine": version}
        except OSError as exc:
            return {"status": "error", "reason": f"tesseract failed to start: {exc}", "text": "", "engine": version}
    if proc.returncode != 0:
        msg = (proc.stderr or "").strip().splitlines()
        return {"status": "error", "reason": msg[-1] if msg else f"exit {proc.returncode}", "text": "", "engine": version}
    return _parse_tsv(proc.stdout, prepared.size, scale) | {"engine": version}


def _parse_tsv(tsv: str, size: tuple[int, int], scale: float) -> dict:
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    confs: list[float] = []
    area = 0.0
    rows = tsv.splitlines()
    for row in rows[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        word = cols[11].strip()
        try:
            conf = float(cols[10])
            w, h = float(cols[8]), float(cols[9])
        except ValueError:
            continue
        if not word or conf < MIN_WORD_CONF:
            continue
        # drop "words" made only of punctuation / box-drawing noise
        if not any(ch.isalnum() for ch in word):
            continue
        key = tuple(int(c) for c in cols[1:5])
        lines.setdefault(key, []).append(word)
        confs.append(conf)
        area += w * h
    text = "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
    img_area = float(size[0] * size[1]) or 1.0
    return {
        "status": "ok",
        "text": text,
        "words": len(confs),
        "mean_confidence": round(sum(confs) / len(confs), 1) if confs else None,
        "text_area_share": round(min(1.0, area / img_area), 3),
    }
