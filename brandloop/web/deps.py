"""What the web routes share, as FastAPI dependencies: the app's settings and data home, the run store, the
job runner, the page templates, the rulebook registry and the form-token (CSRF) guard."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Callable, Iterator

from fastapi import Depends, Form, HTTPException, Request
from fastapi.templating import Jinja2Templates

from brandloop.web.guard import CSRF_COOKIE, CSRF_FIELD, csrf_ok
from brandloop.web.jobs import JobManager
from brandloop.knowledge.names import InvalidName, check_name


@dataclass
class WebConfig:
    home: Path
    llm_factory: Callable
    token: str | None = None
    hosts: set[str] | None = None  # allowed Host headers (lower case); None: any
    material_dirs: list[Path] = field(default_factory=list)  # server folders a brief may name materials from


def get_config(request: Request) -> WebConfig:
    return request.app.state.config


def get_home(request: Request) -> Path:
    return request.app.state.config.home


def get_jobs(request: Request) -> JobManager:
    return request.app.state.jobs


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


@contextmanager
def run_store(home: Path):
    """The run store, closed afterwards."""
    from brandloop.graph.store import open_store

    s = open_store(home)
    try:
        yield s
    finally:
        s.close()


def get_store(home: Annotated[Path, Depends(get_home)]) -> Iterator:
    with run_store(home) as s:
        yield s


def get_registry(home: Annotated[Path, Depends(get_home)]):
    try:
        from brandloop.knowledge.registry import RulebookRegistry
    except ImportError as exc:
        raise HTTPException(503, f"the rulebook registry is not available: {exc}") from None
    return RulebookRegistry(home)


def require_form_token(request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> None:
    """Page forms must echo the per-session token of their cookie."""
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        raise HTTPException(403, "the form's session token is missing or stale; reload the page and try again")


def rulebook_name(name: str) -> str:
    """A rulebook name from the path; an invalid one is a 404."""
    try:
        return check_name(name)
    except InvalidName as exc:
        raise HTTPException(404, str(exc)) from None


def run_id_param(run_id: str) -> str:
    """A run id from the path; an invalid one is a 404 like an unknown one."""
    try:
        return check_name(run_id, "run")
    except InvalidName:
        raise HTTPException(404, f"no run with id '{run_id[:64]}'") from None


Config = Annotated[WebConfig, Depends(get_config)]
Home = Annotated[Path, Depends(get_home)]
Jobs = Annotated[JobManager, Depends(get_jobs)]
Templates = Annotated[Jinja2Templates, Depends(get_templates)]
Store = Annotated[object, Depends(get_store)]
Registry = Annotated[object, Depends(get_registry)]
RulebookName = Annotated[str, Depends(rulebook_name)]
FormToken = Depends(require_form_token)
