"""Routing: small pure functions that read state and name the next node."""
from __future__ import annotations

from typing import Literal

from graph.context import RunSettings

NO_IMPROVEMENT_LOOPS = 2


def stop_reason(state) -> str | None:
    """Why the revision loop should stop now, or None to keep revising."""
    variants = state.get("variants") or []
    active = [v for v in variants if v.get("status") != "parse_failed"]
    if not active:
        return "parse_failed"  # no variant could be parsed: nothing to critique or revise
    if all(v.get("status") in ("passed", "reviewed") for v in active):  # reviewed: settled by a person
        return "all_passed"
    settings = RunSettings.model_validate(state.get("settings") or {})
    if state.get("revision", 0) >= settings.max_revisions:
        return "budget_exhausted"
    scores = state.get("best_scores") or []
    if len(scores) > NO_IMPROVEMENT_LOOPS and scores[-1] <= scores[-1 - NO_IMPROVEMENT_LOOPS]:
        return "no_improvement"
    return None


def route_after_critic(state) -> Literal["revise", "finalize"]:
    return "finalize" if stop_reason(state) else "revise"
