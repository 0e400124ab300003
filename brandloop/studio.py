"""Entry point for `langgraph dev` and LangGraph Studio (named in langgraph.json).

The LangGraph server calls `make_graph(config)` and adds its own checkpointer; it gets the same compiled graph the
runner uses (graph.builder.compiled_graph). The server passes JSON context, not Python objects, so this process's
Context is registered as the default: the chat model from `configurable.model` / `configurable.engine`, and the
brand knowledge resolved from each run's input like every other surface does (graph.runner.rulebook_of: the
settings' rulebook, else the brief's). The input is RunInput (brief, brief_dir, settings). Loading the model is
blocking work, so the server's event loop gets it from a worker thread.
"""
from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

from brandloop.agents.context import Context, set_default_context
from brandloop.home import data_home
from brandloop.graph.builder import compiled_graph


def build_for_config(config: dict | None = None):
    from brandloop.llm import get_chat_model
    from brandloop.graph.runner import load_knowledge, rulebook_of

    conf = (config or {}).get("configurable", {})
    home = data_home(conf.get("home"))

    @lru_cache(maxsize=8)
    def knowledge(rulebook: str | None, brief_dir: str):
        return load_knowledge(home, rulebook, Path(brief_dir), "(studio input)")

    llm = get_chat_model(conf.get("model", "small"), engine=conf.get("engine", "auto"), home=home)
    set_default_context(Context(llm=llm, cache_dir=home / "cache" / "materials", knowledge_for=lambda state: knowledge(
        rulebook_of(state["brief"], state["settings"]), str(state.get("brief_dir") or "."))))
    return compiled_graph()


async def make_graph(config: dict | None = None):
    return await asyncio.to_thread(build_for_config, config)
