"""Installed rulebooks under a data home: add (validate, index, graph, content-hash version, atomic
replace), list, show, remove, load, ensure.

Layout:  <home>/rulebooks/<name>/current.json        -> which version dir is live
         <home>/rulebooks/<name>/v-<version>-<tag>/  data.json, kg.json, manifest.json, src/
         <home>/chroma/                              one collection per installed version
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field

from brandloop.errors import InvalidName, Issue, PathEscape, RulebookError
from brandloop.knowledge.rulebook.loader import RULEBOOK_FILE, chain_hash, flatten, load_folder
from brandloop.knowledge.rulebook.schema import RulebookData
from brandloop.knowledge.names import check_name, is_valid_name
from brandloop.knowledge.index import ads_collection
from brandloop.knowledge.retrieval import BrandKnowledge
from brandloop.knowledge.safepaths import resolve_user_path

BUNDLED = pathlib.Path(__file__).resolve().parent.parent / "rulebooks"
STALE_STAGING_S = 600  # a staging folder this old belongs to no running add


def slow_patterns(L) -> list[Issue]:
    """Rules whose patterns blow the time budget on their own golden examples (catastrophic backtracking)."""
    from brandloop.knowledge.rules.types import PATTERN_TIMEOUT_S, TIMEOUT_MESSAGE

    data = flatten(L)
    origin = {r.id: r.origin for r in data.rules}
    issues, seen = [], set()
    for g in BrandKnowledge(data).run_golden():
        if TIMEOUT_MESSAGE in g.detail and g.rule_id not in seen:
            seen.add(g.rule_id)
            o = origin.get(g.rule_id)
            issues.append(Issue(o.file if o else RULEBOOK_FILE, o.line if o else 0, g.rule_id,
                                f"a pattern takes longer than {PATTERN_TIMEOUT_S:g} s on the example {g.text[:60]!r}",
                                "rewrite it without nested repetition such as (a|aa)+ or (x+)+"))
    return issues


def is_plain(name) -> bool:
    return is_valid_name(name) or (isinstance(name, str) and name.startswith("v-") and is_valid_name(name[2:]))


def _folder(path) -> pathlib.Path:
    try:
        return resolve_user_path(path)
    except PathEscape as exc:
        raise RulebookError(Issue(str(path)[:200], 0, "", str(exc), "give the path of a folder holding rulebook.yaml")) from None


def _checked(name, source: str = "") -> str:
    """The rulebook name, or a RulebookError naming the fix (one pattern for every surface: knowledge.names)."""
    try:
        return check_name(name)
    except InvalidName as exc:
        raise RulebookError(Issue(source or str(name)[:80], 0, "name", str(exc),
                                  "")) from None


@dataclass
class InstallReport:
    name: str
    version: str
    brand: str
    parent: str | None
    rules: int
    rules_by_type: dict
    products: int
    facts: int
    chunks: int
    graph: dict
    exemplars: int = 0
    replaced: str | None = None
    warnings: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    golden_passed: int = 0
    golden_failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class RulebookRegistry:
    def __init__(self, home: pathlib.Path):
        self.home = pathlib.Path(home).expanduser().resolve()
        self.root = self.home / "rulebooks"
        self.chroma = self.home / "chroma"
        self._index = None

    # --- helpers -----------------------------------------------------------------------------
    @property
    def index(self):
        if self._index is None:
            from brandloop.knowledge.index import GuidelineIndex

            self._index = GuidelineIndex(self.chroma)
        return self._index

    def _current(self, name: str) -> dict | None:
        if not is_plain(name):
            return None
        f = self.root / name / "current.json"
        if not f.is_file():
            return None
        try:
            cur = json.loads(f.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        d = cur.get("dir") if isinstance(cur, dict) else None
        return cur if isinstance(d, str) and is_plain(d) and (self.root / name / d).is_dir() else None

    def installed(self, name: str) -> bool:
        return self._current(name) is not None

    def _resolver(self, source: pathlib.Path | None = None):
        def find(parent: str) -> pathlib.Path | None:
            if source is not None:
                sib = source.parent / parent
                if (sib / RULEBOOK_FILE).is_file():
                    return sib
            cur = self._current(parent)
            if cur:
                src = self.root / parent / cur["dir"] / "src"
                if (src / RULEBOOK_FILE).is_file():
                    return src
            b = BUNDLED / parent
            if (b / RULEBOOK_FILE).is_file():
                return b
            return None
        return find

    def validate(self, path, name=None):
        """Parse and validate a folder (with its parents); raises RulebookError listing every problem."""
        path = _folder(path)
        L = load_folder(path, name or path.name, self._resolver(path))
        if L.errors:
            raise RulebookError(L.errors)
        slow = slow_patterns(L)
        if slow:
            raise RulebookError(slow)
        return L

    # --- add -----------------------------------------------------------------------------------
    def add(self, path, name=None, source: str | None = None) -> InstallReport:
        """`source` names where the files came from when `path` is a scratch copy (an upload) deleted afterwards."""
        path = _folder(path)
        name = _checked(name or path.name, str(path))
        self.clean_staging(name)
        L = self.validate(path, name)
        version = chain_hash(L)
        data = flatten(L, version)
        old = self._current(name)
        tag = uuid.uuid4().hex[:8]
        base = self.root / name
        base.mkdir(parents=True, exist_ok=True)
        staging = base / f".staging-{tag}"
        final = base / f"v-{version}-{tag}"
        collection = f"bl-{re.sub(r'[^A-Za-z0-9_-]', '-', name)[:40]}-{version}-{tag}"
        from brandloop.knowledge.index import index_errors  # noqa: PLC0415 - heavy (chromadb)

        try:
            staging.mkdir()
            shutil.copytree(path, staging / "src", ignore=shutil.ignore_patterns(".*", "__pycache__"))
            (staging / "data.json").write_text(data.model_dump_json(), "utf-8")
            from brandloop.knowledge import kg

            G = kg.build_graph(data)
            kg.save_graph(G, staging / "kg.json")
            self.index.build(collection, data.chunks, version)
            self.index.build_exemplars(ads_collection(collection), data.exemplars, version)
            know = BrandKnowledge(data)
            golden = know.run_golden()
            report = self._report(data, kg.stats(G), golden, old)
            manifest = {"name": name, "version": version, "collection": collection, "source": source or str(path),
                        "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "report": report.to_dict()}
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
            os.replace(staging, final)
            tmp = base / f".current-{tag}.json"
            tmp.write_text(json.dumps({"dir": final.name, "version": version, "collection": collection}), "utf-8")
            os.replace(tmp, base / "current.json")  # the atomic switch
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if final.exists() and (self._current(name) or {}).get("dir") != final.name:
                shutil.rmtree(final, ignore_errors=True)
            try:
                self.index.delete(collection)
                self.index.delete(ads_collection(collection))
            except index_errors():  # best effort while the add fails anyway
                pass
            raise
        if old:  # best effort: the new version is live already
            shutil.rmtree(base / old["dir"], ignore_errors=True)
            if old.get("collection") and old["collection"] != collection:
                self.index.delete(old["collection"])
                self.index.delete(ads_collection(old["collection"]))
        return report

    def _report(self, data: RulebookData, gstats: dict, golden, old) -> InstallReport:
        return InstallReport(
            name=data.name, version=data.version, brand=data.brand, parent=data.parent,
            rules=len(data.rules), rules_by_type=dict(Counter(r.type for r in data.rules)),
            products=len(data.products), facts=sum(len(p.facts) for p in data.products),
            chunks=len(data.chunks), exemplars=len(data.exemplars), graph=gstats, replaced=(old or {}).get("version"),
            warnings=list(data.warnings), conflicts=list(data.conflicts), unsupported=list(data.unsupported),
            golden_passed=sum(1 for g in golden if g.ok),
            golden_failed=[f"{g.rule_id}: expected {g.expect}: {g.text!r} ({g.detail})" for g in golden if not g.ok])

    # --- list / show / remove / load ---------------------------------------------------------------
    def list(self) -> list[dict]:
        out = []
        if not self.root.is_dir():
            return out
        for d in sorted(self.root.iterdir()):
            cur = self._current(d.name)
            if not cur:
                continue
            try:
                m = json.loads((d / cur["dir"] / "manifest.json").read_text("utf-8"))
            except (OSError, ValueError):
                continue
            rep = m.get("report", {})
            out.append({"name": d.name, "version": cur["version"], "brand": rep.get("brand"), "parent": rep.get("parent"),
                        "rules": rep.get("rules"), "products": rep.get("products"), "chunks": rep.get("chunks"),
                        "installed_at": m.get("installed_at"), "source": m.get("source")})
        return out

    def clean_staging(self, name: str, older_than_s: float = STALE_STAGING_S) -> None:
        """Removes .staging-* folders a killed or failed add left behind (not a concurrent add's fresh one)."""
        base = self.root / name
        if base.is_dir():
            for d in base.glob(".staging-*"):
                try:
                    stale = time.time() - d.stat().st_mtime > older_than_s
                except OSError:
                    continue
                if stale:
                    shutil.rmtree(d, ignore_errors=True)

    def _dir(self, name: str) -> tuple[pathlib.Path, dict]:
        _checked(name)
        cur = self._current(name)
        if not cur:
            raise RulebookError(Issue(name, 0, "name", f"rulebook {name!r} is not installed",
                                      "run 'brandloop rulebook add PATH' or check 'brandloop rulebook list'"))
        return self.root / name / cur["dir"], cur

    def show(self, name: str) -> dict:
        d, cur = self._dir(name)
        m = json.loads((d / "manifest.json").read_text("utf-8"))
        data = RulebookData.model_validate_json((d / "data.json").read_text("utf-8"))
        rep = m["report"]
        return {"name": name, "version": cur["version"], "brand": data.brand, "parent": data.parent,
                "chain": data.chain, "voice": data.voice, "audiences": data.audiences,
                "rules": len(data.rules), "rules_by_type": rep["rules_by_type"],
                "products": {p.name: len(p.facts) for p in data.products},
                "facts": sum(len(p.facts) for p in data.products), "guideline_chunks": len(data.chunks),
                "exemplars": [{"id": e.id, "channel": e.channel, "performance": e.performance, "product": e.product,
                               "first_line": e.first_line()}
                              for e in data.exemplars],
                "graph": rep["graph"], "channel_overrides": data.channel_overrides,
                "warnings": list(dict.fromkeys(data.warnings)), "conflicts": list(dict.fromkeys(data.conflicts)),
                "unsupported": data.unsupported, "rule_list": [rule_summary(r) for r in data.rules],
                "sections": guideline_sections(data.chunks),
                "golden": {"passed": rep["golden_passed"], "failed": rep["golden_failed"]},
                "installed_at": m.get("installed_at"), "source": m.get("source"), "collection": cur["collection"]}

    def available(self) -> list[dict]:
        """Bundled example rulebooks not installed yet (a brief or --rulebook naming one installs it)."""
        out = []
        for d in sorted(BUNDLED.iterdir()) if BUNDLED.is_dir() else []:
            if not (d / RULEBOOK_FILE).is_file() or self._current(d.name):
                continue
            try:
                data = flatten(self.validate(d, d.name))
            except RulebookError:
                continue
            out.append({"name": d.name, "brand": data.brand, "parent": data.parent, "rules": len(data.rules),
                        "source": str(d), "status": "available"})
        return out

    def remove(self, name: str) -> None:
        d, cur = self._dir(name)
        (self.root / name / "current.json").unlink()
        self.index.delete(cur.get("collection", ""))
        self.index.delete(ads_collection(cur.get("collection", "")))
        shutil.rmtree(self.root / name, ignore_errors=True)

    def load(self, name: str) -> BrandKnowledge:
        d, cur = self._dir(name)
        try:
            data = RulebookData.model_validate_json((d / "data.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise RulebookError(Issue(str(d / "data.json"), 0, "", f"installed rulebook is damaged: {exc}",
                                      f"re-add it: brandloop rulebook add PATH --name {name}")) from None
        return BrandKnowledge(data, graph_path=d / "kg.json", index_path=self.chroma, collection=cur.get("collection"))

    def rules_only(self, path_or_name) -> BrandKnowledge:
        """The rules and facts of an installed name, a bundled example or a folder, without building an index
        (for checking copy: nothing is installed)."""
        s = str(path_or_name)
        p = pathlib.Path(s).expanduser()
        if not p.is_dir() and self._current(s):
            return self.load(s)
        if not p.is_dir() and is_valid_name(s) and (BUNDLED / s / RULEBOOK_FILE).is_file():
            p = BUNDLED / s
        if not p.is_dir():
            raise RulebookError(Issue(s, 0, "name", f"no rulebook named {s!r} (not installed, not bundled, not a folder)",
                                      "see 'brandloop rulebook list', or pass a rulebook folder"))
        L = self.validate(p, p.resolve().name)
        return BrandKnowledge(flatten(L, chain_hash(L)))

    def ensure(self, path_or_name) -> BrandKnowledge:
        s = str(path_or_name)
        p = pathlib.Path(s).expanduser()
        if p.is_dir():
            name = p.resolve().name
            source = p
        elif is_plain(s) and (BUNDLED / s / RULEBOOK_FILE).is_file():
            name, source = s, BUNDLED / s
            cur = self._current(name)
            if cur:  # installed from somewhere else by the user: that one wins
                try:
                    src = json.loads((self.root / name / cur["dir"] / "manifest.json").read_text("utf-8")).get("source")
                except (OSError, ValueError):
                    src = None
                if src and pathlib.Path(src).resolve() != source.resolve():
                    return self.load(name)
        else:
            return self.load(s)
        L = self.validate(source, name)
        cur = self._current(name)
        if not cur or cur.get("version") != chain_hash(L):
            self.add(source, name)
        return self.load(name)


def rule_summary(rule) -> dict:
    """One rule for people: id, type, severity, message and its pass / fail examples."""
    p = rule.params or {}
    terms = [str(t) for t in p.get("tokens") or []] + [f"{k} → {v}" for k, v in (p.get("swap") or {}).items()]
    return {"id": rule.id, "type": rule.type, "severity": rule.severity,
            "message": (rule.message or "").replace("'%s'", "…").replace("%s", "…"), "terms": terms,
            "passes": [e.text for e in rule.passes], "fails": [e.text for e in rule.fails]}


def guideline_sections(chunks) -> list[dict]:
    """Guideline passages grouped by section, in file order."""
    sections: dict[tuple[str, str], dict] = {}
    for c in chunks:
        sec = sections.setdefault((c.file, c.section), {"section": c.section, "file": c.file, "line": c.line,
                                                          "passages": []})
        sec["passages"].append({"id": c.id, "text": c.text})
    return list(sections.values())
