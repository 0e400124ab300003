"""The chat-model factory: build a model once per process, hand the same object out after.

Agents never load a model; the caller gets one here and injects it::

    from brandloop.llm import get_chat_model
    llm = get_chat_model("small")                     # the embedded default, on the fastest engine here
    llm.batch([m1, m2], max_new_tokens=64, regex=rx)  # one batched, constrained generation

Engines (``engine=``):

- ``openvino``: OpenVINO GenAI, int8 weights converted once from the GGUF; the default for GGUF sources
  (presets, ``.gguf`` files) on a machine without a GPU;
- ``transformers``: torch, float32 on the CPU, bf16 on a GPU; the default for Hugging Face ids, model
  folders and any machine with a GPU;
- ``auto``: the rule above. When the OpenVINO engine can't be built or loaded, ``auto`` falls back to
  transformers with a one-line warning; an explicit ``openvino`` fails with the reason.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from .assets import DEFAULT_PRESET, resolve_home

from brandloop.errors import ModelError
from .loader import ModelInfo, ResolvedSpec, current_peak_rss_mb, load_backend, resolve_spec

logger = logging.getLogger("brandloop.llm")

ENGINES = ("auto", "openvino", "transformers")

_lock = threading.RLock()
_backends: dict[tuple, tuple[Any, Any, ModelInfo]] = {}
_chat_models: dict[tuple, BaseChatModel] = {}


def cpu_threads() -> int:
    """Cores this process may run on (threads = cores; more only makes a busy machine spin)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def _gpu_present() -> bool:
    if "torch" not in sys.modules and not os.environ.get("CUDA_VISIBLE_DEVICES", "").strip():
        import shutil

        if shutil.which("nvidia-smi") is None:
            return False
    import torch

    return torch.cuda.is_available()


def choose_engine(resolved: ResolvedSpec, engine: str) -> str:
    """The engine ``engine`` means for ``resolved`` on this machine."""
    from .ov_build import openvino_available

    if engine not in ENGINES:
        raise ModelError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    ov_source = resolved.kind in ("preset", "gguf") or (
        resolved.kind == "folder" and (Path(resolved.location) / "openvino_model.xml").is_file())
    if engine == "openvino":
        if not ov_source:
            raise ModelError(f"the openvino engine runs presets, .gguf files and OpenVINO model folders, not "
                             f"{resolved.spec!r}; use --engine transformers")
        if not openvino_available():
            raise ModelError("the openvino engine is not installed; pip install openvino-genai, or use "
                             "--engine transformers")
        return "openvino"
    if engine == "transformers":
        return "transformers"
    if ov_source and openvino_available() and not _gpu_present():
        return "openvino"
    return "transformers"


def _openvino_backend(resolved: ResolvedSpec) -> tuple[Any, Any, ModelInfo]:
    from .integrity import full_hash
    from .ov_build import ensure_openvino_model, load_pipeline

    start = time.perf_counter()
    built = None
    if resolved.kind == "folder":
        folder = Path(resolved.location)
    else:
        gguf = Path(resolved.location)
        source_sha = resolved.source_key if resolved.kind == "preset" else full_hash(gguf)
        assert resolved.cache_dir is not None
        folder, built = ensure_openvino_model(gguf, source_sha, resolved.cache_dir.parent)
    threads = cpu_threads()
    pipe = load_pipeline(folder, threads)
    info = ModelInfo(spec=resolved.spec, kind=resolved.kind, resolved_path=resolved.location, device="cpu",
                     dtype="int8 weights", load_seconds=round(time.perf_counter() - start, 2),
                     cache_hit=None if built is None else not built, cache_dir=str(folder),
                     peak_rss_mb=current_peak_rss_mb(), engine="openvino", threads=threads)
    logger.info("model %s ready on OpenVINO (int8, %d threads) in %.1f s", resolved.spec, threads,
                info.load_seconds)
    return pipe, None, info


def _backend(resolved: ResolvedSpec, engine: str, use_cache: bool):
    key = (*resolved.key, engine)
    with _lock:
        if key not in _backends:
            _backends[key] = _openvino_backend(resolved) if engine == "openvino" else load_backend(
                resolved, use_cache=use_cache)
        return _backends[key]


def get_chat_model(
    spec: str = DEFAULT_PRESET,
    *,
    engine: str = "auto",
    home: Path | str | None = None,
    temperature: float | None = None,
    max_new_tokens: int = 256,
    batch_size: int = 8,
    use_cache: bool = True,
    num_threads: int | None = None,
) -> BaseChatModel:
    """The chat model for ``spec`` on ``engine``, built on first call and cached for the process.

    Args:
        spec: a preset (``small``, ``large``), a ``.gguf`` file, a local model folder, a Hugging Face id, or a
            model server: ``openai:URL#MODEL`` or ``hf-endpoint:URL`` (see ``brandloop.llm.remote``).
        engine: ``auto``, ``openvino`` or ``transformers`` (see the module docstring).
        home: the data home for assembled presets and converted models; default ``$BRANDLOOP_HOME`` or
            ``./.brandloop``.
        temperature: ``None`` or 0 for greedy (deterministic) decoding, else sampling.
        max_new_tokens: default generation cap; each call may pass ``max_new_tokens=``.
        batch_size: prompts per ``generate`` call of the transformers engine on the CPU.
        use_cache: read/write the dense fast-start cache of the transformers engine for GGUF sources.
        num_threads: torch threads for the transformers engine (process-wide); default: the cores.

    Raises:
        ModelError: with a one-line message for the user.
    """
    from .remote import is_remote, remote_chat_model

    if is_remote(spec):  # a model server: no local engine, no data home
        key = (spec, temperature or None, int(max_new_tokens))
        with _lock:
            if key not in _chat_models:
                _chat_models[key] = remote_chat_model(spec, temperature=temperature, max_new_tokens=max_new_tokens)
            return _chat_models[key]
    resolved = resolve_spec(spec, resolve_home(home))
    chosen = choose_engine(resolved, engine)
    key = (resolved.key, chosen, temperature or None, int(max_new_tokens), int(batch_size), bool(use_cache))
    with _lock:
        if key in _chat_models:
            return _chat_models[key]
        if chosen == "openvino":
            try:
                chat = _openvino_chat(resolved, temperature, max_new_tokens)
            except ModelError as exc:
                if engine == "openvino":
                    raise
                logger.warning("OpenVINO engine unavailable (%s); using the transformers engine", exc)
                chosen = "transformers"
        if chosen == "transformers":
            chat = _transformers_chat(resolved, temperature, max_new_tokens, batch_size, use_cache, num_threads)
        _chat_models[key] = chat
        return chat


def _openvino_chat(resolved: ResolvedSpec, temperature, max_new_tokens) -> BaseChatModel:
    from .ov_chat import OpenVINOChatModel

    pipe, _, info = _backend(resolved, "openvino", True)
    return OpenVINOChatModel.from_pipeline(pipe, model_id=_model_id(resolved), temperature=temperature or None,
                                           max_new_tokens=max_new_tokens, info=info)


def _model_id(resolved: ResolvedSpec) -> str:
    return f"brandloop/{resolved.spec}" if resolved.kind == "preset" else resolved.location


def _transformers_chat(resolved: ResolvedSpec, temperature, max_new_tokens, batch_size, use_cache,
                       num_threads) -> BaseChatModel:
    import torch
    from langchain_huggingface import HuggingFacePipeline
    from transformers import pipeline

    from .chat import LocalChatModel

    torch.set_num_threads(int(num_threads or cpu_threads()))
    model, tokenizer, info = _backend(resolved, "transformers", use_cache)
    info.threads = torch.get_num_threads()
    pipe = pipeline("text-generation", model=model, tokenizer=tokenizer, batch_size=batch_size)
    llm = HuggingFacePipeline(pipeline=pipe, model_id=_model_id(resolved), batch_size=batch_size)
    return LocalChatModel(llm=llm, tokenizer=tokenizer, model_id=_model_id(resolved), temperature=temperature or None,
                          max_new_tokens=max_new_tokens, batch_size=batch_size, info=info)


def model_info(llm: BaseChatModel) -> dict[str, Any]:
    """How ``llm`` was loaded: spec, kind, engine, resolved_path, device, dtype, load_seconds, cache_hit,
    cache_dir, peak_rss_mb (at load), threads."""
    info = getattr(llm, "info", None)
    if not isinstance(info, ModelInfo):
        raise ModelError(f"{type(llm).__name__} was not built by brandloop.llm.get_chat_model")
    return info.as_dict()


def clear_model_cache() -> None:
    """Forget every model built in this process (tests, or to free memory)."""
    with _lock:
        _chat_models.clear()
        _backends.clear()
