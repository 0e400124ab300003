"""The `brandloop` command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from brandloop.cli_check import check
from brandloop.cli_common import finish, llm_factory, make_runner
from brandloop.cli_progress import llm_progress
from brandloop.cli_export import export
from brandloop.cli_model_server import model_server
from brandloop.cli_models import doctor, models
from brandloop.cli_queue import batch, worker
from brandloop.cli_review import review
from brandloop.cli_rulebook import rulebook
from brandloop.cli_serve import serve
from brandloop.cli_errors import cli_errors
from brandloop.errors import EXIT_INPUT, BriefError, HomeError, RunNotFound
from brandloop.home import data_home
from brandloop.graph.context import RunSettings
from brandloop.graph.status import AWAITING


@click.group()
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data directory for runs, caches and rulebooks (default: $BRANDLOOP_HOME or ./.brandloop).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors, and library warnings and loading bars.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, debug: bool) -> None:
    """brandloop: a creative brief in, critiqued brand-safe ad copy out, on a local LLM."""
    ctx.ensure_object(dict)
    if "home" not in ctx.obj:
        try:
            ctx.obj["home"] = data_home(home)
        except HomeError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
    ctx.obj["debug"] = debug
    if not debug:
        from brandloop.quiet import quiet_third_party

        ctx.with_resource(quiet_third_party())
    ctx.obj.setdefault("llm_factory", llm_factory(ctx.obj["home"]))


@cli.command()
@click.argument("brief", type=click.Path(path_type=Path))
@click.option("--model", "-m", default="small", show_default=True,
              help="Preset (small, large), Hugging Face model id, local folder, .gguf file, or a model server: "
                   "openai:URL#MODEL, hf-endpoint:URL.")
@click.option("--engine", type=click.Choice(["auto", "openvino", "transformers"]), default="auto", show_default=True,
              help="Inference engine: auto = OpenVINO for GGUF models on a CPU-only machine, else transformers.")
@click.option("--variants", "-n", type=click.IntRange(1, 12), default=None, help="Number of variants (default: the brief's).")
@click.option("--max-revisions", "-k", type=click.IntRange(0, 10), default=2, show_default=True,
              help="Revision budget (critique -> rewrite loops).")
@click.option("--threshold", type=click.FloatRange(0, 100), default=60.0, show_default=True, help="Pass score, 0-100.")
@click.option("--max-new-tokens", type=click.IntRange(8, 2048), default=560, show_default=True,
              help="Token budget of one copywriter generation.")
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.7, show_default=True,
              help="Sampling temperature of whole-ad drafts (0 = greedy); seeded, so runs repeat.")
@click.option("--seed", type=int, default=7, show_default=True, help="Sampling seed.")
@click.option("--frequency-penalty", type=click.FloatRange(0, 2), default=0.5, show_default=True,
              help="Lowers a token's odds each time a whole-ad draft already holds it (0 = off).")
@click.option("--rulebook", default=None, help="Rulebook name or folder (overrides the brief's).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write result.json and result.md (default: HOME/runs/RUN_ID).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@click.option("--review", "review_", is_flag=True, help="Pause after the critique: approve, edit or reject each variant.")
@click.option("--reviewer", default=None, help="Who reviews (default: your login name); kept in the trace.")
@click.pass_context
def run(ctx, brief, model, engine, variants, max_revisions, threshold, max_new_tokens, temperature, seed,
        frequency_penalty, rulebook, out, as_json, quiet, review_, reviewer):
    """Run BRIEF (YAML or JSON) end to end and print critiqued variants."""
    from brandloop.report import progress_line

    with cli_errors():
        settings = RunSettings(model=model, engine=engine, variants=variants, max_revisions=max_revisions,
                               pass_threshold=threshold, max_new_tokens=max_new_tokens, temperature=temperature,
                               seed=seed, frequency_penalty=frequency_penalty, rulebook=rulebook, review=review_)
        runner = make_runner(ctx)

        def progress(node, update):
            if not quiet:
                click.echo(progress_line(node, update), err=True)

        with llm_progress(runner, quiet):
            result = runner.run(brief, settings, on_progress=progress, out_dir=out)
        if result.get("status") == AWAITING:
            from brandloop.cli_review import default_reviewer, review_loop

            review_loop(ctx, runner, result["run_id"], result["review"], decisions_file=None,
                        reviewer=reviewer or default_reviewer(), as_json=as_json, out=out)
            return
        finish(result, out, ctx.obj["home"], as_json)


@cli.command()
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def resume(ctx, run_id, as_json):
    """Continue an interrupted run from its last checkpoint."""
    from brandloop.report import progress_line

    with cli_errors():
        runner = make_runner(ctx)
        with llm_progress(runner, quiet=False):
            result = runner.resume(run_id, on_progress=lambda n, u: click.echo(progress_line(n, u), err=True))
        if result.get("status") == AWAITING:
            click.echo(f"run {run_id} is waiting for review; decide with 'brandloop review {run_id}'", err=True)
            return
        finish(result, None, ctx.obj["home"], as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def runs(ctx, as_json, limit):
    """List past runs."""
    from brandloop.graph.status import run_counts, status_text
    from brandloop.graph.store import open_store

    with cli_errors():
        rows = open_store(ctx.obj["home"]).list_runs(limit)
        if as_json:
            click.echo(json.dumps([{k: v for k, v in r.items() if k != "input_json"} for r in rows], indent=2))
            return
        if not rows:
            click.echo("no runs yet; start one with 'brandloop run BRIEF'")
            return
        click.echo(f"{'RUN_ID':<13} {'BRAND':<16} {'CHANNEL':<11} {'STARTED':<20} {'DURATION':>8} {'STATUS':<12} APPROVED/BELOW/FAILED")
        for r in rows:
            dur = f"{r['duration_s']:.0f} s" if r.get("duration_s") is not None else "—"
            counts = "/".join(str(n) for n in run_counts(r))
            click.echo(f"{r['run_id']:<13} {(r['brand'] or '')[:16]:<16} {(r['channel'] or ''):<11} "
                       f"{(r['started'] or '')[:19]:<20} {dur:>8} {status_text(r['status']):<12} {counts}")


@cli.command()
@click.argument("run_id")
@click.option("--node", default=None, help="Only this node's events (e.g. critic).")
@click.option("--json", "as_json", is_flag=True, help="Export the trace as JSON Lines.")
@click.option("--full", is_flag=True, help="Every step in full: inputs, prompts, raw outputs, parsed results.")
@click.pass_context
def trace(ctx, run_id, node, as_json, full):
    """Summarise a run's steps, one line each (time, tokens, violations, scores); --full prints everything."""
    from brandloop.report import NODES, trace_summary, trace_text
    from brandloop.graph.store import open_store

    with cli_errors():
        if node is not None and node not in NODES:
            raise BriefError("(arguments)", "--node", f"unknown node '{node}'", f"use one of: {', '.join(NODES)}")
        store = open_store(ctx.obj["home"])
        if store.get_run(run_id) is None:
            raise RunNotFound(run_id)
        events = store.events(run_id, node)
        if as_json:
            for e in events:
                click.echo(json.dumps({"run_id": run_id, **e}, ensure_ascii=False, default=str))
        else:
            click.echo(trace_text(events) if full else trace_summary(events))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print full descriptions (features, facts) as JSON.")
@click.option("--summary", is_flag=True,
              help="Also have the LLM word a one-sentence summary (loads the model; minutes on a CPU).")
@click.option("--model", "-m", default="small", show_default=True, help="Model that words the summaries (--summary).")
@click.option("--no-summary", is_flag=True, hidden=True, help="The default now; kept for old scripts.")
@click.pass_context
def describe(ctx, files, as_json, summary, model, no_summary):
    """Describe ad materials (images, video, audio, pages, text): measured features and facts; --summary adds a sentence."""
    from brandloop.agents.describer import describe_files
    from brandloop.agents.tracing import NodeTrace
    from brandloop.graph.context import RunSettings

    with cli_errors():
        llm = ctx.obj["llm_factory"](model) if summary and not no_summary else None
        reports = describe_files(list(files), llm, NodeTrace("describer"), cache_dir=ctx.obj["home"] / "cache" / "materials",
                                 max_new_tokens=RunSettings().summary_max_new_tokens)
        if as_json:
            click.echo(json.dumps(reports, indent=2, ensure_ascii=False))
        else:
            for r in reports:
                click.echo(f"== {r['source']} ({r.get('kind')})")
                if r.get("error"):
                    click.echo(f"   error: {r['error']}")
                    continue
                if llm is not None:
                    click.echo(f"   summary: {r['summary']}")
                click.echo("   " + r["prompt_digest"].replace("\n", "\n   "))
        if any(r.get("error") for r in reports):
            sys.exit(EXIT_INPUT)


@cli.command(name="eval")
@click.argument("briefs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--model", "-m", default="small", show_default=True)
@click.option("--max-revisions", "-k", type=click.IntRange(0, 10), default=2, show_default=True)
@click.option("--max-new-tokens", type=click.IntRange(8, 2048), default=560, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON report here.")
@click.option("--engine", type=click.Choice(["auto", "openvino", "transformers"]), default="auto", show_default=True)
@click.option("--baseline", is_flag=True,
              help="Also run each brief single-shot (every rule in one prompt, no loop, no repairs) and compare.")
@click.option("--frequency-penalty", type=click.FloatRange(0, 2), default=0.5, show_default=True,
              help="Lowers a token's odds each time a whole-ad draft already holds it (0 = off).")
@click.pass_context
def eval_cmd(ctx, briefs, model, max_revisions, max_new_tokens, as_json, out, engine, baseline, frequency_penalty):
    """Run BRIEFS (default: examples/briefs/*.yaml) and report compliance, scores, diversity and stop reasons."""
    from brandloop.evaluate import evaluate, markdown
    from brandloop.report import progress_line

    with cli_errors():
        paths = list(briefs) or sorted(Path("examples/briefs").glob("*.yaml"))
        if not paths:
            raise BriefError("(arguments)", "BRIEFS", "no briefs given and none in examples/briefs", "name brief files")
        settings = RunSettings(model=model, engine=engine, max_revisions=max_revisions, max_new_tokens=max_new_tokens,
                               frequency_penalty=frequency_penalty)
        report = evaluate(make_runner(ctx), paths, settings, on_progress=lambda n, u: click.echo(progress_line(n, u), err=True),
                          baseline=baseline)
        if out:
            out.write_text(json.dumps(report, indent=2))
        click.echo(json.dumps(report, indent=2) if as_json else markdown(report))


@cli.command()
@click.argument("run_id")
@click.argument("variant")
@click.pass_context
def diff(ctx, run_id, variant):
    """Show the text diff between the revisions of one VARIANT (e.g. v1) of a run."""
    from brandloop.report import revision_diffs
    from brandloop.graph.store import open_store

    with cli_errors():
        values = open_store(ctx.obj["home"]).latest_values(run_id)
        if values is None:
            raise RunNotFound(run_id)
        drafts = [h for h in values.get("history", []) if h["id"] == variant]
        final = next((v for v in values.get("variants", []) if v["id"] == variant), None)
        if final is None:
            ids = ", ".join(v["id"] for v in values.get("variants", []))
            raise BriefError("(runs)", "VARIANT", f"run '{run_id}' has no variant '{variant}'", f"use one of: {ids}")
        click.echo(revision_diffs(drafts, final))


cli.add_command(rulebook)
cli.add_command(export)
cli.add_command(check)
cli.add_command(review)
cli.add_command(serve)
cli.add_command(models)
cli.add_command(doctor)
cli.add_command(batch)
cli.add_command(worker)
cli.add_command(model_server)


def main() -> None:
    cli(obj={})
