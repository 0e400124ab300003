"""`brandloop rulebook ...`: validate, add, list, show, remove and test brand rulebooks.

Exit codes: 0 ok, 2 invalid input (file:line messages), 1 internal error or failing golden examples.
"""
from __future__ import annotations

import json
import pathlib
import sys

import click

from brandloop.errors import guarded
from graph.context import data_home


def _home(ctx: click.Context) -> pathlib.Path:
    obj = ctx.find_root().obj
    home = obj.get("home") if isinstance(obj, dict) else None
    return home if isinstance(home, pathlib.Path) else data_home(home)


def _registry(ctx):
    from knowledge.registry import RulebookRegistry

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
    from knowledge.rulebook.loader import flatten

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
    for w in rep.warnings:
        click.echo(f"warning: {w}")
    for c in rep.conflicts:
        click.echo(f"conflict: {c}")
    if rep.golden_failed:
        click.echo(f"golden examples: {rep.golden_passed} passed, {len(rep.golden_failed)} failed "
                   f"(run 'brandloop rulebook test {rep.name}')")


@rulebook.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guarded
def list_(ctx, as_json):
    """List installed rulebooks."""
    rows = _registry(ctx).list()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no rulebooks installed")
    for r in rows:
        parent = f" (parent {r['parent']})" if r.get("parent") else ""
        click.echo(f"{r['name']}\t{r['version']}\t{r['brand']}{parent}\t{r['rules']} rules")


@rulebook.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guarded
def show(ctx, name, as_json):
    """Rule counts by type, products, facts, guideline chunks, graph stats."""
    info = _registry(ctx).show(name)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['name']} version {info['version']}: {info['brand']}"
               + (f" (inherits {' -> '.join(info['chain'][1:])})" if info["parent"] else ""))
    click.echo(f"rules: {info['rules']} ({', '.join(f'{k} {v}' for k, v in sorted(info['rules_by_type'].items()))})")
    click.echo(f"products: {len(info['products'])} ({', '.join(f'{k}: {v} facts' for k, v in info['products'].items())})")
    click.echo(f"facts: {info['facts']}")
    click.echo(f"guideline chunks: {info['guideline_chunks']}")
    click.echo(f"approved ads: {len(info['exemplars'])}")
    for e in info["exemplars"]:
        click.echo(f"  {e['id']}\t{e['channel']}\t{e['performance'] or '-'}\t{e['first_line']}")
    g = info["graph"]
    click.echo(f"graph: {g['nodes']} nodes, {g['edges']} edges; "
               + ", ".join(f"{k} {v}" for k, v in sorted(g["node_kinds"].items())))
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
        from knowledge.retrieval import BrandKnowledge
        from knowledge.rulebook.loader import flatten

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
