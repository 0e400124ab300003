"""`brandloop batch BRIEF...` enqueues runs on the shared queue; `brandloop worker` executes them."""
from __future__ import annotations

import json
import signal
import uuid
from pathlib import Path

import click

from brandloop.cli_errors import cli_errors
from brandloop.graph.context import RunSettings


@click.command()
@click.argument("briefs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--model", "-m", default="small", show_default=True, help="Model spec the workers load.")
@click.option("--engine", type=click.Choice(["auto", "openvino", "transformers"]), default="auto", show_default=True)
@click.option("--variants", "-n", type=click.IntRange(1, 12), default=None, help="Number of variants (default: the brief's).")
@click.option("--max-revisions", "-k", type=click.IntRange(0, 10), default=2, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 100), default=60.0, show_default=True)
@click.option("--max-new-tokens", type=click.IntRange(8, 2048), default=160, show_default=True)
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.7, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--rulebook", default=None, help="Rulebook name or folder (overrides each brief's).")
@click.option("--wait", is_flag=True, help="Wait until every run has finished and print their statuses.")
@click.option("--json", "as_json", is_flag=True, help="Print run ids (and with --wait, statuses) as JSON.")
@click.pass_context
def batch(ctx, briefs, model, engine, variants, max_revisions, threshold, max_new_tokens, temperature, seed, rulebook,
          wait, as_json):
    """Enqueue one run per BRIEF for 'brandloop worker' processes (needs BRANDLOOP_DATABASE_URL)."""
    from brandloop.queue.table import JobQueue
    from brandloop.queue.worker import wait_for
    from brandloop.graph.brief import load_brief

    with cli_errors():
        settings = RunSettings(model=model, engine=engine, variants=variants, max_revisions=max_revisions,
                               pass_threshold=threshold, max_new_tokens=max_new_tokens, temperature=temperature,
                               seed=seed, rulebook=rulebook)
        for b in briefs:  # every brief is checked before anything is enqueued
            load_brief(b)
        queue = JobQueue()
        run_ids = []
        for b in briefs:
            run_id = uuid.uuid4().hex[:12]
            queue.enqueue(run_id, "run", {"brief_path": str(b.resolve()), "settings": settings.model_dump()})
            run_ids.append(run_id)
            if not as_json:
                click.echo(f"{run_id}  queued  {b}")
        if not wait:
            if as_json:
                click.echo(json.dumps({"run_ids": run_ids}))
            return
        rows = wait_for(queue, run_ids)
        if as_json:
            click.echo(json.dumps([{k: r[k] for k in ("run_id", "status", "attempts", "worker", "error")} for r in rows]))
        else:
            for r in rows:
                click.echo(f"{r['run_id']}  {r['status']}  attempts {r['attempts']}  {r['worker'] or ''}"
                           + (f"  {r['error']}" if r["error"] else ""))
        if any(r["status"] != "done" for r in rows):
            ctx.exit(1)


@click.command()
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Runs executed at once in this process; they share one model and batch their generate calls.")
@click.option("--lease", "lease_s", type=click.FloatRange(2, 3600), default=60.0, show_default=True,
              help="Seconds a claimed run stays this worker's without a heartbeat; then another worker resumes it.")
@click.option("--poll", "poll_s", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between looks at an empty queue.")
@click.option("--max-jobs", type=click.IntRange(1), default=None, help="Exit after claiming this many runs.")
@click.option("--exit-when-idle", is_flag=True, help="Exit once no run is queued or held by any worker (a dead worker's run counts until resumed).")
@click.option("--name", default=None, help="Worker name in the queue (default HOST:PID).")
@click.pass_context
def worker(ctx, concurrency, lease_s, poll_s, max_jobs, exit_when_idle, name):
    """Execute queued runs (from 'brandloop batch' or 'brandloop serve') until stopped (needs BRANDLOOP_DATABASE_URL)."""
    from brandloop.queue.coalesce import shared_model_factory
    from brandloop.queue.table import database_url
    from brandloop.queue.worker import Worker

    with cli_errors():
        database_url()  # a one-line error before anything loads
        w = Worker(ctx.obj["home"], shared_model_factory(ctx.obj["llm_factory"]), concurrency=concurrency,
                   lease_s=lease_s, poll_s=poll_s, name=name, on_line=lambda line: click.echo(line, err=True))

        def stop(signum, frame):  # finish the runs in flight, claim nothing new; a second signal kills
            click.echo(f"[{w.name}] stopping after the runs in flight (again to quit; their leases then expire)", err=True)
            w.stopping.set()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        click.echo(f"[{w.name}] waiting for runs (concurrency {concurrency}, lease {lease_s:g} s)", err=True)
        done = w.run_forever(max_jobs=max_jobs, exit_when_idle=exit_when_idle)
        click.echo(f"[{w.name}] finished {done} run(s)", err=True)
