"""Describer: turns brief materials into measured features, facts and a one-sentence summary per material.

Measurement is exact and model-free (materials.analyze); the LLM only words the summary from the measurements.
"""
from __future__ import annotations
from langgraph.runtime import Runtime

import re
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from brandloop.agents.context import Context, context_of, emit
from brandloop import prompts
from brandloop.agents.common import brief_of, settings_of
from brandloop.agents.formats import summary_pattern
from brandloop.agents.llm_calls import batch_with_retry
from brandloop.agents.tracing import NodeTrace

PROMPT_FACT_SOURCES = ("page", "text")


_SENTENCE_END = re.compile(r"[.!?](?=[\"')\]]?(\s|$))")
# A number and the unit after it in the measurements: "12.0 fps", "3 scene(s)", "1920x1080 px", "-14.2 dBFS"
_QUANTITY = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*(%|[A-Za-z]+)")
_NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*")
# Other ways to say a measured unit correctly.
_UNIT_WORDS = {"fps": ("frames per second", "frames a second", "frames/s"), "px": ("pixel",),
               "s": ("second", "sec"), "bpm": ("beats per minute", "beats a minute"), "%": ("percent", "per cent"),
               "db": ("decibel",), "dbfs": ("decibel",), "hz": ("hertz",), "khz": ("kilohertz",)}


def _one_sentence(raw: str) -> tuple[str, list[str]]:
    """The reply up to its last complete sentence; a reply cut off by the token budget loses the broken end."""
    text = " ".join(raw.strip().split())
    if not text:
        return "", ["empty reply"]
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends:
        return "", ["no complete sentence; write one sentence that ends with a full stop"]
    return text[:ends[-1]], []


def unit_problems(summary: str, digest: str) -> list[str]:
    """Measured numbers the summary states with another unit ("12.0 frames" for 12.0 fps)."""
    measured: dict[str, set[str]] = {}
    for num, unit in _QUANTITY.findall(digest):
        measured.setdefault(_number(num), set()).add(unit.lower())
    problems = []
    for m in _NUMBER.finditer(summary):
        units, after = measured.get(_number(m.group(1))), summary[m.end():m.end() + 24].lower()
        if not units or not after[:1].isalpha() and not after.startswith("%"):
            continue  # not a measured number, or stated without a unit
        if not any(after.startswith(form) for u in units for form in (u, *_UNIT_WORDS.get(u, ()))):
            said = re.match(r"%|[a-z]+", after).group(0)
            problems.append(f"'{m.group(0)}{said}' but measured "
                            f"{' or '.join(f'{m.group(1)} {u}' for u in sorted(units))}")
    return problems


def _number(text: str) -> str:
    return f"{float(text):g}"


def measured_summary(digest: str, limit: int = 240) -> str:
    """The summary without a model: the measurement lines as they are (no quoted body text), cut at a word."""
    text = "; ".join(ln for ln in digest.splitlines() if not ln.startswith("text: "))
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def describe_files(paths: list[Path], llm: BaseChatModel | None, trace: NodeTrace, *, cache_dir: Path | None,
                   max_new_tokens: int) -> list[dict]:
    """One description dict per file: source, kind, features, facts, text, summary, error. Bad files get an error
    of their own and never stop the others. Without an LLM, or when the model's sentence states a measured number
    with another unit, the summary is the measurements themselves."""
    from brandloop.materials import analyze  # measurement layer; loads no model

    reports = [analyze(p, cache_dir=cache_dir).model_dump(mode="json") for p in paths]
    ok = [r for r in reports if not r.get("error")]
    results = []
    if ok and llm is not None:
        batch = [prompts.render("describer", kind=r["kind"], source=Path(r["source"]).name, digest=r["prompt_digest"])
                 for r in ok]
        results = batch_with_retry(llm, [r["source"] for r in ok], batch, _one_sentence, trace,
                                   max_new_tokens=max_new_tokens,
                                   patterns=[summary_pattern(r["prompt_digest"]) for r in ok])
    for i, r in enumerate(ok):
        summary = results[i][0] if i < len(results) else ""
        wrong = unit_problems(summary, r["prompt_digest"]) if summary else []
        if wrong:
            trace.set(summary_rejected={**(trace.data.get("summary_rejected") or {}), r["source"]: wrong})
        r["summary"] = summary if summary and not wrong else measured_summary(r["prompt_digest"])
    for r in reports:
        r.setdefault("summary", "")
    return reports


def prompt_facts(material: dict) -> list[str]:
    """Facts worth putting in a copy prompt: text facts from pages, text files and text read in images."""
    return [f["statement"] for f in material.get("facts", [])
            if material.get("kind") in PROMPT_FACT_SOURCES or "#ocr" in (f.get("source") or "")]


def describer(state, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime, state)
    llm, cache_dir = ctx.llm, ctx.cache_dir
    brief, settings = brief_of(state), settings_of(state)
    base = Path(state.get("brief_dir") or ".")
    trace = NodeTrace("describer", 0, {"materials": brief.materials})
    reports = describe_files([base / m for m in brief.materials], llm, trace, cache_dir=cache_dir,
                             max_new_tokens=settings.summary_max_new_tokens) if brief.materials else []
    trace.set(output=[{"source": r["source"], "kind": r.get("kind"), "summary": r["summary"],
                       "facts": [f["statement"] for f in r.get("facts", [])], "error": r.get("error")}
                      for r in reports],
              errors=[r["error"] for r in reports if r.get("error")])
    emit(runtime, trace)
    return {"materials": reports}
