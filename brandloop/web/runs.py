"""A run's pages (live progress, result, trace) and its JSON API: status, trace, cancel and live events (SSE)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field

from brandloop.web import render
from brandloop.web.deps import Home, Jobs, Store, Templates, run_id_param, run_store
from brandloop.web.submit import ErrorOut
from brandloop.graph.status import LIVE, current_status, outcome

router = APIRouter()
TERMINAL = ("done", "failed")
REPLAY_POLL_S = 0.5  # how often the events of a run started elsewhere are re-read
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class RunInfo(BaseModel):
    run_id: str
    status: str
    error: str | None = None
    run: dict[str, Any] | None = Field(None, description="The run's row in the run store.")
    result: dict[str, Any] | None = Field(None, description="result.json once the run completed.")


def load_result(home: Path, row: dict | None, run_id: str) -> dict | None:
    paths = [Path(row["out_dir"]) / "result.json"] if row and row.get("out_dir") else []
    paths.append(home / "runs" / run_id / "result.json")
    for p in paths:
        if p.is_file():
            try:
                return json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
    return None


def run_info(home: Path, jobs, run_id: str) -> RunInfo | None:
    """The run's status (see graph.status.current_status), error, store row and result; None when unknown."""
    run_id_param(run_id)
    job = jobs.get(run_id)
    with run_store(home) as s:
        row = s.get_run(run_id)
    if job is None and row is None:
        return None
    result = load_result(home, row, run_id) if row else None
    status = current_status((row or {}).get("status"), job.status if job is not None else None, result is not None)
    error = (job.error if job is not None else None) or (row or {}).get("error")
    row = {k: v for k, v in row.items() if k != "input_json"} if row else None
    return RunInfo(run_id=run_id, status=status, error=error, run=row, result=result)


def known_run(home: Path, jobs, run_id: str) -> RunInfo:
    info = run_info(home, jobs, run_id)
    if info is None:
        raise HTTPException(404, f"no run with id '{run_id}'")
    return info


@router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(request: Request, run_id: str, home: Home, jobs: Jobs, templates: Templates):
    info = known_run(home, jobs, run_id)
    if info.result is not None:
        return templates.TemplateResponse(request, "result.html", {"info": info, "r": info.result})
    return templates.TemplateResponse(request, "live.html", {"info": info, "job": jobs.get(run_id)})


@router.get("/runs/{run_id}/trace", response_class=HTMLResponse, include_in_schema=False)
def trace_page(request: Request, run_id: str, home: Home, jobs: Jobs, templates: Templates, node: str | None = None):
    info = known_run(home, jobs, run_id)
    with run_store(home) as s:
        events = s.events(run_id, node or None)
    history = (info.result or {}).get("history") or []
    return templates.TemplateResponse(request, "trace.html", {
        "info": info, "rows": render.timeline(events), "node": node,
        "diffs": render.revision_diffs(history, (info.result or {}).get("variants")),
        "nodes": list(dict.fromkeys(e["node"] for e in events)), "result": info.result})


@router.get("/api/runs", tags=["runs"], summary="Past and current runs, newest first")
def api_runs(store: Store, limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "input_json"} for r in store.list_runs(limit)]


@router.get("/api/runs/{run_id}", tags=["runs"], response_model=RunInfo,
            responses={404: {"model": ErrorOut}}, summary="A run's status and, once completed, its result")
def api_run(run_id: str, home: Home, jobs: Jobs) -> RunInfo:
    return known_run(home, jobs, run_id)


@router.get("/api/runs/{run_id}/trace", tags=["runs"], responses={404: {"model": ErrorOut}},
            summary="Every trace event of a run (node, loop, timing, prompts, raw outputs, parsed results)")
def api_trace(run_id: str, home: Home, jobs: Jobs, node: str | None = None) -> list[dict[str, Any]]:
    known_run(home, jobs, run_id)
    with run_store(home) as s:
        return s.events(run_id, node)


@router.post("/api/runs/{run_id}/cancel", tags=["runs"], status_code=202,
             responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}},
             summary="Stop a run started here before its next LLM batch; it stays resumable")
def api_cancel(run_id: str, home: Home, jobs: Jobs) -> dict[str, str]:
    job = jobs.get(run_id)
    if job is None or job.finished:
        raise HTTPException(404 if run_info(home, jobs, run_id) is None else 409,
                            f"run '{run_id}' is not running here; nothing to cancel")
    job.cancel.set()
    return {"status": "cancelling"}


@router.get("/api/runs/{run_id}/events", tags=["runs"], response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description":
                             "events 'queued', 'started', 'progress' (data: node, loop, line), then 'done' or "
                             "'failed' (data: status, error)"}, 404: {"model": ErrorOut}},
            summary="Live progress as server-sent events")
async def api_events(request: Request, run_id: str, home: Home, jobs: Jobs):
    run_id_param(run_id)
    job = jobs.get(run_id)
    if job is None:
        info = await asyncio.to_thread(run_info, home, jobs, run_id)
        if info is None:
            raise HTTPException(404, f"no run with id '{run_id}'")
        return StreamingResponse(replay(request, home, run_id, info), media_type="text/event-stream",
                                 headers=SSE_HEADERS)
    start = request.headers.get("last-event-id")
    start = int(start) + 1 if start and start.isdigit() else 0
    return StreamingResponse(follow(request, job, start), media_type="text/event-stream", headers=SSE_HEADERS)


async def follow(request: Request, job, index: int):
    """A run started here: its job's event log from `index` on, until 'done' or 'failed'."""
    idle = 0.0
    while True:
        batch = job.since(index)
        for ev in batch:
            yield sse(ev)
            if ev["event"] in TERMINAL:
                return
        index += len(batch)
        if batch:
            idle = 0.0
        elif idle >= 15:
            yield ": keep-alive\n\n"
            idle = 0.0
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.1)
        idle += 0.1


async def replay(request: Request, home: Path, run_id: str, info: RunInfo):
    """A run this server did not start (from the CLI, or before a restart): its stored trace, followed while
    the run is still going, then 'done' (completed, paused for review) or 'failed' (error, interrupted)."""
    from brandloop.report import progress_line

    sent, last_seq, idle = 0, 0, 0.0
    while True:
        with run_store(home) as s:
            row = s.get_run(run_id) or {}  # read first: events written before a final status are not missed
            events = s.events(run_id, after=last_seq)
        for e in events:
            yield sse({"id": sent, "event": "progress", "node": e["node"], "loop": e.get("loop", 0),
                       "line": progress_line(e["node"], {"trace": [e]})})
            sent, last_seq, idle = sent + 1, e["seq"], 0.0
        status = row.get("status") or info.status
        if status not in LIVE:
            break
        if await request.is_disconnected():
            return
        if idle >= 15:
            yield ": keep-alive\n\n"
            idle = 0.0
        await asyncio.sleep(REPLAY_POLL_S)
        idle += REPLAY_POLL_S
    kind, error = outcome(status, row.get("error") or info.error, run_id)
    yield sse({"id": sent, "event": kind, "status": status, "error": error,
               "line": f"run {status.replace('_', ' ')}"})


def sse(ev: dict) -> str:
    data = {k: v for k, v in ev.items() if k not in ("id", "event")}
    return f"id: {ev['id']}\nevent: {ev['event']}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
