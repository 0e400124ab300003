"""Progress inside long steps, from LangChain callbacks: one report when an LLM batch starts (prompts, an
estimate from the tokens/s measured on earlier calls of the run) and one when it ends (tokens per prompt,
elapsed). The chat models generate a batch at once, so nothing finer than a batch is truthful.

A cancel flag is checked at every call: a cancelled run stops before its next LLM batch (or its next step),
with every finished step checkpointed, so it can be resumed.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from brandloop.errors import RunCancelled


log = logging.getLogger("brandloop.progress")
ANNOUNCE_AFTER_S = 0.2  # a batch's prompts are all announced within milliseconds of each other


class LLMProgress(BaseCallbackHandler):
    raise_error = True  # so that a cancel raised here stops the call instead of being logged

    def __init__(self, emit: Callable[[dict], None] | None = None, cancel: threading.Event | None = None):
        self.emit = emit or (lambda report: None)  # called through _tell: a display problem never stops a run
        self.cancel = cancel or threading.Event()
        self._lock = threading.Lock()
        self._batch: dict | None = None  # the batch in flight: node, prompts, started, per-prompt tokens
        self._runs: dict[UUID, int] = {}  # callback run id -> index in the batch
        self.tokens_out = 0
        self.generate_s = 0.0
        self.calls_done = 0

    # measured speed over the run's finished batches
    @property
    def tokens_per_s(self) -> float | None:
        return self.tokens_out / self.generate_s if self.generate_s > 0 and self.tokens_out else None

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise RunCancelled("cancelled by the user")

    def on_chat_model_start(self, serialized: dict, messages: list, *, run_id: UUID, metadata: dict | None = None,
                            **kwargs: Any) -> None:
        self.check_cancel()
        params = kwargs.get("invocation_params") or {}
        with self._lock:
            now = time.perf_counter()
            b = self._batch
            if b is None or b["closed"] or now - b["started"] > 0.5:  # callbacks of one batch arrive together
                b = self._batch = {"node": (metadata or {}).get("langgraph_node", "llm"), "started": now,
                                   "prompts": 0, "done": 0, "tokens": [], "closed": False,
                                   "max_new_tokens": params.get("max_new_tokens")}
                timer = threading.Timer(ANNOUNCE_AFTER_S, self.flush_start, args=(b,))
                timer.daemon = True
                timer.start()
            self._runs[run_id] = b["prompts"]
            b["prompts"] += 1
            b["tokens"].append(None)

    def on_llm_start(self, serialized: dict, prompts: list, **kwargs: Any) -> None:  # plain LLMs
        self.on_chat_model_start(serialized, [prompts], **kwargs)

    def flush_start(self, b: dict | None = None) -> None:
        """Report a batch once all its prompts were announced (a moment after its first, or when it ends)."""
        with self._lock:
            b = b or self._batch
            if b is None or b.get("announced"):
                return
            b["announced"] = True
            report = self._report(b, "started")
        self._tell(report)

    def in_flight(self) -> dict | None:
        """The batch being generated now, as a report (for a ticker), or None."""
        with self._lock:
            b = self._batch
            return self._report(b, "running") if b is not None and not b["closed"] else None

    def on_llm_end(self, response, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            b = self._batch if run_id in self._runs else None
        self.flush_start(b)
        tokens = _tokens_out(response)
        with self._lock:
            b, i = self._batch, self._runs.pop(run_id, None)
            if b is None or i is None:
                return
            b["tokens"][i] = tokens
            b["done"] += 1
            if b["done"] < b["prompts"]:
                return
            b["closed"] = True
            elapsed = time.perf_counter() - b["started"]
            self.tokens_out += sum(t or 0 for t in b["tokens"])
            self.generate_s += elapsed
            self.calls_done += b["prompts"]
            report = self._report(b, "finished")
        self._tell(report)

    def _tell(self, report: dict) -> None:
        try:
            self.emit(report)
        except Exception:  # noqa: BLE001 - boundary: a surface's display callback never stops a run
            log.debug("progress report failed", exc_info=True)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            self._runs.pop(run_id, None)
            if self._batch is not None:
                self._batch["closed"] = True

    def _report(self, b: dict, phase: str) -> dict:
        elapsed = time.perf_counter() - b["started"]
        rate = self.tokens_per_s
        done_tokens = [t for t in b["tokens"] if t is not None]
        per_prompt = self.tokens_out / self.calls_done if rate and self.calls_done else None
        expect = per_prompt or b.get("max_new_tokens")
        estimate = (b["prompts"] * expect / rate) if rate and expect and phase != "finished" else None
        return {"node": b["node"], "phase": phase, "prompts": b["prompts"], "done": b["done"],
                "tokens": list(b["tokens"]), "tokens_done": sum(done_tokens), "elapsed_s": round(elapsed, 1),
                "estimate_s": round(estimate, 1) if estimate is not None else None,
                "tokens_per_s": round(rate, 1) if rate else None}


def _tokens_out(response) -> int | None:
    try:
        msg = response.generations[0][0].message
    except (AttributeError, IndexError):
        return None
    usage = getattr(msg, "usage_metadata", None) or {}
    return usage.get("output_tokens")


def progress_text(r: dict) -> str:
    """One line for a person: '[copywriter] LLM: 3 prompts …' ."""
    head = f"[{r['node']}] LLM: {r['prompts']} prompt(s)"
    if r["phase"] == "started":
        est = r.get("estimate_s")
        eta = (f", about {_seconds(est)} at {r['tokens_per_s']:g} tokens/s measured so far" if est is not None
               else ", no estimate yet (no speed measured in this run)")
        return f"{head} generating{eta}"
    per = ", ".join(f"#{i + 1} {t}" for i, t in enumerate(r["tokens"]) if t is not None)
    tok = f"{r['tokens_done']} tokens ({per})" if per else "tokens not reported"
    return f"{head} done in {r['elapsed_s']:.1f} s: {tok}"


def _seconds(s: float) -> str:
    return "under 1 s" if s < 1 else f"{s:.0f} s"
