"""What a run is asked for: the brief and the run settings. Pydantic models the graph keeps in its state.

They live at the agents floor so agents read them without importing graph/; graph.brief and graph.context
re-export them (graph.brief also loads brief files, with one-line BriefErrors)."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from brandloop.knowledge.channels import channel_table

# Documented limits (README "Limits"): characters per field and items per list.
MAX_BRIEF_FILE_BYTES = 1024 * 1024
MAX_NAME_CHARS = 200        # brand, product name, channel, rulebook, one audience, keyword or word
MAX_TEXT_CHARS = 2000       # description, goal, tone, key message
MAX_FACT_CHARS = 500        # one fact
MAX_LIST_ITEMS = 50         # facts, audience, keywords, forbidden words, materials
MAX_MATERIAL_CHARS = 255    # one material path

Name = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(min_length=1)
    description: Text = ""
    facts: list[Annotated[str, StringConstraints(max_length=MAX_FACT_CHARS)]] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS, description="Checked facts the copy may state.")


class ExportTarget(BaseModel):
    """Where exported ads go in the ad account (`brandloop export`; flags override these)."""

    model_config = ConfigDict(extra="forbid")
    campaign: str = ""
    ad_group: str = Field("", description="Google Ads ad group, or Meta ad set.")
    final_url: str = Field("", description="Landing page (Google 'Final URL', Meta 'Link').")
    path1: str = Field("", max_length=15, description="Google display path 1.")
    path2: str = Field("", max_length=15, description="Google display path 2.")
    call_to_action: str = Field("", description="Meta call to action, e.g. LEARN_MORE.")


class Brief(BaseModel):
    """What the marketer asks for."""

    model_config = ConfigDict(extra="forbid")
    brand: Name = Field(min_length=1)
    product: Product
    audience: list[Name] = Field(min_length=1, max_length=MAX_LIST_ITEMS, description="One or more audience segments.")
    channel: Name
    goal: Text = ""
    tone: Text = ""
    key_message: Text = ""
    keywords: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS,
                                 description="Words the copy must contain.")
    forbidden_words: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS,
                                        description="Words the copy must never contain.")
    materials: list[Annotated[str, StringConstraints(max_length=MAX_MATERIAL_CHARS)]] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS, description="Paths, relative to the brief file.")
    variants: int = Field(3, ge=1, le=12)
    rulebook: Name | None = Field(None, description="Installed rulebook name, or a bundled example name.")
    export: ExportTarget | None = Field(None, description="Campaign, ad group and URL for `brandloop export`.")
    assets: dict[Name, int] = Field(default_factory=dict, description="Items per field each variant carries, e.g. "
                                    "{headline: 12, description: 3}; default: the rulebook's, else the channel's.")

    @field_validator("audience", "keywords", "forbidden_words", "materials", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        if isinstance(v, str):
            return [v]
        return v

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, v: str) -> str:
        if v not in channel_table():
            raise ValueError(f"unknown channel '{v}'; use one of: {', '.join(sorted(channel_table()))}")
        return v

    @field_validator("assets")
    @classmethod
    def _asset_counts(cls, v: dict[str, int], info) -> dict[str, int]:
        spec = channel_table().get(info.data.get("channel") or "")
        if spec is None:  # the channel's own error is reported
            return v
        for name, n in v.items():
            fs = spec.fields.get(name)
            if fs is None:
                raise ValueError(f"{spec.name} has no field '{name}'; use one of: {', '.join(spec.fields)}")
            lo, hi = max(1, fs.min_count), fs.max_count
            if not lo <= n <= hi:
                raise ValueError(f"{name} is {n}, outside {spec.name}'s allowed range {lo} to {hi}; "
                                 f"write a number from {lo} to {hi}, e.g. assets: {{{name}: {hi if n > hi else lo}}}")
        return v


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
                               "variants), and of line rewrites and new lines; 0 is greedy. Critiques are always greedy.")
    seed: int = Field(7, description="Sampling seed (with temperature > 0), so runs are repeatable.")
    frequency_penalty: float = Field(0.5, ge=0, le=2, description="Lowers a token's odds each time a whole-ad draft "
                                     "already holds it, so its 13 headlines don't repeat each other; 0 is off.")
    single_shot: bool = Field(False, description="Baseline for `eval --baseline`: one prompt per variant with every "
                              "rule written in; no constrained decoding, no candidates to choose from, no repairs. "
                              "Use with max_revisions=0.")
    review: bool = Field(False, description="Pause after finalize until a person approves, edits or rejects each "
                         "variant (graph/review.py).")
