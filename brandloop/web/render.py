"""View helpers: violation highlights, revision diffs and the trace timeline, as safe HTML fragments."""
from __future__ import annotations

import difflib
import json
import re
from datetime import datetime

from markupsafe import Markup, escape


def highlight(text: str, violations: list[dict]) -> Markup:
    """`text` with each violation's [start, end) span wrapped in <mark> (overlaps merged per segment)."""
    text = text or ""
    spans = [(max(0, int(v.get("start") or 0)), min(len(text), int(v.get("end") or 0)), v) for v in violations]
    spans = [s for s in spans if s[1] > s[0]]
    if not spans:
        return escape(text)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        seg = escape(text[a:b])
        covering = [v for s, e, v in spans if s <= a and b <= e]
        if covering:
            sev = "error" if any(v.get("severity") == "error" for v in covering) else covering[0].get("severity", "warning")
            title = " · ".join(f"[{v.get('severity')}] {v.get('rule_id')}: {v.get('message')}" for v in covering)
            rules = " ".join(str(v.get("rule_id")) for v in covering)
            out.append(Markup('<mark class="violation sev-{}" title="{}" data-rule="{}">{}</mark>').format(
                sev, title, rules, seg))
        else:
            out.append(seg)
    return Markup("").join(out)


def limits_of(result: dict) -> tuple[dict, bool]:
    from brandloop.report import field_limits

    return field_limits(result)


def field_items(fields: dict, violations: list[dict], limits: dict | None = None, wide: bool = False) -> list[dict]:
    """One row per field item: label, text, highlighted HTML, 'length/limit' and that item's violations."""
    from brandloop.report import counter

    rows = []
    for name, items in (fields or {}).items():
        for i, text in enumerate(items):
            mine = [v for v in violations if v.get("field") == name and v.get("index") == i]
            rows.append({"field": name, "index": i, "label": f"{name.replace('_', ' ')} {i + 1}" if len(items) > 1
                         else name.replace("_", " "), "text": text, "html": highlight(text, mine),
                         "chars": counter(text, name, limits or {}, wide), "violations": mine})
    return rows


def unplaced(fields: dict, violations: list[dict]) -> list[dict]:
    """Violations that point at no existing field item (e.g. a missing headline)."""
    return [v for v in violations
            if not (v.get("field") in (fields or {}) and 0 <= (v.get("index") or 0) < len(fields[v["field"]]))]


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(before: str, after: str) -> Markup:
    """A word-level diff as two aligned lines: the old text with removed words in <del>, then the new text with
    added words in <ins>."""
    a, b = _TOKEN.findall(before or ""), _TOKEN.findall(after or "")
    old, new = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            old.append(escape("".join(a[i1:i2])))
            new.append(escape("".join(b[j1:j2])))
            continue
        if i2 > i1:
            old.append(Markup("<del>{}</del>").format("".join(a[i1:i2])))
        if j2 > j1:
            new.append(Markup("<ins>{}</ins>").format("".join(b[j1:j2])))
    return Markup('<span class="wd wd-old" title="before">{}</span><span class="wd wd-new" title="after">{}</span>').format(
        Markup("").join(old), Markup("").join(new))


def _changes(prev: dict, cur: dict) -> list[dict]:
    changes = []
    for name in dict.fromkeys([*prev, *cur]):
        old, new = prev.get(name, []), cur.get(name, [])
        for i in range(max(len(old), len(new))):
            o = old[i] if i < len(old) else ""
            n = new[i] if i < len(new) else ""
            if o != n:
                changes.append({"label": f"{name.replace('_', ' ')} {i + 1}", "diff": word_diff(o, n)})
    return changes


def revision_diffs(history: list[dict], variants: list[dict] | None = None) -> list[dict]:
    """Per variant, each revision as a diff against its previous draft (only changed items listed), ending with
    the delivered text (deterministic repairs, or a review edit) when it differs from the last draft."""
    by_id: dict[str, list[dict]] = {}
    for h in history or []:
        by_id.setdefault(h["id"], []).append(h)
    delivered = {v["id"]: v.get("fields") for v in variants or [] if v.get("fields")}
    out = []
    for vid, drafts in by_id.items():
        steps = [{"from_loop": f"loop {prev['loop']}", "to_loop": f"loop {cur['loop']}",
                  "changes": _changes(prev["fields"], cur["fields"])} for prev, cur in zip(drafts, drafts[1:])]
        final = delivered.get(vid)
        if final and final != drafts[-1]["fields"]:
            steps.append({"from_loop": f"loop {drafts[-1]['loop']}", "to_loop": "delivered",
                          "changes": _changes(drafts[-1]["fields"], final)})
        out.append({"id": vid, "drafts": len(drafts), "steps": steps})
    return out


def node_totals(events: list[dict]) -> list[dict]:
    """Per node, in run order: steps, seconds, LLM calls, tokens in and out; then the run's total."""
    rows: dict[str, dict] = {}
    for e in events:
        r = rows.setdefault(e["node"], {"node": e["node"], "steps": 0, "seconds": 0.0, "calls": 0,
                                         "tokens_in": 0, "tokens_out": 0, "measured": False})
        calls = e.get("calls") or []
        r["measured"] = r["measured"] or any(c.get("tokens_in") is not None for c in calls)
        r["steps"] += 1
        r["seconds"] += e.get("duration_s") or 0
        r["calls"] += len(calls)
        r["tokens_in"] += sum(c.get("tokens_in") or 0 for c in calls)
        r["tokens_out"] += sum(c.get("tokens_out") or 0 for c in calls)
    out = list(rows.values())
    if out:
        out.append({"node": "total", "measured": any(r["measured"] for r in out),
                    **{k: sum(r[k] for r in out) for k in ("steps", "seconds", "calls", "tokens_in", "tokens_out")}})
    return out


def passage_anchor(passage_id: str) -> str:
    return "passage-" + re.sub(r"[^A-Za-z0-9_-]", "-", passage_id)


def run_passages(variants: list[dict]) -> list[dict]:
    """Every guideline passage given to the critic in a run, once, with the variants that cited it."""
    seen: dict[str, dict] = {}
    for v in variants or []:
        for p in v.get("passages") or []:
            entry = seen.setdefault(p["id"], {**p, "cited_by": []})
            if p["id"] in (v.get("cited") or []):
                entry["cited_by"].append(v["id"])
    return list(seen.values())


def last_draft(history: list[dict], vid: str, loop: int | None = None) -> dict | None:
    """The variant's draft of ``loop`` (the one delivered), else its last draft."""
    drafts = [h for h in history or [] if h["id"] == vid]
    chosen = [h for h in drafts if loop is not None and h["loop"] == loop]
    return (chosen or drafts)[-1]["fields"] if drafts else None


def score_rows(variant: dict, history: list[dict]) -> list[dict]:
    """The variant's score after each critique, labelled with the loop of the draft it scored."""
    loops = [h["loop"] for h in history or [] if h["id"] == variant.get("id")]
    scores = variant.get("score_history") or []
    if len(loops) != len(scores):
        loops = list(range(len(scores)))
    return [{"loop": lp, "score": s} for lp, s in zip(loops, scores)]


def _ts(s: str | None) -> float | None:
    try:
        return datetime.fromisoformat(s).timestamp() if s else None
    except ValueError:
        return None


def timeline(events: list[dict]) -> list[dict]:
    """Trace events with offset and width (percent of the whole run) for a Gantt-like bar."""
    starts = [_ts(e.get("started")) for e in events]
    ends = [_ts(e.get("ended")) or (s + (e.get("duration_s") or 0) if s else None) for e, s in zip(events, starts)]
    known = [t for t in starts + ends if t is not None]
    t0, t1 = (min(known), max(known)) if known else (0.0, 0.0)
    span = max(t1 - t0, 1e-6)
    rows = []
    for e, s, en in zip(events, starts, ends):
        left = ((s - t0) / span * 100) if s is not None else 0.0
        width = (((en or s or t0) - (s or t0)) / span * 100) if s is not None else 0.0
        rows.append({"event": e, "left": round(left, 2), "width": round(max(width, 0.6), 2),
                     "offset_s": round((s - t0), 2) if s is not None else None})
    return rows


def pretty(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str)
