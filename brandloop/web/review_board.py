"""The review board: a paused run's variants side by side, with approve / edit / reject, copy buttons, live
counters against the channel's limits, a live re-check of edits and a preview of how RSA headlines combine."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from brandloop.web.deps import Home, Jobs, Templates

router = APIRouter()


class ReviewSubmit(BaseModel):
    decisions: dict[str, dict[str, Any]] = Field(description='{"v1": {"action": "approve"}, "v2": {"action": "edit", '
                                                             '"fields": {...}}, "v3": {"action": "reject", "note": "..."}}')
    reviewer: str = Field("web", max_length=80, description="Who decided; kept in the trace")


class FieldsIn(BaseModel):
    fields: dict[str, list[str]]


def paused(home: Path, run_id: str):
    """A Runner over the paused run, its state and review payload. Unknown run: 404; not paused: 409 (a
    BriefError, see web.errors). The caller closes runner.store."""
    from brandloop.graph.runner import Runner

    runner = Runner(home, lambda spec: None)  # reading the pause needs no model
    try:
        values, payload = runner.paused_state(run_id)
    except BaseException:
        runner.store.close()
        raise
    return runner, values, payload


@router.get("/runs/{run_id}/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request, run_id: str, home: Home, templates: Templates):
    from brandloop.agents.common import channel_of

    runner, values, payload = paused(home, run_id)
    runner.store.close()
    spec = channel_of(values)
    limits = {name: {"max": f.max_chars, "label": name.replace("_", " ")} for name, f in spec.fields.items()}
    threshold = values["settings"].pass_threshold
    return templates.TemplateResponse(request, "review.html", {
        "run_id": run_id, "pending": payload["pending"], "limits": limits, "channel": spec.name,
        "channel_title": spec.title, "wide": spec.wide_chars_count_double, "threshold": threshold})


@router.post("/api/runs/{run_id}/review/check", tags=["runs"], summary="Re-check an edit against every rule and limit")
def review_check(run_id: str, body: FieldsIn, home: Home) -> list[dict[str, Any]]:
    runner, _, _ = paused(home, run_id)
    try:
        return runner.recheck(run_id, body.fields)
    finally:
        runner.store.close()


@router.post("/api/runs/{run_id}/review", tags=["runs"], status_code=202,
             summary="Submit review decisions; the run resumes (a rejected variant is rewritten, then shown again)")
def review_submit(run_id: str, body: ReviewSubmit, home: Home, jobs: Jobs) -> dict[str, str]:
    from brandloop.errors import ReviewError
    from brandloop.graph.review import validate_decisions

    runner, values, _ = paused(home, run_id)
    runner.store.close()
    job = jobs.get(run_id)
    if job is not None and not job.finished:
        raise HTTPException(409, f"run '{run_id}' is already resuming")
    try:
        validate_decisions(body.decisions, values.get("variants", []))
    except ReviewError as exc:
        raise HTTPException(400, str(exc)) from None
    jobs.submit_review(run_id, {**body.decisions, "_by": body.reviewer.strip() or "web"})
    return {"run_id": run_id, "page": f"/runs/{run_id}", "events": f"/api/runs/{run_id}/events"}
