"""`brandloop rulebook ...`: validate, add, list, show, remove and test brand rulebooks.

Exit codes: 0 ok, 2 invalid input (file:line messages), 1 internal error or failing golden examples.
"""
from __future__ import annotations

import json
import pathlib
import sys

import click

from brandloop.cli_errors import guarded
from brandloop.home import data_home


def _home(ctx: click.Context) -> pathlib.Path:
    obj = ctx.find_root().obj
    home = obj.get("home") if isinstance(obj, dict) else None
    return home if isinstance(home, pathlib.Path) else data_home(home)


def _registry(ctx):
    from brandloop.knowledge.registry import RulebookRegistry

    return RulebookRegistry(_home(ctx))


@click.group(name="rulebook")
def rulebook():
    """Manage brand rulebooks (rulebook.yaml + guidelines/*.md + optional vale/ styles)."""


@rulebook.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=pathlib.Path))
@click.option("--name", default=None, help="Rulebook name (default: the folder name).")
@click.pass_context
@guarded
def validate(ctx, path, name):
    """Check a rulebook folder; report every error as file:line, field and fix."""
    reg = _registry(ctx)
    L = reg.validate(path, name)
    from brandloop.knowledge.rulebook.loader import flatten

    data = flatten(L)
    for w in data.warnings:
        click.echo(f"warning: {w}")
    for c in data.conflicts:
        click.echo(f"conflict: {c}")
    click.echo(f"ok: {L.name} ({data.brand}): {len(data.rules)} rules, {len(data.products)} products, "
               f"{len(data.chunks)} guideline chunks, {len(data.exemplars)} approved ads")


@rulebook.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=pathlib.Path))
@click.option("--name", default=None, help="Install under this name (default: the folder name).")
@click.pass_context
@guarded
def add(ctx, path, name):
    """Validate, index guidelines, build the graph and install (replacing any previous version atomically)."""
    rep = _registry(ctx).add(path, name)
    verb = f"replaced {rep.replaced} with" if rep.replaced else "added"
    click.echo(f"{verb} {rep.name} version {rep.version} ({rep.brand}): {rep.rules} rules, {rep.products} products, "
               f"{rep.facts} facts, {rep.chunks} guideline chunks, {rep.exemplars} approved ads, graph {rep.graph['nodes']} nodes / {rep.graph['edges']} edges")
    for w in dict.fromkeys(rep.warnings):
        click.echo(f"warning: {w}")
    for c in dict.fromkeys(rep.conflicts):
        click.echo(f"conflict: {c}")
    if rep.golden_failed:
        click.echo(f"golden examples: {rep.golden_passed} passed, {len(rep.golden_failed)} failed "
                   f"(run 'brandloop rulebook test {rep.name}')")


@rulebook.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guarded
def list_(ctx, as_json):
    """Installed rulebooks, then the bundled examples you can use by name (installed on first use)."""
    reg = _registry(ctx)
    rows = [{**r, "status": "installed"} for r in reg.list()] + reg.available()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no rulebooks; add one with 'brandloop rulebook add PATH'")
        return
    click.echo(f"{'NAME':<16} {'STATUS':<10} {'VERSION':<13} {'RULES':>5}  BRAND")
    for r in rows:
        parent = f" (inherits {r['parent']})" if r.get("parent") else ""
        click.echo(f"{r['name']:<16} {r['status']:<10} {r.get('version') or '—':<13} {r['rules'] or 0:>5}  "
                   f"{r['brand']}{parent}")
    if any(r["status"] == "available" for r in rows):
        click.echo("available: bundled examples; name one with --rulebook or in a brief and it is installed on first use")


@rulebook.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guarded
def show(ctx, name, as_json):
    """The rules (id, type, severity, message, examples), products, guideline sections and graph of a rulebook."""
    info = _registry(ctx).show(name)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['name']} version {info['version']}: {info['brand']}"
               + (f" (inherits {' -> '.join(info['chain'][1:])})" if info["parent"] else ""))
    click.echo(f"source: {info.get('source')}")
    click.echo(f"\nRules ({info['rules']}):")
    for r in info["rule_list"]:
        click.echo(f"  {r['id']}  [{r['type']}, {r['severity']}]")
        if r["message"]:
            click.echo(f"      {r['message']}")
        if r["terms"]:
            click.echo(f"      terms:   {', '.join(r['terms'])}")
        for text in r["fails"]:
            click.echo(f"      flags:   {text}")
        for text in r["passes"]:
            click.echo(f"      accepts: {text}")
    click.echo(f"\nProducts: {', '.join(f'{k} ({v} facts)' for k, v in info['products'].items()) or 'none'}")
    click.echo(f"\nGuideline sections ({info['guideline_chunks']} passages):")
    for sec in info["sections"]:
        click.echo(f"  {sec['section']}  ({sec['file']}:{sec['line']}, {len(sec['passages'])} passage(s))")
    click.echo(f"\nApproved ads ({len(info['exemplars'])}):")
    for e in info["exemplars"]:
        click.echo(f"  {e['id']}  {e['channel']}  {e['performance'] or '-'}  {e['first_line']}")
    g = info["graph"]
    click.echo(f"\nKnowledge graph: {g['nodes']} nodes, {g['edges']} edges")
    for w in info["warnings"]:
        click.echo(f"warning: {w}")
    for c in info["conflicts"]:
        click.echo(f"conflict: {c}")


@rulebook.command()
@click.argument("name")
@click.pass_context
@guarded
def remove(ctx, name):
    """Uninstall a rulebook."""
    _registry(ctx).remove(name)
    click.echo(f"removed {name}")


@rulebook.command()
@click.argument("name")
@click.pass_context
@guarded
def test(ctx, name):
    """Run every golden example (pass: must be accepted, fail: must be flagged)."""
    reg = _registry(ctx)
    p = pathlib.Path(name)
    if not reg.installed(name) and p.is_dir():
        from brandloop.knowledge.retrieval import BrandKnowledge
        from brandloop.knowledge.rulebook.loader import flatten

        know = BrandKnowledge(flatten(reg.validate(p)))
    else:
        know = reg.load(name)
    results = know.run_golden()
    failed = 0
    for r in results:
        status = "ok  " if r.ok else "FAIL"
        failed += not r.ok
        line = f"{status} {r.rule_id} [{r.expect}] {r.text!r}"
        if not r.ok:
            line += f" -> {r.detail}"
        click.echo(line)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)
