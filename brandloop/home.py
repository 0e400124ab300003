"""The data home, resolved in one place for every floor: explicit > $BRANDLOOP_HOME > ./.brandloop.

A leaf like brandloop/errors.py (imports nothing from the project but the errors), so the graph and the
model layer (brandloop/llm) share it without importing each other.
"""
from __future__ import annotations

import os
from pathlib import Path

from brandloop.errors import EXIT_INPUT, HomeError

HOME_ENV = "BRANDLOOP_HOME"
DEFAULT_HOME = ".brandloop"


def resolve_home(explicit: str | Path | None = None) -> Path:
    """The data home's absolute path (relative paths against the working directory); nothing is created."""
    raw = explicit or os.environ.get(HOME_ENV) or DEFAULT_HOME
    try:
        return Path(raw).expanduser().resolve()
    except RuntimeError as exc:  # ~nosuchuser
        raise HomeError(f"data home '{raw}': {exc}; fix --home or {HOME_ENV}", exit_code=EXIT_INPUT) from None


def data_home(explicit: str | Path | None = None) -> Path:
    """`resolve_home`, created if missing; HomeError (one line with the fix) when it cannot be."""
    home = resolve_home(explicit)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raw = explicit or os.environ.get(HOME_ENV) or DEFAULT_HOME
        raise HomeError(f"cannot create the data home '{raw}': {exc.strerror or exc}; make it writable or choose "
                        f"another with --home / {HOME_ENV}") from None
    return home
