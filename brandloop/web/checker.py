"""The rulebook page's "Check this copy" box: the same alerts as `brandloop check`, as JSON, as the person types."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from knowledge.copycheck import Alert
from knowledge.rulebook import RulebookError

MAX_CHECK_CHARS = 100_000


class CheckRequest(BaseModel):
    text: str = Field(max_length=MAX_CHECK_CHARS, description="The copy: plain text, Markdown or CSV (see kind).")
    channel: str | None = Field(None, description="Apply this channel's rules and limits.")
    kind: str = Field("txt", pattern="^(txt|md|csv)$")


def register(app: FastAPI, home: Path) -> None:
    cache: dict[tuple, object] = {}

    def checker(name: str, channel: str | None):
        from knowledge.copycheck import CopyChecker
        from knowledge.registry import RulebookRegistry

        current = Path(home) / "rulebooks" / name / "current.json"
        key = (name, channel, current.stat().st_mtime_ns if current.is_file() else None)
        if key not in cache:
            try:
                cache[key] = CopyChecker(RulebookRegistry(home).rules_only(name), channel)
            except RulebookError as exc:  # a user error with its own message
                raise HTTPException(404, str(exc).splitlines()[0]) from None
        return cache[key]

    @app.post("/api/rulebooks/{name}/check", tags=["rulebooks"], response_model=list[Alert],
              response_model_exclude={"__all__": {"file"}},  # the box's copy has no file name
              summary="Check copy against a rulebook: Vale-style alerts with line and column")
    def check_copy(name: str, req: CheckRequest) -> list[Alert]:
        from knowledge.channels import channel_table

        if req.channel and req.channel not in channel_table():
            raise HTTPException(400, f"unknown channel '{req.channel}'; use one of: {', '.join(sorted(channel_table()))}")
        try:
            alerts = checker(name, req.channel or None).check(req.text, "copy", req.kind)
        except ValueError as exc:  # e.g. a CSV with no copy column (a BriefError)
            raise HTTPException(400, str(exc)) from None
        return alerts
