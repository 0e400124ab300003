"""langgraph.json points at a graph factory that builds the same graph the CLI runs."""
import asyncio
import json

import brandloop.llm
from brandloop.studio import make_graph
from brandloop.graph.builder import NODES
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


def test_studio_runs_the_compiled_graph_with_the_rulebook_named_in_the_brief(monkeypatch, home):
    """The server passes no Python context: the studio's default Context resolves the rulebook from each run's
    brief, as the runner does (here northwind_search.yaml names northwind_bank; nothing is in the config)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from brandloop.agents.context import set_default_context
    from brandloop.graph.brief import load_brief
    from brandloop.graph.builder import compiled_graph
    from tests.conftest import EXAMPLES
    from tests.fakes import COPY
    from tests.test_rulebook_flow import DRAFT

    llm = scripted(DRAFT)
    monkeypatch.setattr(brandloop.llm, "get_chat_model", lambda m, home=None, **kw: llm)
    try:
        app = asyncio.run(make_graph({"configurable": {"home": str(home)}}))
        assert app is compiled_graph()  # the runner's graph, compiled once
        brief, base = load_brief(EXAMPLES / "northwind_search.yaml")
        app = app.copy(update={"checkpointer": InMemorySaver()})  # what the server does
        cfg = {"configurable": {"thread_id": "s"}}
        out = app.invoke({"brief": brief.model_dump(mode="json"), "brief_dir": str(base),
                          "settings": {"max_revisions": 0}}, cfg)  # JSON input, as the server gets it
    finally:
        set_default_context(None)
    assert 'Include the exact text "Rates subject to credit approval."' in llm.prompts_with(COPY)[0]
    assert all(c.startswith("northwind_bank/") for v in out["variants"] for c in v.get("cited", []))
    state = app.get_state(cfg).values
    assert type(state["brief"]).__name__ == "Brief" and state["settings"].max_revisions == 0  # typed once, on input
