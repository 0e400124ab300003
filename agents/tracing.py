"""Trace events: what each node saw, asked, got back and decided."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from langchain_core.messages import AIMessage, BaseMessage


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def render_messages(messages: list[BaseMessage]) -> str:
    return "\n\n".join(f"[{m.type}]\n{m.content}" for m in messages)


class NodeTrace:
    """Collects one node's trace event. Call `event()` at the end to get the dict to append to state.trace."""

    def __init__(self, node: str, loop: int = 0, inputs: dict | None = None):
        self.data: dict = {"node": node, "loop": loop, "started": _now(), "inputs": inputs or {}, "calls": []}
        self._t0 = time.perf_counter()

    def llm_call(self, target: str, prompt: list[BaseMessage], reply: AIMessage | None, parsed, *,
                 attempt: int = 1, error: str | None = None, llm_seconds: float | None = None,
                 pattern: str | None = None) -> None:
        usage = (reply.usage_metadata or {}) if reply is not None else {}
        self.data["calls"].append({
            "target": target, "attempt": attempt, "prompt": render_messages(prompt),
            "raw_output": reply.content if reply is not None else None, "parsed": parsed, "error": error,
            "tokens_in": usage.get("input_tokens"), "tokens_out": usage.get("output_tokens"),
            "llm_seconds": llm_seconds, "engine": (reply.response_metadata or {}).get("engine") if reply else None,
            "pattern": pattern,
        })

    def set(self, **values) -> None:
        self.data.update(values)

    def event(self) -> dict:
        self.data["ended"] = _now()
        self.data["duration_s"] = round(time.perf_counter() - self._t0, 3)
        return self.data
