"""What models this machine has: presets (installed, assembled), engines, and every cache with its health.

``model_inventory`` answers ``brandloop models`` quickly (quick hashes only); ``doctor`` hashes every byte,
as ``brandloop doctor`` does, and removes what is corrupt so the next run rebuilds it from verified parts.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from .assets import MARKER_SUFFIX, MODEL_FILENAME, PRESETS, locate_parts, marker_is_valid, sha256_file

from brandloop.errors import ModelError
from .loader import CACHE_MARKER, dense_cache_problems
from .ov_build import MARKER as OV_MARKER
from .ov_build import cache_problems, openvino_available


def _caches(models_dir: Path) -> list[tuple[str, Path]]:
    """(engine, folder) of every cache under ``<home>/models``."""
    out = []
    for d in sorted(models_dir.glob("*/openvino-int8-*")):
        if d.is_dir() and ".tmp-" not in d.name:
            out.append(("openvino", d))
    for d in sorted(models_dir.glob("*/hf-float32")):
        if d.is_dir():
            out.append(("transformers", d))
    return out


def _source_of(engine: str, folder: Path) -> str | None:
    try:
        marker = json.loads((folder / (OV_MARKER if engine == "openvino" else CACHE_MARKER)).read_text())
    except (OSError, ValueError):
        return None
    return marker.get("source_sha256" if engine == "openvino" else "source")


def _problems(engine: str, folder: Path, full: bool) -> list[str]:
    source = _source_of(engine, folder)
    if source is None:
        return [f"{folder} has no readable marker"]
    if engine == "openvino":
        return cache_problems(folder, source, full=full)
    return dense_cache_problems(folder, source, full=full)


def _installed(name: str) -> bool:
    try:
        locate_parts(name)
    except ModelError:
        return False
    return True


def model_inventory(home: Path) -> dict:
    """Presets, engines and caches under ``home`` (quick checks only)."""
    models = home / "models"
    presets = []
    for name, p in PRESETS.items():
        gguf = models / name / MODEL_FILENAME
        presets.append({"preset": name, "description": p.description, "installed": _installed(name),
                        "assembled": str(gguf) if gguf.is_file() else None,
                        "verified": gguf.is_file() and marker_is_valid(gguf, p.sha256), "install": p.install_hint})
    caches = [{"engine": e, "path": str(d), "ok": not (pr := _problems(e, d, False)), "problem": pr[0] if pr else None}
              for e, d in _caches(models)]
    engines = [{"engine": "openvino", "available": openvino_available(), "runs": "presets and .gguf files (int8)"},
               {"engine": "transformers", "available": True, "runs": "everything (float32 CPU, bf16 GPU)"}]
    return {"home": str(home), "presets": presets, "engines": engines, "caches": caches}


def doctor(home: Path, *, remove: bool = True) -> list[dict]:
    """Hash every model file under ``home``; corrupt ones are removed (when ``remove``) so they are rebuilt."""
    models = home / "models"
    report = []
    for name, p in PRESETS.items():
        gguf = models / name / MODEL_FILENAME
        if not gguf.is_file():
            continue
        actual = sha256_file(gguf)
        problems = [] if actual == p.sha256 else [f"{gguf} has sha256 {actual}, expected {p.sha256}"]
        if problems and remove:
            gguf.unlink()
            gguf.with_name(gguf.name + MARKER_SUFFIX).unlink(missing_ok=True)
        report.append({"path": str(gguf), "kind": f"{name} GGUF", "problems": problems,
                       "removed": bool(problems and remove)})
    for engine, folder in _caches(models):
        problems = _problems(engine, folder, True)
        if problems and remove:
            shutil.rmtree(folder)
        report.append({"path": str(folder), "kind": f"{engine} cache", "problems": problems,
                       "removed": bool(problems and remove)})
    return report
