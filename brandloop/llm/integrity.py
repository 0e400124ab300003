"""Fingerprints of cache files: a quick check at every load, a full sha256 on demand.

A cache folder (dense safetensors, converted OpenVINO model) records one fingerprint per file when it is
built. ``quick`` hashes the size, the first and last MiB and 16 evenly spaced 64 KiB samples, so a load
pays milliseconds; ``sha256`` is the whole file, checked by ``brandloop doctor``.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_EDGE = 1 << 20
_SAMPLE = 64 << 10
_SAMPLES = 16
_CHUNK = 8 << 20


def quick_hash(path: Path) -> str:
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        if size <= 2 * _EDGE + _SAMPLES * _SAMPLE:
            h.update(f.read())
            return h.hexdigest()
        h.update(f.read(_EDGE))
        step = (size - 2 * _EDGE) // (_SAMPLES + 1)
        for i in range(1, _SAMPLES + 1):
            f.seek(_EDGE + i * step)
            h.update(f.read(_SAMPLE))
        f.seek(size - _EDGE)
        h.update(f.read(_EDGE))
    return h.hexdigest()


def full_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def fingerprint_folder(folder: Path, names: list[str] | None = None) -> dict[str, dict]:
    """{file name: {size, quick, sha256}} for the files of a freshly built cache folder."""
    files = names if names is not None else sorted(p.name for p in folder.iterdir() if p.is_file())
    return {n: {"size": (folder / n).stat().st_size, "quick": quick_hash(folder / n), "sha256": full_hash(folder / n)}
            for n in files}


def check_folder(folder: Path, recorded: dict[str, dict], *, full: bool = False) -> list[str]:
    """Problems with ``folder`` against its recorded fingerprints (empty when it is intact)."""
    if not recorded:
        return [f"{folder} records no file fingerprints"]
    problems = []
    for name, fp in recorded.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(f"{path} is missing")
            continue
        if size != fp.get("size"):
            problems.append(f"{path} has {size:,} bytes, expected {fp.get('size'):,}")
        elif quick_hash(path) != fp.get("quick"):
            problems.append(f"{path} does not match its recorded quick hash")
        elif full and full_hash(path) != fp.get("sha256"):
            problems.append(f"{path} does not match its recorded sha256")
    return problems


def marker_problems(folder: Path, marker_name: str, expected: dict, *, full: bool = False) -> list[str]:
    """Why a cache ``folder`` can't be used: its marker must hold ``expected`` and its files their fingerprints."""
    try:
        marker = json.loads((folder / marker_name).read_text())
    except (OSError, ValueError):
        return [f"{folder} has no readable {marker_name}"]
    if any(marker.get(k) != v for k, v in expected.items()):
        return [f"{folder} was built from another source or format"]
    return check_folder(folder, marker.get("files") or {}, full=full)


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)
