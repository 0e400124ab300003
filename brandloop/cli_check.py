"""`brandloop check`: lint copy a person already has (text, Markdown, CSV) against a rulebook, Vale-style."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from brandloop.cli_errors import guarded
from brandloop.errors import EXIT_OK
from brandloop.home import data_home

EXIT_ALERTS = 1  # an error-level alert was found (as Vale does)


def read_input(name: str) -> str:
    """The text of FILE, or stdin for '-'; one-line errors for unreadable or non-UTF-8 files."""
    from brandloop.errors import BriefError

    if name == "-":
        return sys.stdin.read()
    p = Path(name)
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BriefError(name, "(file)", "is not UTF-8 text", "save it as UTF-8") from None
    except OSError as exc:
        raise BriefError(name, "(file)", f"cannot read it ({exc.strerror})", "check the path and its permissions") from None


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--rulebook", "rulebook_name", required=True, help="Installed rulebook name, bundled example or folder.")
@click.option("--channel", default=None, help="Apply the rules and field limits of this channel (e.g. google_rsa).")
@click.option("--product", default=None, help="Product whose facts back claims (default: every product's).")
@click.option("--output", type=click.Choice(["line", "json"]), default="line", show_default=True)
@click.option("--ext", default=None, help="Format of stdin ('-'): txt, md or csv (default txt).")
@click.pass_context
@guarded
def check(ctx, files, rulebook_name, channel, product, output, ext):
    """Check FILE... (text, Markdown, CSV with one ad per row; '-' for stdin) against a rulebook.

    Prints FILE:LINE:COL  severity  message  rule for each alert; exits 1 when an error-level alert is found."""
    from brandloop.errors import BriefError
    from brandloop.knowledge.channels import channel_table
    from brandloop.knowledge.copycheck import CopyChecker, as_vale_json, kind_of, summary
    from brandloop.knowledge.registry import RulebookRegistry

    if channel and channel not in channel_table():
        raise BriefError("(arguments)", "--channel", f"unknown channel '{channel}'",
                         f"use one of: {', '.join(sorted(channel_table()))}")
    obj = ctx.find_root().obj
    knowledge = RulebookRegistry(data_home(obj.get("home") if isinstance(obj, dict) else None)).rules_only(rulebook_name)
    checker = CopyChecker(knowledge, channel, product)
    texts = [(f, read_input(f)) for f in files]  # read everything first: a bad file stops before any output
    alerts = [a for f, text in texts for a in checker.check(text, f, kind_of(f, ext if f == "-" else None))]
    if output == "json":
        click.echo(json.dumps(as_vale_json(alerts), indent=2, ensure_ascii=False))
    else:
        for a in alerts:
            click.echo(a.vale_line())
        click.echo(("\n" if alerts else "") + summary(alerts, len(files)), err=True)
    ctx.exit(EXIT_ALERTS if any(a.severity == "error" for a in alerts) else EXIT_OK)
