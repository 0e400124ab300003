"""Import Vale style folders (`vale/<Style>/*.yml`) as they are, with Vale's semantics."""
from __future__ import annotations

import pathlib

from brandloop.errors import Issue
from brandloop.knowledge.yamlmap import YamlSyntaxError, load_yaml

from .model import LEVEL_TO_SEVERITY, VALE_TYPES, VALE_UNSUPPORTED, Origin, Rule, Scope
from .types import RuleCompileError, compile_rule

_HEADER = {"extends", "message", "level", "scope", "link", "description", "name", "action", "code", "selector"}


def vale_blocks(scope) -> tuple[str, bool]:
    """Vale's `scope` mapped onto ad fields: (blocks, not_heading). A '~heading' selector keeps its negation."""
    items = [scope] if isinstance(scope, str) else list(scope or [])
    parts = [p.strip() for s in items for p in str(s).split("&") if p.strip()]
    negated = [p[1:] for p in parts if p.startswith("~")]
    items = [p for p in parts if not p.startswith("~")]
    not_heading = any(n.startswith("heading") or n == "title" for n in negated)
    if not items:
        return "text", not_heading
    if all(s.startswith("heading") or s == "title" for s in items):
        return "heading", False
    if all(s == "sentence" or s.endswith(".sentence") for s in items):
        return "sentence", not_heading
    return "text", not_heading


def style_dirs(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted({p.parent for p in root.rglob("*.yml")})


def load_vale(root: pathlib.Path, rel_to: pathlib.Path, rulebook: str, brand: str
              ) -> tuple[list[Rule], list[Issue], list[Issue]]:
    """Rules, errors and warnings (unsupported extension points are warnings, never silent)."""
    rules: list[Rule] = []
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for style in style_dirs(root):
        for f in sorted(style.glob("*.yml")):
            rel = str(f.relative_to(rel_to))
            try:
                data, lm = load_yaml(f.read_text("utf-8"), rel)
            except YamlSyntaxError as exc:
                errors.append(exc.issue)
                continue
            except UnicodeDecodeError:
                errors.append(Issue(rel, 1, "", "not UTF-8 text", "save the file as UTF-8"))
                continue
            rid = f"{style.name}.{f.stem}"
            if not isinstance(data, dict):
                errors.append(Issue(rel, 1, "", "a Vale rule must be a YAML mapping", "start with 'extends: existence'"))
                continue
            ext = data.get("extends")
            if not ext:
                errors.append(lm.issue(("extends",), "missing field", "add 'extends:' (e.g. existence, substitution)"))
                continue
            if ext in VALE_UNSUPPORTED:
                warnings.append(lm.issue(("extends",), f"rule {rid}: Vale extension point '{ext}' is not supported; "
                                         "this rule is not enforced", "remove the file or rewrite it as a supported type"))
                continue
            if ext not in VALE_TYPES:
                errors.append(lm.issue(("extends",), f"unknown rule type {ext!r}",
                                       "use one of: " + ", ".join(VALE_TYPES + VALE_UNSUPPORTED)))
                continue
            if "message" not in data:
                errors.append(lm.issue(("message",), "missing field", "add 'message:' (use %s for the match)"))
                continue
            level = str(data.get("level", "warning"))
            if level not in LEVEL_TO_SEVERITY:
                errors.append(lm.issue(("level",), f"unknown level {level!r}", "use suggestion, warning or error"))
                continue
            params = {k: v for k, v in data.items() if k not in _HEADER}
            blocks, not_heading = vale_blocks(data.get("scope"))
            rule = Rule(id=rid, type=ext, severity=LEVEL_TO_SEVERITY[level],
                        scope=Scope(blocks=blocks, not_heading=not_heading), message=str(data.get("message") or ""),
                        params=params,
                        origin=Origin(rulebook=rulebook, brand=brand, file=rel, line=1, source="vale"))
            try:
                compile_rule(rule)
            except RuleCompileError as exc:
                errors.append(lm.issue((exc.field.split(".")[0],), exc.message, exc.fix))
                continue
            rules.append(rule)
    return rules, errors, warnings
