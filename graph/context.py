"""Run settings (per-run configuration). The data home is resolved in brandloop/home.py (re-exported here)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from brandloop.errors import HomeError  # noqa: F401 - re-exported for old imports
from brandloop.home import data_home  # noqa: F401 - re-exported for old imports


class RunSettings(BaseModel):
    """Per-run configuration. Stored in the run's state, so a resumed run keeps its settings."""

    model: str = Field("small", description="Preset (small, large), Hugging Face model id, local folder or .gguf file.")
    engine: str = Field("auto", description="auto, openvino or transformers: auto runs GGUF models on OpenVINO on a "
                        "CPU-only machine, everything else on transformers.")
    variants: int | None = Field(None, ge=1, le=12, description="Overrides the brief's variant count.")
    max_revisions: int = Field(2, ge=0, le=10, description="Revision budget: critique->rewrite loops at most.")
    pass_threshold: float = Field(60.0, ge=0, le=100, description="Critic score (0-100) a variant needs to pass.")
    max_new_tokens: int = Field(240, ge=8, le=2048, description="Token budget of one copywriter generation.")
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
