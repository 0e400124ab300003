"""The rulebook page's "Check this copy" box: the same alerts as `brandloop check`, as JSON, as the person types."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from brandloop.web.deps import Home
from brandloop.knowledge.copycheck import Alert

MAX_CHECK_CHARS = 100_000
router = APIRouter()


class CheckRequest(BaseModel):
    text: str = Field(max_length=MAX_CHECK_CHARS, description="The copy: plain text, Markdown or CSV (see kind).")
    channel: str | None = Field(None, description="Apply this channel's rules and limits.")
    kind: str = Field("txt", pattern="^(txt|md|csv)$")


def checker(request: Request, home: Path, name: str, channel: str | None):
    """The rulebook's checker, kept per app while the installed version is unchanged. An unknown rulebook raises
    RulebookError (a 404, see web.errors)."""
    from brandloop.knowledge.copycheck import CopyChecker
    from brandloop.knowledge.registry import RulebookRegistry

    cache = request.app.state.checkers
    current = Path(home) / "rulebooks" / name / "current.json"
    key = (name, channel, current.stat().st_mtime_ns if current.is_file() else None)
    if key not in cache:
        cache[key] = CopyChecker(RulebookRegistry(home).rules_only(name), channel)
    return cache[key]


@router.post("/api/rulebooks/{name}/check", tags=["rulebooks"], response_model=list[Alert],
             response_model_exclude={"__all__": {"file"}},  # the box's copy has no file name
             summary="Check copy against a rulebook: Vale-style alerts with line and column")
def check_copy(request: Request, name: str, req: CheckRequest, home: Home) -> list[Alert]:
    from brandloop.knowledge.channels import channel_table

    if req.channel and req.channel not in channel_table():
        raise HTTPException(400, f"unknown channel '{req.channel}'; use one of: {', '.join(sorted(channel_table()))}")
    try:
        alerts = checker(request, home, name, req.channel or None).check(req.text, "copy", req.kind)
    except ValueError as exc:  # e.g. a CSV with no copy column (a BriefError)
        raise HTTPException(400, str(exc)) from None
    return alerts
