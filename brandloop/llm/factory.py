"""The chat-model factory: build a model once per process, hand the same object out after.

Agents never load a model; the caller gets one here and injects it::

    from brandloop.llm import get_chat_model
    llm = get_chat_model("small")              # the embedded default
    llm.invoke(messages, max_new_tokens=64)
    llm.batch([m1, m2, m3], max_new_tokens=64)  # one batched generate
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from .assets import DEFAULT_PRESET, ModelError, resolve_home
from .loader import ModelInfo, ResolvedSpec, load_backend, resolve_spec

logger = logging.getLogger("brandloop.llm")

_lock = threading.RLock()
_backends: dict[tuple[str, str], tuple[Any, Any, ModelInfo]] = {}
_chat_models: dict[tuple, BaseChatModel] = {}


def _backend(resolved: ResolvedSpec, use_cache: bool):
    with _lock:
        if resolved.key not in _backends:
            _backends[resolved.key] = load_backend(resolved, use_cache=use_cache)
        return _backends[resolved.key]


def get_chat_model(
    spec: str = DEFAULT_PRESET,
    *,
    home: Path | str | None = None,
    temperature: float | None = None,
    max_new_tokens: int = 256,
    batch_size: int = 8,
    use_cache: bool = True,
    num_threads: int | None = None,
) -> BaseChatModel:
    """The chat model for ``spec``, built on first call and cached for the process.

    Args:
        spec: a preset (``small``, ``large``), a ``.gguf`` file, a local model folder,
            or a Hugging Face model id.
        home: the data home for assembled presets and fast-start caches; default
            ``$BRANDLOOP_HOME`` or ``./.brandloop``.
        temperature: ``None`` or 0 for greedy (deterministic) decoding, else sampling.
        max_new_tokens: default generation cap; each call may pass ``max_new_tokens=``.
        batch_size: prompts per ``generate`` call in ``batch``.
        use_cache: read/write the dense fast-start cache for GGUF sources.
        num_threads: if given, ``torch.set_num_threads(num_threads)`` (process-wide). On a
            2-core machine shared with other busy processes, 1 thread measured ~4x faster
            than 2 (see docs/llm.md); ``None`` leaves torch's setting alone.

    Raises:
        ModelError: with a one-line message for the user.
    """
    from langchain_huggingface import HuggingFacePipeline
    from transformers import pipeline

    from .chat import LocalChatModel

    if num_threads:
        import torch

        torch.set_num_threads(int(num_threads))
    resolved = resolve_spec(spec, resolve_home(home))
    key = (resolved.key, temperature or None, int(max_new_tokens), int(batch_size), bool(use_cache))
    with _lock:
        if key in _chat_models:
            return _chat_models[key]
        model, tokenizer, info = _backend(resolved, use_cache)
        pipe = pipeline("text-generation", model=model, tokenizer=tokenizer, batch_size=batch_size)
        model_id = f"brandloop/{resolved.spec}" if resolved.kind == "preset" else resolved.location
        llm = HuggingFacePipeline(pipeline=pipe, model_id=model_id, batch_size=batch_size)
        chat = LocalChatModel(
            llm=llm,
            tokenizer=tokenizer,
            model_id=model_id,
            temperature=temperature or None,
            max_new_tokens=max_new_tokens,
            batch_size=batch_size,
            info=info,
        )
        _chat_models[key] = chat
        return chat


def model_info(llm: BaseChatModel) -> dict[str, Any]:
    """How ``llm`` was loaded: spec, kind, resolved_path, device, dtype, load_seconds,
    cache_hit (fast-start cache), cache_dir, peak_rss_mb (at load), torch_threads (now)."""
    info = getattr(llm, "info", None)
    if not isinstance(info, ModelInfo):
        raise ModelError(f"{type(llm).__name__} was not built by brandloop.llm.get_chat_model")
    out = info.as_dict()
    import torch

    out["torch_threads"] = torch.get_num_threads()
    return out


def clear_model_cache() -> None:
    """Forget every model built in this process (tests, or to free memory)."""
    with _lock:
        _chat_models.clear()
        _backends.clear()
