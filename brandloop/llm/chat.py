"""``LocalChatModel``: ``ChatHuggingFace`` over ``HuggingFacePipeline`` with true batching.

``ChatHuggingFace`` renders the chat template and hands one prompt at a time to the
pipeline; its ``batch`` runs one ``generate`` per prompt on threads.  On a 2-core
CPU one left-padded ``generate`` over all prompts is 2-3x faster in aggregate, so
this subclass generates itself, from the pipeline's model and tokenizer:

- ``invoke(messages, max_new_tokens=N)``: one prompt, one ``generate``;
- ``batch([m1, m2, ...], max_new_tokens=N)``: one left-padded ``generate`` per
  ``batch_size`` prompts, still reported to callbacks as one run per prompt;
- greedy decoding unless a temperature was set;
- each ``AIMessage`` carries ``usage_metadata`` and ``response_metadata``; its text has
  no prompt echo and no special tokens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import ensure_config, get_config_list
from langchain_huggingface import ChatHuggingFace
from pydantic import PrivateAttr

from .loader import ModelInfo

logger = logging.getLogger("brandloop.llm")

_GEN_KWARGS = {"max_new_tokens", "max_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "seed"}
_local = threading.local()


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or ():
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def to_chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as chat-template dicts (system, user, assistant)."""
    if not messages:
        raise ValueError("at least one message is required")
    out = []
    for m in messages:
        if isinstance(m, SystemMessage):
            role = "system"
        elif isinstance(m, HumanMessage):
            role = "user"
        elif isinstance(m, AIMessage):
            role = "assistant"
        elif isinstance(m, ChatMessage) and m.role in ("system", "user", "assistant"):
            role = m.role
        else:
            raise ValueError(f"unsupported message type for a local chat model: {type(m).__name__}")
        out.append({"role": role, "content": _content_text(m.content)})
    return out


def _key(messages: Sequence[BaseMessage]) -> tuple:
    return tuple((d["role"], d["content"]) for d in to_chat_dicts(messages))


class _PendingBatch:
    """Results of one batched ``generate``, handed out as ``generate()`` asks for each prompt."""

    def __init__(self, owner: LocalChatModel, message_lists: list[list[BaseMessage]], kwargs: dict[str, Any]):
        self.owner = owner
        self.message_lists = message_lists
        self.kwargs = kwargs
        self.results: dict[tuple, deque[ChatResult]] | None = None

    def take(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> ChatResult | None:
        if kwargs != self.kwargs:
            return None
        if self.results is None:
            results = self.owner._generate_many(self.message_lists, stop=stop, **self.kwargs)
            self.results = defaultdict(deque)
            for m, r in zip(self.message_lists, results, strict=True):
                self.results[_key(m)].append(r)
        queue = self.results.get(_key(messages))
        return queue.popleft() if queue else None


class LocalChatModel(ChatHuggingFace):
    """A local transformers chat model with truly batched generation."""

    max_new_tokens: int = 256
    """Default cap on generated tokens; override per call with ``max_new_tokens=``."""
    batch_size: int = 8
    """Prompts per ``generate`` call in ``batch``."""
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

    @property
    def hf_tokenizer(self):
        return self.tokenizer

    # -- LangChain entry points ---------------------------------------------------------

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[BaseMessage]:
        """All prompts through batched ``generate`` calls; callbacks still see one run per prompt.

        Callbacks, tags and metadata are taken from the first config.
        """
        if not inputs:
            return []
        configs = get_config_list(config, len(inputs))
        if len(inputs) == 1:
            try:
                return [self.invoke(inputs[0], configs[0], **kwargs)]
            except Exception as exc:
                if return_exceptions:
                    return [exc]
                raise
        cfg = ensure_config(configs[0])
        message_lists = [self._convert_input(x).to_messages() for x in inputs]
        stop = kwargs.pop("stop", None)
        _local.pending = _PendingBatch(self, message_lists, dict(kwargs))
        try:
            result = self.generate(
                message_lists,
                stop=stop,
                callbacks=cfg.get("callbacks"),
                tags=cfg.get("tags"),
                metadata=cfg.get("metadata"),
                run_name=cfg.get("run_name"),
                **kwargs,
            )
        except Exception as exc:
            if return_exceptions:
                return [exc] * len(inputs)
            raise
        finally:
            _local.pending = None
        return [gens[0].message for gens in result.generations]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        stream: bool | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        pending = getattr(_local, "pending", None)
        if pending is not None and pending.owner is self:
            result = pending.take(messages, stop, kwargs)
            if result is not None:
                return result
        return self._generate_many([messages], stop=stop, **kwargs)[0]

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        """No token streaming: one chunk with the whole answer."""
        result = self._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        msg = result.generations[0].message
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content=msg.content, usage_metadata=msg.usage_metadata, response_metadata=msg.response_metadata
            )
        )

    # -- generation -----------------------------------------------------------------------

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

    def _generate_many(
        self, message_lists: Sequence[Sequence[BaseMessage]], stop: list[str] | None = None, **kwargs: Any
    ) -> list[ChatResult]:
        import torch

        kwargs = {k: v for k, v in kwargs.items() if not k.startswith("ls_")}
        unknown = set(kwargs) - _GEN_KWARGS
        if unknown:
            raise TypeError(f"unsupported generation arguments for a local chat model: {sorted(unknown)}")
        max_new = kwargs.get("max_new_tokens") or kwargs.get("max_tokens") or self.max_tokens or self.max_new_tokens
        temperature = kwargs.get("temperature", self.temperature)
        if kwargs.get("seed", self.seed) is not None and temperature:
            torch.manual_seed(int(kwargs.get("seed", self.seed)))
        gen_cfg = self._generation_config(
            max_new, temperature, kwargs.get("top_p", self.top_p), kwargs.get("top_k"), kwargs.get("repetition_penalty")
        )
        tok = self.tokenizer
        model = self.hf_model
        stops = [stop] if isinstance(stop, str) else list(stop or self._default_stops())
        prompts = [
            tok.apply_chat_template(to_chat_dicts(m), tokenize=False, add_generation_prompt=True) for m in message_lists
        ]
        eos = gen_cfg.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        eos_ids.add(tok.pad_token_id)
        if tok.eos_token_id is not None:
            eos_ids.add(tok.eos_token_id)

        results: list[ChatResult | None] = [None] * len(prompts)
        # similar lengths share a generate call, so there is less padding
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        size = max(1, int(self.batch_size))
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            enc = tok(
                [prompts[i] for i in chunk], return_tensors="pt", padding=True, add_special_tokens=False
            ).to(model.device)
            extra: dict[str, Any] = {}
            if stops:
                extra = {"stop_strings": stops, "tokenizer": tok}
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
                n_out = len(ids)
                finish = "length"
                for pos, t in enumerate(ids):
                    if t in eos_ids:
                        n_out, finish = pos + 1, "stop"
                        break
                total_new += n_out
                text = tok.decode(ids[:n_out], skip_special_tokens=True)
                for s in stops:
                    cut = text.find(s)
                    if cut >= 0:
                        text, finish = text[:cut], "stop"
                text = text.strip()
                usage = {"input_tokens": int(in_counts[row]), "output_tokens": n_out, "total_tokens": int(in_counts[row]) + n_out}
                meta = {
                    "model_name": self.model_id,
                    "model_provider": "huggingface",
                    "finish_reason": finish,
                    "batch_size": len(chunk),
                }
                if self.info is not None:
                    meta["model_spec"] = self.info.spec
                    meta["device"] = self.info.device
                message = AIMessage(content=text, usage_metadata=usage, response_metadata=meta)
                results[i] = ChatResult(
                    generations=[ChatGeneration(message=message, generation_info={"finish_reason": finish})],
                    llm_output={"model_name": self.model_id, "token_usage": usage},
                )
            logger.debug(
                "generated %d tokens for %d prompt(s) in %.2f s (%.1f tok/s)",
                total_new,
                len(chunk),
                elapsed,
                total_new / elapsed if elapsed else 0.0,
            )
        return results  # type: ignore[return-value]

    def _default_stops(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)
