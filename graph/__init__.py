"""The LangGraph state machine: state, routing, builder, run context and run/trace store."""


def build_graph(*args, **kwargs):
    """See graph.builder.build_graph (imported lazily so agents can import graph.brief without a cycle)."""
    from graph.builder import build_graph as _build

    return _build(*args, **kwargs)


__all__ = ["build_graph"]
