"""Rulebooks: the list page with zip upload (validate or install), a rulebook's page, removal, and their JSON API."""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from brandloop.web.deps import FormToken, Home, Registry, RulebookName, Templates, get_registry
from brandloop.web.submit import ErrorOut, read_limited
from brandloop.web.uploads import MAX_ZIP_BYTES, UploadError, extract_zip, safe_name
from brandloop.knowledge.names import InvalidName, check_name
from brandloop.errors import RulebookError

router = APIRouter()


class RulebookIssues(BaseModel):
    ok: bool
    name: str | None = None
    issues: list[str] = []
    report: dict[str, Any] | None = None


def rulebook_zip(reg, home: Path, file: UploadFile, name: str, install: bool) -> RulebookIssues:
    """Unpack an uploaded zip safely, then validate (or install) it; its problems come back, not raised."""
    scratch = home / "web" / "uploads" / uuid.uuid4().hex
    try:
        data = read_limited(file, MAX_ZIP_BYTES, "the zip file")
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
        except RulebookError as exc:
            issues = [str(i).replace(prefix, "").replace(str(root), rb_name) for i in (exc.issues or [exc])]
            return RulebookIssues(ok=False, name=rb_name, issues=issues)
    except UploadError as exc:
        return RulebookIssues(ok=False, issues=[str(exc)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def rulebooks_view(request: Request, home: Path, templates, check: RulebookIssues | None = None, status: int = 200,
                   error: str | None = None):
    listing, unavailable = [], None
    try:
        from brandloop.knowledge.registry import RulebookRegistry

        listing = RulebookRegistry(home).list()
    except ImportError as exc:
        unavailable = f"the rulebook registry is not available: {exc}"
    return templates.TemplateResponse(request, "rulebooks.html", {
        "rulebooks": listing, "check": check, "error": error or unavailable,
        "max_zip_mb": MAX_ZIP_BYTES // (1024 * 1024)}, status_code=status)


@router.get("/rulebooks", response_class=HTMLResponse, include_in_schema=False)
def rulebooks_page(request: Request, home: Home, templates: Templates):
    return rulebooks_view(request, home, templates)


@router.post("/rulebooks", response_class=HTMLResponse, include_in_schema=False, dependencies=[FormToken])
def rulebooks_upload(request: Request, home: Home, templates: Templates,
                     file: UploadFile | None = File(None), name: str = Form(""), action: str = Form("validate")):
    if file is None or not file.filename:
        return rulebooks_view(request, home, templates, status=400, error="choose a rulebook zip to upload")
    check = rulebook_zip(get_registry(home), home, file, name, install=(action == "add"))
    return rulebooks_view(request, home, templates, check=check, status=200 if check.ok else 400)


@router.get("/rulebooks/{name}", response_class=HTMLResponse, include_in_schema=False)
def rulebook_page(request: Request, name: RulebookName, reg: Registry, templates: Templates):
    return templates.TemplateResponse(request, "rulebook.html", {"name": name, "data": reg.show(name)})


@router.post("/rulebooks/{name}/remove", include_in_schema=False, dependencies=[FormToken])
def rulebook_remove_page(name: RulebookName, reg: Registry):
    reg.remove(name)  # an unknown rulebook: RulebookError, a 404
    return RedirectResponse("/rulebooks", status_code=303)


@router.get("/api/rulebooks", tags=["rulebooks"], summary="Installed rulebooks")
def api_rulebooks(reg: Registry) -> list[dict[str, Any]]:
    return reg.list()


@router.get("/api/rulebooks/{name}", tags=["rulebooks"], responses={404: {"model": ErrorOut}},
            summary="An installed rulebook: brand, rules by type, products, guideline chunks, golden tests")
def api_rulebook(name: RulebookName, reg: Registry) -> dict[str, Any]:
    return reg.show(name)


@router.post("/api/rulebooks/validate", tags=["rulebooks"], response_model=RulebookIssues,
             summary=f"Validate a zipped rulebook folder (at most {MAX_ZIP_BYTES // 2**20} MB) without installing it")
def api_rulebook_validate(response: Response, home: Home, reg: Registry, file: UploadFile = File(...),
                          name: str = Form("")) -> RulebookIssues:
    check = rulebook_zip(reg, home, file, name, install=False)
    response.status_code = 200 if check.ok else 400
    return check


@router.post("/api/rulebooks", tags=["rulebooks"], response_model=RulebookIssues,
             summary="Install (or replace) a rulebook from a zipped folder holding rulebook.yaml")
def api_rulebook_add(response: Response, home: Home, reg: Registry, file: UploadFile = File(...),
                     name: str = Form("")) -> RulebookIssues:
    check = rulebook_zip(reg, home, file, name, install=True)
    response.status_code = 201 if check.ok else 400
    return check


@router.delete("/api/rulebooks/{name}", tags=["rulebooks"], status_code=204, responses={404: {"model": ErrorOut}})
def api_rulebook_remove(name: RulebookName, reg: Registry) -> Response:
    reg.remove(name)
    return Response(status_code=204)
