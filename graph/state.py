"""One typed state for the whole run, with narrow input and output schemas.

The brief and the run settings are pydantic models (agents/inputs.py), validated once when they enter the state;
everything else is plain JSON-able dicts. Only `history` accumulates (reducer `operator.add`); every other field is
replaced. Trace events are not state: nodes write them to the run's trace sink (graph/context.py).
"""
from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, Sequence, TypedDict

from langgraph.channels import LastValue

from brandloop.agents.inputs import Brief, RunSettings


class ModelValue(LastValue):
    """A LastValue channel that holds a pydantic model: a dict written to it (LangGraph Server input, a checkpoint
    from before the state was typed) is validated into the model once, on the way in."""

    def _coerce(self, value: Any):
        return value if isinstance(value, self.typ) or value is None else self.typ.model_validate(value)

    def update(self, values: Sequence[Any]) -> bool:
        return super().update([self._coerce(v) for v in values])

    def from_checkpoint(self, checkpoint: Any):
        channel = super().from_checkpoint(checkpoint)
        if channel.is_available():
            channel.value = self._coerce(channel.value)
        return channel


class RunInput(TypedDict):
    """What a caller passes in (the brief and settings as models, or as dicts that validate into them)."""

    brief: Annotated[Brief, ModelValue(Brief)]
    brief_dir: str
    """Folder the brief's material paths are relative to."""
    settings: Annotated[RunSettings, ModelValue(RunSettings)]
    """Budget, threshold, rulebook, model, review."""


VariantStatus = Literal["new", "drafted", "passed", "revise", "parse_failed", "reviewed"]
"""new: not written yet; drafted: written this loop, to be checked and critiqued; passed / revise: the critic's
verdict; parse_failed: no reply could be parsed; reviewed: a person approved or edited it (graph/review.py)."""


class VariantRecord(TypedDict, total=False):
    id: str
    angle: str
    """The creative angle this variant was drafted from."""
    fields: dict[str, list[str]]
    """Field name -> items, e.g. {'headline': [...3], 'description': [...2]}."""
    status: VariantStatus
    violations: list[dict]
    """knowledge.violations.Violation dumps from the latest compliance check."""
    score: float
    """Latest critic score, 0-100 (after finalize: the delivered text's score)."""
    critiqued_score: float
    """Set by finalize: the critic's score of the chosen version, before the delivered text was measured again."""
    score_history: list[float]
    metrics: dict
    """Measured parts of the score: relevance, voice, readability, uniqueness (0-100)."""
    judgement: float
    """The LLM's 0-10 judgement, when its reply parsed."""
    critique: str
    instructions: list[str]
    cited: list[str]
    """Guideline passage ids the critique cites."""
    passages: list[dict]
    """The guideline passages {id, text} the latest critique was shown."""
    error: str
    """Why the variant failed to parse, when it did."""
    repairs: list[dict]
    """Deterministic repairs applied at finalize: {rule_id, field, before, after}."""
    repaired: bool
    violations_before_repair: list[dict]
    revisions: int
    versions: list[dict]
    """Every critiqued version {loop, fields, score, violations, critique, cited, passed, judgement, parsed,
    passages}; finalize delivers the best one."""
    chosen_loop: int
    """Set by finalize: the loop whose version is delivered."""
    delivered: str
    """Set by finalize: 'approved' | 'below_threshold' | 'failed' (see graph/result.py)."""
    stop_reason: str
    review: dict
    """A person's decision {decision, by, note, at[, before]} (graph/review.py)."""


class RunOutput(TypedDict):
    """What a caller gets back."""

    variants: list[VariantRecord]
    stop_reason: str
    materials: list[dict]


class RunState(RunInput, total=False):
    materials: list[dict]
    """Describer output: one description per material (features, facts, summary, error)."""
    facts: list[str]
    """Product facts from the brief, the materials and the rulebook: what claims may rest on."""
    guidelines: list[dict]
    """Retrieved guideline passages {id, text, section, source}."""
    rules_summary: list[str]
    """Human-readable rules in force, for prompts."""
    variants: list[VariantRecord]
    revision: int
    """Revision loops done so far (the budget counter)."""
    best_scores: list[float]
    """Mean score after each critique, for the no-improvement stop."""
    set_metrics: dict
    """Diversity of the latest set: distinct-2 and the maximum pairwise cosine."""
    stop_reason: str
    history: Annotated[list[dict], operator.add]
    """Every draft of every variant, per loop: {loop, id, fields}."""
