"""Helpers shared by the CLI command modules: the model factory, the runner and printing a finished run."""
from __future__ import annotations

import json
from pathlib import Path

import click


def llm_factory(home: Path):
    """The CLI's model factory: (spec, engine=...) -> chat model, loaded on first use."""
    def factory(spec: str, engine: str = "auto"):
        from brandloop.llm import get_chat_model  # heavy: the engine's runtime

        return get_chat_model(spec, engine=engine, home=home)

    return factory


def make_runner(ctx: click.Context):
    from brandloop.graph.runner import Runner

    return Runner(ctx.obj["home"], ctx.obj["llm_factory"])


def finish(result: dict, out: Path | None, home: Path, as_json: bool) -> None:
    """Write result.json and result.md, and print the result (Markdown, or JSON with --json)."""
    from brandloop.report import result_markdown, write_result

    out_dir = out or home / "runs" / result["run_id"]
    j, m = write_result(result, out_dir)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(result_markdown(result))
        click.echo(f"Wrote {j} and {m}")
        click.echo(f"Inspect every step: brandloop trace {result['run_id']}")
