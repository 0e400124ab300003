"""Copywriter: drafts variants in the channel's format, and revises only the failing ones."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel

import prompts
from agents.common import brief_of, channel_of, labelled, settings_of
from agents.llm_calls import batch_with_retry
from agents.parsing import parse_fields
from agents.tracing import NodeTrace
from knowledge.checks import label

TO_WRITE = ("new", "revise")


def initial_variants(n: int) -> list[dict]:
    angles = prompts.load_data("angles")
    return [{"id": f"v{i + 1}", "angle": angles[i % len(angles)], "status": "new", "fields": {}, "violations": [],
             "score_history": [], "revisions": 0} for i in range(n)]


def make_copywriter(llm: BaseChatModel, knowledge=None):
    """Node factory. `knowledge` (optional BrandKnowledge) is not called here: rules arrive via state."""

    def copywriter(state) -> dict:
        brief, settings = brief_of(state), settings_of(state)
        spec = channel_of(state, knowledge)
        loop = state.get("revision", 0)
        variants = [dict(v) for v in (state.get("variants") or initial_variants(settings.variants or brief.variants))]
        targets = [v for v in variants if v["status"] in TO_WRITE]
        trace = NodeTrace("copywriter", loop, {"write": [v["id"] for v in targets], "keep": [
            v["id"] for v in variants if v["status"] not in TO_WRITE]})
        drafted = spec.drafted_fields()
        field_list = [{"label": label(n), "count": f.draft, "max_chars": f.max_chars} for n, f in drafted.items()]
        summaries = [m["summary"] for m in state.get("materials", []) if m.get("summary")]
        common = dict(brand=brief.brand, channel_title=spec.title, product=brief.product, audience=brief.audience,
                      goal=brief.goal, tone=brief.tone, key_message=brief.key_message, keywords=brief.keywords,
                      forbidden=brief.forbidden_words, facts=state.get("facts", []), material_summaries=summaries,
                      rules=state.get("rules_summary", []),
                      guidelines=[g["text"] for g in state.get("guidelines", [])][:3], fields=field_list)
        batch = []
        for v in targets:
            revising = v["status"] == "revise"
            batch.append(prompts.render("copywriter", angle=v["angle"],
                                        previous=labelled(v["fields"]) if revising else None,
                                        instructions=v.get("instructions", []) if revising else [], **common))
        wanted = {n: f.draft for n, f in drafted.items()}
        results = batch_with_retry(llm, [v["id"] for v in targets], batch, lambda raw: parse_fields(raw, wanted),
                                   trace, max_new_tokens=settings.max_new_tokens)
        history = []
        for v, (fields, problems) in zip(targets, results):
            if v["status"] == "revise":
                v["revisions"] = v.get("revisions", 0) + 1
            if problems and not any(fields.values()):
                if v["status"] == "new":
                    v.update(status="parse_failed", error="model reply could not be parsed twice: " + "; ".join(problems))
                else:  # keep the previous draft; the critic loop decides what happens next
                    v.update(status="drafted", error="revision reply could not be parsed; kept the previous draft")
                continue
            v.update(fields={k: items for k, items in fields.items() if items} or v["fields"], status="drafted",
                     error="")
            history.append({"loop": loop, "id": v["id"], "fields": v["fields"]})
        trace.set(output={v["id"]: v["fields"] for v in targets})
        return {"variants": variants, "revision": loop, "history": history, "trace": [trace.event()]}

    return copywriter
