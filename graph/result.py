"""The result a run delivers (result.json), as pydantic models: one documented schema (docs/result.schema.json)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from brandloop.knowledge.violations import Violation


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


class Review(BaseModel):
    decision: Literal["approved", "edited", "rejected"] = Field(description="What the person decided last")
    by: str = Field(description="Who decided (--reviewer, or the login name)")
    note: str = Field("", description="The person's note; for a rejection, the instruction the rewrite followed")
    at: str = Field(description="When (UTC, ISO 8601)")
    before: dict[str, list[str]] | None = Field(None, description="For an edit: the text before the person's edit")


class VariantResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="v1, v2, ...")
    angle: str = Field(description="Creative angle the variant was drafted from")
    delivered: Literal["approved", "below_threshold", "failed"] = Field(
        description="approved: no hard violation and the delivered text scores at least the threshold; "
                    "below_threshold: no hard violation, but the delivered text scores under the threshold; "
                    "failed: hard violations remain (listed) or the model's reply could not be used")
    repaired: bool = Field(False, description="Deterministic repairs changed the text (listed in `repairs`); an "
                           "attribute, not a pass: the status still comes from the re-check and the delivered score")
    stop_reason: str = Field(description="passed, all_passed, budget_exhausted, no_improvement or parse_failed")
    fields: dict[str, list[str]] = Field(default_factory=dict, description="Final text, field -> items")
    score: float | None = Field(None, description="Score (0-100) of the delivered text: its measured parts recomputed "
                                "on that text and set, the chosen version's LLM judgement, and penalties for the "
                                "remaining violations")
    critiqued_score: float | None = Field(None, description="The critic's score of the chosen version as critiqued, "
                                          "before any deterministic repair")
    first_draft_score: float | None = Field(None, description="The first draft's (loop 0) score measured as `score` "
                                            "is: beside the other variants' delivered text; finalize delivers the "
                                            "best-scoring clean version")
    first_draft_critiqued_score: float | None = Field(None, description="The critic's score of the first draft when "
                                                      "it was critiqued (beside the other first drafts)")
    score_history: list[float] = Field(default_factory=list, description="Critic score after each critique loop")
    metrics: dict | None = Field(None, description="Measured parts of `score` on the delivered text: relevance, voice, "
                                 "readability, uniqueness (0-100), max cosine")
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
    review: Review | None = Field(None, description="A person's decision, in runs started with --review")


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
    history: list[dict] = Field(default_factory=list, description="Every draft as written, before any "
                                        "repair: {loop, id, fields, violations (rule ids found by compliance)}")
    status: str | None = Field(None, description="Run status in the run store (completed, ...)")
    pass_threshold: float | None = Field(None, description="Score (0-100) a variant needed to be approved")
    limits: dict[str, int] | None = Field(None, description="Characters allowed per item of each field, after the "
                                          "rulebook's channel overrides")
    model_info: dict | None = Field(None, description="engine, device, dtype, load_seconds, threads, calls, "
                                    "tokens_in, tokens_out, generate_seconds, tokens_per_second")

