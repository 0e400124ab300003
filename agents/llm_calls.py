"""Batched LLM calls with one parse-retry, recorded in the node's trace."""
from __future__ import annotations

import time
from typing import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage

from brandloop import prompts
from brandloop.agents.tracing import NodeTrace

Parser = Callable[[str], tuple[object, list[str]]]


def retry_prompt(prompt: list[BaseMessage], result: tuple[object, list[str]], raw: str) -> list[BaseMessage]:
    """The same conversation, plus the unusable reply and a note on what was wrong with it. (Re-asking the same
    prompt is pointless under greedy decoding: it returns the same reply.)"""
    return [*prompt, AIMessage(raw), prompts.render_message("retry", problems=result[1])]


def constrains(llm: BaseChatModel) -> bool:
    """Whether the model's engine can hold a reply to a pattern (``regex=``)."""
    return bool(getattr(llm, "supports_regex", False))


def batch_with_retry(llm: BaseChatModel, targets: list[str], prompts: list[list[BaseMessage]],
                     parse: Parser | list[Parser],
                     trace: NodeTrace, *, max_new_tokens: int, stop: list[str] | None = None,
                     patterns: list[str] | None = None, **generation) -> list[tuple[object, list[str]]]:
    """Run all prompts in one batch; re-ask (once, batched) those whose reply does not parse.

    `patterns` (one regex per prompt) constrain the replies where the engine supports it; elsewhere the
    parse-and-retry path alone stands. ``parse`` is one parser, or one per prompt. Returns (parsed, problems) per
    prompt; problems is empty when it parsed.
    """
    parsers = parse if isinstance(parse, list) else [parse] * len(prompts)
    results: list[tuple[object, list[str]]] = [(None, ["not generated"])] * len(prompts)
    if not prompts:
        return results
    pending = list(range(len(prompts)))
    raw: dict[int, str] = {}
    for attempt in (1, 2):
        if not pending:
            break
        t0 = time.perf_counter()
        extra = {"stop": stop, **generation} if stop else dict(generation)
        if patterns and constrains(llm):
            extra["regex"] = [patterns[i] for i in pending]
        asked = [prompts[i] if attempt == 1 else retry_prompt(prompts[i], results[i], raw[i]) for i in pending]
        replies = llm.batch(asked, max_new_tokens=max_new_tokens, **extra)
        per_call = round((time.perf_counter() - t0) / len(pending), 3)
        still = []
        for i, prompt, reply in zip(pending, asked, replies):
            raw[i] = str(reply.content)
            parsed, problems = parsers[i](raw[i])
            trace.llm_call(targets[i], prompt, reply, parsed, attempt=attempt,
                           error="; ".join(problems) or None, llm_seconds=per_call,
                           pattern=patterns[i] if "regex" in extra else None)
            if attempt == 1 or len(problems) < len(results[i][1]):  # a worse retry never replaces the first reply
                results[i] = (parsed, problems)
            if problems:
                still.append(i)
        pending = still
    return results
