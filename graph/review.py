"""A person in the loop: after finalize, a run started with review pauses (LangGraph `interrupt`) until a person
approves, edits or rejects each delivered variant. The pause lives in the checkpoint, so it survives a restart;
`brandloop review RUN_ID` resumes it. An edit is re-checked against every rule and limit; a rejected variant is
rewritten by the copywriter with the person's note as its instruction, critiqued, finalized and shown again.

Decisions (the resume value): {variant id: {"action": "approve" | "edit" | "reject", "fields": {...} (edit),
"note": "..." (reject, optional otherwise)}, plus "_by": who decided}.
"""
from __future__ import annotations

from datetime import datetime, timezone

from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from brandloop.agents.compliance import check_variant
from brandloop.agents.context import Context, context_of, emit
from brandloop.errors import ReviewError
from brandloop.agents.tracing import NodeTrace

ACTIONS = ("approve", "edit", "reject")
SETTLED = ("approved", "edited")


def pending(variants: list[dict]) -> list[dict]:
    """Variants with text that no person has approved or edited yet (new, or rewritten after a rejection)."""
    return [v for v in variants if v.get("fields") and (v.get("review") or {}).get("decision") not in SETTLED]


def review_payload(variants: list[dict]) -> dict:
    """What the person is shown: each pending variant's text, status, score and violations."""
    keys = ("id", "angle", "fields", "delivered", "score", "violations", "repairs", "critique")
    return {"pending": [{k: v.get(k) for k in keys} for v in pending(variants)]}


def validate_decisions(decisions: dict, variants: list[dict]) -> None:
    ids = {v["id"] for v in pending(variants)}
    for vid, d in decisions.items():
        if vid.startswith("_"):
            continue
        if vid not in ids:
            raise ReviewError(f"variant '{vid}': not awaiting review (fix: decide on {', '.join(sorted(ids)) or 'none'})")
        if not isinstance(d, dict) or d.get("action") not in ACTIONS:
            raise ReviewError(f"variant '{vid}': field 'action' must be one of {', '.join(ACTIONS)}")
        if d["action"] == "edit":
            current = next(v for v in variants if v["id"] == vid)["fields"]
            fields = d.get("fields")
            if not isinstance(fields, dict) or not fields:
                raise ReviewError(f"variant '{vid}': field 'fields' is needed for an edit (fix: give field -> items)")
            for name, items in fields.items():
                if name not in current:
                    raise ReviewError(f"variant '{vid}': field '{name}' is not one of {', '.join(current)}")
                if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
                    raise ReviewError(f"variant '{vid}': field '{name}' must be a list of texts")
    missing = ids - set(decisions)
    if missing:
        raise ReviewError(f"variant(s) {', '.join(sorted(missing))}: no decision (fix: approve, edit or reject each)")


def recheck(fields: dict, state, knowledge=None) -> list[dict]:
    """Every rule and channel limit, on a person's edit (the same checks compliance runs)."""
    return [x.model_dump() for x in check_variant(fields, state, knowledge)]


def review(state, runtime: Runtime[Context]) -> dict:
    knowledge = context_of(runtime, state).knowledge
    variants = [dict(v) for v in state["variants"]]
    if not pending(variants):
        return {}
    decisions = interrupt(review_payload(variants))
    validate_decisions(decisions, variants)
    who = str(decisions.get("_by") or "unknown")
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    trace = NodeTrace("review", state.get("revision", 0), {"pending": [v["id"] for v in pending(variants)]})
    log = {}
    for v in variants:
        d = decisions.get(v["id"])
        if not d:
            continue
        note = str(d.get("note") or "")
        if d["action"] == "approve":
            v.update(status="reviewed", review={"decision": "approved", "by": who, "note": note, "at": at})
        elif d["action"] == "edit":
            fields = {k: list(d["fields"].get(k, items)) for k, items in v["fields"].items()}
            found = recheck(fields, state, knowledge)
            v.update(fields=fields, violations=found, repairs=[], status="reviewed",
                     review={"decision": "edited", "by": who, "note": note, "at": at,
                             "before": v["fields"]})
        else:
            v.update(status="revise", violations=[], instructions=[note] if note else [], versions=[],
                     review={"decision": "rejected", "by": who, "note": note, "at": at})
        log[v["id"]] = {k: x for k, x in v["review"].items() if k != "before"}
    trace.set(output=log, reviewer=who)
    history = [{"loop": state.get("revision", 0), "id": v["id"], "fields": v["fields"], "by": who}
               for v in variants if (v.get("review") or {}).get("decision") == "edited" and v["id"] in log]
    emit(runtime, trace)
    return {"variants": variants, "history": history}


def route_after_finalize(state) -> str:
    return "review" if state["settings"].review else END


def route_after_review(state) -> str:
    """A rejected variant goes back to the copywriter; otherwise the run ends."""
    return "copywriter" if any(v.get("status") == "revise" for v in state.get("variants") or []) else END
