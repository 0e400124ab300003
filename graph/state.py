"""One typed state for the whole run, with narrow input and output schemas.

Values are plain JSON-able dicts so checkpoints stay readable and resumable.
Only `history` and `trace` accumulate (reducer `operator.add`); every other field is replaced.
"""
from __future__ import annotations

import operator
from typing import Annotated, TypedDict


class RunInput(TypedDict):
    """What a caller passes in."""

    brief: dict
    """The validated brief (graph.brief.Brief.model_dump())."""
    brief_dir: str
    """Folder the brief's material paths are relative to."""
    settings: dict
    """graph.context.RunSettings.model_dump(): budget, threshold, rulebook."""


class VariantRecord(TypedDict, total=False):
    id: str
    angle: str
    """The creative angle this variant was drafted from."""
    fields: dict[str, list[str]]
    """Field name -> items, e.g. {'headline': [...3], 'description': [...2]}."""
    status: str
    """'drafted' | 'passed' | 'revise' | 'failed' | 'parse_failed'."""
    violations: list[dict]
    """knowledge.violations.Violation dumps from the latest compliance check."""
    score: float
    """Latest critic score, 0-100."""
    score_history: list[float]
    metrics: dict
    """Measured parts of the score: relevance, voice, readability, uniqueness (0-100)."""
    judgement: float
    """The LLM's 0-10 judgement, when its reply parsed."""
    critique: str
    instructions: list[str]
    cited: list[str]
    """Guideline passage ids the critique cites."""
    error: str
    """Why the variant failed to parse, when it did."""
    repairs: list[dict]
    """Deterministic repairs applied at finalize: {rule_id, field, before, after}."""
    revisions: int
    versions: list[dict]
    """Every critiqued version {loop, fields, score, violations, critique, cited, passed, judgement}; finalize
    delivers the best one."""
    delivered: str
    """Set by finalize: 'passed' | 'repaired' | 'below_threshold' | 'failed' (see graph/result.py)."""


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
    trace: Annotated[list[dict], operator.add]
    """Trace events: {node, started, ended, duration_s, prompt, raw_output, parsed, ...}."""

