"""Entry point for `langgraph dev` and LangGraph Studio (named in langgraph.json).

The LangGraph server calls `make_graph(config)` and adds its own checkpointer. Choose the model and rulebook with
`configurable.model` and `configurable.rulebook`; the input is RunInput (brief, brief_dir, settings). Building
loads the model (blocking work), so the server's event loop gets it from a worker thread.
"""
from __future__ import annotations

import asyncio

from graph.builder import build_graph
from brandloop.home import data_home


def build_for_config(config: dict | None = None):
    from brandloop.llm import get_chat_model

    conf = (config or {}).get("configurable", {})
    home = data_home(conf.get("home"))
    knowledge = None
    if conf.get("rulebook"):
        from knowledge.registry import RulebookRegistry

        knowledge = RulebookRegistry(home).ensure(conf["rulebook"])
    llm = get_chat_model(conf.get("model", "small"), engine=conf.get("engine", "auto"), home=home)
    return build_graph(llm, knowledge, cache_dir=home / "cache" / "materials").compile()


async def make_graph(config: dict | None = None):
    return await asyncio.to_thread(build_for_config, config)
