"""Rendering of results and traces for people: Markdown result files and terminal text."""
from __future__ import annotations

import difflib
import json
from pathlib import Path

from brandloop.agents.common import labelled

DELIVERY_MARK = {"approved": "APPROVED",
                 "below_threshold": "CLEAN, not approved (score under the threshold or a line lint flags)",
                 "failed": "FAILED (hard-rule violations remain)"}
CLEAN = ("approved", "below_threshold")


def delivery_mark(v: dict) -> str:
    """APPROVED / CLEAN, not approved ... / FAILED, plus '(repaired)' when deterministic repairs changed the text."""
    mark = DELIVERY_MARK.get(v.get("delivered"), str(v.get("delivered")))
    return f"{mark} (repaired: {len(v.get('repairs') or [])} fix(es))" if v.get("repaired") else mark


def field_limits(result: dict) -> tuple[dict[str, int], bool]:
    """({field: characters allowed}, whether wide characters count 2) for a result's channel."""
    from brandloop.knowledge.channels import get_channel

    try:
        spec = get_channel(result.get("channel") or "")
    except KeyError:
        return result.get("limits") or {}, False
    return result.get("limits") or {k: f.max_chars for k, f in spec.fields.items()}, spec.wide_chars_count_double


def counter(text: str, field: str, limits: dict[str, int], wide: bool = False) -> str:
    """'15/30': characters as the channel counts them, over the limit; '15 chars' when the field has none."""
    from brandloop.knowledge.text import char_length

    n = char_length(text or "", wide_counts_double=wide)
    return f"{n}/{limits[field]}" if field in limits else f"{n} chars"


def field_lines(fields: dict[str, list[str]], limits: dict[str, int], wide: bool = False) -> list[tuple[str, str, str]]:
    """(label, counter, text) per field item, in field order."""
    labels = iter(labelled(fields))
    return [(next(labels)[0], counter(text, name, limits, wide), text) for name, items in fields.items() for text in items]


def variant_lines(v: dict, limits: dict[str, int] | None = None, wide: bool = False) -> list[str]:
    lines = [f"### Variant {v['id']} — {delivery_mark(v)}", ""]
    for lab, count, text in field_lines(v.get("fields") or {}, limits or {}, wide):
        lines.append(f"- **{lab}** ({count}): {text}")
    if v.get("error"):
        lines.append(f"- error: {v['error']}")
    hist = " → ".join(f"{s:g}" for s in v.get("score_history") or [])
    lines += ["", f"- score of the delivered text: {v.get('score', '—')} (as critiqued: {v.get('critiqued_score', '—')}; "
                  f"history: {hist or '—'}); revisions: {v.get('revisions', 0)}",
              f"- stop reason: {v.get('stop_reason')}", f"- angle: {v.get('angle')}",
              f"- critique: {v.get('critique', '—')}"]
    if v.get("cited"):
        lines.append(f"- cited guidelines: {', '.join(v['cited'])}")
    for r in v.get("repairs") or []:
        change = f"“{r['before']}” → “{r['after']}”" if r["after"] else f"“{r['before']}” dropped"
        lines.append(f"- repaired ({r['rule_id']}) {r['field']} {r['index'] + 1}: {change}")
    for x in v.get("violations") or []:
        lines.append(f"- violation [{x['severity']}] {x['rule_id']}: {x['message']}")
    return lines + [""]


def result_markdown(result: dict) -> str:
    lines = [f"# brandloop result {result['run_id']}", "",
             f"{result.get('brand')} · {result.get('product')} · channel `{result.get('channel')}` · model "
             f"`{result.get('model')}`", "",
             f"Stop reason: **{result.get('stop_reason')}** after {result.get('revision_loops', 0)} revision loop(s).", ""]
    for m in result.get("materials") or []:
        lines.append(f"- material {m['source']}: {m.get('error') or m.get('summary')}")
    if result.get("materials"):
        lines.append("")
    limits, wide = field_limits(result)
    for v in result["variants"]:
        lines += variant_lines(v, limits, wide)
    return "\n".join(lines)


def write_result(result: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    j, m = out_dir / "result.json", out_dir / "result.md"
    j.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    m.write_text(result_markdown(result), encoding="utf-8")
    return j, m


def progress_line(node: str, update: dict) -> str:
    ev = (update.get("trace") or [{}])[-1]
    loop = ev.get("loop", 0)
    dur = ev.get("duration_s")
    out = ev.get("output")
    detail = ""
    if node == "copywriter":
        detail = f"wrote {', '.join(ev.get('inputs', {}).get('write', [])) or 'nothing'}"
    elif node == "compliance":
        detail = ", ".join(f"{k}: {n} violation(s)" for k, n in (ev.get("violations") or {}).items())
    elif node == "critic":
        detail = ", ".join(f"{k}: {s:g}" for k, s in (ev.get("scores") or {}).items())
    elif node == "describer":
        detail = f"{len(out or [])} material(s)"
    elif node == "retrieve":
        detail = f"{len((out or {}).get('facts', []))} facts, {len((out or {}).get('guidelines', []))} passages"
    elif node == "finalize":
        detail = f"stop: {update.get('stop_reason')}"
    dur_s = f" ({dur:.1f} s)" if isinstance(dur, (int, float)) else ""
    return f"[{node}] loop {loop}{dur_s} {detail}".rstrip()


# The graph's nodes, in run order (tests check this against graph.builder).
NODES = ("describer", "retrieve", "copywriter", "compliance", "critic", "revise", "finalize", "review")


def _per_variant(values: dict | None) -> str:
    return " ".join(f"{k}:{v:g}" for k, v in (values or {}).items()) or "—"


def trace_summary(events: list[dict]) -> str:
    """One line per step: time, LLM calls, tokens in→out, violations and scores per variant; then the totals."""
    head = f"{'#':>3}  {'node':<10} {'loop':>4} {'time':>8} {'calls':>5} {'tokens in→out':>14}  {'violations':<20} scores"
    lines = [head]
    total_s = total_calls = tok_in = tok_out = 0
    measured = False
    for e in events:
        calls = e.get("calls") or []
        t_in = sum(c.get("tokens_in") or 0 for c in calls)
        t_out = sum(c.get("tokens_out") or 0 for c in calls)
        dur = e.get("duration_s") or 0
        total_s, total_calls, tok_in, tok_out = total_s + dur, total_calls + len(calls), tok_in + t_in, tok_out + t_out
        known = any(c.get("tokens_in") is not None for c in calls)
        measured = measured or known
        tokens = f"{t_in}→{t_out}" if known else "—"
        lines.append(f"{e.get('seq', ''):>3}  {e['node']:<10} {e.get('loop', 0):>4} {dur:>6.1f} s {len(calls):>5} "
                     f"{tokens:>14}  {_per_variant(e.get('violations')):<20} {_per_variant(e.get('scores'))}".rstrip())
    tokens = f"tokens {tok_in}→{tok_out}" if measured else "tokens not recorded"
    lines.append(f"total: {len(events)} step(s), {total_s:.1f} s, {total_calls} LLM call(s), {tokens}")
    lines.append("prompts and raw outputs: --full; one node: --node NAME; JSON Lines: --json")
    return "\n".join(lines)


def trace_text(events: list[dict], *, full: bool = True) -> str:
    lines = []
    for e in events:
        lines.append(f"── #{e['seq']} {e['node']} (loop {e.get('loop', 0)}) {e.get('started', '')} "
                     f"{e.get('duration_s', 0):.2f} s")
        if e.get("inputs"):
            lines.append(f"   inputs: {json.dumps(e['inputs'], ensure_ascii=False)}")
        for c in e.get("calls", []):
            tok = f"tokens {c.get('tokens_in')}→{c.get('tokens_out')}" if c.get("tokens_in") is not None else ""
            lines.append(f"   ├─ LLM call for {c['target']} (attempt {c['attempt']}) {tok}")
            if full:
                lines.append("   │  prompt:")
                lines += [f"   │    {ln}" for ln in (c.get("prompt") or "").splitlines()]
                lines.append("   │  raw output:")
                lines += [f"   │    {ln}" for ln in (c.get("raw_output") or "").splitlines()]
            lines.append(f"   │  parsed: {json.dumps(c.get('parsed'), ensure_ascii=False)}")
            if c.get("error"):
                lines.append(f"   │  parse problems: {c['error']}")
        if e.get("output") is not None:
            lines.append(f"   └─ output: {json.dumps(e['output'], ensure_ascii=False)}")
    return "\n".join(lines)


def _as_lines(fields: dict[str, list[str]]) -> list[str]:
    return [f"{lab}: {text}" for lab, text in labelled(fields or {})]


def revision_diffs(drafts: list[dict], final: dict) -> str:
    """Unified diffs draft -> draft (per loop), then last draft -> delivered text (deterministic repairs)."""
    versions = [(f"loop {d['loop']}", d["fields"]) for d in drafts]
    if final.get("fields") and (not versions or versions[-1][1] != final["fields"]):
        versions.append(("delivered", final["fields"]))
    if len(versions) < 2:
        return f"{final['id']}: only one version; nothing to diff\n" + "\n".join(_as_lines(final.get("fields")))
    out = []
    for (a_name, a), (b_name, b) in zip(versions, versions[1:]):
        diff = list(difflib.unified_diff(_as_lines(a), _as_lines(b), f"{final['id']} {a_name}",
                                         f"{final['id']} {b_name}", lineterm=""))
        out += diff or [f"{final['id']} {a_name} → {b_name}: unchanged"]
    return "\n".join(out)
