"""What every local chat model here shares: truly batched ``batch``, chat-template dicts, one result shape.

LangChain's ``BaseChatModel.batch`` runs one ``_generate`` per prompt on threads. A local engine is 2-6x
faster when it gets all prompts at once, so ``BatchedChatMixin.batch`` hands the whole list to the
subclass's ``_generate_many`` while callbacks still see one run per prompt.
"""
from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any, ClassVar

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import ensure_config, get_config_list

GEN_KWARGS = {"max_new_tokens", "max_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "frequency_penalty",
              "seed", "regex"}
"""Per-call generation arguments every local engine accepts. ``regex`` constrains the whole reply;
``frequency_penalty`` (OpenAI's meaning) lowers a token's logit by that much for each time the reply already has it
(the prompt's tokens are not counted, unlike ``repetition_penalty``)."""

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


def generation_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The caller's generation arguments, without LangChain's tracing keys; unknown ones are an error."""
    kwargs = {k: v for k, v in kwargs.items() if not k.startswith("ls_")}
    unknown = set(kwargs) - GEN_KWARGS
    if unknown:
        raise TypeError(f"unsupported generation arguments for a local chat model: {sorted(unknown)}")
    return kwargs


def cut_at_stops(text: str, stops: Sequence[str], finish: str) -> tuple[str, str]:
    for s in stops:
        cut = text.find(s)
        if cut >= 0:
            text, finish = text[:cut], "stop"
    return text.strip(), finish


def chat_result(text: str, input_tokens: int, output_tokens: int, finish: str, meta: dict[str, Any]) -> ChatResult:
    """One reply as LangChain wants it: usage metadata on the message, the finish reason in generation info."""
    usage = {"input_tokens": int(input_tokens), "output_tokens": int(output_tokens),
             "total_tokens": int(input_tokens) + int(output_tokens)}
    message = AIMessage(content=text, usage_metadata=usage, response_metadata={**meta, "finish_reason": finish})
    return ChatResult(generations=[ChatGeneration(message=message, generation_info={"finish_reason": finish})],
                      llm_output={"model_name": meta.get("model_name"), "token_usage": usage})


def _key(messages: Sequence[BaseMessage]) -> tuple:
    return tuple((d["role"], d["content"]) for d in to_chat_dicts(messages))


class _PendingBatch:
    """Results of one batched generation, handed out as ``generate()`` asks for each prompt."""

    def __init__(self, owner: Any, message_lists: list[list[BaseMessage]], kwargs: dict[str, Any]):
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


class BatchedChatMixin:
    """``batch`` as one batched generation; subclasses implement ``_generate_many(message_lists, stop, **kw)``."""

    supports_regex: ClassVar[bool] = True
    """Whether ``regex=`` constrains generation (agents then rely on it instead of parse-and-retry alone)."""

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[BaseMessage]:
        """All prompts through one batched generation; callbacks see one run per prompt (first config's)."""
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

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  stream: bool | None = None, **kwargs: Any) -> ChatResult:
        pending = getattr(_local, "pending", None)
        if pending is not None and pending.owner is self:
            result = pending.take(messages, stop, kwargs)
            if result is not None:
                return result
        return self._generate_many([messages], stop=stop, **kwargs)[0]

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        """No token streaming: one chunk with the whole answer."""
        msg = self._generate(messages, stop=stop, run_manager=run_manager, **kwargs).generations[0].message
        yield ChatGenerationChunk(message=AIMessageChunk(content=msg.content, usage_metadata=msg.usage_metadata,
                                                         response_metadata=msg.response_metadata))

    def _default_stops(self) -> list[str]:
        stop = getattr(self, "stop", None)
        if stop is None:
            return []
        return [stop] if isinstance(stop, str) else list(stop)
