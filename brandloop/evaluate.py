"""`brandloop eval`: run briefs and report hard-rule compliance, score gain, diversity, relevance, stop reasons."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import mean

from agents.compliance import check_variant
from brandloop.report import CLEAN, write_result
from graph.context import RunSettings
from graph.runner import Runner, load_knowledge
from graph.store import open_store
from knowledge.violations import hard_count


def recheck(home: Path, run_id: str) -> list[dict]:
    """Independently re-run every exact check on each delivered variant of a finished run."""
    values = open_store(home).latest_values(run_id) or {}
    brief = values["brief"]
    settings = RunSettings.model_validate(values.get("settings") or {})
    knowledge = load_knowledge(home, settings.rulebook or brief.get("rulebook"), Path(values["brief_dir"]), "(eval)")
    out = []
    for v in values.get("variants", []):
        if not v.get("fields"):
            out.append({"id": v["id"], "delivered": v.get("delivered"), "hard": None})
            continue
        out.append({"id": v["id"], "delivered": v.get("delivered"),
                    "hard": hard_count(check_variant(v["fields"], values, knowledge))})
    return out


def evaluate(runner: Runner, briefs: list[Path], settings: RunSettings, on_progress=None) -> dict:
    rows = []
    for b in briefs:
        result = runner.run(b, settings, on_progress=on_progress)
        write_result(result, runner.home / "runs" / result["run_id"])
        checks = recheck(runner.home, result["run_id"])
        variants = result["variants"]
        clean = [c for c in checks if c["delivered"] in CLEAN]
        marked_failed = [c for c in checks if c["delivered"] == "failed"]
        first = [v["score_history"][0] for v in variants if v.get("score_history")]
        final = [v["score"] for v in variants if v.get("score") is not None]
        rel = [v["metrics"]["relevance"] for v in variants if v.get("metrics")]
        rows.append({
            "brief": str(b), "run_id": result["run_id"], "variants": len(variants),
            "delivered_clean": len(clean), "marked_failed": len(marked_failed),
            "clean_with_hard_violations": sum(1 for c in clean if c["hard"]),
            "hard_rule_compliance": round(sum(1 for c in clean if c["hard"] == 0) / len(clean), 3) if clean else None,
            "first_draft_score": round(mean(first), 1) if first else None,
            "final_score": round(mean(final), 1) if final else None,
            "distinct_2": result.get("set_metrics", {}).get("distinct_2"),
            "max_pairwise_cosine": result.get("set_metrics", {}).get("max_pairwise_cosine"),
            "relevance": round(mean(rel), 1) if rel else None,
            "stop_reason": result["stop_reason"],
            "variant_stop_reasons": dict(Counter(v.get("stop_reason") for v in variants)),
            "revision_loops": result["revision_loops"],
        })
    clean_total = sum(r["delivered_clean"] for r in rows)
    bad_total = sum(r["clean_with_hard_violations"] for r in rows)
    summary = {
        "briefs": len(rows),
        "variants": sum(r["variants"] for r in rows),
        "delivered_clean": clean_total,
        "marked_failed": sum(r["marked_failed"] for r in rows),
        "hard_rule_compliance_of_delivered": round((clean_total - bad_total) / clean_total, 3) if clean_total else None,
        "mean_first_draft_score": _mean(r["first_draft_score"] for r in rows),
        "mean_final_score": _mean(r["final_score"] for r in rows),
        "mean_distinct_2": _mean(r["distinct_2"] for r in rows),
        "mean_relevance": _mean(r["relevance"] for r in rows),
        "stop_reasons": dict(Counter(r["stop_reason"] for r in rows)),
    }
    return {"summary": summary, "briefs": rows, "settings": settings.model_dump()}


def _mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(mean(xs), 1) if xs else None


def markdown(report: dict) -> str:
    s = report["summary"]
    lines = ["| brief | variants | delivered clean | marked failed | hard-rule compliance | first-draft score | "
             "final score | distinct-2 | max pair cosine | relevance | stop reason | loops |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["briefs"]:
        lines.append(f"| {Path(r['brief']).name} | {r['variants']} | {r['delivered_clean']} | {r['marked_failed']} | "
                     f"{_pct(r['hard_rule_compliance'])} | {r['first_draft_score']} | {r['final_score']} | "
                     f"{r['distinct_2']} | {r['max_pairwise_cosine']} | {r['relevance']} | {r['stop_reason']} | "
                     f"{r['revision_loops']} |")
    lines += ["", f"Overall: {s['variants']} variants, {s['delivered_clean']} delivered clean, {s['marked_failed']} "
                  f"marked failed; hard-rule compliance of delivered variants {_pct(s['hard_rule_compliance_of_delivered'])}; "
                  f"mean score {s['mean_first_draft_score']} (first drafts) → {s['mean_final_score']} (final); "
                  f"stop reasons {s['stop_reasons']}."]
    return "\n".join(lines)


def _pct(x) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"
