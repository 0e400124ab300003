"""The graph: describer -> retrieve -> copywriter -> compliance -> critic -(route)-> revise | finalize
-> [review (with settings.review): a person decides; a rejected variant goes back to the copywriter].

`build_graph` returns an uncompiled StateGraph; callers compile it with their own checkpointer.
"""
from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph

from agents.compliance import make_compliance
from agents.copywriter import make_copywriter
from agents.critic import make_critic
from agents.describer import make_describer
from agents.finalizer import make_finalizer
from agents.retriever import make_retriever
from agents.tracing import NodeTrace
from graph.review import make_review, route_after_finalize, route_after_review
from graph.routing import route_after_critic
from graph.state import RunInput, RunOutput, RunState

NODES = ("describer", "retrieve", "copywriter", "compliance", "critic", "revise", "finalize", "review")


def start_revision(state) -> dict:
    """Count one revision loop. Failing variants (status 'revise') go back to the copywriter; passing ones stay."""
    loop = state.get("revision", 0) + 1
    trace = NodeTrace("revise", loop, {"revise": [v["id"] for v in state["variants"] if v["status"] == "revise"],
                                       "keep": [v["id"] for v in state["variants"] if v["status"] == "passed"]})
    return {"revision": loop, "trace": [trace.event()]}


def recursion_limit(max_revisions: int) -> int:
    """Steps a run can take: 5 before the loop, 4 per loop, plus slack."""
    return 10 + 4 * (max_revisions + 1)


def build_graph(llm: BaseChatModel, knowledge=None, *, cache_dir: Path | None = None) -> StateGraph:
    g = StateGraph(RunState, input_schema=RunInput, output_schema=RunOutput)
    g.add_node("describer", make_describer(llm, cache_dir))
    g.add_node("retrieve", make_retriever(knowledge))
    g.add_node("copywriter", make_copywriter(llm, knowledge))
    g.add_node("compliance", make_compliance(knowledge))
    g.add_node("critic", make_critic(llm, knowledge))
    g.add_node("revise", start_revision)
    g.add_node("finalize", make_finalizer(knowledge))
    g.add_node("review", make_review(knowledge))
    g.add_edge(START, "describer")
    g.add_edge("describer", "retrieve")
    g.add_edge("retrieve", "copywriter")
    g.add_edge("copywriter", "compliance")
    g.add_edge("compliance", "critic")
    g.add_conditional_edges("critic", route_after_critic, {"revise": "revise", "finalize": "finalize"})
    g.add_edge("revise", "copywriter")
    g.add_conditional_edges("finalize", route_after_finalize, {"review": "review", END: END})
    g.add_conditional_edges("review", route_after_review, {"copywriter": "copywriter", END: END})
    return g
