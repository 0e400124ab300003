"""YAML parsing for untrusted files: safe types only, and aliases may not expand past a small budget
(an 800-byte 'billion laughs' file otherwise takes minutes and gigabytes once walked)."""
from __future__ import annotations

import yaml

MAX_ALIASES = 100           # alias uses (*name) in one document
MAX_EXPANDED_NODES = 200_000  # nodes once every alias is expanded


class YamlBudgetError(yaml.YAMLError):
    """The document's aliases expand past the budget."""

    def __init__(self, problem: str, mark=None):
        super().__init__(problem)
        self.problem, self.problem_mark, self.context_mark = problem, mark, None


def fix_for(exc: YamlBudgetError) -> str:
    return "write the values out instead of repeating aliases (*name)" if "alias" in exc.problem else \
        "flatten the structure"


class _Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YamlBudgetError(f"more than {MAX_ALIASES} aliases (*name)", mark)
        return super().compose_node(parent, index)


def _check_expansion(node: yaml.Node) -> None:
    sizes: dict[int, int] = {}

    def size(n: yaml.Node, depth: int = 0) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        if depth > 500:
            raise YamlBudgetError("nesting deeper than 500 levels", n.start_mark)
        sizes[id(n)] = 1  # a recursive alias counts once
        total = 1
        if isinstance(n, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total += sum(size(v, depth + 1) for v in n.value)
        if total > MAX_EXPANDED_NODES:
            raise YamlBudgetError(f"aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                                  n.start_mark)
        sizes[id(n)] = total
        return total

    size(node)


def compose(text: str) -> yaml.Node | None:
    """The node graph of one document, checked against the alias budget."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node)
    except RecursionError:
        raise YamlBudgetError("nesting too deep") from None
    finally:
        loader.dispose()
    return node


def safe_load(text: str):
    """Like yaml.safe_load, within the alias budget. Raises yaml.YAMLError (YamlBudgetError included)."""
    return construct(compose(text))


def construct(node: yaml.Node | None):
    """The Python data of a node from `compose`."""
    if node is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except RecursionError:
        raise YamlBudgetError("nesting too deep") from None
    finally:
        loader.dispose()
