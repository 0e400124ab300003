"""YAML loading that remembers the line of every key and item, for file:line error messages."""
from __future__ import annotations

from typing import Any

import yaml

from brandloop.errors import Issue
from brandloop.knowledge import safeyaml

Path = tuple  # a path into the loaded data: ("rules", 3, "tokens")


class LineMap:
    def __init__(self, file: str):
        self.file = file
        self.lines: dict[tuple, int] = {}

    def line(self, path: tuple) -> int:
        """Line of `path`, or of its nearest recorded ancestor."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)

    def issue(self, path: tuple, message: str, fix: str = "") -> Issue:
        return Issue(self.file, self.line(path), ".".join(str(x) for x in path), message, fix)


def _walk(node: yaml.Node, path: tuple, lm: LineMap) -> None:
    lm.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark.line)
            lm.lines[path + (key,)] = k.start_mark.line + 1
            _walk(v, path + (key,), lm)
            lm.lines[path + (key,)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, path + (i,), lm)


def load_yaml(text: str, file: str) -> tuple[Any, LineMap]:
    """Parse YAML; raise a one-issue list on syntax errors (with the line YAML reports)."""
    lm = LineMap(file)
    try:
        node = safeyaml.compose(text)
        data = safeyaml.construct(node)
    except safeyaml.YamlBudgetError as exc:
        mark = exc.problem_mark
        raise YamlSyntaxError(Issue(file, mark.line + 1 if mark else 1, "", f"refused: {exc.problem}",
                                    safeyaml.fix_for(exc))) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        ctx_mark = getattr(exc, "context_mark", None)
        if mark is not None and ctx_mark is not None and mark.line >= len(text.splitlines()):
            mark = ctx_mark  # an unclosed bracket or quote: point at where it was opened
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlSyntaxError(Issue(file, line, "", f"YAML syntax error: {problem}",
                                    "check indentation, quoting and colons on this line")) from None
    if node is not None:
        _walk(node, (), lm)
    return data, lm


class YamlSyntaxError(Exception):
    def __init__(self, issue: Issue):
        self.issue = issue
        super().__init__(str(issue))
