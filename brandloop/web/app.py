"""FastAPI app: server-rendered pages (submit, live progress, results, trace, rulebooks) and the JSON API
behind them (schema at /openapi.json). Runs execute in a small thread pool, one Runner per run.

The routes live in routers, one per area (submit, runs, review, downloads, rulebooks, copy check, meta), and get
what they share through brandloop.web.deps; errors become HTTP statuses in brandloop.web.errors."""
from __future__ import annotations

import logging
import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from brandloop.web import checker, downloads, errors, meta, render, review_board, rulebooks, runs, submit
from brandloop.web.deps import WebConfig
from brandloop.web.errors import plain_error
from brandloop.web.guard import CSRF_COOKIE, cross_site_reason, local_path, new_csrf_token
from brandloop.web.jobs import JobManager
from brandloop.graph.status import run_counts

log = logging.getLogger("brandloop.web")
HERE = Path(__file__).resolve().parent


def create_app(home: Path, llm_factory: Callable, *, token: str | None = None, workers: int = 2,
               allowed_hosts: tuple[str, ...] | list[str] | None = None,
               material_dirs: list[Path] | None = None) -> FastAPI:
    """The web app over the data home `home`; `llm_factory(spec)` builds the chat model for a run.

    token: when set, every request must carry it (Authorization: Bearer, or the `token` cookie that
    `/?token=...` sets). allowed_hosts: when set, other Host headers are refused (DNS-rebinding guard).
    material_dirs: server folders a brief may name materials from; otherwise only its own uploads.
    Cross-site writes are refused (Origin / Sec-Fetch-Site), and page forms carry a per-session token.
    """
    config = WebConfig(home=Path(home), llm_factory=llm_factory, token=token,
                       hosts={h.lower() for h in allowed_hosts} if allowed_hosts else None,
                       material_dirs=[Path(d).expanduser().resolve() for d in material_dirs or []])
    jobs = JobManager(config.home, llm_factory, workers=workers)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(render=render, delivery_mark=_delivery_mark(), run_counts=run_counts)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        jobs.shutdown()

    app = FastAPI(title="brandloop", version="0.1.0", lifespan=lifespan,
                  description="A creative brief in, critiqued brand-safe ad copy out. Pages at /, JSON API under /api.")
    app.state.config = config
    app.state.home = config.home
    app.state.jobs = jobs
    app.state.templates = templates
    app.state.checkers = {}  # copy checkers by (rulebook, channel, installed version)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for area in (downloads, checker, review_board, submit, runs, rulebooks, meta):
        app.include_router(area.router)
    errors.install(app)
    app.middleware("http")(_access_guard(config))
    return app


def _access_guard(config: WebConfig):
    """Host check (DNS rebinding), cross-site write refusal, the optional token, then the per-session form token."""

    async def guard(request: Request, call_next):
        if config.hosts is not None:
            host = (request.headers.get("host") or "").lower()
            host = host[1:host.index("]")] if host.startswith("[") and "]" in host else host.rsplit(":", 1)[0]
            if host not in config.hosts:
                return plain_error(request, 400, "unexpected Host header; open the UI via its loopback address")
        reason = cross_site_reason(request)
        if reason:
            log.warning("refused %s %s: %s", request.method, request.url.path, reason)
            return plain_error(request, 403, f"cross-site request refused ({reason}); use the UI's own pages")
        token = config.token
        if not token:
            return await _with_csrf_cookie(request, call_next)
        auth = request.headers.get("authorization") or ""
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get("token") or ""
        if given and secrets.compare_digest(given.encode(), token.encode()):
            return await _with_csrf_cookie(request, call_next)
        q = request.query_params.get("token")
        if q and request.method == "GET" and secrets.compare_digest(q.encode(), token.encode()):
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            resp = RedirectResponse(local_path(request.url.path) + (f"?{rest}" if rest else ""), status_code=303)
            resp.set_cookie("token", token, httponly=True, samesite="strict")
            return resp
        return plain_error(request, 401, "a token is required: open /?token=YOUR_TOKEN once, or send "
                                         "'Authorization: Bearer YOUR_TOKEN'")

    return guard


async def _with_csrf_cookie(request: Request, call_next):
    """Pages get a per-session form token (cookie + hidden field); form posts must echo it."""
    have = request.cookies.get(CSRF_COOKIE) or ""
    request.state.csrf = have or new_csrf_token()
    response = await call_next(request)
    if not have:
        response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
    return response


def _delivery_mark() -> dict:
    from brandloop.report import DELIVERY_MARK

    return DELIVERY_MARK
