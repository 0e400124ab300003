"""Finalize: the delivery guarantee. A variant that still breaks a hard rule is repaired deterministically
(substitution, disclaimer, casing, trimming at a word boundary) and re-checked, or delivered marked failed."""
from __future__ import annotations

import regex

from agents.common import channel_of
from agents.compliance import check_variant
from agents.tracing import NodeTrace
from knowledge.text import char_length, trim_to_limit
from knowledge.violations import Violation


def _remove_span(text: str, start: int, end: int) -> str:
    out = text[:start] + text[end:]
    out = regex.sub(r"\s{2,}", " ", out)
    return regex.sub(r"\s+([,.!?;:])", r"\1", out).strip()


def _place_required(fields: dict[str, list[str]], text: str, allowed: list[str], spec) -> dict | None:
    """Append required text (a disclaimer) to the item with the most room, shortening that item's own copy at a
    word boundary so the whole stays within the field's limit. Returns the repair log entry, or None."""
    wide = spec.wide_chars_count_double
    need = char_length(text, wide_counts_double=wide)
    best = None
    for name, items in fields.items():
        fs = spec.fields.get(name)
        if fs is None or (allowed and name not in allowed) or not items or fs.max_chars < need:
            continue
        i = len(items) - 1
        room = fs.max_chars - char_length(items[i], wide_counts_double=wide)
        key = (fs.max_chars, room)
        if best is None or key > best[0]:
            best = (key, name, i, fs.max_chars)
    if best is None:
        return None
    _, name, i, limit = best
    before = fields[name][i]
    body = trim_to_limit(before, limit - need - 1, wide_counts_double=wide).rstrip()
    if body and body[-1] not in ".!?":
        body = trim_to_limit(body + ".", limit - need - 1, wide_counts_double=wide) if char_length(
            body + ".", wide_counts_double=wide) <= limit - need - 1 else body
    after = f"{body} {text}".strip() if body else text
    fields[name][i] = after
    return {"field": name, "index": i, "before": before, "after": after}


def repair_fields(fields: dict[str, list[str]], violations: list[dict], state, knowledge=None) -> tuple[dict, list[dict]]:
    """Apply every deterministic fix the violations allow. Returns (new fields, repair log)."""
    spec = channel_of(state, knowledge)
    fields = {k: list(v) for k, v in fields.items()}
    log: list[dict] = []
    hard = [v for v in violations if v["severity"] == "error"]
    # Rulebook fixes (substitution, casing) first, then required text placed where it fits, then word removals
    # right-to-left, then trimming at a word boundary.
    if knowledge is not None:
        types = {r.id: r for r in knowledge.rules_for(product=state["brief"]["product"]["name"],
                                                      channel=state["brief"]["channel"], audience=state["brief"]["audience"])}
        by_item: dict[tuple[str, int], list[dict]] = {}
        for v in hard:
            rule = types.get(v["rule_id"])
            if rule is not None and rule.type == "required" and v.get("suggestion"):
                entry = _place_required(fields, v["suggestion"], rule.params.get("in_fields") or [], spec)
                if entry:
                    log.append({"rule_id": v["rule_id"], **entry})
            elif not v["rule_id"].startswith(("channel.", "brief.")):
                by_item.setdefault((v["field"], v["index"]), []).append(v)
        for (field, i), vs in by_item.items():
            if field in fields and i < len(fields[field]):
                before = fields[field][i]
                after = knowledge.repair(before, [Violation.model_validate(v) for v in vs])
                if after != before:
                    fields[field][i] = after
                    log.append({"rule_id": ",".join(sorted({v["rule_id"] for v in vs})), "field": field, "index": i,
                                "before": before, "after": after})
    for v in sorted((v for v in hard if v["rule_id"] == "brief.forbidden_word"), key=lambda v: -v["start"]):
        items = fields.get(v["field"], [])
        if v["index"] < len(items):
            before = items[v["index"]]
            if v["end"] <= len(before):
                after = _remove_span(before, v["start"], v["end"])
                items[v["index"]] = after
                log.append({"rule_id": v["rule_id"], "field": v["field"], "index": v["index"], "before": before,
                            "after": after})
    for name, items in fields.items():
        fs = spec.fields.get(name)
        if fs is None:
            continue
        for i, text in enumerate(items):
            after = trim_to_limit(text, fs.max_chars, wide_counts_double=spec.wide_chars_count_double)
            if after != text:
                items[i] = after
                log.append({"rule_id": "channel.length", "field": name, "index": i, "before": text, "after": after})
    return fields, log


def _hard_count(violations: list[dict]) -> int:
    return sum(1 for x in violations if x["severity"] == "error")


def pick_best_version(v: dict) -> dict:
    """Deliver the critiqued version with the fewest hard violations, then the highest score (latest on ties),
    so a revision that made things worse never replaces a better earlier draft."""
    versions = v.get("versions") or []
    if not versions:
        return v
    best = min(versions, key=lambda x: (_hard_count(x["violations"]), -x["score"], -x["loop"]))
    if best is versions[-1]:
        return {**v, "chosen_loop": best["loop"]}
    return {**v, "fields": best["fields"], "violations": best["violations"], "score": best["score"],
            "critique": best["critique"], "cited": best["cited"], "chosen_loop": best["loop"],
            "status": "passed" if best.get("passed") else v["status"]}


def make_finalizer(knowledge=None):
    def finalize(state) -> dict:
        from graph.routing import stop_reason  # one definition of why the loop ended

        reason = stop_reason(state) or "budget_exhausted"
        variants = [dict(v) for v in state["variants"]]
        trace = NodeTrace("finalize", state.get("revision", 0), {"stop_reason": reason})
        for v in variants:
            if v["status"] == "parse_failed":
                v.update(delivered="failed", stop_reason="parse_failed")
                continue
            v.update(pick_best_version(v))
            hard = [x for x in v.get("violations", []) if x["severity"] == "error"]
            v["repairs"] = []
            if hard:
                fields, log = repair_fields(v["fields"], v["violations"], state, knowledge)
                found = [x.model_dump() for x in check_variant(fields, state, knowledge)]
                if _hard_count(found) < len(hard):  # keep repairs that removed hard violations, even if some remain
                    v.update(fields=fields, repairs=log, violations_before_repair=v["violations"], violations=found)
            still_hard = [x for x in v["violations"] if x["severity"] == "error"]
            if still_hard:
                v["delivered"] = "failed"
            elif v["repairs"]:
                v["delivered"] = "repaired"
            else:
                v["delivered"] = "passed" if v["status"] == "passed" else "below_threshold"
            v["stop_reason"] = "passed" if v["status"] == "passed" else reason
        trace.set(output={v["id"]: {"delivered": v["delivered"], "repairs": v.get("repairs", [])} for v in variants})
        return {"variants": variants, "stop_reason": reason, "trace": [trace.event()]}

    return finalize
