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
    """Bad user input. `str()` names the file, the field and the fix: one line per problem (`issues`)."""

    def __init__(self, file: str, field: str, problem: str, fix: str = "",
                 more: list[tuple[str, str, str]] | None = None):
        self.file, self.field, self.problem, self.fix = file, field, problem, fix
        self.issues = [(field, problem, fix), *(more or [])]
        super().__init__("\n".join(_line(file, f, p, x) for f, p, x in self.issues))


def _line(file: str, field: str, problem: str, fix: str) -> str:
    field, problem, fix = (" ".join(x.splitlines()) for x in (field, problem, fix))  # values may carry line breaks
    msg = f"{file}: field '{field}': {problem}"
    return msg + (f" (fix: {fix})" if fix and "(fix:" not in problem else "")


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
    assets: dict[Name, int] = Field(default_factory=dict, description="Items per field each variant carries, e.g. "
                                    "{headline: 12, description: 3}; default: the rulebook's, else the channel's.")

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

    @field_validator("assets")
    @classmethod
    def _asset_counts(cls, v: dict[str, int], info) -> dict[str, int]:
        spec = channel_table().get(info.data.get("channel") or "")
        if spec is None:  # the channel's own error is reported
            return v
        for name, n in v.items():
            fs = spec.fields.get(name)
            if fs is None:
                raise ValueError(f"{spec.name} has no field '{name}'; use one of: {', '.join(spec.fields)}")
            lo, hi = max(1, fs.min_count), fs.max_count
            if not lo <= n <= hi:
                raise ValueError(f"{name} is {n}, outside {spec.name}'s allowed range {lo} to {hi}; "
                                 f"write a number from {lo} to {hi}, e.g. assets: {{{name}: {hi if n > hi else lo}}}")
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
    issues = []
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        issues = [describe_problem(e) for e in exc.errors()]
        brief = None
    except RecursionError:
        raise BriefError(name, "(top level)", "nested too deeply", "flatten the structure") from None
    base = p.resolve().parent
    materials = data.get("materials") if brief is None else brief.materials
    reported = {field for field, _, _ in issues}
    for i, m in enumerate([materials] if isinstance(materials, str) else
                          materials if isinstance(materials, (list, tuple)) else []):
        if not isinstance(m, str) or f"materials.{i}" in reported:
            continue
        try:
            check_material(name, i, m, base, material_roots)
        except BriefError as exc:
            issues.append((exc.field, exc.problem, exc.fix))
    if issues:
        raise BriefError(name, *issues[0], more=issues[1:])
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
