"""Dominant colours and colour naming against a fixed palette (CIE Lab, nearest prototype)."""

from __future__ import annotations

import numpy as np
from PIL import Image

# name -> prototype sRGB colours. Several prototypes per name keep naming stable
# across shades; distances are measured in CIE Lab (CIE76).
PALETTE: dict[str, list[tuple[int, int, int]]] = {
    "black": [(0, 0, 0), (25, 25, 25)],
    "gray": [(128, 128, 128), (90, 90, 90), (169, 169, 169), (192, 192, 192)],
    "white": [(255, 255, 255), (240, 240, 240)],
    "red": [(255, 0, 0), (214, 40, 40), (190, 20, 30), (230, 60, 50)],
    "maroon": [(128, 0, 0), (100, 15, 25)],
    "orange": [(255, 165, 0), (255, 127, 0), (255, 140, 0), (240, 110, 30)],
    "yellow": [(255, 255, 0), (255, 215, 0), (245, 224, 80), (250, 235, 130)],
    "olive": [(128, 128, 0), (107, 142, 35)],
    "green": [(0, 255, 0), (0, 128, 0), (34, 139, 34), (50, 205, 50), (0, 100, 0), (60, 180, 75)],
    "teal": [(0, 128, 128), (32, 178, 170), (0, 100, 100)],
    "cyan": [(0, 255, 255), (64, 224, 208), (120, 230, 230)],
    "light blue": [(135, 206, 235), (173, 216, 230), (100, 170, 230)],
    "blue": [(0, 0, 255), (30, 144, 255), (65, 105, 225), (0, 90, 200), (40, 80, 180), (0, 0, 205), (20, 40, 200),
             (50, 50, 230), (0, 60, 170)],
    "navy": [(0, 0, 128), (27, 42, 74), (20, 30, 90), (0, 0, 90)],
    "purple": [(128, 0, 128), (148, 0, 211), (160, 32, 240), (147, 112, 219), (100, 40, 140), (110, 0, 200)],
    "lavender": [(200, 180, 240), (230, 230, 250)],
    "magenta": [(255, 0, 255), (200, 0, 160)],
    "pink": [(255, 192, 203), (255, 105, 180), (255, 20, 147), (240, 150, 170)],
    "brown": [(139, 69, 19), (160, 82, 45), (101, 67, 33), (120, 80, 50), (80, 50, 30)],
    "beige": [(245, 245, 220), (210, 180, 140), (230, 215, 185)],
}


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert an (..., 3) array of sRGB 0-255 values to CIE Lab (D65)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
    )
    xyz = c @ m.T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    eps = 216 / 24389
    kappa = 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


_NAMES: list[str] = []
_PROTOS: list[tuple[int, int, int]] = []
for _name, _protos in PALETTE.items():
    for _p in _protos:
        _NAMES.append(_name)
        _PROTOS.append(_p)
_PROTO_LAB = srgb_to_lab(np.array(_PROTOS))


def name_color(rgb: tuple[int, int, int] | np.ndarray) -> str:
    """Nearest palette name of one sRGB colour."""
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64).reshape(1, 3))
    d = np.linalg.norm(_PROTO_LAB - lab, axis=1)
    return _NAMES[int(np.argmin(d))]


def to_hex(rgb) -> str:
    r, g, b = (int(round(float(v))) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def dominant_colors(img: Image.Image, *, clusters: int = 8, top: int = 5, min_share: float = 0.02) -> list[dict]:
    """Dominant colours by median-cut quantisation (Pillow) of a downscaled copy.

    Clusters are merged by palette name; returns ``[{name, hex, share}]`` sorted by
    share (fraction of pixels, transparent pixels ignored), at most ``top`` entries.
    """
    rgba = img.convert("RGBA")
    rgba.thumbnail((160, 160))
    arr = np.asarray(rgba)
    alpha = arr[..., 3].reshape(-1)
    pixels = arr[..., :3].reshape(-1, 3)
    pixels = pixels[alpha >= 128] if (alpha >= 128).any() else pixels
    if len(pixels) == 0:
        return []
    strip = Image.fromarray(pixels.reshape(1, -1, 3).astype(np.uint8), "RGB")
    q = strip.quantize(colors=clusters, method=Image.Quantize.MEDIANCUT)
    pal = np.array(q.getpalette()[: 3 * clusters], dtype=np.float64).reshape(-1, 3)
    idx = np.asarray(q).reshape(-1)
    total = float(len(idx))
    merged: dict[str, dict] = {}
    for ci in np.unique(idx):
        count = float((idx == ci).sum())
        # cluster centre = mean of its actual pixels (palette entries can be offset)
        centre = pixels[idx == ci].mean(axis=0) if count else pal[ci]
        name = name_color(centre)
        entry = merged.setdefault(name, {"name": name, "_sum": np.zeros(3), "_n": 0.0})
        entry["_sum"] += centre * count
        entry["_n"] += count
    out = []
    for e in merged.values():
        share = e["_n"] / total
        if share < min_share:
            continue
        out.append({"name": e["name"], "hex": to_hex(e["_sum"] / e["_n"]), "share": round(share, 3)})
    out.sort(key=lambda d: -d["share"])
    return out[:top]
