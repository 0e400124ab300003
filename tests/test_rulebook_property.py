"""Property (issue #13 item 10): every rulebook that validation accepts also runs. Rulebooks are generated from
the documented rule forms with optional fields left out at random, validated, then run through the graph
with the scripted fake model."""
from __future__ import annotations

import pathlib
import tempfile

import numpy as np
import yaml
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from brandloop.agents import scoring
from brandloop.graph.brief import load_brief
from brandloop.graph.context import RunSettings
from brandloop.knowledge.retrieval import BrandKnowledge
from brandloop.errors import RulebookError
from brandloop.knowledge.rulebook.loader import flatten, validate
from tests.fakes import scripted
from tests.test_graph import GOOD, invoke

WORDS = st.sampled_from(["cheap", "savings", "Earn", "APY", "free", "best", "today", "account", "FDIC", "online"])
SEVERITY = st.sampled_from(["error", "warning", "suggestion"])

def optional(**fields) -> st.SearchStrategy[dict]:
    """A mapping holding any subset of the given optional fields."""
    return st.fixed_dictionaries({}, optional=fields)

RULE_FORMS = {
    "existence": st.one_of(
        st.fixed_dictionaries({"tokens": st.lists(WORDS, min_size=1, max_size=3)}, optional={"ignorecase": st.booleans()}),
        st.fixed_dictionaries({"raw": WORDS.map(lambda w: rf"\b{w}\b")}),
        st.fixed_dictionaries({"tokens": WORDS}),
    ),
    "substitution": st.fixed_dictionaries({"swap": st.dictionaries(WORDS, WORDS, min_size=1, max_size=3)},
                                          optional={"ignorecase": st.booleans()}),
    "occurrence": st.fixed_dictionaries({"token": WORDS}, optional={"min": st.integers(1, 3), "max": st.integers(1, 3)}),
    "repetition": st.fixed_dictionaries({"tokens": st.just([r"[^\s]+"])}, optional={"alpha": st.booleans()}),
    "capitalization": st.fixed_dictionaries({"match": st.sampled_from(["$title", "$sentence", "$lower", "$upper"])}),
    "consistency": st.fixed_dictionaries({"either": st.dictionaries(WORDS, WORDS, min_size=1, max_size=2)}),
    "conditional": st.fixed_dictionaries({"first": st.just(r"\b([A-Z]{3,5})\b"),
                                          "second": st.just(r"([A-Z]{3,5}) \(")}),
    "required": st.fixed_dictionaries({"text": st.one_of(WORDS, st.lists(WORDS, min_size=1, max_size=2))},
                                      optional={"when": st.lists(WORDS, min_size=1, max_size=2)}),
    "claim": optional(kinds=st.just(["percent"])),
    "length": st.fixed_dictionaries({"field": st.sampled_from(["headline", "description"])},
                                    optional={"max_chars": st.integers(10, 90), "min_chars": st.integers(0, 5)}),
}

@st.composite
def rules(draw) -> list[dict]:
    out = []
    for i, kind in enumerate(draw(st.lists(st.sampled_from(sorted(RULE_FORMS)), min_size=1, max_size=4))):
        rule = {"id": f"r{i}-{kind}", "type": kind, **draw(RULE_FORMS[kind])}
        rule.update(draw(optional(severity=SEVERITY, message=st.just("Fix '%s'."),
                                  scope=st.just({"channels": ["google_rsa"]}))))
        out.append(rule)
    return out

def fake_embed(texts: list[str]) -> np.ndarray:
    """Bag-of-letters vectors: the property is about rules, and the real embedding model would take most
    of the time of each example."""
    out = np.zeros((len(texts), 26), dtype=np.float32)
    for i, t in enumerate(texts):
        for ch in t.lower():
            if "a" <= ch <= "z":
                out[i, ord(ch) - 97] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(rule_list=rules())
def test_every_valid_rulebook_runs(rule_list, monkeypatch):
    monkeypatch.setattr(scoring, "_embed", fake_embed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "gen"
        folder.mkdir()
        body = {"brand": {"name": "Northwind Bank", "voice": ["plain"]},
                "products": [{"name": "Everyday Savings", "facts": ["4.10% APY"]}], "rules": rule_list}
        (folder / "rulebook.yaml").write_text(yaml.safe_dump(body, sort_keys=False), "utf-8")
        try:
            loaded = validate(folder)
        except RulebookError:
            assume(False)
        knowledge = BrandKnowledge(flatten(loaded, "v1"))
        brief_path = pathlib.Path(tmp) / "brief.yaml"
        brief_path.write_text("brand: Northwind Bank\nproduct: {name: Everyday Savings, facts: ['4.10% APY']}\n"
                              "audience: [savers]\nchannel: google_rsa\nvariants: 2\n", "utf-8")
        brief, base = load_brief(brief_path)
        s = RunSettings(max_revisions=1)
        out, _ = invoke(brief, base, s, scripted(GOOD), knowledge)
        assert len(out["variants"]) == 2
        assert all(v["delivered"] in ("approved", "below_threshold", "failed") for v in out["variants"])
