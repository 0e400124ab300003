"""The creative brief: the graph's input, validated with clear, one-line errors."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge.channels import channel_table


class BriefError(ValueError):
    """Bad user input. `str()` is a one-line message naming the file, the field and the fix."""

    def __init__(self, file: str, field: str, problem: str, fix: str = ""):
        self.file, self.field, self.problem, self.fix = file, field, problem, fix
        msg = f"{file}: field '{field}': {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    description: str = ""
    facts: list[str] = Field(default_factory=list, description="Checked facts the copy may state.")


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
    brand: str = Field(min_length=1)
    product: Product
    audience: list[str] = Field(min_length=1, description="One or more audience segments.")
    channel: str
    goal: str = ""
    tone: str = ""
    key_message: str = ""
    keywords: list[str] = Field(default_factory=list, description="Words the copy must contain.")
    forbidden_words: list[str] = Field(default_factory=list, description="Words the copy must never contain.")
    materials: list[str] = Field(default_factory=list, description="Paths, relative to the brief file.")
    variants: int = Field(3, ge=1, le=12)
    rulebook: str | None = Field(None, description="Installed rulebook name, or a bundled example name.")
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
    return "correct the value"


def load_brief(path: str | Path) -> tuple[Brief, Path]:
    """Parse and validate a YAML or JSON brief; check that every material exists. Returns (brief, base dir)."""
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise BriefError(name, "(file)", "brief file not found", "check the path")
    text = p.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else (f" at line {exc.lineno}" if hasattr(exc, "lineno") else "")
        raise BriefError(name, "(syntax)", f"not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'}{line}",
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
    base = p.resolve().parent
    for i, m in enumerate(brief.materials):
        if not (base / m).exists():
            raise BriefError(name, f"materials.{i}", f"material file not found: {m}",
                             "fix the path (relative to the brief) or remove the entry")
    return brief, base
