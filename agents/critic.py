"""Critic: scores each freshly written variant and writes revision instructions, citing guideline ids."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel

import prompts
from agents.common import brief_of, channel_of, labelled, settings_of
from agents.llm_calls import batch_with_retry
from agents.parsing import parse_critique
from agents.tracing import NodeTrace

HARD_PENALTY = 15.0
SOFT_PENALTY = 5.0
UNPARSED_SCORE10 = 5.0


def combine_score(score10: float | None, violations: list[dict]) -> float:
    """0-100: the model's judgement, minus exact penalties for each violation found by compliance."""
    base = (UNPARSED_SCORE10 if score10 is None else score10) * 10.0
    hard = sum(1 for v in violations if v["severity"] == "error")
    soft = len(violations) - hard
    return round(max(0.0, min(100.0, base - HARD_PENALTY * hard - SOFT_PENALTY * soft)), 1)


def findings_of(violations: list[dict]) -> list[str]:
    out = []
    for v in sorted(violations, key=lambda x: x["severity"] != "error"):
        text = v["message"]
        if v.get("suggestion"):
            text += f" (use: {v['suggestion']})"
        out.append(text)
    return out


def make_critic(llm: BaseChatModel, knowledge=None):
    def critic(state) -> dict:
        brief, settings = brief_of(state), settings_of(state)
        spec = channel_of(state, knowledge)
        loop = state.get("revision", 0)
        variants = [dict(v) for v in state["variants"]]
        targets = [v for v in variants if v["status"] == "drafted"]
        trace = NodeTrace("critic", loop, {"critique": [v["id"] for v in targets]})
        batch, passages_per = [], []
        for v in targets:
            text = " ".join(t for items in v["fields"].values() for t in items)
            if knowledge is not None:
                passages = [p.model_dump() if hasattr(p, "model_dump") else dict(p)
                            for p in knowledge.guidelines_for(text, brand=brief.brand, channel=brief.channel, k=3)]
            else:
                passages = list(state.get("guidelines", []))[:3]
            passages_per.append(passages)
            batch.append(prompts.render(
                "critic", brand=brief.brand, channel_title=spec.title, product=brief.product, audience=brief.audience,
                goal=brief.goal, key_message=brief.key_message, variant=labelled(v["fields"]),
                findings=findings_of(v.get("violations", [])),
                guidelines=[{"id": p["id"], "text": p["text"][:300]} for p in passages]))
        results = batch_with_retry(llm, [v["id"] for v in targets], batch, parse_critique, trace,
                                   max_new_tokens=settings.critic_max_new_tokens)
        scores = {}
        for v, passages, (parsed, _problems) in zip(targets, passages_per, results):
            parsed = parsed or {}
            score = combine_score(parsed.get("score10"), v.get("violations", []))
            known_ids = {p["id"] for p in passages}
            hard = [x for x in v.get("violations", []) if x["severity"] == "error"]
            v.update(score=score, score_history=[*v.get("score_history", []), score],
                     critique=parsed.get("critique") or "(the critic's reply could not be parsed)",
                     cited=[c for c in parsed.get("cited", []) if c in known_ids],
                     passages=[{"id": p["id"], "text": p["text"]} for p in passages],
                     instructions=findings_of(v.get("violations", [])) + list(parsed.get("instructions", []))[:2],
                     status="passed" if not hard and score >= settings.pass_threshold else "revise")
            scores[v["id"]] = score
        active = [v["score"] for v in variants if v.get("score") is not None and v["status"] != "parse_failed"]
        mean = round(sum(active) / len(active), 2) if active else 0.0
        trace.set(output={v["id"]: {"score": v["score"], "status": v["status"], "critique": v["critique"],
                                    "instructions": v["instructions"]} for v in targets}, scores=scores)
        return {"variants": variants, "best_scores": [*state.get("best_scores", []), mean], "trace": [trace.event()]}

    return critic
