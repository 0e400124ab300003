"""Fuzz suite (issue #13): hypothesis drives the brief loader, the rulebook loader and the web's JSON API with
hostile and random input, 1,000 cases each. Target: 0 internal errors and 0 tracebacks; every refusal is a
one-line message (BriefError, a rulebook Issue, or an HTTP 4xx)."""
from __future__ import annotations

import io
import json
import pathlib
import tempfile
import zipfile
from urllib.parse import quote

import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st

from brandloop.agents.retriever import rule_line
from brandloop.web.app import create_app
from brandloop.graph.brief import BriefError, load_brief
from brandloop.knowledge.rulebook.loader import TOP_KEYS, flatten, load_folder
from brandloop.knowledge.rules.engine import RuleEngine
from brandloop.knowledge.rules.model import SUPPORTED_TYPES

_SCRATCH = pathlib.Path(tempfile.mkdtemp(prefix="brandloop-fuzz-files-"))  # rewritten by every case
FUZZ = settings(max_examples=1000, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=30), st.sampled_from(["", "..", "/etc/passwd", "~nosuchuser/x", "a" * 300,
                                                           "é" * 200, "google_rsa", "%s", "(a|aa)+$", "[", "*x"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                      max_leaves=6)
YAMLISH = st.text(alphabet=st.sampled_from(list("&*[]{}:-!|>'\"#%@`,?\n\t ab1é\x00\ufeff")), max_size=120)

RULE_FIELDS = ["tokens", "raw", "swap", "token", "max", "min", "match", "either", "first", "second", "text", "when",
               "field", "max_chars", "min_chars", "scope", "severity", "message", "examples", "ignorecase",
               "exceptions", "pattern"]
BRIEF_KEYS = ["brand", "product", "audience", "channel", "goal", "tone", "key_message", "keywords",
              "forbidden_words", "materials", "variants", "rulebook"]


@st.composite
def brief_docs(draw) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["mapping", "mapping", "near_valid", "yamlish", "bytes"]))
    suffix = draw(st.sampled_from([".yaml", ".json"]))
    if kind == "bytes":
        return suffix, draw(st.binary(max_size=200))
    if kind == "yamlish":
        return suffix, draw(YAMLISH).encode("utf-8")
    if kind == "near_valid":
        data = {"brand": "B", "product": {"name": "P", "facts": ["4.10% APY"]}, "audience": ["a"],
                "channel": "google_rsa"}
        key = draw(st.sampled_from(BRIEF_KEYS + ["product.name", "product.facts", "extra"]))
        if key.startswith("product."):
            data["product"][key.split(".")[1]] = draw(VALUES)
        else:
            data[key] = draw(VALUES)
    else:
        data = draw(st.dictionaries(st.sampled_from(BRIEF_KEYS + ["x"]), VALUES, max_size=8))
    text = json.dumps(data, default=str) if suffix == ".json" else yaml.safe_dump(data, allow_unicode=True)
    return suffix, text.encode("utf-8", "surrogatepass")


@FUZZ
@given(doc=brief_docs())
def test_fuzz_brief_loader(doc):
    suffix, data = doc
    path = _SCRATCH / f"brief{suffix}"
    path.write_bytes(data)
    try:
        load_brief(path)
    except BriefError as exc:
        assert all(line.startswith(f"{path}: field ") for line in str(exc).splitlines())  # one line per problem


@st.composite
def rulebook_docs(draw) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(YAMLISH)
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        rule = {"id": draw(st.one_of(st.text(min_size=1, max_size=8), st.integers())),
                "type": draw(st.one_of(st.sampled_from(SUPPORTED_TYPES + ("spelling", "script")), SCALARS))}
        rule.update(draw(st.dictionaries(st.sampled_from(RULE_FIELDS), VALUES, max_size=3)))
        rules.append(rule)
    brand = {"name": draw(st.text(min_size=1, max_size=10))}
    brand.update(draw(st.dictionaries(st.sampled_from(["voice", "parent", "audiences", "name"]), VALUES, max_size=2)))
    doc = {"brand": brand, "rules": rules}
    for key in draw(st.lists(st.sampled_from(sorted(TOP_KEYS) + ["colour"]), max_size=2)):
        doc[key] = draw(VALUES)
    return json.dumps(doc, default=str)  # JSON is YAML in flow style, and quicker to write


@FUZZ
@given(text=rulebook_docs())
def test_fuzz_rulebook_loader(text):
    folder = _SCRATCH / "rb"
    folder.mkdir(exist_ok=True)
    (folder / "rulebook.yaml").write_text(text, "utf-8", errors="surrogatepass")
    loaded = load_folder(folder, "rb", lambda name: None)
    for issue in loaded.errors + loaded.warnings:
        assert "\n" not in str(issue)
    if not loaded.errors:  # a rulebook that validates must also render and check
        data = flatten(loaded, "v")
        for rule in data.rules:
            assert "\n" not in rule_line(rule)
        RuleEngine(data.rules).check({"headline": ["Earn 4.10% APY, the best cheap savings"],
                                      "description": ["Open an account today."]})


class _Raw:
    """A request body written out already (JSON nested deeper than json.dumps allows)."""

    def __init__(self, text: str):
        self.text = text


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@st.composite
def api_requests(draw) -> dict:
    word = draw(st.one_of(st.text(max_size=20), st.sampled_from(["..", ".", "%2E%2E", "a/b", "x" * 300, "tiny"])))
    path_word = quote(word, safe="") or "x"
    kind = draw(st.sampled_from(["run_json", "run_json", "run_raw", "get_run", "trace", "events", "rulebook",
                                 "delete", "validate", "runs_limit"]))
    if kind == "run_json":
        deep = st.integers(50, 3000).map(lambda n: _Raw('{"brief": {"brand": ' + "[" * n + "]" * n + "}}"))
        body = draw(st.one_of(VALUES, deep, st.fixed_dictionaries({"brief": VALUES}, optional={"settings": VALUES}),
                              st.fixed_dictionaries({"brief": st.fixed_dictionaries(
                                  {"brand": st.just("B"), "product": st.just({"name": "P"}), "audience": st.just("a"),
                                   "channel": st.just("google_rsa")}, optional={"materials": VALUES, "rulebook": VALUES}),
                                  "settings": st.dictionaries(st.sampled_from(["rulebook", "model", "variants",
                                                                               "max_revisions"]), VALUES)})))
        content = body.text if isinstance(body, _Raw) else json.dumps(body, default=str)
        return {"method": "POST", "url": "/api/runs", "content": content,
                "headers": {"content-type": "application/json"}}
    if kind == "run_raw":
        return {"method": "POST", "url": "/api/runs", "content": draw(st.binary(max_size=80)),
                "headers": {"content-type": draw(st.sampled_from(["application/json", "text/plain", ""]))}}
    if kind == "validate":
        data = draw(st.one_of(st.binary(max_size=80), st.builds(lambda t: _zip({"rb/rulebook.yaml": t.encode()}),
                                                                rulebook_docs())))
        return {"method": "POST", "url": "/api/rulebooks/validate", "files": {"file": ("r.zip", data)},
                "data": {"name": word}}
    if kind == "runs_limit":
        return {"method": "GET", "url": f"/api/runs?limit={quote(word)}"}
    url = {"get_run": f"/api/runs/{path_word}", "trace": f"/api/runs/{path_word}/trace?node={quote(word)}",
           "events": f"/api/runs/{path_word}/events", "rulebook": f"/api/rulebooks/{path_word}",
           "delete": f"/api/rulebooks/{path_word}"}[kind]
    return {"method": "DELETE" if kind == "delete" else "GET", "url": url}


def _no_model(spec):
    """Runs that pass validation stop here, as a user error (the suite exercises the API, not the graph)."""
    raise BriefError("fuzz", "settings.model", "no model in the fuzz suite")


_HOME = pathlib.Path(tempfile.mkdtemp(prefix="brandloop-fuzz-"))
_CLIENT = TestClient(create_app(_HOME, _no_model, workers=1), raise_server_exceptions=False)


@FUZZ
@given(req=api_requests())
def test_fuzz_web_api(req):
    method, url = req.pop("method"), req.pop("url")
    r = _CLIENT.request(method, url, **req)
    assert r.status_code < 500, (method, url, r.status_code, r.text[:300])
    assert "Traceback" not in r.text and "internal error" not in r.text
