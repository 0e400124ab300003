"""The result a run delivers (result.json), as pydantic models: one documented schema (docs/result.schema.json)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.violations import Violation


class Repair(BaseModel):
    rule_id: str = Field(description="Rule that asked for the fix, or 'required' / 'channel.length' / ...")
    field: str
    index: int
    before: str
    after: str


class Passage(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(description="Stable guideline passage id: rulebook/file#section")
    text: str


class VariantResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="v1, v2, ...")
    angle: str = Field(description="Creative angle the variant was drafted from")
    delivered: Literal["passed", "repaired", "below_threshold", "failed"] = Field(
        description="passed: clean and over the score threshold; repaired: clean after deterministic repairs; "
                    "below_threshold: clean but under the score threshold; failed: hard violations remain (listed)")
    stop_reason: str = Field(description="passed, all_passed, budget_exhausted, no_improvement or parse_failed")
    fields: dict[str, list[str]] = Field(default_factory=dict, description="Final text, field -> items")
    score: float | None = Field(None, description="Critic score (0-100) of the delivered version, as critiqued before any deterministic repair")
    score_history: list[float] = Field(default_factory=list, description="Score after each critique loop")
    final_score: float | None = Field(None, description="Score (0-100) of the delivered text: measured again after "
                                      "repairs, with the chosen version's LLM judgement and the remaining violations")
    final_metrics: dict | None = Field(None, description="Measured parts of final_score")
    metrics: dict | None = Field(None, description="relevance, voice, readability, uniqueness (0-100), max cosine")
    judgement: float | None = Field(None, description="The LLM critic's 0-10 judgement, when it parsed")
    critique: str | None = None
    instructions: list[str] = Field(default_factory=list, description="Revision instructions of the last critique")
    cited: list[str] = Field(default_factory=list, description="Guideline passage ids the critique cites")
    passages: list[Passage] = Field(default_factory=list, description="Passages the critic was given")
    violations: list[Violation] = Field(default_factory=list, description="Violations of the delivered text")
    violations_before_repair: list[Violation] | None = Field(None, description="Violations the repairs fixed")
    repairs: list[Repair] = Field(default_factory=list, description="Deterministic repairs, before and after")
    revisions: int = Field(0, description="Times the copywriter rewrote this variant")
    chosen_loop: int | None = Field(None, description="Loop whose version is delivered (the best critiqued one)")
    error: str | None = Field(None, description="Why the model's reply could not be used, when it could not")


class MaterialResult(BaseModel):
    source: str
    kind: str | None = None
    summary: str = ""
    facts: list[dict] = Field(default_factory=list)
    error: str | None = None


class RunResult(BaseModel):
    run_id: str
    brand: str
    product: str
    channel: str
    model: str
    stop_reason: str = Field(description="Why the revision loop ended: all_passed, budget_exhausted, no_improvement")
    revision_loops: int
    set_metrics: dict = Field(default_factory=dict, description="distinct_2 and max_pairwise_cosine of the set")
    variants: list[VariantResult]
    materials: list[MaterialResult] = Field(default_factory=list)
    history: list[dict] = Field(default_factory=list, description="Every draft: {loop, id, fields}")
    status: str | None = Field(None, description="Run status in the run store (completed, ...)")
    model_info: dict | None = Field(None, description="engine, device, dtype, load_seconds, threads, calls, "
                                    "tokens_in, tokens_out, generate_seconds, tokens_per_second")
