"""The creative brief: the graph's input, validated with clear, one-line errors."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from brandloop.agents.inputs import MAX_BRIEF_FILE_BYTES, Brief
from brandloop.errors import BriefError, OutsideRoots, PathEscape
from brandloop.knowledge import safeyaml
from brandloop.knowledge.channels import channel_table
from brandloop.knowledge.safepaths import confine


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
