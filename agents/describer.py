"""Describer: turns brief materials into measured features, facts and a one-sentence summary per material.

Measurement is exact and model-free (materials.analyze); the LLM only words the summary from the measurements.
"""
from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

import prompts
from agents.common import brief_of, settings_of
from agents.llm_calls import batch_with_retry
from agents.tracing import NodeTrace

PROMPT_FACT_SOURCES = ("page", "text")


def _one_sentence(raw: str) -> tuple[str, list[str]]:
    text = " ".join(raw.strip().split())
    return (text, []) if text else ("", ["empty reply"])


def describe_files(paths: list[Path], llm: BaseChatModel | None, trace: NodeTrace, *, cache_dir: Path | None,
                   max_new_tokens: int) -> list[dict]:
    """One description dict per file: source, kind, features, facts, text, summary, error. Bad files get an error
    of their own and never stop the others. Without an LLM the summary is the first line of the measurements."""
    from materials import analyze  # measurement layer; loads no model

    reports = [analyze(p, cache_dir=cache_dir).model_dump(mode="json") for p in paths]
    ok = [r for r in reports if not r.get("error")]
    results = []
    if ok and llm is not None:
        batch = [prompts.render("describer", kind=r["kind"], source=Path(r["source"]).name, digest=r["prompt_digest"])
                 for r in ok]
        results = batch_with_retry(llm, [r["source"] for r in ok], batch, _one_sentence, trace,
                                   max_new_tokens=max_new_tokens)
    for i, r in enumerate(ok):
        summary = results[i][0] if i < len(results) else ""
        r["summary"] = summary or r["prompt_digest"].splitlines()[0]
    for r in reports:
        r.setdefault("summary", "")
    return reports


def prompt_facts(material: dict) -> list[str]:
    """Facts worth putting in a copy prompt: text facts from pages, text files and text read in images."""
    return [f["statement"] for f in material.get("facts", [])
            if material.get("kind") in PROMPT_FACT_SOURCES or "#ocr" in (f.get("source") or "")]


def make_describer(llm: BaseChatModel, cache_dir: Path | None = None):
    def describer(state) -> dict:
        brief, settings = brief_of(state), settings_of(state)
        base = Path(state.get("brief_dir") or ".")
        trace = NodeTrace("describer", 0, {"materials": brief.materials})
        reports = describe_files([base / m for m in brief.materials], llm, trace, cache_dir=cache_dir,
                                 max_new_tokens=settings.summary_max_new_tokens) if brief.materials else []
        trace.set(output=[{"source": r["source"], "kind": r.get("kind"), "summary": r["summary"],
                           "facts": [f["statement"] for f in r.get("facts", [])], "error": r.get("error")}
                          for r in reports],
                  errors=[r["error"] for r in reports if r.get("error")])
        return {"materials": reports, "trace": [trace.event()]}

    return describer
