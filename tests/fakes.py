"""Scripted fake chat models for fast unit tests (subclassing langchain-core's fakes)."""
from __future__ import annotations

import re
from typing import Any, Callable, ClassVar

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from brandloop import prompts
Reply = str | Callable[[str], str]

# Template ids (prompts/<id>.yaml): every rendered message carries its template's id, and the fakes route on it,
# so rewording a prompt never changes which scripted reply it gets.
COPY = "copywriter"     # a whole-ad draft: the first, or a fresh one after a rejection
REWRITE = "rewrite"     # one line rewritten with its problems
NEW_LINE = "new_line"   # one new line for an item the drafts left missing
CRITIC = "critic"
DESCRIBE = "describer"
RETRY = "retry"         # the parse-retry follow-up (a conversation keeps its first template's id)


class ScriptedChatModel(FakeListChatModel):
    """Answers each prompt with the reply scripted for the template it was rendered from.

    `rules` is a list of (template id, reply-or-function-of-prompt). A list as the reply is consumed one item
    per call, and its last item repeats (e.g. [first, first, first, redraft] for three first drafts, then
    fresh drafts). A function gets the prompt text: the last human message, plus the earlier ones for a retry.
    """

    rules: list[tuple[str, Any]] = []
    responses: list[str] = ["(no scripted reply)"]
    calls: list[dict] = []

    def _call(self, messages, stop=None, run_manager=None, **kwargs) -> str:
        humans = [m for m in messages if m.type == "human"]
        retry = len(humans) > 1 and self._is_retry(humans[-1])
        prompt = "\n".join(str(m.content) for m in humans) if retry else str(humans[-1].content) if humans else ""
        template = self._template(messages, prompt)
        self.calls.append({"template": template, "retry": retry, "prompt": prompt, "kwargs": kwargs})
        for wanted, reply in self.rules:
            if wanted == template:
                if isinstance(reply, list):
                    reply = reply.pop(0) if len(reply) > 1 else reply[0]
                return reply(prompt) if callable(reply) else reply
        return super()._call(messages, stop, run_manager, **kwargs)

    def _template(self, messages, prompt: str) -> str | None:
        return prompts.template_of(messages)

    def _is_retry(self, last_human) -> bool:
        return prompts.template_of([last_human]) == RETRY

    def prompts_with(self, template: str) -> list[str]:
        """The prompts rendered from this template, in call order."""
        return [c["prompt"] for c in self.calls if c["template"] == template]


class ServedScriptedChatModel(ScriptedChatModel):
    """A scripted model behind an HTTP server (tests/test_model_server.py). The OpenAI protocol carries no template
    ids, so here a rule's key is a piece of the prompt's text, and the first rule whose key the prompt holds wins."""

    def _template(self, messages, prompt: str) -> str | None:
        return next((key for key, _ in self.rules if key in prompt), None)

    def _is_retry(self, last_human) -> bool:
        return prompts.render_text("retry", "user", problems=["\0"]).split("\0")[0] in str(last_human.content)

    def prompts_with(self, key: str) -> list[str]:
        return [c["prompt"] for c in self.calls if key in c["prompt"]]


def served_run_model(copy: Reply | list) -> ServedScriptedChatModel:
    """A whole run behind a server: each agent's prompt told apart by a line its template always writes."""
    return ServedScriptedChatModel(rules=[
        ("Angle for this version", copy), ("Rewrite this", "Earn 4.10% APY"), ("Build it on:", "Earn 4.10% APY"),
        ("Review this", "SCORE: 8\nCRITIQUE: Clear and on brief.\nFIX: none"),
        ("Describe it in one short sentence", "A product photo.")], calls=[])


_TREES = ["Maple", "Cedar", "Aspen", "Birch", "Willow", "Alder", "Rowan", "Hazel", "Laurel", "Juniper"]
_BIRDS = ["Heron", "Falcon", "Egret", "Kestrel", "Raven", "Wren", "Finch", "Plover", "Swift", "Lark"]


def usable_lines() -> Callable[[str], str]:
    """New lines, each different and clean: 'Maple Heron Savings' for a headline, a sentence for other fields."""
    n = iter(range(10_000))

    def reply(prompt: str) -> str:
        k = next(n)
        name = f"{_TREES[k % 10]} {_BIRDS[k // 10 % 10]}"
        return f"{name} Savings" if "Write one headline" in prompt else f"Open Everyday Savings with the {name} plan."
    return reply


def unusable_lines() -> Callable[[str], str]:
    """New lines, each different, each with a number no brief fact backs ('Savings Pick Number 1'), so the claim
    check refuses them: by default a scripted run's gaps end in the last resort (a sibling's line, up to the
    channel's minimum); a test that wants gaps filled scripts usable_lines()."""
    n = iter(range(1, 10_000))

    def reply(prompt: str) -> str:
        k = next(n)
        return f"Savings Pick Number {k}" if "Write one headline" in prompt else f"Open Everyday Savings, option {k}."
    return reply


def scripted(copy: Reply | list, critic: Reply | list = "SCORE: 8\nCRITIQUE: Clear and on brief.\nFIX: none",
             describe: Reply = "A product photo.", rewrite: Reply | list = "Earn 4.10% APY",
             new_line: Reply | list | None = None) -> ScriptedChatModel:
    """New lines (gaps the drafts left) are refused by default (unusable_lines); script usable_lines() to fill."""
    return ScriptedChatModel(rules=[(COPY, copy), (REWRITE, rewrite),
                                    (NEW_LINE, unusable_lines() if new_line is None else new_line),
                                    (CRITIC, critic), (DESCRIBE, describe)], calls=[])


class ConstrainedScriptedChatModel(ScriptedChatModel):
    """A scripted model that, like the real engines, holds every reply to the ``regex=`` it is given: a scripted
    reply that does not match the pattern fails the test instead of reaching the agents."""

    supports_regex: ClassVar[bool] = True
    patterns: list[str] = []

    def _call(self, messages, stop=None, run_manager=None, **kwargs) -> str:
        pattern = kwargs.get("regex")
        if isinstance(pattern, list):
            raise AssertionError("a single prompt got a list of patterns")
        reply = super()._call(messages, stop, run_manager, **kwargs)
        if pattern is not None:
            self.patterns.append(pattern)
            assert re.fullmatch(pattern, reply), f"scripted reply {reply!r} does not match the pattern it was given"
        return reply

    def batch(self, inputs, config=None, *, return_exceptions=False, **kwargs):
        patterns = kwargs.pop("regex", None)
        if not isinstance(patterns, list):
            return super().batch(inputs, config, return_exceptions=return_exceptions,
                                 **({"regex": patterns} if patterns else {}), **kwargs)
        return [self.invoke(x, regex=p, **kwargs) for x, p in zip(inputs, patterns, strict=True)]


class ServedConstrainedChatModel(ConstrainedScriptedChatModel, ServedScriptedChatModel):
    """ConstrainedScriptedChatModel behind a server: routed by text, each reply held to its pattern."""
