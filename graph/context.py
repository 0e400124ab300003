"""Run settings (per-run configuration). The data home is resolved in brandloop/home.py (re-exported here)."""
from __future__ import annotations

from brandloop.agents.inputs import RunSettings  # noqa: F401 - re-exported
from brandloop.errors import HomeError  # noqa: F401 - re-exported for old imports
from brandloop.home import data_home  # noqa: F401 - re-exported for old imports
