"""Deterministic rule engine: Vale extension points (existence, substitution, occurrence, repetition,
capitalization, conditional, consistency) and brand types (required, claim, length)."""
from .engine import RuleEngine
from .model import Example, Origin, Rule, Scope
from .precedence import conflicts, resolve
from .types import Ctx, RuleCompileError, compile_rule

__all__ = ["RuleEngine", "Rule", "Scope", "Example", "Origin", "Ctx", "RuleCompileError", "compile_rule",
           "resolve", "conflicts"]
