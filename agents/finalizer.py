"""Finalize: the delivery guarantee. Each variant's best critiqued version is delivered; if it still breaks a hard
rule it is repaired deterministically (agents/repairs.py) and re-checked, or delivered marked failed. The delivered
text is scored again, and only a clean variant whose delivered score reaches the threshold is `approved`. Where an
earlier clean version would be approved as delivered and the chosen (or repaired) text would not, or scores higher,
that version is delivered, so the final score never falls below a clean draft's; `first_draft_score` records the
first draft's score beside it, measured the same way (beside the other variants' delivered text)."""
from __future__ import annotations

from langgraph.runtime import Runtime

from brandloop.agents.common import channel_of, settings_of
from brandloop.agents.compliance import check_variant, from_set, set_warnings
from brandloop.agents.context import Context, context_of, emit
from brandloop.agents.critic import set_metrics
from brandloop.agents.scoring import combine_score, delivery_status
from brandloop.agents.repairs import drop_lint_lines, repair_fields
from brandloop.agents.stopping import stop_reason
from brandloop.agents.tracing import NodeTrace
from brandloop.knowledge.violations import hard_count


REPAIR_PASSES = 3


def pick_best_version(v: dict, threshold: float = 0.0) -> dict:
    """Deliver the critiqued version with the fewest hard violations, then one delivery would approve (no lint
    hit, a score at least ``threshold``), then the highest score (latest on ties), so a revision that made things
    worse never replaces a better earlier draft, and a clean 61 is not passed over for a 63 with filler."""
    versions = v.get("versions") or []
    if not versions:
        return v
    first = versions[0]["score"]  # never below the first draft, approvable or not
    best = min(versions, key=lambda x: (hard_count(x["violations"]),
                                        not (approvable(x, threshold) and x["score"] >= first), -x["score"], -x["loop"]))
    if best is versions[-1]:
        return {**v, "chosen_loop": best["loop"]}
    return {**v, "fields": best["fields"], "violations": best["violations"], "score": best["score"],
            "critique": best["critique"], "cited": best["cited"], "chosen_loop": best["loop"],
            "judgement": best.get("judgement"), "status": "passed" if best.get("passed") else v["status"]}


def approvable(version: dict, threshold: float, score: float | None = None) -> bool:
    return delivery_status(version["violations"], version["score"] if score is None else score, threshold) == "approved"


def item_pool(state, spec, variant: dict, others: list[dict]) -> dict[str, list[str]]:
    """This variant's own alternatives, by field: its selection runners-up (best first), then every line it wrote
    earlier in the run (newest first), as written: never another variant's lines, never a line cut at its limit.
    A candidate is only kept when the re-check improves."""
    taken = {t.casefold() for o in others for items in (o.get("fields") or {}).values() for t in items}
    pool: dict[str, list[str]] = {}
    own = [variant.get("runners_up") or {}] + [h["fields"] for h in reversed(state.get("history", []))
                                               if h.get("id") == variant["id"]]
    for fields in own:
        for name, items in fields.items():
            for t in items:
                if t and name in spec.fields and t.casefold() not in taken and t not in pool.setdefault(name, []):
                    pool[name].append(t)
    return pool


def _as_delivered(state, delivered: list[dict], v: dict, fields: dict, violations: list[dict], judgement,
                  knowledge) -> tuple[float, dict]:
    """(score, metrics) of ``fields`` delivered as variant ``v`` beside the others' delivered text."""
    trial = [{**x, "fields": fields} if x["id"] == v["id"] else x for x in delivered]
    measured = set_metrics(state, trial, knowledge)["per_variant"].get(v["id"], {})
    return combine_score(judgement, measured, violations), measured


def adds_repeats(state, delivered: list[dict], v: dict, fields: dict, knowledge) -> bool:
    """Whether delivering ``fields`` as ``v`` would make a line of the set repeat (or be worded like) another
    variant's line, which the text chosen so far does not."""
    spec = channel_of(state, knowledge)
    trial = [{**x, "fields": fields} if x["id"] == v["id"] else x for x in delivered]
    count = lambda variants: sum(map(len, set_warnings(variants, spec, knowledge).values()))  # noqa: E731
    return count(trial) > count(delivered)


def best_clean_version(state, delivered: list[dict], v: dict, knowledge, mend=None) -> dict | None:
    """The clean critiqued version that delivery would approve where the text chosen so far (repairs included)
    would not, else one that scores higher as delivered, or None: a later loop or a repair never delivers less than
    an earlier clean draft scored. ``mend(version) -> (fields, violations, log)``: the deterministic repairs, which
    make a version with a hard violation a candidate too once they leave it clean (a first draft that lacked a
    disclaimer)."""
    if hard_count(v.get("violations", [])) and not v.get("versions"):
        return None
    threshold = settings_of(state).pass_threshold
    current, _ = _as_delivered(state, delivered, v, v["fields"], v.get("violations", []), v.get("judgement"),
                               knowledge) if v.get("fields") else (-1.0, {})
    if hard_count(v.get("violations", [])):
        current = -1.0  # any clean version beats a failing text
    versions = v.get("versions") or []
    first = _as_delivered(state, delivered, v, versions[0]["fields"], versions[0]["violations"],
                          versions[0].get("judgement"), knowledge)[0] if versions else -1.0
    best, best_key = None, (current >= max(first, 0) and approvable(v, threshold, current), current)
    for x in versions:
        if x["fields"] == v["fields"]:
            continue
        if hard_count(x["violations"]):
            if mend is None:
                continue
            fields, found, log = mend(x)
            if hard_count(found) or fields == v["fields"]:
                continue
            x = {**x, "fields": fields, "violations": found, "repairs": log, "violations_before_repair": x["violations"]}
        if adds_repeats(state, delivered, v, x["fields"], knowledge):
            continue  # an earlier line that a sibling delivers by now
        score, _ = _as_delivered(state, delivered, v, x["fields"], x["violations"], x.get("judgement"), knowledge)
        key = (score >= first and approvable(x, threshold, score), score)  # approved, not below the first draft
        if key > best_key:
            best, best_key = x, key
    return best


def first_draft_as_delivered(state, delivered: list[dict], v: dict, knowledge) -> float | None:
    """The first draft's score measured as the delivered text is: beside the other variants' delivered text (its
    uniqueness moves when a sibling is revised), so the two scores compare the texts alone."""
    first = (v.get("versions") or [None])[0]
    if first is None:
        return v.get("score")
    if first["fields"] == v["fields"] and first["violations"] == v.get("violations"):
        return v["score"]
    score, _ = _as_delivered(state, delivered, v, first["fields"], first["violations"], first.get("judgement"),
                             knowledge)
    return score


def repaired(fields: dict, found: list[dict], state, knowledge, pool, recheck) -> tuple[dict, list[dict], list[dict]]:
    """(fields, violations, repair log) after up to REPAIR_PASSES deterministic repair passes. A pooled line the
    version already carries is no alternative: once repaired it would repeat that line."""
    carried = {t.casefold() for items in fields.values() for t in items}
    pool = {k: [t for t in items if t.casefold() not in carried] for k, items in (pool or {}).items()}
    log: list[dict] = []
    for _ in range(REPAIR_PASSES):  # a later pass sees offsets that an earlier one changed
        fields, more = repair_fields(fields, found, state, knowledge, pool=pool, recheck=recheck)
        found, log = recheck(fields), log + more
        if not more or not hard_count(found):
            break
    return fields, found, log


def settled(v: dict) -> bool:
    """A person approved or edited this text in review: nothing here changes it."""
    return (v.get("review") or {}).get("decision") in ("approved", "edited")


def finalize(state, runtime: Runtime[Context]) -> dict:
    knowledge = context_of(runtime, state).knowledge
    reason = stop_reason(state) or "budget_exhausted"
    variants = [dict(v) for v in state["variants"]]
    trace = NodeTrace("finalize", state.get("revision", 0), {"stop_reason": reason})
    spec = channel_of(state, knowledge)
    recheck = lambda fields: [x.model_dump() for x in check_variant(fields, state, knowledge)]  # noqa: E731
    for v in variants:
        if v["status"] == "parse_failed":
            v.update(delivered="failed", stop_reason="parse_failed")
            continue
        if settled(v):
            v.update(violations=recheck(v["fields"]), repaired=bool(v.get("repairs")), stop_reason=reason)
            continue
        v.update(pick_best_version(v, settings_of(state).pass_threshold))
        v["repairs"] = []
        hard = hard_count(v.get("violations", []))
        if hard and not settings_of(state).single_shot:  # the eval baseline is delivered as written
            pool = item_pool(state, spec, v, [o for o in variants if o["id"] != v["id"]])
            best = None
            for x in [v] + sorted((x for x in v.get("versions") or [] if x["fields"] != v["fields"]),
                                  key=lambda x: (hard_count(x["violations"]), -x["score"], -x["loop"])):
                fields, found, log = repaired(x["fields"], x["violations"], state, knowledge, pool, recheck)
                if best is None or hard_count(found) < hard_count(best[2]):
                    best = (x, fields, found, log)
                if not hard_count(found):  # the best version a repair makes clean; else the next one
                    break
            x, fields, found, log = best
            if hard_count(found) < hard:  # keep repairs that removed hard violations, even if some remain
                if x is not v:
                    v.update({k: x[k] for k in ("score", "critique", "cited") if k in x},
                             judgement=x.get("judgement"), chosen_loop=x["loop"])
                v.update(fields=fields, repairs=log, violations_before_repair=x["violations"], violations=found)
        v["repaired"] = bool(v["repairs"])
        v["stop_reason"] = reason
    # The delivered text is measured again (repairs and the chosen loop change it); the LLM's judgement is the
    # chosen version's, since the critic is not rerun here. The critiqued score is kept beside it.
    delivered = [v for v in variants if v.get("fields") and v.get("stop_reason") != "parse_failed"]
    # a person's text, and the eval baseline, are delivered as they are
    improvable = [v for v in delivered if not settled(v) and not settings_of(state).single_shot]
    for v in improvable:  # the best clean version as delivered, so the final score never drops below it
        pool = item_pool(state, spec, v, [o for o in variants if o["id"] != v["id"]])
        better = best_clean_version(state, delivered, v, knowledge, mend=lambda x, pool=pool: repaired(
            x["fields"], x["violations"], state, knowledge, pool, recheck))
        if better is not None:
            v.update(fields=better["fields"], violations=better["violations"], score=better["score"],
                     critique=better["critique"], cited=better["cited"], judgement=better.get("judgement"),
                     chosen_loop=better["loop"], repairs=better.get("repairs", []),
                     repaired=bool(better.get("repairs")))
            v.pop("violations_before_repair", None)
            if better.get("repairs"):
                v["violations_before_repair"] = better["violations_before_repair"]
    for v in improvable:  # lines lint flags, a sibling's line included, go where the field can spare them
        if hard_count(v.get("violations", [])):
            continue

        def in_set(fields, v=v):
            mates = [{**o, "fields": fields} if o is v else o for o in delivered]
            return recheck(fields) + set_warnings(mates, spec, knowledge).get(v["id"], [])
        fields, log = drop_lint_lines(v["fields"], state, knowledge, in_set)
        if log:
            v.update(fields=fields, violations=recheck(fields), repairs=[*v.get("repairs", []), *log], repaired=True)
    repeats = set_warnings(delivered, spec, knowledge)  # a line an earlier variant delivers too: lint, not approved
    for v in delivered:  # measured again on the delivered set (a loop's warnings were against its drafts)
        v["violations"] = [*(x for x in v.get("violations", []) if not from_set(x)),
                           *repeats.get(v["id"], [])]
    metrics = set_metrics(state, delivered, knowledge) if delivered else {"per_variant": {}}
    threshold = settings_of(state).pass_threshold
    for v in delivered:
        v["critiqued_score"] = v.get("score")
        v["metrics"] = metrics["per_variant"].get(v["id"], {})
        v["score"] = combine_score(v.get("judgement"), v["metrics"], v.get("violations", []))
        v["first_draft_critiqued_score"] = (v.get("score_history") or [None])[0]
        v["first_draft_score"] = first_draft_as_delivered(state, delivered, v, knowledge)
        v["delivered"] = delivery_status(v["violations"], v["score"], threshold)
        if v["delivered"] == "approved":
            v["stop_reason"] = "passed"
    for v in variants:
        v.setdefault("delivered", "failed")  # nothing usable was written
    final_set = {k: metrics[k] for k in ("distinct_2", "max_pairwise_cosine") if k in metrics}
    trace.set(output={v["id"]: {"delivered": v["delivered"], "score": v.get("score"),
                                "critiqued_score": v.get("critiqued_score"),
                                "first_draft_score": v.get("first_draft_score"), "repaired": v.get("repaired", False),
                                "repairs": v.get("repairs", [])} for v in variants}, set_metrics=final_set)
    emit(runtime, trace)
    return {"variants": variants, "stop_reason": reason, "set_metrics": final_set or state.get("set_metrics", {})}
