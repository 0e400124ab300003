"""Routing: small pure functions that read state and name the next node."""
from __future__ import annotations

from typing import Literal

from brandloop.agents.stopping import stop_reason


def route_after_critic(state) -> Literal["revise", "finalize"]:
    return "finalize" if stop_reason(state) else "revise"
