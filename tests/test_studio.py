"""langgraph.json points at a graph factory that builds the same graph the CLI runs."""
import asyncio
import json

import brandloop.llm
from brandloop.studio import make_graph
from graph.builder import NODES
from tests.conftest import ROOT
from tests.fakes import scripted


def test_langgraph_json_names_the_factory_and_it_builds_the_graph(monkeypatch, home):
    spec = json.loads((ROOT / "langgraph.json").read_text())["graphs"]["brandloop"]
    assert spec == "./brandloop/studio.py:make_graph"
    asked = []
    monkeypatch.setattr(brandloop.llm, "get_chat_model", lambda m, home=None, **kw: asked.append(m) or scripted("x"))
    app = asyncio.run(make_graph({"configurable": {"model": "large", "home": str(home)}}))
    assert asked == ["large"]
    assert set(NODES) <= set(app.get_graph().nodes)
