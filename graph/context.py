"""Run settings (per-run configuration) and the data home."""
from __future__ import annotations

import os
from pathlib import Path

from agents.inputs import RunSettings  # noqa: F401 - re-exported


def data_home(explicit: str | Path | None = None) -> Path:
    """Where runs, checkpoints, model caches and indexes live: explicit > $BRANDLOOP_HOME > ./.brandloop."""
    raw = explicit or os.environ.get("BRANDLOOP_HOME") or ".brandloop"
    try:
        home = Path(raw).expanduser().resolve()
        home.mkdir(parents=True, exist_ok=True)
    except RuntimeError as exc:  # ~nosuchuser
        raise HomeError(f"data home '{raw}': {exc}; fix --home or BRANDLOOP_HOME", exit_code=2) from None
    except OSError as exc:
        raise HomeError(f"cannot create the data home '{raw}': {exc.strerror or exc}; make it writable or choose "
                        "another with --home / BRANDLOOP_HOME") from None
    return home


class HomeError(ValueError):
    """The data home cannot be used; str() is one line with the fix. exit_code: 2 bad input, 1 disk problem."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
