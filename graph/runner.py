"""Run a brief through the compiled graph with a SQLite checkpointer, streaming progress node by node and
recording every trace event as it happens. Also resumes an interrupted run from its last checkpoint."""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Callable

from langchain_core.language_models import BaseChatModel

from brandloop.agents.context import Context
from brandloop.errors import BriefError, ReviewError, RulebookError, RunCancelled, RunNotFound, RunStateError
from brandloop.graph.brief import Brief, load_brief
from brandloop.graph.builder import recursion_limit, with_checkpointer
from brandloop.graph.context import RunSettings
from brandloop.graph.result import RunResult, VariantResult
from brandloop.graph.review import recheck, review_payload, validate_decisions
from brandloop.graph.status import AWAITING, delivery_counts
from brandloop.graph.store import RunStore, open_store, typed_values

LLMFactory = Callable[..., BaseChatModel]  # (model spec, engine=...) -> chat model
Progress = Callable[[str, dict], None]

RESULT_KEYS = tuple(VariantResult.model_fields)  # what a delivered variant shows: one definition


def rulebook_of(brief: Brief, settings: RunSettings) -> str | None:
    """The run's rulebook: the settings' override, else the brief's own. Every surface resolves it here."""
    return settings.rulebook or brief.rulebook


def load_knowledge(home: Path, rulebook: str | None, brief_dir: Path, brief_file: str, names_only: bool = False):
    """The brand knowledge for a rulebook name or folder (relative to the brief), or None without one.

    names_only (the web): the rulebook must be an installed or bundled name, never a folder."""
    if not rulebook:
        return None
    from brandloop.errors import InvalidName
    from brandloop.knowledge.names import check_name
    from brandloop.knowledge.registry import RulebookRegistry  # noqa: PLC0415 - heavy (chromadb); only when needed

    if names_only:
        try:
            check_name(rulebook)
        except InvalidName as exc:
            raise BriefError(brief_file, "rulebook", str(exc), "choose an installed rulebook by name") from None
    target = brief_dir / rulebook
    try:
        return RulebookRegistry(home).ensure(rulebook if names_only or not target.is_dir() else target)
    except RulebookError as exc:  # a user error with its own one-line message
        raise BriefError(brief_file, "rulebook", str(exc), "add it with 'brandloop rulebook add PATH'") from None


def run_model_info(llm: BaseChatModel, events: list[dict]) -> dict:
    """How the run's model was served (engine, device, load time) and what the run asked of it (tokens, speed)."""
    info = getattr(llm, "info", None)
    out = info.as_dict() if hasattr(info, "as_dict") else {"engine": type(llm).__name__}
    out.pop("extra", None)
    calls = [c for e in events for c in e.get("calls", [])]
    tokens_in = sum(c.get("tokens_in") or 0 for c in calls)
    tokens_out = sum(c.get("tokens_out") or 0 for c in calls)
    seconds = sum((c.get("llm_seconds") or 0) for c in calls)
    out.update(calls=len(calls), tokens_in=tokens_in, tokens_out=tokens_out, generate_seconds=round(seconds, 2),
               tokens_per_second=round(tokens_out / seconds, 2) if seconds else None)
    return out


def result_of(run_id: str, values: dict, run_row: dict | None = None, model_info: dict | None = None,
              knowledge=None) -> dict:
    """The user-facing result: final variants with critique, scores, violations, repairs and stop reasons."""
    variants = [{k: v.get(k) for k in RESULT_KEYS if k in v} for v in values.get("variants", [])]
    brief, settings = values.get("brief"), values.get("settings")
    result = {
        "run_id": run_id,
        "brand": brief.brand if brief else None,
        "product": brief.product.name if brief else None,
        "channel": brief.channel if brief else None,
        "model": settings.model if settings else None,
        "stop_reason": values.get("stop_reason"),
        "revision_loops": values.get("revision", 0),
        "set_metrics": values.get("set_metrics", {}),
        "variants": variants,
        "materials": [{k: m.get(k) for k in ("source", "kind", "summary", "facts", "error")}
                      for m in values.get("materials", [])],
        "history": values.get("history", []),
        "status": (run_row or {}).get("status"),
        "model_info": model_info,
        "limits": _limits(values, knowledge),
        "pass_threshold": settings.pass_threshold if settings else None,
    }
    return RunResult.model_validate(result).model_dump(mode="json")


def stored_result(store: RunStore, run_id: str) -> tuple[dict, dict]:
    """(result, brief) of a finished run, from its last checkpoint; one-line errors for unknown or unfinished runs."""
    row = store.get_run(run_id)
    values = store.latest_values(run_id) if row else None
    if not values:
        raise RunNotFound(run_id)
    if row.get("status") == AWAITING:
        raise RunStateError("(runs)", "RUN_ID", f"run '{run_id}' is awaiting review", f"decide with 'brandloop review {run_id}'")
    if not values.get("variants") or any("delivered" not in v for v in values["variants"]):
        raise RunStateError("(runs)", "RUN_ID", f"run '{run_id}' has not finished ({row.get('status')})",
                            f"finish it with 'brandloop resume {run_id}'")
    return result_of(run_id, values, row), values["brief"].model_dump() if values.get("brief") else {}


def _limits(values: dict, knowledge) -> dict[str, int] | None:
    from brandloop.agents.common import channel_of

    try:
        return {name: f.max_chars for name, f in channel_of(values, knowledge).fields.items()}
    except (KeyError, TypeError, ValueError):  # an old or partial checkpoint: the result still renders without limits
        return None


class Runner:
    def __init__(self, home: Path, llm_factory: LLMFactory):
        self.home = Path(home)
        self.store = open_store(self.home)
        self.llm_factory = llm_factory
        self.llm_progress = None  # a graph.progress.LLMProgress: reports on LLM batches, and the cancel flag

    def context(self, llm: BaseChatModel, knowledge) -> Context:
        return Context(llm=llm, knowledge=knowledge, cache_dir=self.home / "cache" / "materials")

    def _execute(self, run_id: str, run_input, knowledge, llm, settings: RunSettings,
                 on_progress: Progress | None) -> dict:
        config = {"configurable": {"thread_id": run_id}, "recursion_limit": recursion_limit(settings.max_revisions)}
        if self.llm_progress is not None:
            config["callbacks"] = [self.llm_progress]
        with self.store.checkpointer() as saver:
            app = with_checkpointer(saver)
            events: list[dict] = []  # trace events of the node now running (the custom stream), written once
            try:
                for mode, chunk in app.stream(run_input, config, stream_mode=["custom", "updates"],
                                              durability="sync", context=self.context(llm, knowledge)):
                    if mode == "custom":
                        if isinstance(chunk, dict) and "trace" in chunk:
                            events.append(chunk["trace"])
                        continue
                    if (chunk.get("__metadata__") or {}).get("cached"):
                        continue  # a step that finished before a stop, replayed from its saved writes: reported then
                    done, events = events, []
                    self.store.add_events(run_id, done)
                    for node, update in chunk.items():
                        if node == "__interrupt__":  # a review pause: reported below from the checkpoint
                            continue
                        if on_progress:
                            on_progress(node, {**(update or {}), "trace": [e for e in done if e["node"] == node]})
                    if self.llm_progress is not None:
                        self.llm_progress.check_cancel()
            except KeyboardInterrupt:
                self.store.finish_run(run_id, status="interrupted", error="interrupted by the user")
                raise
            except RunCancelled:
                self.store.finish_run(run_id, status="interrupted",
                                      error=f"cancelled by the user; continue it with 'brandloop resume {run_id}'")
                raise
            except BaseException as exc:
                try:
                    exc.run_id = run_id  # for messages such as "free space, then 'brandloop resume RUN_ID'"
                except AttributeError:
                    pass
                self.store.finish_run(run_id, status="error", error=f"{type(exc).__name__}: {exc}")
                raise
            finally:
                if events:  # a node that finished, but whose step was not saved
                    self.store.add_events(run_id, events)
            snapshot = app.get_state(config)
            values = typed_values(snapshot.values)
        counts = delivery_counts(values.get("variants", []))
        if snapshot.interrupts:
            self.store.finish_run(run_id, status=AWAITING, passed=counts["approved"], below=counts["below_threshold"],
                                  failed=counts["failed"], stop_reason=values.get("stop_reason", ""))
            return {**result_of(run_id, values, self.store.get_run(run_id), run_model_info(llm, self.store.events(run_id)),
                              knowledge), "review": snapshot.interrupts[0].value}
        self.store.finish_run(run_id, status="completed", passed=counts["approved"], below=counts["below_threshold"],
                              failed=counts["failed"], stop_reason=values.get("stop_reason", ""))
        return result_of(run_id, values, self.store.get_run(run_id), run_model_info(llm, self.store.events(run_id)),
                         knowledge)

    def run(self, brief_path: str | Path, settings: RunSettings | None = None, *, run_id: str | None = None,
            on_progress: Progress | None = None, out_dir: Path | None = None,
            material_roots: list[Path] | None = None) -> dict:
        """material_roots (the web): materials must lie inside these folders, and rulebooks are names only."""
        settings = settings or RunSettings()
        brief, base = load_brief(brief_path, material_roots)
        knowledge = load_knowledge(self.home, rulebook_of(brief, settings), base, str(brief_path),
                                   names_only=material_roots is not None)
        llm = self.llm_factory(settings.model, engine=settings.engine)
        run_id = run_id or uuid.uuid4().hex[:12]
        out = out_dir or (self.home / "runs" / run_id)
        self.store.start_run(run_id, brand=brief.brand, channel=brief.channel, brief_path=str(brief_path),
                             model=settings.model, out_dir=str(out), run_input={
                                 "brief": brief.model_dump(), "brief_dir": str(base), "settings": settings.model_dump()})
        run_input = {"brief": brief, "brief_dir": str(base), "settings": settings}
        return self._execute(run_id, run_input, knowledge, llm, settings, on_progress)

    def _stored_input(self, run_id: str, row: dict) -> tuple[Brief, RunSettings, Path]:
        """(brief, settings, brief folder) of a started run: from its last checkpoint, else from its runs row."""
        values = self.store.latest_values(run_id)
        if values and values.get("brief") and values.get("settings"):
            return values["brief"], values["settings"], Path(values["brief_dir"])
        run_input = json.loads(row["input_json"])
        return (Brief.model_validate(run_input["brief"]), RunSettings.model_validate(run_input["settings"]),
                Path(run_input["brief_dir"]))

    def _continue(self, run_id: str, row: dict, command, on_progress: Progress | None) -> dict:
        brief, settings, base = self._stored_input(run_id, row)
        knowledge = load_knowledge(self.home, rulebook_of(brief, settings), base, row["brief_path"])
        llm = self.llm_factory(settings.model, engine=settings.engine)
        self.store.mark_running(run_id)
        return self._execute(run_id, command, knowledge, llm, settings, on_progress)

    def paused_state(self, run_id: str) -> tuple[dict, dict]:
        """(state values, review payload) of a run paused for review; one-line errors otherwise."""
        row = self.store.get_run(run_id)
        values = self.store.latest_values(run_id) if row else None
        if not values:
            raise RunNotFound(run_id)
        if row["status"] != AWAITING:
            raise RunStateError("(runs)", "RUN_ID", f"run '{run_id}' is not awaiting review ({row['status']})",
                                "start one with 'brandloop run BRIEF --review'")
        return values, review_payload(values.get("variants", []))

    def pending_review(self, run_id: str) -> dict:
        """What a person is asked to decide on in a paused run."""
        return self.paused_state(run_id)[1]

    def recheck(self, run_id: str, fields: dict) -> list[dict]:
        """Every rule and limit on an edit, before it is submitted."""
        values, _ = self.paused_state(run_id)
        knowledge = load_knowledge(self.home, rulebook_of(values["brief"], values["settings"]),
                                   Path(values["brief_dir"]), "(review)")
        return recheck(fields, values, knowledge)

    def review(self, run_id: str, decisions: dict, *, on_progress: Progress | None = None) -> dict:
        """Resume a paused run with a person's decisions; it pauses again if a rejected variant was rewritten."""
        from langgraph.types import Command

        values, _ = self.paused_state(run_id)
        try:
            validate_decisions(decisions, values.get("variants", []))
        except ReviewError as exc:
            raise BriefError(f"run {run_id}", "decisions", str(exc)) from None
        return self._continue(run_id, self.store.get_run(run_id), Command(resume=decisions), on_progress)

    def resume(self, run_id: str, *, on_progress: Progress | None = None) -> dict:
        row = self.store.get_run(run_id)
        if row is None:
            raise RunNotFound(run_id[:64])
        return self._continue(run_id, row, None, on_progress)
