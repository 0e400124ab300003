"""Describer: turns brief materials into measured features, facts and a one-sentence summary per material."""
from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

import prompts
from agents.common import brief_of, settings_of
from agents.llm_calls import batch_with_retry
from agents.tracing import NodeTrace


def _one_sentence(raw: str) -> tuple[str, list[str]]:
    text = " ".join(raw.strip().split())
    return (text, []) if text else ("", ["empty reply"])


def make_describer(llm: BaseChatModel, cache_dir: Path | None = None):
    def describer(state) -> dict:
        brief, settings = brief_of(state), settings_of(state)
        if not brief.materials:
            return {"materials": [], "trace": [NodeTrace("describer", 0, {"materials": []}).event()]}
        from materials import analyze  # measurement layer; no model is loaded there

        base = Path(state.get("brief_dir") or ".")
        trace = NodeTrace("describer", 0, {"materials": brief.materials})
        reports = [analyze(base / m, cache_dir=cache_dir).model_dump(mode="json") for m in brief.materials]
        ok = [r for r in reports if not r.get("error")]
        batch = [prompts.render("describer", kind=r["kind"], source=Path(r["source"]).name, digest=r["prompt_digest"])
                 for r in ok]
        results = batch_with_retry(llm, [r["source"] for r in ok], batch, _one_sentence, trace,
                                   max_new_tokens=settings.summary_max_new_tokens) if ok else []
        for r, (summary, _problems) in zip(ok, results):
            r["summary"] = summary or r["prompt_digest"].splitlines()[0]
        for r in reports:
            r.setdefault("summary", "")
        trace.set(output=[{"source": r["source"], "kind": r.get("kind"), "summary": r["summary"],
                           "facts": [f["statement"] for f in r.get("facts", [])], "error": r.get("error")}
                          for r in reports],
                  errors=[r["error"] for r in reports if r.get("error")])
        return {"materials": reports, "trace": [trace.event()]}

    return describer
