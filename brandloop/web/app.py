"""FastAPI app: server-rendered pages (submit, live progress, results, trace, rulebooks) and the JSON API
behind them (schema at /openapi.json). Runs execute in a small thread pool, one Runner per run."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import shutil
import uuid
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from brandloop.errors import disk_problem
from brandloop.web import checker, downloads, render, review_board
from brandloop.web.guard import CSRF_COOKIE, CSRF_FIELD, cross_site_reason, csrf_ok, local_path, new_csrf_token
from brandloop.web.jobs import JobManager
from brandloop.web.uploads import (MAX_BRIEF_BYTES, MAX_MATERIAL_BYTES, MAX_ZIP_BYTES, UploadError, brief_from_form,
                                   check_size, extract_zip, safe_name, write_brief_yaml)
from brandloop.web.uploads import FormError, number_setting
from graph.context import RunSettings
from knowledge.names import InvalidName, check_name

log = logging.getLogger("brandloop.web")
HERE = Path(__file__).resolve().parent
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
TERMINAL = ("done", "failed")
REPLAY_POLL_S = 0.5  # how often the events of a run started elsewhere are re-read


# --- API models ------------------------------------------------------------------------------------------
class RunRequest(BaseModel):
    brief: dict[str, Any] = Field(description="The creative brief, as in a brief YAML file (brand, product, audience,"
                                              " channel, ...). Validated like `brandloop run` does.")
    settings: RunSettings = Field(default_factory=RunSettings)


class RunCreated(BaseModel):
    run_id: str
    status: str
    page: str = Field(description="The run's page (live progress, then results).")
    events: str = Field(description="Server-sent events: progress lines, then 'done' or 'failed'.")
    api: str


class RunInfo(BaseModel):
    run_id: str
    status: str
    error: str | None = None
    run: dict[str, Any] | None = Field(None, description="The run's row in the run store.")
    result: dict[str, Any] | None = Field(None, description="result.json once the run completed.")


class ErrorOut(BaseModel):
    detail: str


class RulebookIssues(BaseModel):
    ok: bool
    name: str | None = None
    issues: list[str] = []
    report: dict[str, Any] | None = None


def _read_limited(upload: UploadFile, limit: int, what: str) -> bytes:
    data = upload.file.read(limit + 1)
    check_size(data, limit, what)
    return data


def create_app(home: Path, llm_factory: Callable, *, token: str | None = None, workers: int = 2,
               allowed_hosts: tuple[str, ...] | list[str] | None = None,
               material_dirs: list[Path] | None = None) -> FastAPI:
    """The web app over the data home `home`; `llm_factory(spec)` builds the chat model for a run.

    token: when set, every request must carry it (Authorization: Bearer, or the `token` cookie that
    `/?token=...` sets). allowed_hosts: when set, other Host headers are refused (DNS-rebinding guard).
    material_dirs: server folders a brief may name materials from; otherwise only its own uploads.
    Cross-site writes are refused (Origin / Sec-Fetch-Site), and page forms carry a per-session token.
    """
    home = Path(home)
    material_dirs = [Path(d).expanduser().resolve() for d in material_dirs or []]
    jobs = JobManager(home, llm_factory, workers=workers)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(render=render, delivery_mark=_delivery_mark())

    @asynccontextmanager
    async def lifespan(_app):
        yield
        jobs.shutdown()

    app = FastAPI(title="brandloop", version="0.1.0", lifespan=lifespan,
                  description="A creative brief in, critiqued brand-safe ad copy out. Pages at /, JSON API under /api.")
    app.state.jobs = jobs
    app.state.home = home
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    downloads.register(app, home)
    checker.register(app, home)
    review_board.register(app, home, jobs)

    # --- access control ------------------------------------------------------------------------------------
    hosts = {h.lower() for h in allowed_hosts} if allowed_hosts else None

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if hosts is not None:
            host = (request.headers.get("host") or "").lower()
            host = host[1:host.index("]")] if host.startswith("[") and "]" in host else host.rsplit(":", 1)[0]
            if host not in hosts:
                return _plain_error(request, 400, "unexpected Host header; open the UI via its loopback address")
        reason = cross_site_reason(request)
        if reason:
            log.warning("refused %s %s: %s", request.method, request.url.path, reason)
            return _plain_error(request, 403, f"cross-site request refused ({reason}); use the UI's own pages")
        if not token:
            return await with_csrf_cookie(request, call_next)
        auth = request.headers.get("authorization") or ""
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get("token") or ""
        if given and secrets.compare_digest(given.encode(), token.encode()):
            return await with_csrf_cookie(request, call_next)
        q = request.query_params.get("token")
        if q and request.method == "GET" and secrets.compare_digest(q.encode(), token.encode()):
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            resp = RedirectResponse(local_path(request.url.path) + (f"?{rest}" if rest else ""), status_code=303)
            resp.set_cookie("token", token, httponly=True, samesite="strict")
            return resp
        return _plain_error(request, 401, "a token is required: open /?token=YOUR_TOKEN once, or send "
                                          "'Authorization: Bearer YOUR_TOKEN'")

    async def with_csrf_cookie(request: Request, call_next):
        """Pages get a per-session form token (cookie + hidden field); form posts must echo it."""
        have = request.cookies.get(CSRF_COOKIE) or ""
        request.state.csrf = have or new_csrf_token()
        response = await call_next(request)
        if not have:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        return response

    def require_form_token(request: Request, given: str) -> None:
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), given):
            raise HTTPException(403, "the form's session token is missing or stale; reload the page and try again")

    def check_rulebook_name(name: str, status: int = 404) -> str:
        try:
            return check_name(name)
        except InvalidName as exc:
            raise HTTPException(status, str(exc)) from None

    def check_run_id(run_id: str) -> str:
        try:
            return check_name(run_id, "run")
        except InvalidName:
            raise HTTPException(404, f"no run with id '{run_id[:64]}'") from None

    def _plain_error(request: Request, status: int, message: str) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=status)
        return templates.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                          status_code=status)

    # --- errors: pages get an HTML page, the API gets JSON ---------------------------------------------------
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "message": exc.detail},
                                          status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"detail": "the request body is not valid JSON; send a JSON object "
                                           "{\"brief\": {...}, \"settings\": {...}}"}, status_code=400)
        if _wants_json(request):
            return JSONResponse({"detail": errors}, status_code=422)
        from graph.brief import describe_problem

        said = [describe_problem({**e, "loc": [x for x in e.get("loc", ()) if x != "body"]}) for e in exc.errors()]
        message = "; ".join(f"{field}: {problem}" for field, problem, _ in said) or "invalid input"
        return templates.TemplateResponse(request, "error.html", {"status": 422, "message": message}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        disk = disk_problem(exc)
        if disk:
            log.error("%s on %s", disk, request.url.path)
            return _plain_error(request, 503, disk)
        log.exception("internal error on %s", request.url.path)
        return _plain_error(request, 500, f"internal error: {type(exc).__name__}: {exc}")

    # --- shared helpers --------------------------------------------------------------------------------------
    @contextmanager
    def store():
        from graph.store import open_store

        s = open_store(home)
        try:
            yield s
        finally:
            s.close()

    def load_result(row: dict | None, run_id: str) -> dict | None:
        paths = [Path(row["out_dir"]) / "result.json"] if row and row.get("out_dir") else []
        paths.append(home / "runs" / run_id / "result.json")
        for p in paths:
            if p.is_file():
                try:
                    return json.loads(p.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
        return None

    def run_info(run_id: str) -> RunInfo | None:
        check_run_id(run_id)
        job = jobs.get(run_id)
        with store() as s:
            row = s.get_run(run_id)
        if job is None and row is None:
            return None
        result = load_result(row, run_id) if row else None
        status = (row or {}).get("status") or job.status
        if job is not None and (job.status in ("queued", "error") or (job.status == "running" and not row)):
            status = job.status
        if job is not None and job.status == "running" and status == "completed" and result is None:
            status = "running"  # finishing: result.json is being written
        error = (job.error if job is not None else None) or (row or {}).get("error")
        row = {k: v for k, v in row.items() if k != "input_json"} if row else None
        return RunInfo(run_id=run_id, status=status, error=error, run=row, result=result)

    def rulebook_names() -> list[str]:
        names = []
        try:
            from knowledge.registry import BUNDLED, RulebookRegistry

            names = [r["name"] for r in RulebookRegistry(home).list()]
            if BUNDLED.is_dir():
                names += [d.name for d in sorted(BUNDLED.iterdir()) if (d / "rulebook.yaml").is_file()]
        except Exception:  # noqa: BLE001 - the form still works without the registry
            log.warning("rulebook registry unavailable", exc_info=True)
        return list(dict.fromkeys(names))

    def channels() -> dict[str, str]:
        from knowledge.channels import channel_table

        return {k: v.title for k, v in channel_table().items()}

    def new_run_dir() -> tuple[str, Path]:
        run_id = uuid.uuid4().hex[:12]
        d = home / "web" / "briefs" / run_id
        d.mkdir(parents=True, exist_ok=True)
        return run_id, d

    def validate_and_submit(run_id: str, brief_path: Path, settings: RunSettings, shown_name: str,
                            problems: list | None = None):
        from graph.brief import BriefError, load_brief

        roots = [brief_path.parent.resolve(), *material_dirs]
        problems = list(problems or [])
        try:
            if not is_remote_model(settings.model):
                raise BriefError(shown_name, "settings.model", f"'{settings.model[:80]}' is a local path",
                                 "use a preset (small, large) or a Hugging Face id; local models only from the CLI")
            brief, _ = load_brief(brief_path, roots)
            rulebook = settings.rulebook or brief.rulebook
            if rulebook:
                try:
                    check_name(rulebook)
                except InvalidName as exc:
                    raise BriefError(shown_name, "settings.rulebook" if settings.rulebook else "rulebook", str(exc),
                                     "choose an installed rulebook by name") from None
        except BriefError as exc:
            problems += FormError.from_brief(exc, shown_name == "form", str(brief_path), shown_name).problems
        if problems:
            shutil.rmtree(brief_path.parent, ignore_errors=True)
            raise FormError(problems)
        return jobs.submit(run_id, brief_path, settings, shown_name, roots)

    def settings_from(model: str, max_revisions: str, threshold: str, rulebook: str) -> tuple[RunSettings, list]:
        """The run settings and every problem with them, in plain words, by input name."""
        problems, values = [], {}
        for name, key, text, default, hi, whole, label in (
                ("max_revisions", "max_revisions", max_revisions, 2, 10, True, "Revision budget"),
                ("threshold", "pass_threshold", threshold, 60, 100, False, "Pass score")):
            try:
                values[key] = number_setting(text, default, 0, hi, label, whole)
            except ValueError as exc:
                problems.append((name, str(exc)))
        settings = RunSettings(model=(model or "small").strip() or "small", rulebook=(rulebook or "").strip() or None,
                               **values)
        return settings, problems

    # --- pages ---------------------------------------------------------------------------------------------
    def index_page(request: Request, form: dict | None = None, error: str | None = None, status: int = 200,
                   problems: list | None = None):
        with store() as s:
            runs = s.list_runs(20)
        problems = problems or ([(None, error)] if error else [])
        return templates.TemplateResponse(request, "index.html", {
            "form": form or {}, "error": error, "runs": runs, "problems": problems,
            "field_errors": {name: msg for name, msg in problems if name}, "channels": channels(), "rulebooks": rulebook_names(),
            "jobs": jobs}, status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request):
        return index_page(request)

    @app.post("/submit", include_in_schema=False)
    def submit(request: Request, csrf_token: str = Form("", alias=CSRF_FIELD), mode: str = Form("form"),
               brief_file: UploadFile | None = File(None),
               materials: list[UploadFile] = File(default_factory=list),
               brand: str = Form(""), product_name: str = Form(""), product_description: str = Form(""),
               facts: str = Form(""), audience: str = Form(""), channel: str = Form(""), goal: str = Form(""),
               tone: str = Form(""), key_message: str = Form(""), keywords: str = Form(""),
               forbidden_words: str = Form(""), variants: str = Form(""), model: str = Form("small"),
               max_revisions: str = Form("2"), threshold: str = Form("60"), rulebook: str = Form(""),
               review: str = Form("")):
        require_form_token(request, csrf_token)
        form = {k: v for k, v in locals().items() if isinstance(v, str) and k not in ("mode", "csrf_token")}
        form["mode"] = mode
        run_id, d = None, None
        try:
            settings, problems = settings_from(model, max_revisions, threshold, rulebook)
            settings = settings.model_copy(update={"review": bool(review)})
            run_id, d = new_run_dir()
            for m in materials or []:
                if m is not None and m.filename:
                    (d / safe_name(m.filename)).write_bytes(_read_limited(m, MAX_MATERIAL_BYTES, f"material {m.filename}"))
            if mode == "upload":
                if brief_file is None or not brief_file.filename:
                    raise UploadError("choose a brief file (YAML or JSON) to upload, or fill in the form instead")
                data = _read_limited(brief_file, MAX_BRIEF_BYTES, "the brief file")
                suffix = ".json" if brief_file.filename.lower().endswith(".json") else ".yaml"
                path = d / f"brief{suffix}"
                path.write_bytes(data)
                shown = safe_name(brief_file.filename, "brief.yaml")
            else:
                brief = brief_from_form(form)
                names = [safe_name(m.filename) for m in materials or [] if m is not None and m.filename]
                if names:
                    brief["materials"] = names
                path = write_brief_yaml(brief, d / "brief.yaml")
                shown = "form"
            validate_and_submit(run_id, path, settings, shown, problems)
        except UploadError as exc:
            if d is not None:
                shutil.rmtree(d, ignore_errors=True)
            return index_page(request, form, str(exc), status=400, problems=getattr(exc, "problems", None))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: str):
        info = run_info(run_id)
        if info is None:
            raise HTTPException(404, f"no run with id '{run_id}'")
        if info.result is not None:
            return templates.TemplateResponse(request, "result.html", {"info": info, "r": info.result})
        job = jobs.get(run_id)
        return templates.TemplateResponse(request, "live.html", {"info": info, "job": job})

    @app.get("/runs/{run_id}/trace", response_class=HTMLResponse, include_in_schema=False)
    def trace_page(request: Request, run_id: str, node: str | None = None):
        info = run_info(run_id)
        if info is None:
            raise HTTPException(404, f"no run with id '{run_id}'")
        with store() as s:
            events = s.events(run_id, node or None)
        history = (info.result or {}).get("history") or []
        return templates.TemplateResponse(request, "trace.html", {
            "info": info, "rows": render.timeline(events), "node": node, "diffs": render.revision_diffs(history, (info.result or {}).get("variants")),
            "nodes": list(dict.fromkeys(e["node"] for e in events)), "result": info.result})

    @app.get("/rulebooks", response_class=HTMLResponse, include_in_schema=False)
    def rulebooks_page(request: Request):
        return rulebooks_view(request)

    def rulebooks_view(request: Request, check: RulebookIssues | None = None, status: int = 200, error: str | None = None):
        listing, unavailable = [], None
        try:
            from knowledge.registry import RulebookRegistry

            listing = RulebookRegistry(home).list()
        except ImportError as exc:
            unavailable = f"the rulebook registry is not available: {exc}"
        return templates.TemplateResponse(request, "rulebooks.html", {
            "rulebooks": listing, "check": check, "error": error or unavailable,
            "max_zip_mb": MAX_ZIP_BYTES // (1024 * 1024)}, status_code=status)

    @app.post("/rulebooks", response_class=HTMLResponse, include_in_schema=False)
    def rulebooks_upload(request: Request, file: UploadFile | None = File(None), name: str = Form(""),
                         action: str = Form("validate"), csrf_token: str = Form("", alias=CSRF_FIELD)):
        require_form_token(request, csrf_token)
        if file is None or not file.filename:
            return rulebooks_view(request, status=400, error="choose a rulebook zip to upload")
        check = rulebook_zip(file, name, install=(action == "add"))
        return rulebooks_view(request, check=check, status=200 if check.ok else 400)

    @app.get("/rulebooks/{name}", response_class=HTMLResponse, include_in_schema=False)
    def rulebook_page(request: Request, name: str):
        data = rulebook_show(check_rulebook_name(name))
        return templates.TemplateResponse(request, "rulebook.html", {"name": name, "data": data})

    @app.post("/rulebooks/{name}/remove", include_in_schema=False)
    def rulebook_remove_page(request: Request, name: str, csrf_token: str = Form("", alias=CSRF_FIELD)):
        require_form_token(request, csrf_token)
        rulebook_remove(check_rulebook_name(name))
        return RedirectResponse("/rulebooks", status_code=303)

    # --- rulebook operations (shared by pages and API) --------------------------------------------------------
    def registry():
        try:
            from knowledge.registry import RulebookRegistry
        except ImportError as exc:
            raise HTTPException(503, f"the rulebook registry is not available: {exc}") from None
        return RulebookRegistry(home)

    def rulebook_zip(file: UploadFile, name: str, install: bool) -> RulebookIssues:
        reg = registry()
        scratch = home / "web" / "uploads" / uuid.uuid4().hex
        try:
            data = _read_limited(file, MAX_ZIP_BYTES, "the zip file")
            root = extract_zip(data, scratch)
            zip_stem = safe_name(Path(file.filename or "rulebook.zip").stem, "rulebook")
            rb_name = (name or "").strip() or (root.name if root != scratch else zip_stem)
            try:
                check_name(rb_name)
            except InvalidName as exc:
                return RulebookIssues(ok=False, name=None, issues=[f"{exc}; set the name field"])
            prefix = str(root) + "/"
            try:
                if install:
                    report = reg.add(root, rb_name, source=f"uploaded {safe_name(file.filename or '', 'rulebook.zip')}")
                    return RulebookIssues(ok=True, name=rb_name, report=report.to_dict())
                reg.validate(root, rb_name)
                return RulebookIssues(ok=True, name=rb_name)
            except Exception as exc:  # noqa: BLE001
                if type(exc).__name__ != "RulebookError":
                    raise
                issues = [str(i).replace(prefix, "").replace(str(root), rb_name)
                          for i in (getattr(exc, "issues", None) or [exc])]
                return RulebookIssues(ok=False, name=rb_name, issues=issues)
        except UploadError as exc:
            return RulebookIssues(ok=False, issues=[str(exc)])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def rulebook_show(name: str) -> dict:
        reg = registry()
        try:
            return reg.show(name)
        except Exception as exc:  # noqa: BLE001
            if type(exc).__name__ == "RulebookError":
                raise HTTPException(404, str(exc)) from None
            raise

    def rulebook_remove(name: str) -> None:
        reg = registry()
        try:
            reg.remove(name)
        except Exception as exc:  # noqa: BLE001
            if type(exc).__name__ == "RulebookError":
                raise HTTPException(404, str(exc)) from None
            raise

    # --- JSON API ------------------------------------------------------------------------------------------
    @app.get("/api/health", tags=["meta"])
    def health() -> dict:
        return {"ok": True, "workers": jobs.pool._max_workers}

    @app.get("/api/channels", tags=["meta"], summary="Channels a brief may target")
    def api_channels() -> dict[str, str]:
        return channels()

    @app.get("/api/runs", tags=["runs"], summary="Past and current runs, newest first")
    def api_runs(limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
        with store() as s:
            rows = s.list_runs(limit)
        return [{k: v for k, v in r.items() if k != "input_json"} for r in rows]

    @app.post("/api/runs", tags=["runs"], status_code=202, response_model=RunCreated,
              responses={400: {"model": ErrorOut, "description": "Invalid brief (one-line message)"}},
              summary="Start a run; follow it over the events stream")
    def api_create_run(req: RunRequest) -> RunCreated:
        run_id, d = new_run_dir()
        try:
            path = write_brief_yaml(req.brief, d / "brief.yaml")
            job = validate_and_submit(run_id, path, req.settings, "brief")
        except UploadError as exc:
            shutil.rmtree(d, ignore_errors=True)
            raise HTTPException(400, str(exc)) from None
        return RunCreated(run_id=run_id, status=job.status, page=f"/runs/{run_id}",
                          events=f"/api/runs/{run_id}/events", api=f"/api/runs/{run_id}")

    @app.get("/api/runs/{run_id}", tags=["runs"], response_model=RunInfo,
             responses={404: {"model": ErrorOut}}, summary="A run's status and, once completed, its result")
    def api_run(run_id: str) -> RunInfo:
        info = run_info(run_id)
        if info is None:
            raise HTTPException(404, f"no run with id '{run_id}'")
        return info

    @app.get("/api/runs/{run_id}/trace", tags=["runs"], responses={404: {"model": ErrorOut}},
             summary="Every trace event of a run (node, loop, timing, prompts, raw outputs, parsed results)")
    def api_trace(run_id: str, node: str | None = None) -> list[dict[str, Any]]:
        if run_info(run_id) is None:
            raise HTTPException(404, f"no run with id '{run_id}'")
        with store() as s:
            return s.events(run_id, node)

    @app.post("/api/runs/{run_id}/cancel", tags=["runs"], status_code=202,
              responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}},
              summary="Stop a run started here before its next LLM batch; it stays resumable")
    def api_cancel(run_id: str) -> dict[str, str]:
        job = jobs.get(run_id)
        if job is None or job.finished:
            raise HTTPException(404 if run_info(run_id) is None else 409,
                                f"run '{run_id}' is not running here; nothing to cancel")
        job.cancel.set()
        return {"status": "cancelling"}

    @app.get("/api/runs/{run_id}/events", tags=["runs"], response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}, "description":
                              "events 'queued', 'started', 'progress' (data: node, loop, line), then 'done' or "
                              "'failed' (data: status, error)"}, 404: {"model": ErrorOut}},
             summary="Live progress as server-sent events")
    async def api_events(request: Request, run_id: str):
        check_run_id(run_id)
        job = jobs.get(run_id)
        if job is None:
            info = await asyncio.to_thread(run_info, run_id)
            if info is None:
                raise HTTPException(404, f"no run with id '{run_id}'")
            return StreamingResponse(_replay(request, run_id, info), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        start = request.headers.get("last-event-id")
        start = int(start) + 1 if start and start.isdigit() else 0
        return StreamingResponse(_follow(request, job, start), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _follow(request: Request, job, index: int):
        idle = 0.0
        while True:
            batch = job.since(index)
            for ev in batch:
                yield _sse(ev)
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

    async def _replay(request: Request, run_id: str, info: RunInfo):
        """A run this server did not start (from the CLI, or before a restart): its stored trace, followed while
        the run is still going, then 'done' (completed, paused for review) or 'failed' (error, interrupted)."""
        from brandloop.report import progress_line

        sent, last_seq, idle = 0, 0, 0.0
        while True:
            with store() as s:
                row = s.get_run(run_id) or {}  # read first: events written before a final status are not missed
                events = s.events(run_id, after=last_seq)
            for e in events:
                yield _sse({"id": sent, "event": "progress", "node": e["node"], "loop": e.get("loop", 0),
                            "line": progress_line(e["node"], {"trace": [e]})})
                sent, last_seq, idle = sent + 1, e["seq"], 0.0
            status = row.get("status") or info.status
            if status not in ("queued", "running"):
                break
            if await request.is_disconnected():
                return
            if idle >= 15:
                yield ": keep-alive\n\n"
                idle = 0.0
            await asyncio.sleep(REPLAY_POLL_S)
            idle += REPLAY_POLL_S
        kind = "done" if status in ("completed", "awaiting_review") else "failed"
        error = row.get("error") or info.error
        if kind == "failed" and not error:
            error = (f"interrupted; continue it with 'brandloop resume {run_id}'" if status == "interrupted"
                     else f"run ended with status {status}")
        yield _sse({"id": sent, "event": kind, "status": status, "error": error if kind == "failed" else None,
                    "line": f"run {status.replace('_', ' ')}"})

    @app.get("/api/rulebooks", tags=["rulebooks"], summary="Installed rulebooks")
    def api_rulebooks() -> list[dict[str, Any]]:
        return registry().list()

    @app.get("/api/rulebooks/{name}", tags=["rulebooks"], responses={404: {"model": ErrorOut}},
             summary="An installed rulebook: brand, rules by type, products, guideline chunks, golden tests")
    def api_rulebook(name: str) -> dict[str, Any]:
        return rulebook_show(check_rulebook_name(name))

    @app.post("/api/rulebooks/validate", tags=["rulebooks"], response_model=RulebookIssues,
              summary=f"Validate a zipped rulebook folder (at most {MAX_ZIP_BYTES // 2**20} MB) without installing it")
    def api_rulebook_validate(response: Response, file: UploadFile = File(...), name: str = Form("")) -> RulebookIssues:
        check = rulebook_zip(file, name, install=False)
        response.status_code = 200 if check.ok else 400
        return check

    @app.post("/api/rulebooks", tags=["rulebooks"], response_model=RulebookIssues,
              summary="Install (or replace) a rulebook from a zipped folder holding rulebook.yaml")
    def api_rulebook_add(response: Response, file: UploadFile = File(...), name: str = Form("")) -> RulebookIssues:
        check = rulebook_zip(file, name, install=True)
        response.status_code = 201 if check.ok else 400
        return check

    @app.delete("/api/rulebooks/{name}", tags=["rulebooks"], status_code=204, responses={404: {"model": ErrorOut}})
    def api_rulebook_remove(name: str) -> Response:
        rulebook_remove(check_rulebook_name(name))
        return Response(status_code=204)

    return app


def is_remote_model(spec: str) -> bool:
    """A preset or a Hugging Face id ('org/name'), never a path on the server."""
    return not (spec.startswith(("/", ".", "~", "\\")) or ".." in spec or "\\" in spec or spec.count("/") > 1
                or spec.lower().endswith(".gguf") or Path(spec).is_absolute())


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json" or (
        "application/json" in (request.headers.get("accept") or "") and "text/html" not in
        (request.headers.get("accept") or ""))


def _sse(ev: dict) -> str:
    data = {k: v for k, v in ev.items() if k not in ("id", "event")}
    return f"id: {ev['id']}\nevent: {ev['event']}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def _delivery_mark() -> dict:
    from brandloop.report import DELIVERY_MARK

    return DELIVERY_MARK
