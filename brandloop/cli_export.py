"""`brandloop export`: a run's variants as a Google Ads Editor / Meta bulk sheet, plain CSV or JSON."""
from __future__ import annotations

from pathlib import Path

import click

from brandloop.cli_errors import guarded
from brandloop.home import data_home


@click.command()
@click.argument("run_id")
@click.option("--format", "fmt", default=None, help="google-ads-editor, meta, csv or json.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="File to write (default: stdout).")
@click.option("--all", "include_all", is_flag=True, help="Every variant, not only the approved ones.")
@click.option("--campaign", default="", help="Campaign name (default: the brief's export.campaign).")
@click.option("--ad-group", default="", help="Google ad group / Meta ad set (default: export.ad_group).")
@click.option("--final-url", default="", help="Landing page URL (default: export.final_url).")
@click.option("--path-1", "path1", default="", help="Google display path 1 (default: export.path1).")
@click.option("--path-2", "path2", default="", help="Google display path 2 (default: export.path2).")
@click.option("--cta", "call_to_action", default="", help="Meta call to action, e.g. LEARN_MORE.")
@click.pass_context
@guarded
def export(ctx, run_id, fmt, out, include_all, campaign, ad_group, final_url, path1, path2, call_to_action):
    """Write RUN_ID's approved variants (all with --all) in the columns an ad tool imports."""
    from brandloop.export import FORMATS, Target, render, write_atomic
    from brandloop.errors import BriefError
    from brandloop.graph.runner import stored_result
    from brandloop.graph.store import open_store

    if not fmt:
        raise BriefError("(arguments)", "--format", "no format given", f"pass --format {'|'.join(FORMATS)}")
    obj = ctx.find_root().obj
    store = open_store(data_home(obj.get("home") if isinstance(obj, dict) else None))
    try:
        result, brief = stored_result(store, run_id)
    finally:
        store.close()
    target = Target(campaign, ad_group, final_url, path1, path2, call_to_action)
    text = render(result, fmt, target, include_all=include_all, brief_export=brief.get("export"))
    if out is None:
        click.echo(text.encode("utf-8"), nl=False)  # bytes: CSV keeps its CRLF row ends
    else:
        write_atomic(text, out)
        click.echo(f"Wrote {out}", err=True)
