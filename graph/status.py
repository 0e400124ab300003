"""A run's status and variant counts for display: one definition for the run store, `brandloop runs` and the web."""
from __future__ import annotations

AWAITING = "awaiting_review"
LIVE = ("queued", "running")          # still going
FINISHED = ("completed", AWAITING)    # ended well; a review pause included
RESUMABLE = ("interrupted", "error")  # 'brandloop resume RUN_ID' continues it
DELIVERED = ("approved", "below_threshold", "failed")


def delivery_counts(variants: list[dict]) -> dict[str, int]:
    """How many variants are approved, below the threshold, and failed."""
    return {k: sum(v.get("delivered") == k for v in variants) for k in DELIVERED}


def run_counts(row: dict) -> tuple[int, int, int]:
    """(approved, below threshold, failed) from a run store row (columns passed, below, failed)."""
    return row.get("passed") or 0, row.get("below") or 0, row.get("failed") or 0


def status_text(status: str) -> str:
    """The status as `brandloop runs` lists it: resumable ones say so."""
    return status + (" (resumable)" if status in RESUMABLE else "")


def current_status(row_status: str | None, job_status: str | None, has_result: bool) -> str:
    """A run's status from its store row and, for a run started by this web server, its job.

    The job knows better while it is queued, failed before the run was stored, or has not stored the run yet;
    a run the store calls completed is still running until its result.json exists."""
    status = row_status or job_status or "unknown"
    if job_status in ("queued", "error") or (job_status == "running" and not row_status):
        status = job_status
    if job_status == "running" and status == "completed" and not has_result:
        status = "running"
    return status


def outcome(status: str, error: str | None, run_id: str) -> tuple[str, str | None]:
    """How a run that stopped ends its event stream: ('done', None) or ('failed', a one-line reason)."""
    if status in FINISHED:
        return "done", None
    if error:
        return "failed", error
    if status == "interrupted":
        return "failed", f"interrupted; continue it with 'brandloop resume {run_id}'"
    return "failed", f"run ended with status {status}"


def finish_line(status: str | None, stop_reason: str | None) -> str:
    """The last progress line of a run that ended well."""
    return "paused: awaiting your review" if status == AWAITING else f"finished: {stop_reason}"
