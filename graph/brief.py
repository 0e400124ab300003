"""The creative brief: the graph's input, validated with clear, one-line errors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from knowledge import safeyaml
from knowledge.safepaths import OutsideRoots, PathEscape, confine

from knowledge.channels import channel_table


class BriefError(ValueError):
    """Bad user input. `str()` is a one-line message naming the file, the field and the fix."""

    def __init__(self, file: str, field: str, problem: str, fix: str = ""):
        self.file, self.field, self.problem, self.fix = file, field, problem, fix
        msg = f"{file}: field '{field}': {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)


# Documented limits (README "Limits"): characters per field and items per list.
MAX_BRIEF_FILE_BYTES = 1024 * 1024
MAX_NAME_CHARS = 200        # brand, product name, channel, rulebook, one audience, keyword or word
MAX_TEXT_CHARS = 2000       # description, goal, tone, key message
MAX_FACT_CHARS = 500        # one fact
MAX_LIST_ITEMS = 50         # facts, audience, keywords, forbidden words, materials
MAX_MATERIAL_CHARS = 255    # one material path

Name = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(min_length=1)
    description: Text = ""
    facts: list[Annotated[str, StringConstraints(max_length=MAX_FACT_CHARS)]] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS, description="Checked facts the copy may state.")


class ExportTarget(BaseModel):
    """Where exported ads go in the ad account (`brandloop export`; flags override these)."""

    model_config = ConfigDict(extra="forbid")
    campaign: str = ""
    ad_group: str = Field("", description="Google Ads ad group, or Meta ad set.")
    final_url: str = Field("", description="Landing page (Google 'Final URL', Meta 'Link').")
    path1: str = Field("", max_length=15, description="Google display path 1.")
    path2: str = Field("", max_length=15, description="Google display path 2.")
    call_to_action: str = Field("", description="Meta call to action, e.g. LEARN_MORE.")


class Brief(BaseModel):
    """What the marketer asks for."""

    model_config = ConfigDict(extra="forbid")
    brand: Name = Field(min_length=1)
    product: Product
    audience: list[Name] = Field(min_length=1, max_length=MAX_LIST_ITEMS, description="One or more audience segments.")
    channel: Name
    goal: Text = ""
    tone: Text = ""
    key_message: Text = ""
    keywords: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS,
                                 description="Words the copy must contain.")
    forbidden_words: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS,
                                        description="Words the copy must never contain.")
    materials: list[Annotated[str, StringConstraints(max_length=MAX_MATERIAL_CHARS)]] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS, description="Paths, relative to the brief file.")
    variants: int = Field(3, ge=1, le=12)
    rulebook: Name | None = Field(None, description="Installed rulebook name, or a bundled example name.")
    export: ExportTarget | None = Field(None, description="Campaign, ad group and URL for `brandloop export`.")

    @field_validator("audience", "keywords", "forbidden_words", "materials", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        if isinstance(v, str):
            return [v]
        return v

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, v: str) -> str:
        if v not in channel_table():
            raise ValueError(f"unknown channel '{v}'; use one of: {', '.join(sorted(channel_table()))}")
        return v


def _fix_for(error_type: str, field: str) -> str:
    if error_type == "missing":
        return f"add '{field}' to the brief"
    if error_type == "extra_forbidden":
        return f"remove '{field}' or check its spelling"
    if error_type in ("string_too_long", "too_long"):
        return "shorten it (see the limits in README.md)"
    return "correct the value"


def load_brief(path: str | Path, material_roots: list[Path] | None = None) -> tuple[Brief, Path]:
    """Parse and validate a YAML or JSON brief; check that every material exists. Returns (brief, base dir).

    material_roots: when given (the web), every material must resolve inside one of these folders.
    """
    p = Path(path)
    name = str(path)
    try:
        if not p.is_file():
            raise BriefError(name, "(file)", "brief file not found", "check the path")
        if p.stat().st_size > MAX_BRIEF_FILE_BYTES:
            raise BriefError(name, "(file)", f"larger than {MAX_BRIEF_FILE_BYTES // 1024} KB",
                             "shorten the brief; long texts belong in materials")
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BriefError(name, "(file)", f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from None
    except OSError as exc:
        raise BriefError(name, "(file)", f"cannot read the file: {exc.strerror or exc}", "check the path") from None
    is_json = p.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else safeyaml.safe_load(text)
    except RecursionError:
        raise BriefError(name, "(syntax)", "nested too deeply", "flatten the structure") from None
    except safeyaml.YamlBudgetError as exc:
        mark = exc.problem_mark
        raise BriefError(name, "(syntax)", f"refused at line {mark.line + 1 if mark else 1}: {exc.problem}",
                         safeyaml.fix_for(exc)) from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else (f" at line {exc.lineno}" if hasattr(exc, "lineno") else "")
        raise BriefError(name, "(syntax)", f"not valid {'JSON' if is_json else 'YAML'}{line}",
                         "fix the syntax") from None
    if not isinstance(data, dict):
        raise BriefError(name, "(top level)", "a brief must be a mapping of fields", "see examples/briefs/")
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "(top level)"
        problem = err["msg"].removeprefix("Value error, ")
        raise BriefError(name, field, problem, _fix_for(err["type"], field)) from None
    except RecursionError:
        raise BriefError(name, "(top level)", "nested too deeply", "flatten the structure") from None
    base = p.resolve().parent
    for i, m in enumerate(brief.materials):
        check_material(name, i, m, base, material_roots)
    return brief, base


def check_material(brief_name: str, i: int, material: str, base: Path, roots: list[Path] | None) -> Path:
    """The material's path; BriefError if it is missing, unreadable as a path, or (with roots) outside them."""
    field = f"materials.{i}"
    try:
        target = confine(material, roots, base) if roots is not None else base / material
        found = target.exists()
    except OutsideRoots:
        raise BriefError(brief_name, field, f"material '{material}' lies outside the uploaded files and allowed folders",
                         "upload the file with the brief and name it without folders") from None
    except PathEscape as exc:
        raise BriefError(brief_name, field, str(exc), "fix the path") from None
    except OSError as exc:  # name too long, permission denied
        raise BriefError(brief_name, field, f"cannot use '{material[:80]}': {exc.strerror or exc}",
                         "fix the path (relative to the brief)") from None
    if not found:
        raise BriefError(brief_name, field, f"material file not found: {material}",
                         "fix the path (relative to the brief) or remove the entry")
    return target
