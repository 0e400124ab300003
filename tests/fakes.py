"""Scripted fake chat models for fast unit tests (subclassing langchain-core's fakes)."""
from __future__ import annotations

import re
from typing import Any, Callable, ClassVar

from langchain_core.language_models.fake_chat_models import FakeListChatModel

Reply = str | Callable[[str], str]


class ScriptedChatModel(FakeListChatModel):
    """Answers each prompt with the reply of the first rule whose marker appears in the last human message.

    `rules` is a list of (marker, reply-or-function-of-prompt). Rules can be queued per marker: a list
    as the reply is consumed one item per call, and its last item repeats.
    """

    rules: list[tuple[str, Any]] = []
    responses: list[str] = ["(no scripted reply)"]
    calls: list[dict] = []

    def _call(self, messages, stop=None, run_manager=None, **kwargs) -> str:
        # The last human message, plus earlier ones for follow-ups such as a parse retry.
        humans = [str(m.content) for m in messages if m.type == "human"]
        prompt = humans[-1] if len(humans) < 2 or "cannot be used" not in humans[-1] else "\n".join(humans)
        self.calls.append({"prompt": prompt, "kwargs": kwargs})
        for marker, reply in self.rules:
            if marker in prompt:
                if isinstance(reply, list):
                    reply = reply.pop(0) if len(reply) > 1 else reply[0]
                return reply(prompt) if callable(reply) else reply
        return super()._call(messages, stop, run_manager, **kwargs)

    def prompts_with(self, marker: str) -> list[str]:
        return [c["prompt"] for c in self.calls if marker in c["prompt"]]


COPY_MARKER = "Angle for this version"
REWRITE_MARKER = "Rewrite this"
FRESH_MARKER = "An earlier version was rejected"
CRITIC_MARKER = "Review this"
DESCRIBE_MARKER = "Measurements:"


def scripted(copy: Reply | list, critic: Reply | list = "SCORE: 8\nCRITIQUE: Clear and on brief.\nFIX: none",
             describe: Reply = "A product photo.", rewrite: Reply | list = "Earn 4.10% APY") -> ScriptedChatModel:
    return ScriptedChatModel(rules=[(COPY_MARKER, copy), (REWRITE_MARKER, rewrite), (CRITIC_MARKER, critic),
                                    (DESCRIBE_MARKER, describe)], calls=[])


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
