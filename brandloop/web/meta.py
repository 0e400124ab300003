"""Service endpoints: health and the channels a brief may target."""
from __future__ import annotations

from fastapi import APIRouter

from brandloop.web.deps import Jobs
from brandloop.web.submit import channels

router = APIRouter(tags=["meta"])


@router.get("/api/health")
def health(jobs: Jobs) -> dict:
    return {"ok": True, "workers": jobs.pool._max_workers}


@router.get("/api/channels", summary="Channels a brief may target")
def api_channels() -> dict[str, str]:
    return channels()
