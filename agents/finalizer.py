"""Finalize: the delivery guarantee. A variant that still breaks a hard rule is repaired deterministically
(substitution, disclaimer, casing, trimming at a word boundary) and re-checked, or delivered marked failed."""
from __future__ import annotations

import regex

from agents.common import channel_of
from agents.compliance import check_variant
from agents.tracing import NodeTrace
from knowledge.text import trim_to_limit


def _remove_span(text: str, start: int, end: int) -> str:
    out = text[:start] + text[end:]
    out = regex.sub(r"\s{2,}", " ", out)
    return regex.sub(r"\s+([,.!?;:])", r"\1", out).strip()


def repair_fields(fields: dict[str, list[str]], violations: list[dict], state, knowledge=None) -> tuple[dict, list[dict]]:
    """Apply every deterministic fix the violations allow. Returns (new fields, repair log)."""
    spec = channel_of(state, knowledge)
    fields = {k: list(v) for k, v in fields.items()}
    log: list[dict] = []
    hard = [v for v in violations if v["severity"] == "error"]
    # Rulebook fixes (substitution, casing, disclaimers) first, then word removals right-to-left, then trimming.
    if knowledge is not None:
        by_item: dict[tuple[str, int], list[dict]] = {}
        for v in hard:
            if not v["rule_id"].startswith(("channel.", "brief.")):
                by_item.setdefault((v["field"], v["index"]), []).append(v)
        for (field, i), vs in by_item.items():
            if field in fields and i < len(fields[field]):
                before = fields[field][i]
                after = knowledge.repair(before, vs)
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
            hard = [x for x in v.get("violations", []) if x["severity"] == "error"]
            v["repairs"] = []
            if hard:
                fields, log = repair_fields(v["fields"], v["violations"], state, knowledge)
                found = [x.model_dump() for x in check_variant(fields, state, knowledge)]
                if not any(x["severity"] == "error" for x in found):
                    v.update(fields=fields, repairs=log, violations_before_repair=v["violations"], violations=found)
                else:
                    v.update(repairs_tried=log, violations=v["violations"])
            still_hard = [x for x in v["violations"] if x["severity"] == "error"]
            v["delivered"] = "failed" if still_hard else ("repaired" if v["repairs"] else "passed")
            v["stop_reason"] = "passed" if v["status"] == "passed" else reason
        trace.set(output={v["id"]: {"delivered": v["delivered"], "repairs": v.get("repairs", [])} for v in variants})
        return {"variants": variants, "stop_reason": reason, "trace": [trace.event()]}

    return finalize
