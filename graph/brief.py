"""The creative brief: the graph's input, validated with clear, one-line errors."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge.channels import channel_table


class BriefError(ValueError):
    """Bad user input. `str()` names the file, the field and the fix: one line per problem (`issues`)."""

    def __init__(self, file: str, field: str, problem: str, fix: str = "",
                 more: list[tuple[str, str, str]] | None = None):
        self.file, self.field, self.problem, self.fix = file, field, problem, fix
        self.issues = [(field, problem, fix), *(more or [])]
        super().__init__("\n".join(_line(file, f, p, x) for f, p, x in self.issues))


def _line(file: str, field: str, problem: str, fix: str) -> str:
    msg = f"{file}: field '{field}': {problem}"
    return msg + (f" (fix: {fix})" if fix and "(fix:" not in problem else "")


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


_KIND = {"string_type": "text", "list_type": "a list", "int_type": "a whole number", "int_parsing": "a whole number",
         "int_from_float": "a whole number", "dict_type": "a mapping of fields", "model_type": "a mapping of fields",
         "model_attributes_type": "a mapping of fields", "bool_type": "true or false", "bool_parsing": "true or false",
         "float_type": "a number", "float_parsing": "a number"}
_EXAMPLE = {"text": "write it as text, e.g. key_message: Earn more", "a list": "write a list, e.g. [savers, students]",
            "a whole number": "write a whole number, e.g. 3", "a mapping of fields": "indent its fields under it",
            "true or false": "write true or false", "a number": "write a number, e.g. 60"}


# What to write when a field is missing or empty.
_FIELD_FIX = {"brand": "write the brand's name, e.g. Northwind Bank",
              "product": "add the product with at least its name (product: {name: Everyday Savings})",
              "product.name": "write the product's name, e.g. Everyday Savings",
              "audience": "name at least one audience segment, e.g. savers",
              "channel": f"choose a channel: {', '.join(sorted(channel_table()))}"}


def describe_problem(err: dict) -> tuple[str, str, str]:
    """(field, problem, fix) in plain words for one pydantic error; no validation-library wording."""
    field = ".".join(str(x) for x in err["loc"]) or "(top level)"
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return field, "is missing", _FIELD_FIX.get(field, f"add '{field}' to the brief")
    if kind == "extra_forbidden":
        known = ", ".join(Brief.model_fields) if "." not in field else ""
        return field, "is not a brief field", f"remove it or check its spelling{f' ({known})' if known else ''}"
    if kind in ("too_short", "string_too_short"):
        n = ctx.get("min_length", 1)
        if kind == "string_too_short":
            return field, "is empty", _FIELD_FIX.get(field, f"write the {field.replace('.', ' ').replace('_', ' ')}")
        return field, "is empty" if n == 1 else f"needs at least {n} entries", _FIELD_FIX.get(
            field, f"give at least {n} entr{'y' if n == 1 else 'ies'}")
    if kind in ("too_long", "string_too_long"):
        n = ctx.get("max_length")
        unit = "characters" if kind == "string_too_long" else "entries"
        return field, f"is longer than {n} {unit}", f"shorten it to {n} {unit} or fewer"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        lo, hi = _bounds(field)
        return field, f"must be between {lo} and {hi}" if lo is not None else f"is out of range ({ctx})", (
            f"use a number from {lo} to {hi}" if lo is not None else "use a smaller or larger number")
    if kind in _KIND:
        return field, f"must be {_KIND[kind]}", _EXAMPLE[_KIND[kind]]
    if kind == "value_error":  # our own validators: "problem; fix"
        problem, _, fix = str(ctx.get("error") or err["msg"]).partition("; ")
        return field, problem, fix
    return field, "has a value that cannot be used here", "see the brief fields in README.md and examples/briefs/"


def _bounds(field: str) -> tuple[int | None, int | None]:
    if field == "variants":
        f = Brief.model_fields["variants"]
        lo = next((m.ge for m in f.metadata if getattr(m, "ge", None) is not None), None)
        hi = next((m.le for m in f.metadata if getattr(m, "le", None) is not None), None)
        return lo, hi
    return None, None


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
    issues = []
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        issues = [describe_problem(e) for e in exc.errors()]
        brief = None
    base = p.resolve().parent
    materials = data.get("materials") if brief is None else brief.materials
    for i, m in enumerate([materials] if isinstance(materials, str) else materials or []):
        if isinstance(m, str) and not (base / m).exists():
            issues.append((f"materials.{i}", f"material file not found: {m}",
                           "fix the path (relative to the brief) or remove the entry"))
    if issues:
        raise BriefError(name, *issues[0], more=issues[1:])
    return brief, base
