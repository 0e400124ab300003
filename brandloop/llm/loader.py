"""Resolve a model spec and load it with transformers, through a fast-start cache.

A spec is one of:

- a preset name (``small``, ``large``): embedded GGUF parts, see ``assets.PRESETS``;
- a path to a ``.gguf`` file;
- a path to a local folder holding a Hugging Face model (``config.json`` ...);
- a Hugging Face model id, loaded with ``from_pretrained`` (needs the hub, or the
  model already in the local Hugging Face cache).

transformers 5.x loads a GGUF file in about 40 s on 2 CPU cores (tokenizer rebuilt
from GGUF metadata plus every tensor dequantized), and it refuses to
``save_pretrained`` the result.  So the first load of a GGUF source asks for a dense
float32 model explicitly (``GgufConfig(dequantize=True)``), detaches the GGUF
quantizer (the weights are plain ``nn.Linear`` float32 by then), and saves model,
config, generation config and tokenizer as safetensors into a cache folder next to
the GGUF file.  Later processes load that folder (memory-mapped safetensors) in a
few seconds.  The weights are bit-identical, so generation is unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .assets import PRESETS, ensure_preset_file, preset_dir, resolve_home

from brandloop.errors import ModelError
from .integrity import fingerprint_folder, marker_problems, write_json_atomic

logger = logging.getLogger("brandloop.llm")

CACHE_FORMAT = 2  # 2: the marker records a fingerprint of every file
CACHE_MARKER = "brandloop-cache.json"


@dataclass(frozen=True)
class ResolvedSpec:
    """What a spec string points at."""

    spec: str
    kind: str  # "preset" | "gguf" | "folder" | "hub"
    location: str  # GGUF file, model folder, or hub id
    cache_dir: Path | None = None  # dense safetensors cache, for GGUF sources only
    source_key: str = ""  # identifies the GGUF content the cache was built from

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.location)


@dataclass
class ModelInfo:
    """How a chat model was loaded; see ``factory.model_info``."""

    spec: str
    kind: str
    resolved_path: str
    device: str
    dtype: str
    load_seconds: float
    cache_hit: bool | None  # None when there is no fast-start cache (local folder, hub id)
    cache_dir: str | None = None
    peak_rss_mb: float | None = None
    engine: str = "transformers"
    threads: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _looks_like_path(spec: str) -> bool:
    return spec.startswith(("/", "./", "../", "~", ".\\")) or spec.lower().endswith(".gguf")


def _gguf_cache_dir(gguf: Path, home: Path) -> tuple[Path, str]:
    """Cache folder and source key for a user GGUF file (keyed by path, size and mtime)."""
    st = gguf.stat()
    ident = f"{gguf.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return home / "models" / f"gguf-{gguf.stem}-{digest}" / "hf-float32", ident


def resolve_spec(spec: str, home: Path | str | None = None, *, assemble: bool = True) -> ResolvedSpec:
    """Turn a spec string into a ``ResolvedSpec``; preset files are assembled when ``assemble``."""
    if not spec or not spec.strip():
        raise ModelError("empty model spec; use a preset (small, large), a .gguf file, a model folder or a model id")
    spec = spec.strip()
    home_path = resolve_home(home)
    if spec in PRESETS:
        preset = PRESETS[spec]
        gguf = ensure_preset_file(preset, home_path) if assemble else preset_dir(preset, home_path) / "model.gguf"
        return ResolvedSpec(
            spec=spec,
            kind="preset",
            location=str(gguf),
            cache_dir=preset_dir(preset, home_path) / "hf-float32",
            source_key=preset.sha256,
        )
    path = Path(spec).expanduser()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelError(f"model file {path} is not a .gguf file; pass a .gguf file or a model folder")
        cache_dir, key = _gguf_cache_dir(path, home_path)
        return ResolvedSpec(spec=spec, kind="gguf", location=str(path.resolve()), cache_dir=cache_dir, source_key=key)
    if path.is_dir():
        if not (path / "config.json").is_file():
            ggufs = sorted(path.glob("*.gguf"))
            if len(ggufs) == 1:
                return resolve_spec(str(ggufs[0]), home_path)
            raise ModelError(f"model folder {path} has no config.json (and not exactly one .gguf file)")
        return ResolvedSpec(spec=spec, kind="folder", location=str(path.resolve()))
    if _looks_like_path(spec):
        raise ModelError(f"model path {spec} does not exist")
    return ResolvedSpec(spec=spec, kind="hub", location=spec)


def pick_device() -> tuple[str, Any]:
    """``("cuda", bfloat16)`` when a GPU is present, else ``("cpu", float32)``."""
    import torch

    if torch.cuda.is_available():
        return "cuda", torch.bfloat16
    return "cpu", torch.float32


def dense_cache_problems(cache_dir: Path, source_key: str, *, full: bool = False) -> list[str]:
    """Why the dense cache in ``cache_dir`` can't be used for ``source_key`` (empty: it can)."""
    return marker_problems(cache_dir, CACHE_MARKER, {"format": CACHE_FORMAT, "source": source_key}, full=full)


def _cache_is_valid(cache_dir: Path, source_key: str) -> bool:
    problems = dense_cache_problems(cache_dir, source_key)
    if problems and (cache_dir / CACHE_MARKER).exists():
        logger.warning("%s; rebuilding the fast-start cache", problems[0])
    return not problems


def _load_from_gguf(gguf: str):
    """Load a GGUF file densely in float32 on the CPU (slow path)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    folder = str(Path(gguf).parent)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        folder,
        gguf_file=gguf,
        dtype=torch.float32,
        quantization_config=GgufConfig(gguf_file=gguf, dequantize=True),
        local_files_only=True,
    )
    return model, tokenizer


def _detach_gguf_quantizer(model) -> None:
    """Make a densely dequantized GGUF model an ordinary (savable) float model."""
    import torch

    packed = [n for n, m in model.named_modules() if type(m).__name__.startswith("Gguf")]
    if packed:
        raise ModelError(f"GGUF model kept packed layers ({packed[0]} ...); cannot build a dense cache")
    if any(p.dtype not in (torch.float32, torch.float16, torch.bfloat16) for p in model.parameters()):
        raise ModelError("GGUF model has non-float parameters after dequantization; cannot build a dense cache")
    model.hf_quantizer = None
    model.config.__dict__.pop("quantization_config", None)
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:
            pass


def build_cache(model, tokenizer, cache_dir: Path, source_key: str, source: str) -> None:
    """Save a dense model + tokenizer into ``cache_dir`` (temp folder, then rename)."""
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir.with_name(f"{cache_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json_atomic(tmp / CACHE_MARKER, {"format": CACHE_FORMAT, "source": source_key, "source_path": source,
                                               "dtype": "float32", "files": fingerprint_folder(tmp)})
        if cache_dir.exists():
            shutil.rmtree(cache_dir)
        os.replace(tmp, cache_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def current_peak_rss_mb() -> float | None:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except Exception:  # pragma: no cover - non-POSIX
        return None


def _load_pretrained(location: str, device: str, dtype: Any, *, local_only: bool):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"dtype": dtype}
    if local_only:
        kwargs["local_files_only"] = True
    if device == "cuda":
        kwargs["device_map"] = "auto"
    tokenizer = AutoTokenizer.from_pretrained(location, **({"local_files_only": True} if local_only else {}))
    model = AutoModelForCausalLM.from_pretrained(location, **kwargs)
    return model, tokenizer


def load_backend(resolved: ResolvedSpec, *, use_cache: bool = True):
    """Load ``(model, tokenizer, ModelInfo)`` for a resolved spec."""
    device, dtype = pick_device()
    start = time.perf_counter()
    cache_hit: bool | None = None
    source = resolved.location
    try:
        if resolved.kind in ("preset", "gguf"):
            cache_dir = resolved.cache_dir
            assert cache_dir is not None
            if use_cache and _cache_is_valid(cache_dir, resolved.source_key):
                cache_hit = True
                logger.info("loading %s from its fast-start cache %s", resolved.spec, cache_dir)
                model, tokenizer = _load_pretrained(str(cache_dir), device, dtype, local_only=True)
                source = str(cache_dir)
            else:
                cache_hit = False
                logger.info("loading GGUF %s (first start: dequantizing, about 40 s for the small preset)", source)
                model, tokenizer = _load_from_gguf(source)
                _detach_gguf_quantizer(model)
                if use_cache:
                    logger.info("writing fast-start cache %s", cache_dir)
                    build_cache(model, tokenizer, cache_dir, resolved.source_key, source)
                    if device != "cpu":
                        del model
                        model, tokenizer = _load_pretrained(str(cache_dir), device, dtype, local_only=True)
                elif device != "cpu":
                    model = model.to(device=device, dtype=dtype)
        elif resolved.kind == "folder":
            model, tokenizer = _load_pretrained(resolved.location, device, dtype, local_only=True)
        else:
            try:
                model, tokenizer = _load_pretrained(resolved.location, device, dtype, local_only=False)
            except Exception as exc:  # hub errors come in many types (OSError, ValueError, HTTP errors)
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ModelError(
                    f"could not load Hugging Face model {resolved.location!r} ({type(exc).__name__}: {first[:200]}); "
                    f"without network use a preset (small, large), a .gguf file or a local model folder"
                ) from exc
    except ModelError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"could not load model {resolved.spec!r} from {source}: {first[:200]}") from exc
    model.eval()
    _prepare_tokenizer(tokenizer, model)
    info = ModelInfo(
        spec=resolved.spec,
        kind=resolved.kind,
        resolved_path=resolved.location,
        device=str(getattr(model, "device", device)),
        dtype=str(getattr(model, "dtype", dtype)).replace("torch.", ""),
        load_seconds=round(time.perf_counter() - start, 2),
        cache_hit=cache_hit,
        cache_dir=str(resolved.cache_dir) if resolved.cache_dir else None,
        peak_rss_mb=current_peak_rss_mb(),
    )
    logger.info(
        "model %s ready on %s (%s) in %.1f s (fast cache %s)",
        resolved.spec,
        info.device,
        info.dtype,
        info.load_seconds,
        {True: "hit", False: "built", None: "n/a"}[cache_hit],
    )
    return model, tokenizer, info


def _prepare_tokenizer(tokenizer, model) -> None:
    """Left padding and a pad token, for batched generation of decoder-only models."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        pad = getattr(model.config, "pad_token_id", None)
        eos = getattr(model.config, "eos_token_id", None)
        if pad is not None:
            tokenizer.pad_token_id = pad
        elif isinstance(eos, int):
            tokenizer.pad_token_id = eos
        elif tokenizer.eos_token_id is not None:
            tokenizer.pad_token_id = tokenizer.eos_token_id
        else:
            raise ModelError("the model's tokenizer has neither a pad nor an eos token; cannot batch")
    if not getattr(tokenizer, "chat_template", None):
        raise ModelError("the model's tokenizer has no chat template; use an instruct/chat model")
