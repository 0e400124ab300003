"""Optional model hooks (transformers pipelines), imported lazily and only when configured.

Nothing here runs unless the caller passes ``image_to_text_model`` / ``asr_model`` to
:func:`materials.analyze`. Failures are recorded in the features, never raised.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

_PIPELINES: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()

NOT_CONFIGURED = {"status": "not configured"}


def _pipeline(task: str, model: str):
    key = (task, model)
    with _LOCK:
        if key not in _PIPELINES:
            from transformers import pipeline  # lazy: heavy import

            _PIPELINES[key] = pipeline(task, model=model)
        return _PIPELINES[key]


def caption_image(img: Image.Image, model: str | None) -> dict:
    """Caption ``img`` with an image-to-text model; ``{"status": ..., "text": ...}``."""
    if not model:
        return dict(NOT_CONFIGURED)
    try:
        from transformers.pipelines import SUPPORTED_TASKS

        rgb = img.convert("RGB")
        if "image-to-text" in SUPPORTED_TASKS:
            out = _pipeline("image-to-text", model)(rgb)
            text = out[0].get("generated_text", "") if out else ""
        else:  # transformers >= 5: image-text-to-text with an instruction
            out = _pipeline("image-text-to-text", model)(
                images=rgb, text="Describe this image in one sentence.", max_new_tokens=40
            )
            text = out[0].get("generated_text", "") if out else ""
            if isinstance(text, list):  # chat-style output
                text = text[-1].get("content", "") if text else ""
        return {"status": "ok", "model": model, "text": str(text).strip()}
    except Exception as exc:  # noqa: BLE001 - boundary: an optional model plug-in must never break analysis
        return {"status": "error", "model": model, "reason": f"{type(exc).__name__}: {exc}"[:300]}


def transcribe(samples: np.ndarray, sr: int, model: str | None) -> dict:
    """Speech-to-text of mono float samples; ``{"status": ..., "text": ...}``."""
    if not model:
        return dict(NOT_CONFIGURED)
    try:
        asr = _pipeline("automatic-speech-recognition", model)
        out = asr({"raw": np.asarray(samples, dtype=np.float32), "sampling_rate": int(sr)})
        text = out.get("text", "") if isinstance(out, dict) else str(out)
        return {"status": "ok", "model": model, "text": str(text).strip()}
    except Exception as exc:  # noqa: BLE001 - boundary: an optional model plug-in, as above
        return {"status": "error", "model": model, "reason": f"{type(exc).__name__}: {exc}"[:300]}
