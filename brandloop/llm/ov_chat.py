"""``OpenVINOChatModel``: a LangChain chat model over OpenVINO GenAI's continuous-batching pipeline.

The default engine for the embedded presets on the CPU. All prompts of a ``batch`` go to the engine at
once, each with its own generation config, so a batch can mix patterns (``regex=`` as one pattern or one
per prompt), seeds and budgets. Prefix caching reuses the shared head of the prompts (system text, worked
examples, rules) across variants and loops.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import PrivateAttr

from brandloop.errors import ModelError
from .batching import BatchedChatMixin, chat_result, cut_at_stops, generation_kwargs, to_chat_dicts
from .chat import per_prompt
from .loader import ModelInfo
from .ov_build import last_line, load_pipeline

logger = logging.getLogger("brandloop.llm")
HANG_SECONDS = 300.0  # one batch takes up to about 70 s on 2 cores; far past that, the engine is stuck


class EngineStuck(Exception):
    """A call into the engine did not return within its deadline."""


def within(seconds: float, fn, *args):
    """``fn(*args)`` on a daemon thread: its result or its exception, or EngineStuck when it has not returned in
    ``seconds``. The stuck call is left behind: a call into native code cannot be interrupted."""
    done, box = threading.Event(), {}

    def work():
        try:
            box["out"] = fn(*args)
        except BaseException as exc:  # handed to the caller below
            box["exc"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="openvino-generate", daemon=True).start()
    if not done.wait(seconds):
        raise EngineStuck(f"no answer in {seconds:.0f} s")
    if "exc" in box:
        raise box["exc"]
    return box["out"]


class OpenVINOChatModel(BatchedChatMixin, BaseChatModel):
    """Local chat model on OpenVINO GenAI (int8 weights, CPU)."""

    model_id: str
    max_new_tokens: int = 256
    """Default cap on generated tokens; override per call with ``max_new_tokens=``."""
    temperature: float | None = None
    """None or 0: greedy decoding."""
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    info: ModelInfo | None = None
    disable_streaming: bool = True
    hang_seconds: float = HANG_SECONDS
    """A batch that has not come back by then is taken as stuck: OpenVINO GenAI's sampler was seen waiting forever
    (all threads idle) in a clean-clone test run. The batch is run again once on a freshly loaded pipeline."""

    _pipe: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def from_pipeline(cls, pipe: Any, **fields: Any) -> OpenVINOChatModel:
        model = cls(**fields)
        model._pipe = pipe
        model._tokenizer = pipe.get_tokenizer()
        return model

    @property
    def _llm_type(self) -> str:
        return "brandloop-openvino"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "engine": "openvino"}

    def render(self, messages: Sequence[BaseMessage]) -> str:
        """The prompt text the engine sees (chat template applied)."""
        return self._tokenizer.apply_chat_template(to_chat_dicts(messages), add_generation_prompt=True)

    def _run_engine(self, ids, configs):
        """The engine's outputs for the batch; a stuck batch is run once more on a freshly loaded pipeline (the stuck
        one is left to its thread), then given up with a ModelError."""
        for attempt in (1, 2):
            try:
                return within(self.hang_seconds, self._pipe.generate, ids, configs)
            except EngineStuck as exc:
                if attempt == 2 or self.info is None or not self.info.cache_dir:
                    raise ModelError(f"the OpenVINO engine is stuck ({exc}); run again") from exc
                logger.warning("the OpenVINO engine gave %s for a batch of %d; loading it afresh", exc, len(ids))
                self._pipe = self._fresh_pipeline()

    def _fresh_pipeline(self):
        return load_pipeline(Path(self.info.cache_dir), self.info.threads or 1)

    def _config(self, max_new: int, temperature: float | None, top_p, top_k, repetition_penalty, seed, regex,
                stops: list[str], frequency_penalty: float | None = None):
        import openvino_genai

        cfg = openvino_genai.GenerationConfig()
        cfg.max_new_tokens = int(max_new)
        if temperature:
            cfg.do_sample = True
            cfg.temperature = float(temperature)
            cfg.top_p = float(top_p) if top_p is not None else 0.95
            if top_k is not None:
                cfg.top_k = int(top_k)
            if seed is not None:
                cfg.rng_seed = int(seed)
        else:
            cfg.do_sample = False
        if repetition_penalty is not None:
            cfg.repetition_penalty = float(repetition_penalty)
        if frequency_penalty:
            cfg.frequency_penalty = float(frequency_penalty)
        if stops:
            cfg.stop_strings = set(stops)
            cfg.include_stop_str_in_output = False
        if regex:
            cfg.structured_output_config = openvino_genai.StructuredOutputConfig(regex=regex)
        return cfg

    def _generate_many(self, message_lists: Sequence[Sequence[BaseMessage]], stop: list[str] | None = None,
                       **kwargs: Any) -> list[ChatResult]:
        if self._pipe is None:
            raise ModelError("OpenVINOChatModel has no pipeline; build it with brandloop.llm.get_chat_model")
        kwargs = generation_kwargs(kwargs)
        n = len(message_lists)
        max_new = kwargs.get("max_new_tokens") or kwargs.get("max_tokens") or self.max_new_tokens
        temperature = kwargs.get("temperature", self.temperature)
        seed = kwargs.get("seed", self.seed)
        regexes = per_prompt(kwargs.get("regex"), n)
        stops = [stop] if isinstance(stop, str) else list(stop or self._default_stops())
        prompts = [self.render(m) for m in message_lists]
        ids = [self._tokenizer.encode(p, add_special_tokens=False).input_ids for p in prompts]
        configs = [self._config(max_new, temperature, kwargs.get("top_p", self.top_p), kwargs.get("top_k"),
                                kwargs.get("repetition_penalty"), None if seed is None else int(seed) + i,
                                regexes[i], stops, kwargs.get("frequency_penalty")) for i in range(n)]
        t0 = time.perf_counter()
        with self._lock:
            try:
                outs = self._run_engine(ids, configs)
            except RuntimeError as exc:
                raise ModelError(f"the OpenVINO engine rejected the request ({last_line(exc)})") from exc
        elapsed = time.perf_counter() - t0
        meta = {"model_name": self.model_id, "model_provider": "openvino", "engine": "openvino", "batch_size": n}
        if self.info is not None:
            meta.update(model_spec=self.info.spec, device=self.info.device)
        results, total = [], 0
        for prompt_ids, out in zip(ids, outs, strict=True):
            tokens = list(out.m_generation_ids[0]) if out.m_generation_ids else []
            total += len(tokens)
            finish = "length" if len(tokens) >= max_new else "stop"
            text, finish = cut_at_stops(self._tokenizer.decode(tokens, skip_special_tokens=True), stops, finish)
            results.append(chat_result(text, prompt_ids.shape[-1], len(tokens), finish, meta))
        logger.debug("generated %d tokens for %d prompt(s) in %.2f s (%.1f tok/s)", total, n, elapsed,
                     total / elapsed if elapsed else 0.0)
        return results
