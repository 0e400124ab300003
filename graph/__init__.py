"""The LangGraph state machine: state, routing, builder, runner and run/trace store."""


def build_graph():
    """See graph.builder.build_graph (imported lazily: importing graph.brief stays light)."""
    from brandloop.graph.builder import build_graph as _build

    return _build()


__all__ = ["build_graph"]
