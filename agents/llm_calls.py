"""Batched LLM calls with one parse-retry, recorded in the node's trace."""
from __future__ import annotations

import time
from typing import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from agents.tracing import NodeTrace

Parser = Callable[[str], tuple[object, list[str]]]


def batch_with_retry(llm: BaseChatModel, targets: list[str], prompts: list[list[BaseMessage]], parse: Parser,
                     trace: NodeTrace, *, max_new_tokens: int, stop: list[str] | None = None
                     ) -> list[tuple[object, list[str]]]:
    """Run all prompts in one batch; re-ask (once, batched) those whose reply does not parse.

    Returns (parsed, problems) per prompt; problems is empty when the reply parsed.
    """
    results: list[tuple[object, list[str]]] = [(None, ["not generated"])] * len(prompts)
    if not prompts:
        return results
    pending = list(range(len(prompts)))
    for attempt in (1, 2):
        if not pending:
            break
        t0 = time.perf_counter()
        extra = {"stop": stop} if stop else {}
        replies = llm.batch([prompts[i] for i in pending], max_new_tokens=max_new_tokens, **extra)
        per_call = round((time.perf_counter() - t0) / len(pending), 3)
        still = []
        for i, reply in zip(pending, replies):
            parsed, problems = parse(str(reply.content))
            trace.llm_call(targets[i], prompts[i], reply, parsed, attempt=attempt,
                           error="; ".join(problems) or None, llm_seconds=per_call)
            results[i] = (parsed, problems)
            if problems:
                still.append(i)
        pending = still
    return results
