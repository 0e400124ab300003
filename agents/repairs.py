"""Deterministic repairs, shared by the copywriter's revision step and finalize: substitutions and casing from the
rulebook, required text (disclaimers) placed where it fits, forbidden-word removal, trimming at a word boundary,
and filling duplicate or missing items with clean items written earlier in the run (never a line another variant
carries: the finalizer filters the pool)."""
from __future__ import annotations

import regex

from agents.common import channel_of
from knowledge.text import char_length, trim_to_limit
from knowledge.violations import Violation, hard_count


def remove_span(text: str, start: int, end: int) -> str:
    out = text[:start] + text[end:]
    out = regex.sub(r"\s{2,}", " ", out)
    return regex.sub(r"\s+([,.!?;:])", r"\1", out).strip(" ,;:-")


def rules_by_id(state, knowledge) -> dict:
    if knowledge is None:
        return {}
    b = state["brief"]
    return {r.id: r for r in knowledge.rules_for(product=b["product"]["name"], channel=b["channel"], audience=b["audience"])}


def place_required(fields: dict[str, list[str]], texts: list[str], allowed: list[str], spec) -> list[dict]:
    """Append required texts (disclaimers) where they fit: all together in the item with the most room if they fit
    there, else one per item. The item's own copy is shortened at a word boundary to make room."""
    wide = spec.wide_chars_count_double
    log: list[dict] = []

    def candidates(need: int, used: set):
        out = []
        for name, items in fields.items():
            fs = spec.fields.get(name)
            if fs is None or (allowed and name not in allowed) or not items or fs.max_chars < need:
                continue
            for i in range(len(items) - 1, -1, -1):
                if (name, i) not in used:
                    room = fs.max_chars - char_length(items[i], wide_counts_double=wide)
                    out.append(((fs.max_chars, room, i), name, i, fs.max_chars))
        return sorted(out, reverse=True)

    def put(name: str, i: int, limit: int, suffix: str) -> None:
        before = fields[name][i]
        need = char_length(suffix, wide_counts_double=wide)
        body = trim_to_limit(before, limit - need - 1, wide_counts_double=wide).rstrip() if limit > need else ""
        if body and body[-1] not in ".!?" and char_length(body, wide_counts_double=wide) + need + 2 <= limit:
            body += "."
        fields[name][i] = f"{body} {suffix}".strip()
        log.append({"field": name, "index": i, "before": before, "after": fields[name][i]})

    texts = list(dict.fromkeys(t for t in texts if t))
    together = " ".join(texts)
    best = candidates(char_length(together, wide_counts_double=wide), set())
    if best:
        _, name, i, limit = best[0]
        put(name, i, limit, together)
        return log
    used: set = set()
    for t in texts:
        c = candidates(char_length(t, wide_counts_double=wide), used)
        if c:
            _, name, i, limit = c[0]
            put(name, i, limit, t)
            used.add((name, i))
    return log


def repair_fields(fields: dict[str, list[str]], violations: list[dict], state, knowledge=None,
                  *, pool: dict[str, list[str]] | None = None, recheck=None) -> tuple[dict, list[dict]]:
    """Apply every deterministic fix the violations allow. Returns (new fields, repair log).

    `pool` holds clean items written elsewhere in the run (field -> texts) to fill duplicates or missing items;
    `recheck(fields) -> violations` is used to accept a pooled item only when it lowers the hard-violation count.
    """
    spec = channel_of(state, knowledge)
    fields = {k: list(v) for k, v in fields.items()}
    log: list[dict] = []
    hard = [v for v in violations if v["severity"] == "error"]
    rules = rules_by_id(state, knowledge)
    # 1. Rulebook substitutions and casing, item by item.
    by_item: dict[tuple[str, int], list[dict]] = {}
    required: dict[str, list[str]] = {}
    removals: list[dict] = []
    for v in hard:
        rule = rules.get(v["rule_id"])
        if rule is not None and rule.type == "required" and v.get("suggestion"):
            required.setdefault(",".join(rule.params.get("in_fields") or []), []).append(v["suggestion"])
        elif rule is not None and rule.type == "claim":
            removals.append(v)
        elif rule is not None:
            by_item.setdefault((v["field"], v["index"]), []).append(v)
    changed: set[tuple[str, int]] = set()
    for (field, i), vs in by_item.items():
        if field in fields and i < len(fields[field]):
            before = fields[field][i]
            after = knowledge.repair(before, [Violation.model_validate(v) for v in vs])
            if after != before:
                fields[field][i] = after
                changed.add((field, i))
                log.append({"rule_id": ",".join(sorted({v["rule_id"] for v in vs})), "field": field, "index": i,
                            "before": before, "after": after})
    # 2. The brief's forbidden words, and unbacked superlatives or comparatives ('best', 'faster': words, never
    #    numbers, whose removal would leave nonsense), removed right to left so offsets stay valid.
    removals += [v for v in hard if v["rule_id"] == "brief.forbidden_word"]
    for v in sorted(removals, key=lambda v: (v["field"], v["index"], -v["start"])):
        items = fields.get(v["field"], [])
        if (v["field"], v["index"]) in changed:  # offsets are stale; the next repair pass sees fresh ones
            continue
        if v["index"] < len(items) and v["end"] <= len(items[v["index"]]):
            before = items[v["index"]]
            if v["rule_id"] != "brief.forbidden_word" and not regex.fullmatch(r"[\p{L} -]+", before[v["start"]:v["end"]]):
                continue
            items[v["index"]] = remove_span(before, v["start"], v["end"])
            log.append({"rule_id": v["rule_id"], "field": v["field"], "index": v["index"], "before": before,
                        "after": items[v["index"]]})
    # 3. Trim every item to its channel limit.
    for name, items in fields.items():
        fs = spec.fields.get(name)
        for i, text in enumerate(items if fs else []):
            after = trim_to_limit(text, fs.max_chars, wide_counts_double=spec.wide_chars_count_double)
            if after != text:
                items[i] = after
                log.append({"rule_id": "channel.length", "field": name, "index": i, "before": text, "after": after})
    # 4. Required texts (disclaimers), placed last so trimming cannot cut them.
    for allowed, texts in required.items():
        for entry in place_required(fields, texts, allowed.split(",") if allowed else [], spec):
            log.append({"rule_id": "required", **entry})
    # 5. Duplicates and missing items: borrow clean items written elsewhere in the run.
    if pool and recheck is not None:
        _fill_from_pool(fields, pool, spec, recheck, log)
    return fields, log


def _fill_from_pool(fields, pool, spec, recheck, log) -> None:
    """Replace duplicates and fill missing items with pooled ones. A gap of several items only closes when all are
    filled, so a filler is kept when it does not add violations; if the whole step does not lower the
    hard-violation count, it is undone."""
    start = current = hard_count(recheck(fields))
    saved, saved_log = {k: list(v) for k, v in fields.items()}, len(log)
    for name, fs in spec.fields.items():
        items = fields.setdefault(name, [])
        seen = {t.casefold() for t in items}
        slots = [i for i, t in enumerate(items) if [x for x in items[:i] if x.casefold() == t.casefold()]]
        slots += list(range(len(items), fs.min_count))
        for slot in slots:
            for cand in pool.get(name, []):
                if cand.casefold() in seen or char_length(cand, wide_counts_double=spec.wide_chars_count_double) > fs.max_chars:
                    continue
                trial = {k: list(v) for k, v in fields.items()}
                before = trial[name][slot] if slot < len(trial[name]) else ""
                if slot < len(trial[name]):
                    trial[name][slot] = cand
                else:
                    trial[name].append(cand)
                n = hard_count(recheck(trial))
                if n < current or (not before and n <= current):
                    fields[name] = trial[name]
                    seen.add(cand.casefold())
                    current = n
                    log.append({"rule_id": "channel.duplicate" if before else "channel.count", "field": name,
                                "index": slot, "before": before, "after": cand})
                    break
        if not fields.get(name):
            fields.pop(name, None)
    if current >= start:
        fields.clear()
        fields.update(saved)
        del log[saved_log:]
