"""Finalize: the delivery guarantee. Each variant's best critiqued version is delivered; if it still breaks a hard
rule it is repaired deterministically (agents/repairs.py) and re-checked, or delivered marked failed. The delivered
text is scored again, and only a clean variant whose delivered score reaches the threshold is `approved`."""
from __future__ import annotations

from agents.common import channel_of, settings_of
from agents.compliance import check_variant
from agents.critic import set_metrics
from agents.scoring import combine_score
from agents.repairs import repair_fields
from agents.tracing import NodeTrace
from graph.routing import stop_reason
from knowledge.text import trim_to_limit
from knowledge.violations import hard_count


REPAIR_PASSES = 3


def pick_best_version(v: dict) -> dict:
    """Deliver the critiqued version with the fewest hard violations, then the highest score (latest on ties),
    so a revision that made things worse never replaces a better earlier draft."""
    versions = v.get("versions") or []
    if not versions:
        return v
    best = min(versions, key=lambda x: (hard_count(x["violations"]), -x["score"], -x["loop"]))
    if best is versions[-1]:
        return {**v, "chosen_loop": best["loop"]}
    return {**v, "fields": best["fields"], "violations": best["violations"], "score": best["score"],
            "critique": best["critique"], "cited": best["cited"], "chosen_loop": best["loop"],
            "judgement": best.get("judgement"), "status": "passed" if best.get("passed") else v["status"]}


def item_pool(state, spec) -> dict[str, list[str]]:
    """Every item written in this run, by field, newest first, each also cut to its limit at a word boundary:
    candidates to fill duplicates and gaps (a candidate is only kept when the re-check improves)."""
    pool: dict[str, list[str]] = {}
    for h in reversed(state.get("history", [])):
        for name, items in h["fields"].items():
            fs = spec.fields.get(name)
            for t in items:
                for cand in (t, trim_to_limit(t, fs.max_chars, wide_counts_double=spec.wide_chars_count_double)
                             if fs else t):
                    if cand and cand not in pool.setdefault(name, []):
                        pool[name].append(cand)
    return pool


def without_siblings(pool: dict[str, list[str]], v: dict, variants: list[dict]) -> dict[str, list[str]]:
    """The pool less every line another variant carries: a gap is never filled with a sibling's line."""
    theirs = {t.casefold() for o in variants if o["id"] != v["id"] for items in o.get("fields", {}).values()
              for t in items}
    return {k: [t for t in items if t.casefold() not in theirs] for k, items in pool.items()}


def delivery_status(violations: list[dict], score: float | None, threshold: float) -> str:
    """approved: no hard violation and the delivered text scores at least the threshold; below_threshold: clean but
    under it; failed: a hard violation remains."""
    if hard_count(violations):
        return "failed"
    return "approved" if score is not None and score >= threshold else "below_threshold"


def make_finalizer(knowledge=None):
    def finalize(state) -> dict:
        reason = stop_reason(state) or "budget_exhausted"
        variants = [dict(v) for v in state["variants"]]
        trace = NodeTrace("finalize", state.get("revision", 0), {"stop_reason": reason})
        pool = item_pool(state, channel_of(state, knowledge))
        recheck = lambda fields: [x.model_dump() for x in check_variant(fields, state, knowledge)]  # noqa: E731
        for v in variants:
            if v["status"] == "parse_failed":
                v.update(delivered="failed", stop_reason="parse_failed")
                continue
            if (v.get("review") or {}).get("decision") in ("approved", "edited"):  # a person settled this text
                v.update(violations=recheck(v["fields"]), repaired=bool(v.get("repairs")), stop_reason=reason)
                continue
            v.update(pick_best_version(v))
            v["repairs"] = []
            hard = hard_count(v.get("violations", []))
            if hard and not settings_of(state).single_shot:  # the eval baseline is delivered as written
                fields, found, log = v["fields"], v["violations"], []
                for _ in range(REPAIR_PASSES):  # a later pass sees offsets that an earlier one changed
                    fields, more = repair_fields(fields, found, state, knowledge, pool=without_siblings(pool, v, variants),
                                                 recheck=recheck)
                    found, log = recheck(fields), log + more
                    if not more or not hard_count(found):
                        break
                if hard_count(found) < hard:  # keep repairs that removed hard violations, even if some remain
                    v.update(fields=fields, repairs=log, violations_before_repair=v["violations"], violations=found)
            v["repaired"] = bool(v["repairs"])
            v["stop_reason"] = reason
        # The delivered text is measured again (repairs and the chosen loop change it); the LLM's judgement is the
        # chosen version's, since the critic is not rerun here. The critiqued score is kept beside it.
        delivered = [v for v in variants if v.get("fields") and v.get("stop_reason") != "parse_failed"]
        metrics = set_metrics(state, delivered, knowledge) if delivered else {"per_variant": {}}
        threshold = settings_of(state).pass_threshold
        for v in delivered:
            v["critiqued_score"] = v.get("score")
            v["metrics"] = metrics["per_variant"].get(v["id"], {})
            v["score"] = combine_score(v.get("judgement"), v["metrics"], v.get("violations", []))
            v["delivered"] = delivery_status(v["violations"], v["score"], threshold)
            if v["delivered"] == "approved":
                v["stop_reason"] = "passed"
        for v in variants:
            v.setdefault("delivered", "failed")  # nothing usable was written
        final_set = {k: metrics[k] for k in ("distinct_2", "max_pairwise_cosine") if k in metrics}
        trace.set(output={v["id"]: {"delivered": v["delivered"], "score": v.get("score"),
                                    "critiqued_score": v.get("critiqued_score"), "repaired": v.get("repaired", False),
                                    "repairs": v.get("repairs", [])} for v in variants}, set_metrics=final_set)
        return {"variants": variants, "stop_reason": reason, "set_metrics": final_set or state.get("set_metrics", {}),
                "trace": [trace.event()]}

    return finalize
