"""``LocalChatModel``: ``ChatHuggingFace`` over ``HuggingFacePipeline`` with true batching (the transformers engine).

``ChatHuggingFace`` renders the chat template and hands one prompt at a time to the pipeline; this subclass
generates itself, from the pipeline's model and tokenizer:

- ``batch([m1, m2, ...], max_new_tokens=N)``: left-padded ``generate`` calls over all prompts. On the CPU
  ``batch_size`` prompts go in each call; on a GPU every prompt goes in one call (up to ``gpu_batch_size``),
  because each decode step costs the same 15-20 ms whatever the batch;
- ``regex=`` (a pattern, or one per prompt) constrains the reply through llguidance;
- greedy decoding unless a temperature was set; replies carry ``usage_metadata``.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_huggingface import ChatHuggingFace
from pydantic import PrivateAttr

from .batching import BatchedChatMixin, chat_result, cut_at_stops, generation_kwargs, to_chat_dicts
from .loader import ModelInfo

logger = logging.getLogger("brandloop.llm")

__all__ = ["LocalChatModel", "to_chat_dicts"]


def per_prompt(value: Any, n: int) -> list[Any]:
    """A per-call argument (one value, or a list with one value per prompt) as a list of ``n``."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"got {len(value)} per-prompt values for {n} prompts")
        return list(value)
    return [value] * n


class LocalChatModel(BatchedChatMixin, ChatHuggingFace):
    """A local transformers chat model with truly batched, optionally regex-constrained generation."""

    max_new_tokens: int = 256
    """Default cap on generated tokens; override per call with ``max_new_tokens=``."""
    batch_size: int = 8
    """Prompts per ``generate`` call on the CPU."""
    gpu_batch_size: int = 64
    """Prompts per ``generate`` call on a GPU: the batch follows the work up to this many."""
    info: ModelInfo | None = None
    """How the model was loaded (see ``brandloop.llm.model_info``)."""
    disable_streaming: bool = True

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "brandloop-local-transformers"

    @property
    def hf_model(self):
        return self.llm.pipeline.model

    def _generation_config(self, max_new_tokens: int, temperature: float | None, top_p, top_k, repetition_penalty):
        import copy

        cfg = copy.deepcopy(self.hf_model.generation_config)
        cfg.max_new_tokens = int(max_new_tokens)
        cfg.max_length = None
        if temperature:
            cfg.do_sample = True
            cfg.temperature = float(temperature)
            cfg.top_p = top_p if top_p is not None else cfg.top_p
            cfg.top_k = top_k if top_k is not None else cfg.top_k
        else:
            cfg.do_sample = False
            cfg.temperature = None
            cfg.top_p = None
            cfg.top_k = None
        if repetition_penalty is not None:
            cfg.repetition_penalty = float(repetition_penalty)
        cfg.pad_token_id = self.tokenizer.pad_token_id
        cfg.num_return_sequences = 1
        return cfg

    def _chunk_size(self, n: int) -> int:
        if str(self.hf_model.device).startswith("cuda"):
            return max(1, min(n, int(self.gpu_batch_size)))
        return max(1, int(self.batch_size))

    def _generate_many(self, message_lists: Sequence[Sequence[BaseMessage]], stop: list[str] | None = None,
                       **kwargs: Any) -> list[ChatResult]:
        import torch

        from .constraints import FrequencyPenalty, RegexLogitsProcessor

        kwargs = generation_kwargs(kwargs)
        max_new = kwargs.get("max_new_tokens") or kwargs.get("max_tokens") or self.max_tokens or self.max_new_tokens
        temperature = kwargs.get("temperature", self.temperature)
        if kwargs.get("seed", self.seed) is not None and temperature:
            torch.manual_seed(int(kwargs.get("seed", self.seed)))
        gen_cfg = self._generation_config(
            max_new, temperature, kwargs.get("top_p", self.top_p), kwargs.get("top_k"), kwargs.get("repetition_penalty")
        )
        regexes = per_prompt(kwargs.get("regex"), len(message_lists))
        tok = self.tokenizer
        model = self.hf_model
        stops = [stop] if isinstance(stop, str) else list(stop or self._default_stops())
        prompts = [tok.apply_chat_template(to_chat_dicts(m), tokenize=False, add_generation_prompt=True)
                   for m in message_lists]
        eos = gen_cfg.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        eos_ids.add(tok.pad_token_id)
        if tok.eos_token_id is not None:
            eos_ids.add(tok.eos_token_id)

        results: list[ChatResult | None] = [None] * len(prompts)
        # similar lengths share a generate call, so there is less padding
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        size = self._chunk_size(len(order))
        meta = {"model_name": self.model_id, "model_provider": "huggingface", "engine": "transformers"}
        if self.info is not None:
            meta.update(model_spec=self.info.spec, device=self.info.device)
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            enc = tok([prompts[i] for i in chunk], return_tensors="pt", padding=True, add_special_tokens=False
                      ).to(model.device)
            extra: dict[str, Any] = {}
            if stops:
                extra = {"stop_strings": stops, "tokenizer": tok}
            processors = []
            if kwargs.get("frequency_penalty"):  # before the pattern's mask, which sets banned tokens to -inf
                processors.append(FrequencyPenalty(float(kwargs["frequency_penalty"]), enc["input_ids"].shape[1]))
            if any(regexes[i] for i in chunk):
                processors.append(RegexLogitsProcessor(tok, [regexes[i] for i in chunk], eos_ids))
            if processors:
                extra["logits_processor"] = processors
            t0 = time.perf_counter()
            with self._lock, torch.inference_mode():
                out = model.generate(**enc, generation_config=gen_cfg, **extra)
            elapsed = time.perf_counter() - t0
            prompt_len = enc["input_ids"].shape[1]
            new_tokens = out[:, prompt_len:].tolist()
            in_counts = enc["attention_mask"].sum(dim=1).tolist()
            total_new = 0
            for row, i in enumerate(chunk):
                ids = new_tokens[row]
                n_out, finish = len(ids), "length"
                for pos, t in enumerate(ids):
                    if t in eos_ids:
                        n_out, finish = pos + 1, "stop"
                        break
                total_new += n_out
                text, finish = cut_at_stops(tok.decode(ids[:n_out], skip_special_tokens=True), stops, finish)
                results[i] = chat_result(text, in_counts[row], n_out, finish, {**meta, "batch_size": len(chunk)})
            logger.debug("generated %d tokens for %d prompt(s) in %.2f s (%.1f tok/s)", total_new, len(chunk),
                         elapsed, total_new / elapsed if elapsed else 0.0)
        return results  # type: ignore[return-value]
