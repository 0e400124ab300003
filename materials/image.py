"""Image measurements: geometry and ad placements, colours, brightness/contrast, OCR, EXIF."""

from __future__ import annotations

import math

import numpy as np
from PIL import ExifTags, Image, ImageOps, TiffImagePlugin

from . import hooks
from .colors import dominant_colors
from .ocr import ocr_image

# Common ad placements: name -> (target width:height ratio, recommended minimum width px)
PLACEMENTS: dict[str, tuple[float, int]] = {
    "square feed 1:1": (1.0, 1080),
    "portrait feed 4:5": (4 / 5, 1080),
    "vertical story 9:16": (9 / 16, 1080),
    "landscape banner 1.91:1": (1.91, 1200),
    "landscape video/banner 16:9": (16 / 9, 1280),
}
NAMED_RATIOS = {
    "1:1": 1.0, "4:5": 0.8, "5:4": 1.25, "2:3": 2 / 3, "3:2": 1.5, "3:4": 0.75, "4:3": 4 / 3,
    "9:16": 9 / 16, "16:9": 16 / 9, "1.91:1": 1.91, "21:9": 21 / 9,
}
FIT_TOLERANCE = 0.03  # <= 3 % of the area cropped counts as a native fit
CROP_TOLERANCE = 0.20  # <= 20 % cropped: usable with a crop


def geometry(width: int, height: int) -> dict:
    """Dimensions, aspect ratio, orientation and suitability for common placements."""
    ratio = width / height if height else 0.0
    nearest = min(NAMED_RATIOS, key=lambda k: abs(math.log(NAMED_RATIOS[k] / ratio))) if ratio else None
    if ratio and abs(math.log(NAMED_RATIOS[nearest] / ratio)) > 0.03:
        label = f"{ratio:.2f}:1"
    else:
        label = nearest
    orientation = "square" if ratio and abs(ratio - 1) <= 0.02 else ("landscape" if ratio > 1 else "portrait")
    placements = {}
    suited = []
    for name, (target, min_w) in PLACEMENTS.items():
        if not ratio:
            break
        # share of the area lost by a centre crop to the target ratio
        loss = 1 - min(ratio, target) / max(ratio, target)
        fit = "native" if loss <= FIT_TOLERANCE else ("crop" if loss <= CROP_TOLERANCE else "poor")
        crop_w = width if ratio <= target else round(height * target)
        placements[name] = {
            "fit": fit,
            "crop_loss": round(loss, 3),
            "resolution_ok": crop_w >= min_w,
            "min_width": min_w,
        }
        if fit == "native":
            suited.append(name)
    return {
        "width": int(width),
        "height": int(height),
        "aspect_ratio": round(ratio, 4),
        "aspect_label": label,
        "orientation": orientation,
        "megapixels": round(width * height / 1e6, 2),
        "placements": placements,
        "suited_placements": suited,
    }


def tone(img: Image.Image) -> dict:
    """Brightness (mean luma 0-1), RMS contrast (luma std 0-1), saturation and colourfulness."""
    small = img.convert("RGB")
    small.thumbnail((256, 256))
    rgb = np.asarray(small, dtype=np.float64) / 255.0
    luma = 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]
    brightness = float(luma.mean())
    contrast = float(luma.std())
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-9), 0.0)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    colourfulness = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    return {
        "brightness": round(brightness, 3),
        "brightness_label": "dark" if brightness < 0.3 else ("bright" if brightness > 0.7 else "medium"),
        "contrast": round(contrast, 3),
        "contrast_label": "low" if contrast < 0.1 else ("high" if contrast > 0.25 else "medium"),
        "saturation": round(float(sat.mean()), 3),
        "colorfulness": round(colourfulness, 3),
    }


def _exif_value(v):
    if isinstance(v, TiffImagePlugin.IFDRational):
        try:
            return round(float(v), 6)
        except (ZeroDivisionError, ValueError):
            return None
    if isinstance(v, bytes):
        try:
            s = v.decode("ascii").strip("\x00 ").strip()
        except UnicodeDecodeError:
            return None
        return s[:200] if s and s.isprintable() else None
    if isinstance(v, str):
        s = v.strip("\x00 ").strip()
        return s[:200] if s and s.isprintable() else None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, tuple) and len(v) <= 8:
        vals = [_exif_value(x) for x in v]
        return vals if all(x is not None and not isinstance(x, (list, dict)) for x in vals) else None
    return None


_SKIP_TAGS = {"MakerNote", "UserComment", "PrintImageMatching", "ExifOffset", "GPSInfo", "InterColorProfile",
              "JPEGInterchangeFormat", "JPEGInterchangeFormatLength", "XMLPacket", "ComponentsConfiguration"}


def exif(img: Image.Image) -> dict:
    """Readable EXIF tags (base IFD + Exif IFD). GPS coordinates are not copied, only their presence."""
    try:
        ex = img.getexif()
    except Exception:  # noqa: BLE001 - boundary: Pillow on a user's file raises anything; broken EXIF is not fatal
        return {}
    out: dict = {}
    items = list(ex.items())
    try:
        items += list(ex.get_ifd(ExifTags.IFD.Exif).items())
    except Exception:  # noqa: BLE001 - boundary: a user's file's EXIF, as above
        pass
    for tag, raw in items:
        name = ExifTags.TAGS.get(tag)
        if not name or name in _SKIP_TAGS:
            continue
        val = _exif_value(raw)
        if val is not None:
            out[name] = val
    try:
        if ex.get_ifd(ExifTags.IFD.GPSInfo):
            out["has_gps"] = True
    except Exception:  # noqa: BLE001 - boundary: a user's file's EXIF, as above
        pass
    return out


def describe_image(img: Image.Image, *, with_exif: bool = True, caption_model: str | None = None,
                   with_geometry: bool = True) -> dict:
    """All image features of one (already opened) image."""
    feats: dict = {}
    if with_exif:
        feats["exif"] = exif(img)
        img = ImageOps.exif_transpose(img)  # measure as displayed
    if with_geometry:
        feats.update(geometry(*img.size))
    feats["dominant_colors"] = dominant_colors(img)
    feats.update(tone(img))
    feats["ocr"] = ocr_image(img)
    feats["caption"] = hooks.caption_image(img, caption_model)
    return feats


def open_image(path) -> tuple[Image.Image, dict]:
    """Open and fully decode an image; returns (image, file info)."""
    img = Image.open(path)
    info = {"format": img.format, "mode": img.mode, "frames": int(getattr(img, "n_frames", 1) or 1)}
    img.load()
    info["has_alpha"] = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    return img, info
