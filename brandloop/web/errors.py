"""Errors at the web edge, mapped to HTTP statuses by class: pages get an HTML page, the API gets JSON."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from brandloop.errors import BrandloopError, describe_error, disk_problem

log = logging.getLogger("brandloop.web")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json" or (
        "application/json" in (request.headers.get("accept") or "") and "text/html" not in
        (request.headers.get("accept") or ""))


def plain_error(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return request.app.state.templates.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                                        status_code=status)


async def http_error(request: Request, exc: StarletteHTTPException):
    if wants_json(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return plain_error(request, exc.status_code, exc.detail)


async def validation_error(request: Request, exc: RequestValidationError):
    errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in exc.errors()]
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse({"detail": "the request body is not valid JSON; send a JSON object "
                                       "{\"brief\": {...}, \"settings\": {...}}"}, status_code=400)
    if wants_json(request):
        return JSONResponse({"detail": errors}, status_code=422)
    from brandloop.graph.brief import describe_problem

    said = [describe_problem({**e, "loc": [x for x in e.get("loc", ()) if x != "body"]}) for e in exc.errors()]
    message = "; ".join(f"{field}: {problem}" for field, problem, _ in said) or "invalid input"
    return plain_error(request, 422, message)


async def project_error(request: Request, exc: BrandloopError):
    """The project's errors: each class names its HTTP status (brandloop/errors.py)."""
    if exc.http_status >= 500:
        log.error("%s on %s", describe_error(exc), request.url.path)
    return plain_error(request, exc.http_status, describe_error(exc))


async def internal_error(request: Request, exc: Exception):
    disk = disk_problem(exc)
    if disk:
        log.error("%s on %s", disk, request.url.path)
        return plain_error(request, 503, disk)
    log.exception("internal error on %s", request.url.path)
    return plain_error(request, 500, f"internal error: {type(exc).__name__}: {exc}")


def install(app: FastAPI) -> None:
    """Handlers by class (isinstance: subclasses too); anything else is a logged 500, or 503 for a full disk."""
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(BrandloopError, project_error)
    app.add_exception_handler(Exception, internal_error)
