"""Starting runs: the submit page (a form or an uploaded brief, with materials) and POST /api/runs."""
from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from brandloop.web.deps import Config, FormToken, Home, Jobs, Templates, run_store
from brandloop.web.uploads import (MAX_BRIEF_BYTES, MAX_MATERIAL_BYTES, FormError, UploadError, brief_from_form,
                                   check_size, number_setting, safe_name, write_brief_yaml)
from brandloop.graph.context import RunSettings
from brandloop.knowledge.names import InvalidName, check_name

log = logging.getLogger("brandloop.web")
router = APIRouter()


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


class ErrorOut(BaseModel):
    detail: str


def read_limited(upload: UploadFile, limit: int, what: str) -> bytes:
    data = upload.file.read(limit + 1)
    check_size(data, limit, what)
    return data


def is_remote_model(spec: str) -> bool:
    """A preset or a Hugging Face id ('org/name'), never a path on the server."""
    return not (spec.startswith(("/", ".", "~", "\\")) or ".." in spec or "\\" in spec or spec.count("/") > 1
                or spec.lower().endswith(".gguf") or Path(spec).is_absolute())


def new_run_dir(home: Path) -> tuple[str, Path]:
    run_id = uuid.uuid4().hex[:12]
    d = home / "web" / "briefs" / run_id
    d.mkdir(parents=True, exist_ok=True)
    return run_id, d


def validate_and_submit(config, jobs, run_id: str, brief_path: Path, settings: RunSettings, shown_name: str,
                        problems: list | None = None):
    """Check the brief and settings like the runner will; every problem at once as a FormError, else submit."""
    from brandloop.errors import BriefError
    from brandloop.graph.brief import load_brief

    roots = [brief_path.parent.resolve(), *config.material_dirs]
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


def rulebook_names(home: Path) -> list[str]:
    names = []
    try:
        from brandloop.knowledge.registry import BUNDLED, RulebookRegistry

        names = [r["name"] for r in RulebookRegistry(home).list()]
        if BUNDLED.is_dir():
            names += [d.name for d in sorted(BUNDLED.iterdir()) if (d / "rulebook.yaml").is_file()]
    except Exception:  # noqa: BLE001 - the form still works without the registry
        log.warning("rulebook registry unavailable", exc_info=True)
    return list(dict.fromkeys(names))


def channels() -> dict[str, str]:
    from brandloop.knowledge.channels import channel_table

    return {k: v.title for k, v in channel_table().items()}


def index_page(request: Request, home: Path, jobs, templates, form: dict | None = None, error: str | None = None,
               status: int = 200, problems: list | None = None):
    with run_store(home) as s:
        runs = s.list_runs(20)
    problems = problems or ([(None, error)] if error else [])
    return templates.TemplateResponse(request, "index.html", {
        "form": form or {}, "error": error, "runs": runs, "problems": problems,
        "field_errors": {name: msg for name, msg in problems if name}, "channels": channels(),
        "rulebooks": rulebook_names(home), "jobs": jobs}, status_code=status)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request, home: Home, jobs: Jobs, templates: Templates):
    return index_page(request, home, jobs, templates)


@router.post("/submit", include_in_schema=False, dependencies=[FormToken])
def submit(request: Request, config: Config, jobs: Jobs, templates: Templates, mode: str = Form("form"),
           brief_file: UploadFile | None = File(None),
           materials: list[UploadFile] = File(default_factory=list),
           brand: str = Form(""), product_name: str = Form(""), product_description: str = Form(""),
           facts: str = Form(""), audience: str = Form(""), channel: str = Form(""), goal: str = Form(""),
           tone: str = Form(""), key_message: str = Form(""), keywords: str = Form(""),
           forbidden_words: str = Form(""), variants: str = Form(""), assets: str = Form(""),
           model: str = Form("small"),
           max_revisions: str = Form("2"), threshold: str = Form("60"), rulebook: str = Form(""),
           review: str = Form("")):
    form = {k: v for k, v in locals().items() if isinstance(v, str) and k != "mode"}
    form["mode"] = mode
    run_id, d = None, None
    try:
        settings, problems = settings_from(model, max_revisions, threshold, rulebook)
        settings = settings.model_copy(update={"review": bool(review)})
        run_id, d = new_run_dir(config.home)
        for m in materials or []:
            if m is not None and m.filename:
                (d / safe_name(m.filename)).write_bytes(read_limited(m, MAX_MATERIAL_BYTES, f"material {m.filename}"))
        if mode == "upload":
            if brief_file is None or not brief_file.filename:
                raise UploadError("choose a brief file (YAML or JSON) to upload, or fill in the form instead")
            data = read_limited(brief_file, MAX_BRIEF_BYTES, "the brief file")
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
        validate_and_submit(config, jobs, run_id, path, settings, shown, problems)
    except UploadError as exc:
        if d is not None:
            shutil.rmtree(d, ignore_errors=True)
        return index_page(request, config.home, jobs, templates, form, str(exc), status=400,
                          problems=getattr(exc, "problems", None))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/api/runs", tags=["runs"], status_code=202, response_model=RunCreated,
             responses={400: {"model": ErrorOut, "description": "Invalid brief (one-line message)"}},
             summary="Start a run; follow it over the events stream")
def api_create_run(req: RunRequest, config: Config, jobs: Jobs) -> RunCreated:
    run_id, d = new_run_dir(config.home)
    try:
        path = write_brief_yaml(req.brief, d / "brief.yaml")
        job = validate_and_submit(config, jobs, run_id, path, req.settings, "brief")
    except UploadError as exc:
        shutil.rmtree(d, ignore_errors=True)
        raise HTTPException(400, str(exc)) from None
    return RunCreated(run_id=run_id, status=job.status, page=f"/runs/{run_id}",
                      events=f"/api/runs/{run_id}/events", api=f"/api/runs/{run_id}")
