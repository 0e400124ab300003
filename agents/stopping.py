"""Why the revision loop stops: the graph routes on it and finalize records it."""
from __future__ import annotations

NO_IMPROVEMENT_LOOPS = 2


def stop_reason(state) -> str | None:
    """Why the revision loop should stop now, or None to keep revising."""
    variants = state.get("variants") or []
    active = [v for v in variants if v.get("status") != "parse_failed"]
    if not active:
        return "parse_failed"  # no variant could be parsed: nothing to critique or revise
    if all(v.get("status") in ("passed", "reviewed") for v in active):  # reviewed: settled by a person
        return "all_passed"
    if state.get("revision", 0) >= state["settings"].max_revisions:
        return "budget_exhausted"
    scores = state.get("best_scores") or []
    if len(scores) > NO_IMPROVEMENT_LOOPS and scores[-1] <= scores[-1 - NO_IMPROVEMENT_LOOPS]:
        return "no_improvement"
    return None
