"""The run's dependencies, passed to every node as LangGraph's runtime context (`Runtime[Context]`).

The graph is compiled once per process (graph/builder.py); each run supplies its own Context: the chat model, the
brand knowledge and the materials cache. Surfaces build it: graph/runner.py (CLI, web jobs, queue worker) per run,
brandloop/studio.py once per LangGraph server process. The brief and the run settings are state, not context, so a
resumed run keeps them from its checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from brandloop.agents.tracing import NodeTrace


@dataclass(frozen=True)
class Context:
    llm: BaseChatModel | None = None
    """The chat model every LLM call goes to (describer summaries, drafts, rewrites, critiques)."""
    knowledge: Any = None
    """The brand knowledge (knowledge.registry.BrandKnowledge: rulebook, Chroma index, knowledge graph) or None."""
    cache_dir: Path | None = None
    """Where material measurements are cached."""
    knowledge_for: Callable[[dict], Any] | None = None
    """Resolves the knowledge from the run's state (its brief's rulebook) when `knowledge` is not given: the
    LangGraph server builds one Context before it sees any input. Should cache its result."""


_server_default: Context | None = None


def set_default_context(ctx: Context | None) -> None:
    """The Context of runs started without one: the LangGraph server passes JSON context, not Python objects."""
    global _server_default
    _server_default = ctx


def context_of(runtime: Runtime[Context], state) -> Context:
    """The run's Context, with its knowledge resolved."""
    ctx = runtime.context if isinstance(runtime.context, Context) else _server_default
    if ctx is None:
        raise RuntimeError("no runtime context: invoke the graph with context=Context(llm=..., knowledge=...)")
    if ctx.knowledge is None and ctx.knowledge_for is not None:
        return replace(ctx, knowledge=ctx.knowledge_for(state))
    return ctx


def emit(runtime: Runtime[Context], trace: NodeTrace) -> None:
    """Send a node's finished trace event to the run's trace sink: LangGraph's custom stream, which the runner
    writes to the trace store (and the LangGraph server shows as it runs). Trace events are not kept in state."""
    runtime.stream_writer({"trace": trace.event()})
