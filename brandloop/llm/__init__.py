"""LLM backends: the embedded default model and the cached chat-model factory.

Public API::

    get_chat_model(spec="small", *, engine="auto", home=None, temperature=None, max_new_tokens=256,
                   batch_size=8, use_cache=True) -> BaseChatModel
    model_info(llm) -> dict
    clear_model_cache() -> None
    ModelError, PRESETS, resolve_home(home=None) -> Path, ensure_preset_file(preset, home) -> Path

Engines: OpenVINO GenAI (default for GGUF sources on the CPU) and transformers. Heavy imports happen
on first model build.
"""

from .assets import DEFAULT_PRESET, PRESETS, ensure_preset_file, locate_parts, resolve_home

from brandloop.errors import ModelError
from .factory import ENGINES, clear_model_cache, get_chat_model, model_info

__all__ = [
    "DEFAULT_PRESET",
    "ENGINES",
    "PRESETS",
    "ModelError",
    "clear_model_cache",
    "ensure_preset_file",
    "get_chat_model",
    "locate_parts",
    "model_info",
    "resolve_home",
]
