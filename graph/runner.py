"""Run a brief through the compiled graph with a SQLite checkpointer, streaming progress node by node and
recording every trace event as it happens. Also resumes an interrupted run from its last checkpoint."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable

from langchain_core.language_models import BaseChatModel

from graph.brief import BriefError, load_brief
from graph.builder import build_graph, recursion_limit
from graph.context import RunSettings
from graph.result import RunResult, VariantResult
from graph.store import RunStore

LLMFactory = Callable[[str], BaseChatModel]
Progress = Callable[[str, dict], None]

RESULT_KEYS = tuple(VariantResult.model_fields)  # what a delivered variant shows: one definition


def load_knowledge(home: Path, rulebook: str | None, brief_dir: Path, brief_file: str, names_only: bool = False):
    """The brand knowledge for a rulebook name or folder (relative to the brief), or None without one.

    names_only (the web): the rulebook must be an installed or bundled name, never a folder."""
    if not rulebook:
        return None
    from knowledge.names import InvalidName, check_name
    from knowledge.registry import RulebookRegistry  # noqa: PLC0415 - heavy (chromadb); only when needed

    if names_only:
        try:
            check_name(rulebook)
        except InvalidName as exc:
            raise BriefError(brief_file, "rulebook", str(exc), "choose an installed rulebook by name") from None
    target = brief_dir / rulebook
    try:
        return RulebookRegistry(home).ensure(rulebook if names_only or not target.is_dir() else target)
    except Exception as exc:  # registry errors are user errors with their own one-line message
        if type(exc).__name__ == "RulebookError":
            raise BriefError(brief_file, "rulebook", str(exc), "add it with 'brandloop rulebook add PATH'") from None
        raise


def result_of(run_id: str, values: dict, run_row: dict | None = None) -> dict:
    """The user-facing result: final variants with critique, scores, violations, repairs and stop reasons."""
    variants = [{k: v.get(k) for k in RESULT_KEYS if k in v} for v in values.get("variants", [])]
    result = {
        "run_id": run_id,
        "brand": values.get("brief", {}).get("brand"),
        "product": values.get("brief", {}).get("product", {}).get("name"),
        "channel": values.get("brief", {}).get("channel"),
        "model": (values.get("settings") or {}).get("model"),
        "stop_reason": values.get("stop_reason"),
        "revision_loops": values.get("revision", 0),
        "set_metrics": values.get("set_metrics", {}),
        "variants": variants,
        "materials": [{k: m.get(k) for k in ("source", "kind", "summary", "facts", "error")}
                      for m in values.get("materials", [])],
        "history": values.get("history", []),
        "status": (run_row or {}).get("status"),
    }
    return RunResult.model_validate(result).model_dump(mode="json")


class Runner:
    def __init__(self, home: Path, llm_factory: LLMFactory):
        self.home = Path(home)
        self.store = RunStore(self.home)
        self.llm_factory = llm_factory

    def _execute(self, run_id: str, run_input: dict | None, knowledge, llm, settings: RunSettings,
                 on_progress: Progress | None) -> dict:
        graph = build_graph(llm, knowledge, cache_dir=self.home / "cache" / "materials")
        config = {"configurable": {"thread_id": run_id}, "recursion_limit": recursion_limit(settings.max_revisions)}
        with self.store.checkpointer() as saver:
            app = graph.compile(checkpointer=saver)
            try:
                for chunk in app.stream(run_input, config, stream_mode="updates", durability="sync"):
                    for node, update in chunk.items():
                        update = update or {}
                        self.store.add_events(run_id, update.get("trace", []))
                        if on_progress:
                            on_progress(node, update)
            except KeyboardInterrupt:
                self.store.finish_run(run_id, status="interrupted", error="interrupted by the user")
                raise
            except BaseException as exc:
                try:
                    exc.run_id = run_id  # for messages such as "free space, then 'brandloop resume RUN_ID'"
                except AttributeError:
                    pass
                self.store.finish_run(run_id, status="error", error=f"{type(exc).__name__}: {exc}")
                raise
            values = app.get_state(config).values
        delivered = [v.get("delivered") for v in values.get("variants", [])]
        self.store.finish_run(run_id, status="completed", passed=sum(d in ("passed", "repaired", "below_threshold") for d in delivered),
                              failed=sum(d == "failed" for d in delivered), stop_reason=values.get("stop_reason", ""))
        return result_of(run_id, values, self.store.get_run(run_id))

    def run(self, brief_path: str | Path, settings: RunSettings | None = None, *, run_id: str | None = None,
            on_progress: Progress | None = None, out_dir: Path | None = None,
            material_roots: list[Path] | None = None) -> dict:
        """material_roots (the web): materials must lie inside these folders, and rulebooks are names only."""
        settings = settings or RunSettings()
        brief, base = load_brief(brief_path, material_roots)
        knowledge = load_knowledge(self.home, settings.rulebook or brief.rulebook, base, str(brief_path),
                                   names_only=material_roots is not None)
        llm = self.llm_factory(settings.model)
        run_id = run_id or uuid.uuid4().hex[:12]
        run_input = {"brief": brief.model_dump(), "brief_dir": str(base), "settings": settings.model_dump()}
        out = out_dir or (self.home / "runs" / run_id)
        self.store.start_run(run_id, brand=brief.brand, channel=brief.channel, brief_path=str(brief_path),
                             model=settings.model, out_dir=str(out), run_input=run_input)
        return self._execute(run_id, run_input, knowledge, llm, settings, on_progress)

    def resume(self, run_id: str, *, on_progress: Progress | None = None) -> dict:
        import json

        row = self.store.get_run(run_id)
        if row is None:
            raise BriefError("(runs)", "run_id", f"no run with id '{run_id[:64]}'", "see 'brandloop runs'")
        run_input = json.loads(row["input_json"])
        settings = RunSettings.model_validate(run_input["settings"])
        brief = run_input["brief"]
        knowledge = load_knowledge(self.home, settings.rulebook or brief.get("rulebook"), Path(run_input["brief_dir"]),
                                   row["brief_path"])
        llm = self.llm_factory(settings.model)
        self.store.mark_running(run_id)
        return self._execute(run_id, None, knowledge, llm, settings, on_progress)
