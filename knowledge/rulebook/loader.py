"""Load and validate a rulebook folder (rulebook.yaml, guidelines/*.md, vale/<Style>/*.yml).

Every problem becomes an Issue with file:line, field and a fix; all of them are collected before
raising, so `rulebook validate` reports every error at once.
"""
from __future__ import annotations

import hashlib
import pathlib
import re
from typing import Any, Callable

import regex
import yaml
from pydantic import ValidationError

from brandloop.errors import Issue, RulebookError
from brandloop.knowledge.names import is_valid_name
from brandloop.knowledge.rules.model import SUPPORTED_TYPES, VALE_UNSUPPORTED, Example, Origin, Rule, Scope
from brandloop.knowledge.rules.precedence import conflicts as find_conflicts
from brandloop.knowledge.rules.types import RuleCompileError, compile_rule
from brandloop.knowledge.safepaths import links_leaving
from brandloop.knowledge.yamlmap import LineMap, YamlSyntaxError, load_yaml

from .schema import Chunk, Fact, Product, RulebookData

RULEBOOK_FILE = "rulebook.yaml"
MAX_RULEBOOK_FILE_BYTES = 1024 * 1024   # rulebook.yaml, a Vale rule, any other file
MAX_GUIDELINE_BYTES = 2 * 1024 * 1024   # one guideline file (.md/.txt)
TOP_KEYS = {"brand", "products", "channels", "rules", "tests", "vale", "version", "description", "lint"}
RULE_KEYS = {"id", "type", "severity", "level", "scope", "message", "examples", "pass", "fail",
             "overrides", "enabled", "description", "link"}
SEVERITIES = ("error", "warning", "suggestion")
Resolver = Callable[[str], "pathlib.Path | None"]


def oversized_files(folder: pathlib.Path) -> list[tuple[pathlib.Path, int, int]]:
    """Rulebook files over their limit: (file, size, limit)."""
    out = []
    for f in folder.rglob("*"):
        try:
            size = f.stat().st_size if f.is_file() else 0
        except OSError:
            continue
        limit = MAX_GUIDELINE_BYTES if f.suffix.lower() in (".md", ".txt") else MAX_RULEBOOK_FILE_BYTES
        if size > limit:
            out.append((f, size, limit))
    return out


def content_hash(folder: pathlib.Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.relative_to(folder).parts)):
        if f.suffix.lower() not in (".yaml", ".yml", ".md", ".txt", ".json", ".ini", ".csv"):
            continue
        h.update(str(f.relative_to(folder)).replace("\\", "/").encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-") or "section"


def _strlist(v, lm: LineMap, path: tuple, issues: list[Issue]) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v):
        return [str(x) for x in v]
    issues.append(lm.issue(path, "must be a list of strings", f"write '{path[-1]}: [a, b]'"))
    return []


def _examples(v, lm, path, issues) -> list[Example]:
    if v is None:
        return []
    if isinstance(v, (str, dict)):
        v = [v]
    if not isinstance(v, list):
        issues.append(lm.issue(path, "must be a list of example texts", f"write '{path[-1]}:' followed by '- text' items"))
        return []
    out = []
    for i, x in enumerate(v):
        if isinstance(x, (str, int, float)):
            out.append(Example(text=str(x)))
        elif isinstance(x, dict) and "text" in x:
            try:
                aud = x.get("audience")
                out.append(Example(text=str(x["text"]), field=x.get("field"), channel=x.get("channel"),
                                   product=x.get("product"), audience=[aud] if isinstance(aud, str) else aud,
                                   extra_facts=x.get("extra_facts") or []))
            except (ValidationError, TypeError) as exc:
                issues.append(lm.issue(path + (i,), f"bad example: {exc.errors()[0]['msg'] if hasattr(exc, 'errors') else exc}",
                                       "use text, field, channel, product, audience, extra_facts"))
        else:
            issues.append(lm.issue(path + (i,), "an example must be a string or a mapping with 'text'",
                                   "write the example text as a quoted string"))
    return out


class Loaded:
    def __init__(self, name: str, path: pathlib.Path):
        self.name, self.path = name, path
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.brand = ""
        self.parent_name: str | None = None
        self.parent: Loaded | None = None
        self.info: dict[str, Any] = {}
        self.products: list[Product] = []
        self.channels: dict[str, dict[str, dict]] = {}
        self.rules: list[Rule] = []
        self.chunks: list[Chunk] = []
        self.exemplars: list = []  # knowledge.rulebook.schema.Exemplar
        self.hash = ""


def load_folder(path: pathlib.Path, name: str | None = None, resolver: Resolver | None = None,
                _seen: tuple[str, ...] = ()) -> Loaded:
    """Parse one rulebook folder and (recursively) its parent. Never raises for content problems:
    they are collected in .errors (see `validate`)."""
    path = pathlib.Path(path)
    name = name or path.name
    L = Loaded(name, path)
    if not check_folder(path, L):
        return L
    L.hash = content_hash(path)
    loaded = read_rulebook_yaml(path, L)
    if loaded is None:
        return L
    data, lm = loaded
    errs = L.errors
    for k in data:
        if k not in TOP_KEYS:
            errs.append(lm.issue((k,), f"unknown section {k!r}", "use: " + ", ".join(sorted(TOP_KEYS))))
    parse_brand(data, lm, L)
    parse_products(data, lm, L)
    parse_channels(data, lm, L)
    L.info["lint"] = _lint_section(data.get("lint"), lm, errs)
    seen_ids = parse_rules(data, lm, L)
    parse_vale(data, lm, L, seen_ids)
    extra_tests = parse_tests(data, lm, errs)
    L.info["tests"] = extra_tests
    L.info["lm"] = lm
    parse_guidelines(L)
    parse_ads(L)
    load_parent(lm, L, resolver, _seen)
    attach_tests(extra_tests, lm, L)
    return L


def check_folder(path: pathlib.Path, L: Loaded) -> bool:
    """The folder exists, holds rulebook.yaml, no file over its limit and no link leaving it; else issues, False."""
    rb = path / RULEBOOK_FILE
    if not path.is_dir():
        L.errors.append(Issue(str(path), 0, "", "rulebook folder not found", "give the path of a folder holding rulebook.yaml"))
        return False
    if not rb.is_file():
        L.errors.append(Issue(str(rb), 0, "", "rulebook.yaml is missing", "create rulebook.yaml with a 'brand:' section"))
        return False
    too_big = oversized_files(path)
    for f, size, limit in too_big:
        L.errors.append(Issue(str(f.relative_to(path)), 0, "", f"{size:,} bytes; the limit is {limit:,}",
                              "split the file or shorten it (see the limits in README.md)"))
    if too_big:
        return False
    escaping = links_leaving(path)
    for link in escaping:
        L.errors.append(Issue(str(link.relative_to(path)), 0, "", "a symbolic link pointing outside the rulebook folder",
                              "replace the link with the file itself"))
    return not escaping


def read_rulebook_yaml(path: pathlib.Path, L: Loaded) -> tuple[dict, LineMap] | None:
    """rulebook.yaml as a mapping with its line map, or None with the issue recorded."""
    try:
        data, lm = load_yaml((path / RULEBOOK_FILE).read_text("utf-8"), RULEBOOK_FILE)
    except YamlSyntaxError as exc:
        L.errors.append(exc.issue)
        return None
    except UnicodeDecodeError:
        L.errors.append(Issue(RULEBOOK_FILE, 1, "", "not UTF-8 text", "save the file as UTF-8"))
        return None
    if not isinstance(data, dict):
        L.errors.append(Issue(RULEBOOK_FILE, 1, "", "rulebook.yaml must be a mapping", "start with 'brand:'"))
        return None
    return data, lm


def parse_brand(data: dict, lm: LineMap, L: Loaded) -> None:
    """`brand:`: name, voice, tone, audiences, values, description and the parent rulebook's name."""
    errs = L.errors
    brand = data.get("brand")
    if not isinstance(brand, dict):
        errs.append(lm.issue(("brand",), "missing field" if brand is None else "must be a mapping",
                             "add 'brand:' with at least 'name:'"))
        brand = {}
    if brand and not isinstance(brand.get("name"), str):
        errs.append(lm.issue(("brand", "name"), "missing field", "add 'name: Your Brand' under 'brand:'"))
    L.brand = str(brand.get("name") or L.name)
    for k in ("voice", "tone", "audiences", "values"):
        L.info[k] = _strlist(brand.get(k), lm, ("brand", k), errs)
    L.info["description"] = str(brand.get("description") or data.get("description") or "")
    parent = brand.get("parent")
    if parent is not None and not is_valid_name(parent):
        errs.append(lm.issue(("brand", "parent"), "must be the name of a rulebook (a name, never a path)",
                             "write 'parent: verdant'"))
        parent = None
    L.parent_name = parent


def parse_products(data: dict, lm: LineMap, L: Loaded) -> None:
    """`products:`: each product with its aliases, facts and approved claims."""
    errs = L.errors
    prods = data.get("products") or []
    if not isinstance(prods, list):
        errs.append(lm.issue(("products",), "must be a list", "write each product as '- name: ...'"))
        prods = []
    for i, p in enumerate(prods):
        pp = ("products", i)
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            errs.append(lm.issue(pp + ("name",), "missing field", "give every product a 'name:'"))
            continue
        facts = [f for j, raw in enumerate(p.get("facts") or [])
                 if (f := parse_fact(raw, pp + ("facts", j), p["name"], lm, errs)) is not None]
        L.products.append(Product(name=p["name"], aliases=_strlist(p.get("aliases"), lm, pp + ("aliases",), errs),
                                  description=str(p.get("description") or ""), facts=facts,
                                  approved_claims=_strlist(p.get("approved_claims"), lm, pp + ("approved_claims",), errs),
                                  brand=L.brand))


def parse_fact(f, fp: tuple, product: str, lm: LineMap, errs: list[Issue]) -> Fact | None:
    """One product fact: a statement, or a mapping with statement, value (a number), unit and source."""
    if isinstance(f, str):
        f = {"statement": f}
    if not isinstance(f, dict) or not isinstance(f.get("statement"), (str, int, float)):
        errs.append(lm.issue(fp + ("statement",), "missing field", "give every fact a 'statement:'"))
        return None
    val = f.get("value")
    if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float))):
        try:
            val = float(str(val).replace(",", "").rstrip("%"))
        except ValueError:
            errs.append(lm.issue(fp + ("value",), f"value {val!r} is not a number", "write a number, e.g. 4.10"))
            return None
    return Fact(statement=str(f["statement"]), value=val, unit=None if f.get("unit") is None else str(f["unit"]),
                source=None if f.get("source") is None else str(f["source"]), product=product)


def parse_channels(data: dict, lm: LineMap, L: Loaded) -> None:
    """`channels:`: per-channel field limit overrides (unknown channels are a warning)."""
    errs = L.errors
    chans = data.get("channels") or {}
    if not isinstance(chans, dict):
        errs.append(lm.issue(("channels",), "must be a mapping channel -> field -> limits",
                             "write 'channels: {google_rsa: {headline: {max_chars: 28}}}'"))
        chans = {}
    try:
        from brandloop.knowledge.channels import channel_table
        known = channel_table()
    except (OSError, ValueError, TypeError, yaml.YAMLError):  # the bundled table failing must not break rulebooks
        known = {}
    for ch, fields in chans.items():
        if not isinstance(fields, dict) or not all(isinstance(v, dict) for v in fields.values()):
            errs.append(lm.issue(("channels", ch), "must map field names to limits", "write 'headline: {max_chars: 28}'"))
            continue
        if known and ch not in known:
            L.warnings.append(lm.issue(("channels", ch), f"unknown channel {ch!r}", "known: " + ", ".join(known)))
        for fname, lim in fields.items():
            for k, v in lim.items():
                if k in ("max_chars", "min_chars", "min_count", "max_count", "draft") and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                    errs.append(lm.issue(("channels", ch, fname, k), f"{k} must be a non-negative integer", f"write '{k}: 30'"))
            base = known.get(ch).fields.get(fname) if known.get(ch) else None
            draft = lim.get("draft")
            if base is not None and isinstance(draft, int) and not isinstance(draft, bool) and draft > 0:
                lo, hi = lim.get("min_count", base.min_count), lim.get("max_count", base.max_count)
                if not (isinstance(lo, int) and isinstance(hi, int)) or max(1, lo) <= draft <= hi:
                    continue
                lo = max(1, lo)
                errs.append(lm.issue(("channels", ch, fname, "draft"), f"draft {draft} is outside {ch}'s allowed "
                                     f"{fname} count {lo} to {hi}", f"write 'draft: {min(max(draft, lo), hi)}'"))
        L.channels[ch] = {f: dict(v) for f, v in fields.items()}


def parse_rules(data: dict, lm: LineMap, L: Loaded) -> set[str]:
    """`rules:`: each rule compiled (see _rule); returns the ids seen, for the Vale rules' duplicate check."""
    errs = L.errors
    rules = data.get("rules") or []
    if not isinstance(rules, list):
        errs.append(lm.issue(("rules",), "must be a list", "write each rule as '- id: ...'"))
        rules = []
    seen_ids: set[str] = set()
    for i, r in enumerate(rules):
        rp = ("rules", i)
        if not isinstance(r, dict):
            errs.append(lm.issue(rp, "a rule must be a mapping", "start the rule with '- id: my-rule'"))
            continue
        rule = _rule(r, rp, lm, errs, L)
        if rule is None:
            continue
        if rule.id in seen_ids:
            errs.append(lm.issue(rp + ("id",), f"duplicate rule id {rule.id!r}", "give every rule a unique id"))
            continue
        seen_ids.add(rule.id)
        L.rules.append(rule)
    return seen_ids


def parse_vale(data: dict, lm: LineMap, L: Loaded, seen_ids: set[str]) -> None:
    """vale/<Style>/*.yml rules, then the `vale:` section's disable list and severity overrides."""
    vdir = L.path / "vale"
    if not vdir.is_dir():
        return
    from brandloop.knowledge.rules.vale import load_vale

    errs = L.errors
    vrules, verrs, vwarn = load_vale(vdir, L.path, L.name, L.brand)
    errs.extend(verrs)
    L.warnings.extend(vwarn)
    for vr in vrules:
        if vr.id in seen_ids:
            errs.append(Issue(vr.origin.file, 1, "", f"rule id {vr.id!r} also defined in rulebook.yaml", "rename one of them"))
            continue
        seen_ids.add(vr.id)
        L.rules.append(vr)
    vcfg = data.get("vale") or {}
    if not isinstance(vcfg, dict):
        return
    for rid in _strlist(vcfg.get("disable"), lm, ("vale", "disable"), errs):
        for n, vr in enumerate(L.rules):
            if vr.id == rid:
                L.rules[n] = vr.model_copy(update={"enabled": False})
    for rid, sev in (vcfg.get("severity") or {}).items():
        if sev not in SEVERITIES:
            errs.append(lm.issue(("vale", "severity", rid), f"unknown severity {sev!r}", "use error, warning or suggestion"))
        for n, vr in enumerate(L.rules):
            if vr.id == rid and sev in SEVERITIES:
                L.rules[n] = vr.model_copy(update={"severity": sev})


GoldenTest = tuple[str, list[Example], list[Example], tuple]  # (rule id, passes, fails, yaml path)


def parse_tests(data: dict, lm: LineMap, errs: list[Issue]) -> list[GoldenTest]:
    """`tests:`: golden examples for rules defined elsewhere (Vale styles, parent rules)."""
    tests = data.get("tests") or []
    if not isinstance(tests, list):
        errs.append(lm.issue(("tests",), "must be a list", "write '- rule: Style.Rule' with pass/fail lists"))
        tests = []
    out: list[GoldenTest] = []
    for i, t in enumerate(tests):
        tp = ("tests", i)
        if not isinstance(t, dict) or not isinstance(t.get("rule"), str):
            errs.append(lm.issue(tp + ("rule",), "missing field", "name the rule id the examples test"))
            continue
        out.append((t["rule"], _examples(t.get("pass"), lm, tp + ("pass",), errs),
                    _examples(t.get("fail"), lm, tp + ("fail",), errs), tp))
    return out


def parse_guidelines(L: Loaded) -> None:
    """guidelines/**/*.md cut into passages (chunks) for retrieval."""
    gdir = L.path / "guidelines"
    if not gdir.is_dir():
        return
    for f in sorted(gdir.rglob("*.md")):
        try:
            L.chunks.extend(chunk_markdown(f.read_text("utf-8"), str(f.relative_to(L.path)), L.name, L.brand))
        except UnicodeDecodeError:
            L.errors.append(Issue(str(f.relative_to(L.path)), 1, "", "not UTF-8 text", "save the file as UTF-8"))


def parse_ads(L: Loaded) -> None:
    """Approved ads (the exemplars) from the folder's ads files."""
    from brandloop.knowledge.exemplars import load_ads

    L.exemplars, ad_issues = load_ads(L.path, L.name, L.channels)
    L.errors.extend(ad_issues)


def load_parent(lm: LineMap, L: Loaded, resolver: Resolver | None, seen: tuple[str, ...]) -> None:
    """The parent rulebook (by name: the resolver, else a sibling folder); its problems become ours, marked."""
    if not L.parent_name:
        return
    errs = L.errors
    pline = lm.line(("brand", "parent"))
    chain = seen + (L.name,)
    if L.parent_name in chain:
        errs.append(Issue(RULEBOOK_FILE, pline, "brand.parent",
                          "inheritance cycle: " + " -> ".join(chain + (L.parent_name,)),
                          "remove 'parent:' from one rulebook in the cycle"))
        return
    ppath = resolver(L.parent_name) if resolver else None
    if ppath is None:
        cand = L.path.parent / L.parent_name
        ppath = cand if (cand / RULEBOOK_FILE).is_file() else None
    if ppath is None:
        errs.append(Issue(RULEBOOK_FILE, pline, "brand.parent", f"parent rulebook {L.parent_name!r} does not exist",
                          "add the parent first ('brandloop rulebook add PATH'), put it in a sibling folder, or fix the name"))
        return
    L.parent = load_folder(ppath, L.parent_name, resolver, chain)
    for e in L.parent.errors:
        if "inheritance cycle" in e.message:
            errs.append(Issue(RULEBOOK_FILE, pline, "brand.parent", e.message, e.fix))
        else:
            errs.append(Issue(f"{L.parent_name}/{e.file}", e.line, e.field, f"(parent) {e.message}", e.fix))


def attach_tests(extra_tests: list[GoldenTest], lm: LineMap, L: Loaded) -> None:
    """Golden tests onto their rules (own or inherited); a test naming no rule is an issue."""
    all_ids = {r.id: n for n, r in enumerate(L.rules)}
    inherited = {r.id for r in _chain_rules(L.parent)} if L.parent else set()
    for rid, ps, fs, tp in extra_tests:
        if rid in all_ids:
            r = L.rules[all_ids[rid]]
            L.rules[all_ids[rid]] = r.model_copy(update={"passes": r.passes + ps, "fails": r.fails + fs})
        elif rid in inherited:
            L.info.setdefault("inherited_tests", []).append((rid, ps, fs))
        else:
            L.errors.append(lm.issue(tp + ("rule",), f"no rule with id {rid!r}", "use the id of a rule in this rulebook, e.g. Style.RuleName"))


def _lint_section(section, lm: LineMap, errs: list[Issue]) -> dict:
    """The `lint:` section, checked against knowledge.lint.LintConfig; {} when absent or invalid."""
    if section is None:
        return {}
    from pydantic import ValidationError

    from brandloop.knowledge.lint import LintConfig

    if not isinstance(section, dict):
        errs.append(lm.issue(("lint",), "must be a mapping rule -> false|true|settings", "write 'lint: {filler: false}'"))
        return {}
    try:
        LintConfig.from_section(section)
    except ValidationError as exc:
        for e in exc.errors():
            path = ("lint",) + tuple(x for x in e["loc"] if x != "enabled" or len(e["loc"]) > 1)
            errs.append(lm.issue(path, e["msg"].lower(), "see the lint section in docs/rulebooks.md; rules: "
                                 "repeated_word, short_line, dangling, all_caps, duplicate_line, filler"))
        return {}
    return {k: ({"enabled": v} if isinstance(v, bool) else dict(v)) for k, v in section.items()}


def _chain_rules(L: Loaded | None):
    while L is not None:
        yield from L.rules
        L = L.parent


def _rule(r: dict, rp: tuple, lm: LineMap, errs: list[Issue], L: Loaded) -> Rule | None:
    ok = True
    rid = r.get("id")
    if not isinstance(rid, (str, int)) or str(rid).strip() == "":
        errs.append(lm.issue(rp + ("id",), "missing field", "give the rule a unique 'id:'"))
        ok = False
    typ = r.get("type") or r.get("extends")
    if not isinstance(typ, str):
        errs.append(lm.issue(rp + ("type",), "missing field",
                             "add 'type:' (one of " + ", ".join(SUPPORTED_TYPES) + ")"))
        return None
    if typ not in SUPPORTED_TYPES:
        hint = " (a Vale extension point this engine does not enforce)" if typ in VALE_UNSUPPORTED else ""
        errs.append(lm.issue(rp + ("type",), f"unknown rule type {typ!r}{hint}", "use one of: " + ", ".join(SUPPORTED_TYPES)))
        return None
    sev = r.get("severity", r.get("level", "error"))
    if sev not in SEVERITIES:
        errs.append(lm.issue(rp + ("severity",), f"unknown severity {sev!r}", "use 'error' (hard) or 'warning' (soft)"))
        ok = False
    scope_raw = r.get("scope") or {}
    scope = Scope()
    if isinstance(scope_raw, (str, list)):  # Vale-style markup scope
        from brandloop.knowledge.rules.vale import vale_blocks
        blocks, not_heading = vale_blocks(scope_raw)
        scope = Scope(blocks=blocks, not_heading=not_heading)
    elif isinstance(scope_raw, dict):
        kw: dict[str, Any] = {}
        for k, v in scope_raw.items():
            if k in ("channels", "products", "audiences", "fields"):
                kw[k] = _strlist(v, lm, rp + ("scope", k), errs)
            elif k in ("channel", "product", "audience", "field"):
                kw[k + "s"] = _strlist(v, lm, rp + ("scope", k), errs)
            elif k in ("text", "blocks", "markup"):
                if v not in ("text", "sentence", "heading"):
                    errs.append(lm.issue(rp + ("scope", k), f"unknown text scope {v!r}", "use text, sentence or heading"))
                else:
                    kw["blocks"] = v
            else:
                errs.append(lm.issue(rp + ("scope", k), f"unknown scope key {k!r}", "use channels, products, audiences, fields, text"))
        scope = Scope(**kw)
    else:
        errs.append(lm.issue(rp + ("scope",), "must be a mapping", "write 'scope: {channels: [google_rsa]}'"))
    ex = r.get("examples") or {}
    if not isinstance(ex, dict):
        errs.append(lm.issue(rp + ("examples",), "must be a mapping with pass/fail lists", "write 'examples: {pass: [..], fail: [..]}'"))
        ex = {}
    passes = _examples(ex.get("pass"), lm, rp + ("examples", "pass"), errs) + _examples(r.get("pass"), lm, rp + ("pass",), errs)
    fails = _examples(ex.get("fail"), lm, rp + ("examples", "fail"), errs) + _examples(r.get("fail"), lm, rp + ("fail",), errs)
    params = {k: v for k, v in r.items() if k not in RULE_KEYS and k != "extends"}
    if not ok:
        return None
    rule = Rule(id=str(rid), type=typ, severity=sev, scope=scope, message=str(r.get("message") or ""),
                params=params, passes=passes, fails=fails,
                overrides=_strlist(r.get("overrides"), lm, rp + ("overrides",), errs),
                enabled=bool(r.get("enabled", True)),
                origin=Origin(rulebook=L.name, brand=L.brand, file=RULEBOOK_FILE, line=lm.line(rp)))
    try:
        compile_rule(rule)
    except RuleCompileError as exc:
        key = exc.field.split(".")[0]
        path = rp + (key,) if key in r else rp
        errs.append(lm.issue(path, exc.message, exc.fix) if key in r else
                    Issue(RULEBOOK_FILE, lm.line(rp), ".".join(map(str, rp + (key,))), exc.message, exc.fix))
        return None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, re.error, regex.error) as exc:  # bad params
        errs.append(lm.issue(rp, f"invalid rule: {exc}", "check the type-specific fields"))
        return None
    return rule


def chunk_markdown(text: str, file: str, rulebook: str, brand: str, max_chars: int = 1200) -> list[Chunk]:
    """Split markdown by headings; each chunk carries its heading path and start line."""
    try:
        from brandloop.knowledge.channels import channel_table
        channels = {n: (s.title or n) for n, s in channel_table().items()}
    except (OSError, ValueError, TypeError, yaml.YAMLError):
        channels = {}
    lines = text.splitlines()
    path: list[tuple[int, str]] = []
    sections: list[tuple[str, int, list[str]]] = []
    cur_title, cur_line, buf = "", 1, []
    in_code = False
    for n, ln in enumerate(lines, 1):
        if ln.strip().startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", ln)
        if m:
            if "".join(x for x in buf if not re.match(r"^#{1,6}\s", x)).strip():
                sections.append((cur_title, cur_line, buf))
            level = len(m.group(1))
            path = [p for p in path if p[0] < level] + [(level, m.group(2).strip())]
            cur_title, cur_line, buf = " > ".join(t for _, t in path), n, [ln]
        else:
            buf.append(ln)
    if "".join(x for x in buf if not re.match(r"^#{1,6}\s", x)).strip():
        sections.append((cur_title, cur_line, buf))
    out: list[Chunk] = []
    used: dict[str, int] = {}
    stem = file.replace("\\", "/")
    for title, line, body in sections:
        pieces, acc, size, acc_line = [], [], 0, line
        for k, ln in enumerate(body):
            for part in _cut(ln, max_chars):
                acc.append(part)
                size += len(part) + 1  # running total: linear in the section's length
                # close a piece at a blank line once it is long enough, or anywhere once it is twice too long
                if size > max_chars and (not part.strip() or size > 2 * max_chars):
                    if "\n".join(acc).strip():
                        pieces.append((acc_line, "\n".join(acc).strip()))
                    acc, size, acc_line = [], 0, line + k + (0 if part.strip() else 1)
        if "\n".join(acc).strip():
            pieces.append((acc_line, "\n".join(acc).strip()))
        for pl, ptxt in pieces:
            base = f"{rulebook}/{stem}#{_slug(title) if title else 'intro'}"
            n = used.get(base, 0)
            used[base] = n + 1
            cid = base if n == 0 else f"{base}-{n + 1}"
            low = title.lower()
            chan = next((c for c, t in channels.items()
                         if any(re.search(r"(?<!\w)" + re.escape(x.lower()) + r"(?!\w)", low)
                                for x in (c, c.replace("_", " "), t) if len(x) > 1)), "")
            body_text = (f"{title}\n\n{ptxt}" if title and not ptxt.startswith("#") else ptxt)
            out.append(Chunk(id=cid, text=body_text, section=title, file=stem, line=pl,
                             rulebook=rulebook, brand=brand, channel=chan))
    return out


def _cut(line: str, max_chars: int) -> list[str]:
    """A line longer than max_chars in pieces of max_chars (a paragraph written as one huge line)."""
    if len(line) <= max_chars:
        return [line]
    return [line[i:i + max_chars] for i in range(0, len(line), max_chars)]


def validate(path: pathlib.Path, name: str | None = None, resolver: Resolver | None = None) -> Loaded:
    L = load_folder(path, name, resolver)
    if L.errors:
        raise RulebookError(L.errors)
    return L


def flatten(L: Loaded, version: str = "") -> RulebookData:
    """Merge a loaded rulebook with its parents (child first)."""
    chain: list[Loaded] = []
    x: Loaded | None = L
    while x is not None:
        chain.append(x)
        x = x.parent
    rules: list[Rule] = []
    for depth, node in enumerate(chain):
        for r in node.rules:
            rules.append(r.model_copy(update={"origin": r.origin.model_copy(update={"depth": depth})}))
    # golden tests attached by a child to inherited rules
    for rid, ps, fs in L.info.get("inherited_tests", []):
        for n, r in enumerate(rules):
            if r.id == rid:
                rules[n] = r.model_copy(update={"passes": r.passes + ps, "fails": r.fails + fs})
    products: dict[str, Product] = {}
    for node in reversed(chain):
        for p in node.products:
            products[p.name.lower()] = p
    chans: dict[str, dict[str, dict]] = {}
    for node in reversed(chain):
        for ch, fields in node.channels.items():
            for f, lim in fields.items():
                chans.setdefault(ch, {}).setdefault(f, {}).update(lim)

    def first(key):
        for node in chain:
            if node.info.get(key):
                return node.info[key]
        return []

    chunks = []
    for node in chain:
        chunks.extend(node.chunks)
    lint: dict[str, dict] = {}
    for node in reversed(chain):  # a child's settings override its parent's, key by key
        for rule, settings in (node.info.get("lint") or {}).items():
            lint.setdefault(rule, {}).update(settings)
    warnings = [str(w) for node in chain for w in node.warnings]
    return RulebookData(
        name=L.name, version=version, brand=L.brand, parent=L.parent_name,
        chain=[n.name for n in chain], brands=[n.brand for n in chain],
        description=L.info.get("description", ""), voice=first("voice"), tone=first("tone"),
        audiences=sorted({a for n in chain for a in n.info.get("audiences", [])}), values=first("values"),
        products=list(products.values()), channel_overrides=chans, rules=rules, chunks=chunks, lint=lint,
        exemplars=[e for node in chain for e in node.exemplars],
        warnings=warnings, conflicts=find_conflicts(rules),
        unsupported=[str(w) for node in chain for w in node.warnings if "not supported" in w.message])


def chain_hash(L: Loaded) -> str:
    h = hashlib.sha256()
    x: Loaded | None = L
    while x is not None:
        h.update(x.name.encode() + b"\0" + x.hash.encode() + b"\0")
        x = x.parent
    return h.hexdigest()[:12]
