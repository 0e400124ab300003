"""Path confinement: a path given by untrusted input must resolve (symlinks followed) inside a root."""
from __future__ import annotations

import os
from pathlib import Path

from brandloop.errors import OutsideRoots, PathEscape  # noqa: F401 - re-exported for old imports


def resolve_user_path(path: str | os.PathLike) -> Path:
    """expanduser + resolve with one-line errors for '~nosuchuser', names too long and loops."""
    try:
        return Path(path).expanduser().resolve()
    except RuntimeError as exc:  # ~nosuchuser, symlink loop
        raise PathEscape(f"cannot resolve path '{path}': {exc}") from None
    except OSError as exc:  # ENAMETOOLONG and friends
        raise PathEscape(f"cannot resolve path '{path}': {exc.strerror or exc}") from None


def inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def confine(path: str | os.PathLike, roots: list[Path], base: Path | None = None) -> Path:
    """The resolved path if it lies in one of `roots` (resolved too), else PathEscape.

    A relative path is taken relative to `base`. Symlinks are followed first, so a link pointing out of
    the root is refused like '../' or an absolute path.
    """
    p = Path(path)
    if base is not None and not p.is_absolute() and not str(p).startswith("~"):
        p = base / p
    real = resolve_user_path(p)
    for root in roots:
        if inside(real, resolve_user_path(root)):
            return real
    raise OutsideRoots(f"'{path}' lies outside the allowed folders")


def links_leaving(folder: Path) -> list[Path]:
    """Every symlink under `folder` whose target resolves outside it (or cannot be resolved)."""
    root = folder.resolve()
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            if p.is_symlink():
                try:
                    ok = inside(p.resolve(strict=True), root)
                except (OSError, RuntimeError):
                    ok = False
                if not ok:
                    out.append(p)
    return out
