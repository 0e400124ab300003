"""The graph: describer -> retrieve -> copywriter -> compliance -> critic -(route)-> revise | finalize
-> [review (with settings.review): a person decides; a rejected variant goes back to the copywriter].

Nodes are plain functions `(state, runtime: Runtime[Context])`: the chat model and the brand knowledge come from
the run's Context (agents/context.py), so the graph is built and compiled once per process (`compiled_graph`).
"""
from __future__ import annotations

from functools import lru_cache

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from brandloop.agents.compliance import compliance
from brandloop.agents.context import Context, emit
from brandloop.agents.copywriter import copywriter
from brandloop.agents.critic import critic
from brandloop.agents.describer import describer
from brandloop.agents.finalizer import finalize
from brandloop.agents.retriever import retrieve
from brandloop.agents.tracing import NodeTrace
from brandloop.graph.review import review, route_after_finalize, route_after_review
from brandloop.graph.routing import route_after_critic
from brandloop.graph.state import RunInput, RunOutput, RunState

NODES = ("describer", "retrieve", "copywriter", "compliance", "critic", "revise", "finalize", "review")


def start_revision(state, runtime: Runtime[Context]) -> dict:
    """Count one revision loop. Failing variants (status 'revise') go back to the copywriter; passing ones stay."""
    loop = state.get("revision", 0) + 1
    emit(runtime, NodeTrace("revise", loop, {"revise": [v["id"] for v in state["variants"] if v["status"] == "revise"],
                                             "keep": [v["id"] for v in state["variants"] if v["status"] == "passed"]}))
    return {"revision": loop}


def recursion_limit(max_revisions: int) -> int:
    """Steps a run can take: 5 before the loop, 4 per loop, plus slack."""
    return 10 + 4 * (max_revisions + 1)


def build_graph() -> StateGraph:
    """The uncompiled graph; its dependencies come at run time as `context=Context(...)`."""
    g = StateGraph(RunState, context_schema=Context, input_schema=RunInput, output_schema=RunOutput)
    g.add_node("describer", describer)
    g.add_node("retrieve", retrieve)
    g.add_node("copywriter", copywriter)
    g.add_node("compliance", compliance)
    g.add_node("critic", critic)
    g.add_node("revise", start_revision)
    g.add_node("finalize", finalize)
    g.add_node("review", review)
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


@lru_cache(maxsize=1)
def compiled_graph() -> CompiledStateGraph:
    """The graph, compiled once per process without a checkpointer. The LangGraph server adds its own; the runner
    binds the run store's checkpointer per run with `with_checkpointer` (a shallow copy: nothing is recompiled)."""
    return build_graph().compile()


def with_checkpointer(saver) -> CompiledStateGraph:
    """The compiled graph bound to a checkpointer (SqliteSaver, PostgresSaver)."""
    return compiled_graph().copy(update={"checkpointer": saver})
