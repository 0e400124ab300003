"""Inside one worker, concurrent runs share one model and their generate calls are batched together.

`CoalescingModel.batch` parks each caller's prompts for a short window; calls with the same generation
arguments that arrive meanwhile (or while the previous merged call is still generating) go to the model as one
`batch`, and each caller gets its own replies back. Per-prompt `regex` lists are concatenated in the same order."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable


class _Waiting:
    __slots__ = ("inputs", "regex", "done", "result", "error")

    def __init__(self, inputs: list, regex: list | None):
        self.inputs, self.regex = inputs, regex
        self.done = threading.Event()
        self.result: list | None = None
        self.error: BaseException | None = None


def _key(kwargs: dict) -> tuple:
    """Calls merge only when every generation argument but the per-prompt regex is the same."""
    items = []
    for k, v in sorted(kwargs.items()):
        if k == "regex":
            items.append(("regex", True))
        else:
            items.append((k, tuple(v) if isinstance(v, list) else v))
    return tuple(items)


class CoalescingModel:
    """Wraps a chat model; everything but `batch` is the wrapped model's (`supports_regex`, `info`, ...)."""

    def __init__(self, model, window_s: float = 0.02):
        self.model = model
        self.window_s = window_s
        self._lock = threading.Lock()
        self._groups: dict[tuple, list[_Waiting]] = {}
        self._dispatch: dict[tuple, threading.Lock] = {}
        self.stats = {"model_calls": 0, "caller_calls": 0, "prompts": 0, "largest_merge": 0}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def batch(self, inputs, config=None, **kwargs) -> list:
        inputs = list(inputs)
        if config is not None or kwargs.get("return_exceptions") or not inputs:
            return self.model.batch(inputs, config, **kwargs)
        regex = kwargs.get("regex")
        if isinstance(regex, str):
            regex = [regex] * len(inputs)
        key = _key(kwargs)
        me = _Waiting(inputs, list(regex) if regex is not None else None)
        with self._lock:
            self.stats["caller_calls"] += 1
            group = self._groups.get(key)
            lead = group is None
            if lead:
                group = self._groups[key] = []
                dispatch = self._dispatch.setdefault(key, threading.Lock())
            group.append(me)
        if lead:
            # one merged call per argument set at a time: callers arriving while it generates join the next
            with dispatch:
                time.sleep(self.window_s)
                with self._lock:
                    members = self._groups.pop(key)
                self._run(members, kwargs)
        me.done.wait()
        if me.error is not None:
            raise me.error
        return me.result

    def _run(self, members: list[_Waiting], kwargs: dict) -> None:
        merged = [p for m in members for p in m.inputs]
        call = dict(kwargs)
        if "regex" in call:
            call["regex"] = [r for m in members for r in m.regex]
        try:
            replies = self.model.batch(merged, **call)
        except BaseException as exc:  # every caller sees the model's error
            for m in members:
                m.error = exc
                m.done.set()
            return
        with self._lock:
            self.stats["model_calls"] += 1
            self.stats["prompts"] += len(merged)
            self.stats["largest_merge"] = max(self.stats["largest_merge"], len(members))
        start = 0
        for m in members:
            m.result = list(replies[start:start + len(m.inputs)])
            start += len(m.inputs)
            m.done.set()


def shared_model_factory(factory: Callable, window_s: float = 0.02) -> Callable:
    """A model factory that loads each (spec, engine) once for the whole worker and coalesces its batches."""
    models: dict[tuple, CoalescingModel] = {}
    lock = threading.Lock()

    def shared(spec: str, **kw):
        key = (spec, kw.get("engine", "auto"))
        with lock:
            if key not in models:
                models[key] = CoalescingModel(factory(spec, **kw), window_s)
            return models[key]

    return shared
