"""The OpenVINO engine's model: built once from a sha256-verified GGUF, kept in the data home, checked at load.

Build: re-encode the GGUF with int8 (Q8_0) weights, let OpenVINO GenAI read it and save its own IR (model,
tokenizer, detokenizer), record a fingerprint of every file, then rename the temporary folder into place,
so an interrupted build leaves nothing half-made. The folder name carries the source's sha256, so a new
source never meets a stale conversion. No torch and no optimum-intel are involved.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import time
from pathlib import Path

from brandloop.errors import ModelError
from .integrity import fingerprint_folder, full_hash, marker_problems, write_json_atomic

logger = logging.getLogger("brandloop.llm")

FORMAT = 1
MARKER = "brandloop-cache.json"
IR_FILES = ("openvino_model.xml", "openvino_model.bin", "openvino_tokenizer.xml", "openvino_tokenizer.bin",
            "openvino_detokenizer.xml", "openvino_detokenizer.bin")


def openvino_available() -> bool:
    return importlib.util.find_spec("openvino_genai") is not None


def openvino_dir(base: Path, source_sha256: str) -> Path:
    """Where the converted model of a source lives: ``<base>/openvino-int8-<sha256 prefix>``."""
    return base / f"openvino-int8-{source_sha256[:16]}"


def last_line(exc: BaseException) -> str:
    """The last non-empty line of an error (OpenVINO puts the reason there), at most 200 characters."""
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:200]


def cache_problems(folder: Path, source_sha256: str, *, full: bool = False) -> list[str]:
    """Why ``folder`` can't be used as the converted model of ``source_sha256`` (empty: it can)."""
    return marker_problems(folder, MARKER, {"format": FORMAT, "source_sha256": source_sha256}, full=full)


def build_openvino_model(gguf: Path, source_sha256: str, target: Path) -> dict:
    """Convert ``gguf`` into ``target`` (temporary folder, then rename). Returns the marker written."""
    from .requant import requantize_to_q8

    actual = full_hash(gguf)
    if actual != source_sha256:
        raise ModelError(f"refusing to convert {gguf}: its sha256 is {actual}, expected {source_sha256}; "
                         f"delete it and run again to reassemble it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    try:
        tmp.mkdir()
        staged = tmp / "model-q8_0.gguf"
        counts = requantize_to_q8(gguf, staged)
        import openvino_genai

        pipe = openvino_genai.LLMPipeline(str(staged), "CPU", enable_save_ov_model=True)
        del pipe
        staged.unlink()
        missing = [n for n in IR_FILES if not (tmp / n).is_file()]
        if missing:
            raise ModelError(f"OpenVINO did not write {', '.join(missing)} while converting {gguf}")
        marker = {"format": FORMAT, "engine": "openvino", "weights": "int8 (Q8_0)", "source": str(gguf),
                  "source_sha256": source_sha256, "tensor_types": counts,
                  "build_seconds": round(time.perf_counter() - t0, 1), "files": fingerprint_folder(tmp, list(IR_FILES))}
        write_json_atomic(tmp / MARKER, marker)
        if target.exists():
            if not cache_problems(target, source_sha256):
                return marker  # another process finished first
            shutil.rmtree(target)
        os.replace(tmp, target)
        return marker
    except ModelError:
        raise
    except Exception as exc:  # conversion errors come from C++ (RuntimeError), gguf (ValueError), disk (OSError)
        raise ModelError(f"could not convert {gguf} for the OpenVINO engine ({type(exc).__name__}: "
                         f"{last_line(exc)}); use --engine transformers") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_openvino_model(gguf: Path, source_sha256: str, base: Path) -> tuple[Path, bool]:
    """The converted model folder of ``gguf``, built or rebuilt when needed. Returns (folder, built now)."""
    target = openvino_dir(base, source_sha256)
    if target.exists():
        problems = cache_problems(target, source_sha256)
        if not problems:
            return target, False
        logger.warning("%s; rebuilding the OpenVINO model from %s", problems[0], gguf)
    logger.info("converting %s for the OpenVINO engine (once; about half a minute)", gguf)
    build_openvino_model(gguf, source_sha256, target)
    return target, True


def load_pipeline(folder: Path, threads: int, cache_gb: int = 1, prefix_caching: bool = True):
    """A continuous-batching pipeline with prefix caching: shared prompt heads are computed once."""
    import openvino_genai

    sched = openvino_genai.SchedulerConfig()
    sched.cache_size = cache_gb
    sched.enable_prefix_caching = prefix_caching
    try:
        return openvino_genai.ContinuousBatchingPipeline(str(folder), sched, "CPU",
                                                         {"INFERENCE_NUM_THREADS": int(threads)})
    except RuntimeError as exc:
        raise ModelError(f"OpenVINO could not load {folder} ({last_line(exc)}); delete the folder to rebuild it, "
                         f"or use --engine transformers") from exc
