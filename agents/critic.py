"""Critic: scores each freshly written variant and writes revision instructions, citing guideline ids."""
from __future__ import annotations

from langgraph.runtime import Runtime

import prompts
from agents.common import brief_of, brief_text, channel_of, labelled, settings_of
from agents.context import Context, context_of, emit
from agents.formats import critique_pattern
from agents.llm_calls import batch_with_retry
from agents.parsing import parse_critique
from agents.scoring import combine_score, measure_set
from agents.tracing import NodeTrace
from knowledge.violations import hard_count


def _gist(passage: str, limit: int = 160) -> str:
    """A guideline passage without its markdown heading, cut at a sentence end: short enough for a small model."""
    lines = [ln for ln in passage.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    text = " ".join(" ".join(lines).split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(". ") + 1] if ". " in cut else cut.rsplit(" ", 1)[0]


def _flat(fields: dict[str, list[str]]) -> str:
    return "\n".join(t for items in fields.values() for t in items)


def set_metrics(state, variants: list[dict], knowledge=None) -> dict:
    """Measured scores for every variant that has text, judged against the brief and the brand voice."""
    brief = brief_of(state)
    with_text = [v for v in variants if v.get("fields")]
    brief_text = " ".join([brief.product.name, brief.product.description, brief.key_message, brief.goal,
                           *brief.product.facts])
    voice_text = " ".join([brief.tone, *(getattr(knowledge, "voice", None) or [])]) or brief.brand
    m = measure_set([_flat(v["fields"]) for v in with_text], brief_text, voice_text)
    return {"per_variant": {v["id"]: x for v, x in zip(with_text, m["per_variant"])},
            "distinct_2": m["distinct_2"], "max_pairwise_cosine": m["max_pairwise_cosine"]}


def findings_of(violations: list[dict]) -> list[str]:
    out = []
    for v in sorted(violations, key=lambda x: x["severity"] != "error"):
        text = v["message"]
        if v.get("suggestion"):
            text += f" (use: {v['suggestion']})"
        out.append(text)
    return out


def critic(state, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime, state)
    llm, knowledge = ctx.llm, ctx.knowledge
    brief, settings = brief_of(state), settings_of(state)
    spec = channel_of(state, knowledge)
    loop = state.get("revision", 0)
    variants = [dict(v) for v in state["variants"]]
    targets = [v for v in variants if v["status"] == "drafted"]
    trace = NodeTrace("critic", loop, {"critique": [v["id"] for v in targets]})
    batch, passages_per, reused = [], [], {}
    for v in targets:
        prev = (v.get("versions") or [{}])[-1]
        if prev.get("fields") == v["fields"] and prev.get("parsed") is not None:
            reused[v["id"]] = prev  # the same text as last loop: its critique stands (greedy would repeat it)
            continue
        # passages are looked up by what this variant says and what is wrong with it, not by the brief
        text = " ".join([*(t for items in v["fields"].values() for t in items),
                         *(x["message"] for x in v.get("violations", []))])
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
            guidelines=[{"id": f"G{n + 1}", "text": _gist(p["text"])} for n, p in enumerate(passages)]))
    asked = [v for v in targets if v["id"] not in reused]
    answers = iter(zip(passages_per, batch_with_retry(
        llm, [v["id"] for v in asked], batch, parse_critique, trace, max_new_tokens=settings.critic_max_new_tokens,
        patterns=[critique_pattern(brief_text(brief))] * len(asked))))
    scores = {}
    metrics = set_metrics(state, variants, knowledge)
    for v in targets:
        if v["id"] in reused:
            passages, parsed = reused[v["id"]]["passages"], reused[v["id"]]["parsed"]
        else:
            passages, (parsed, _problems) = next(answers)
        parsed = parsed or {}
        measured = metrics["per_variant"].get(v["id"], {})
        score = combine_score(parsed.get("score10"), measured, v.get("violations", []))
        alias = {f"G{n + 1}": p["id"] for n, p in enumerate(passages)}  # short ids in the prompt
        v.update(score=score, score_history=[*v.get("score_history", []), score], metrics=measured,
                 judgement=parsed.get("score10"),
                 critique=parsed.get("critique") or "(the critic's reply could not be parsed)",
                 cited=list(dict.fromkeys(alias[c.upper()] for c in parsed.get("cited", []) if c.upper() in alias)),
                 passages=[{"id": p["id"], "text": p["text"]} for p in passages],
                 instructions=findings_of(v.get("violations", [])) + list(parsed.get("instructions", []))[:2],
                 status="revise" if hard_count(v.get("violations", [])) or score < settings.pass_threshold
                 else "passed")
        v["versions"] = [*v.get("versions", []), {
            "loop": loop, "fields": v["fields"], "score": score, "violations": v.get("violations", []),
            "critique": v["critique"], "cited": v["cited"], "passed": v["status"] == "passed",
            "judgement": v["judgement"], "parsed": parsed, "passages": v["passages"]}]
        scores[v["id"]] = score
    active = [v["score"] for v in variants if v.get("score") is not None and v["status"] != "parse_failed"]
    mean = round(sum(active) / len(active), 2) if active else 0.0
    trace.set(output={v["id"]: {"score": v["score"], "status": v["status"], "critique": v["critique"],
                                "instructions": v["instructions"], "metrics": v["metrics"]} for v in targets},
              scores=scores, reused_critiques={k: x["loop"] for k, x in reused.items()}, set_metrics={k: metrics[k] for k in ("distinct_2", "max_pairwise_cosine")})
    emit(runtime, trace)
    return {"variants": variants, "best_scores": [*state.get("best_scores", []), mean],
            "set_metrics": {k: metrics[k] for k in ("distinct_2", "max_pairwise_cosine")}}
