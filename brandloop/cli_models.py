"""`brandloop models` (presets, engines, caches) and `brandloop doctor` (hash every model file)."""
from __future__ import annotations

import json
import sys

import click

from brandloop.cli_errors import cli_errors


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the inventory as JSON.")
@click.pass_context
def models(ctx, as_json):
    """List model presets, inference engines and the caches in the data home."""
    from brandloop.llm.inventory import model_inventory

    with cli_errors():
        inv = model_inventory(ctx.obj["home"])
        if as_json:
            click.echo(json.dumps(inv, indent=2))
            return
        click.echo("PRESET  INSTALLED  ASSEMBLED  DESCRIPTION")
        for p in inv["presets"]:
            assembled = "verified" if p["verified"] else ("yes" if p["assembled"] else "no")
            click.echo(f"{p['preset']:<7} {'yes' if p['installed'] else 'no':<10} {assembled:<10} {p['description']}")
            if not p["installed"]:
                click.echo(f"        install: {p['install'].split('  (or:')[0]}")
        click.echo("\nENGINE        AVAILABLE  RUNS")
        for e in inv["engines"]:
            click.echo(f"{e['engine']:<13} {'yes' if e['available'] else 'no':<10} {e['runs']}")
        click.echo("\nCACHES (quick check)")
        if not inv["caches"]:
            click.echo("none yet: the first run builds them")
        for c in inv["caches"]:
            click.echo(f"{c['engine']:<13} {'ok' if c['ok'] else 'BAD: ' + c['problem']:<10} {c['path']}")


@click.command()
@click.option("--keep", is_flag=True, help="Report corrupt files without removing them.")
@click.pass_context
def doctor(ctx, keep):
    """Hash every model file and cache in full; remove corrupt ones so the next run rebuilds them."""
    from brandloop.llm.inventory import doctor as check_all

    with cli_errors():
        report = check_all(ctx.obj["home"], remove=not keep)
        if not report:
            click.echo(f"no model files in {ctx.obj['home']} yet")
        for r in report:
            if not r["problems"]:
                click.echo(f"ok   {r['kind']}: {r['path']}")
            else:
                action = "removed; the next run rebuilds it" if r["removed"] else "kept (--keep)"
                click.echo(f"BAD  {r['kind']}: {r['problems'][0]} ({action})")
        if any(r["problems"] for r in report):
            sys.exit(1)
