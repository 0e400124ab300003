"""Measurement layer of the describer agent: measured features and facts of creative materials.

No LLM is called here. ``analyze(path)`` returns a :class:`MaterialReport` with
``features`` (measured values), ``facts`` (sourced statements), extracted ``text`` and a
compact ``prompt_digest`` that the describer agent summarises. See docs/materials.md.
"""

from .core import ANALYZER_VERSION, EXTENSIONS, analyze
from .models import Fact, MaterialReport

__all__ = ["analyze", "MaterialReport", "Fact", "EXTENSIONS", "ANALYZER_VERSION"]
