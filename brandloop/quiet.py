"""Keep third-party chatter (deprecation notices, loading bars, library log lines) out of normal output.

`--debug` skips all of this. Everything is restored when the command ends, so an embedding process (tests,
a server) is left as it was.
"""
from __future__ import annotations

import functools
import logging
import os
import warnings
from contextlib import contextmanager

# Libraries that log or print while loading models and indexes.
NOISY_LOGGERS = ("transformers", "sentence_transformers", "chromadb", "huggingface_hub", "openvino", "optimum",
                 "accelerate", "torch", "httpx", "urllib3", "langchain", "langgraph", "jieba", "nncf")
# Read when those libraries are imported (lazily, after the CLI starts).
QUIET_ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
             "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1", "TOKENIZERS_PARALLELISM": "false",
             "ANONYMIZED_TELEMETRY": "False"}
OWN_MODULES = r"(brandloop|graph|agents|knowledge|materials)(\.|$)"


@contextmanager
def quiet_third_party():
    """Silence warnings raised outside brandloop, library log lines below ERROR and every tqdm bar."""
    saved_env = {k: os.environ.get(k) for k in QUIET_ENV}
    saved_levels = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    for k, v in QUIET_ENV.items():
        os.environ.setdefault(k, v)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    restore_tqdm = _disable_tqdm()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore")
            warnings.filterwarnings("default", module=OWN_MODULES)
            yield
    finally:
        restore_tqdm()
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _disable_tqdm():
    """Every tqdm bar (transformers' "Loading weights", GGUF de-quantizing, ...) is created disabled."""
    try:
        from tqdm import std
    except ImportError:
        return lambda: None
    original = std.tqdm.__init__

    @functools.wraps(original)
    def silent_init(self, *args, **kwargs):
        if len(args) < 10:  # `disable` is the 11th positional parameter
            kwargs["disable"] = True
        original(self, *args, **kwargs)

    std.tqdm.__init__ = silent_init

    def restore():
        std.tqdm.__init__ = original

    return restore
