"""Run settings (per-run configuration) and the data home."""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field


def data_home(explicit: str | Path | None = None) -> Path:
    """Where runs, checkpoints, model caches and indexes live: explicit > $BRANDLOOP_HOME > ./.brandloop."""
    raw = explicit or os.environ.get("BRANDLOOP_HOME") or ".brandloop"
    try:
        home = Path(raw).expanduser().resolve()
        home.mkdir(parents=True, exist_ok=True)
    except RuntimeError as exc:  # ~nosuchuser
        raise HomeError(f"data home '{raw}': {exc}; fix --home or BRANDLOOP_HOME", exit_code=2) from None
    except OSError as exc:
        raise HomeError(f"cannot create the data home '{raw}': {exc.strerror or exc}; make it writable or choose "
                        "another with --home / BRANDLOOP_HOME") from None
    return home


class HomeError(ValueError):
    """The data home cannot be used; str() is one line with the fix. exit_code: 2 bad input, 1 disk problem."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class RunSettings(BaseModel):
    """Per-run configuration. Stored in the run's state, so a resumed run keeps its settings."""

    model: str = Field("small", description="Preset (small, large), Hugging Face model id, local folder or .gguf file.")
    engine: str = Field("auto", description="auto, openvino or transformers: auto runs GGUF models on OpenVINO on a "
                        "CPU-only machine, everything else on transformers.")
    variants: int | None = Field(None, ge=1, le=12, description="Overrides the brief's variant count.")
    max_revisions: int = Field(2, ge=0, le=10, description="Revision budget: critique->rewrite loops at most.")
    pass_threshold: float = Field(60.0, ge=0, le=100, description="Critic score (0-100) a variant needs to pass.")
    max_new_tokens: int = Field(560, ge=8, le=2048, description="Token budget of one copywriter generation (a whole "
                                "Google RSA draft of 13 headlines and 5 descriptions needs about 350).")
    critic_max_new_tokens: int = Field(80, ge=8, le=1024, description="Token budget of one critique.")
    summary_max_new_tokens: int = Field(60, ge=8, le=512, description="Token budget of one material summary.")
    rulebook: str | None = Field(None, description="Overrides the brief's rulebook (name or folder).")
    temperature: float = Field(0.7, ge=0, le=2, description="Sampling temperature of whole-ad drafts (variety between "
                               "variants); 0 is greedy. Line rewrites and critiques are always greedy.")
    seed: int = Field(7, description="Sampling seed (with temperature > 0), so runs are repeatable.")
    single_shot: bool = Field(False, description="Baseline for `eval --baseline`: one prompt per variant with every "
                              "rule written in; no constrained decoding, no candidates to choose from, no repairs. "
                              "Use with max_revisions=0.")
    review: bool = Field(False, description="Pause after finalize until a person approves, edits or rejects each "
                         "variant (graph/review.py).")
