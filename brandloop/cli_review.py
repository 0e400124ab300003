"""`brandloop review RUN_ID` (and `brandloop run --review`): a person approves, edits or rejects each variant of a
paused run. Edits are re-checked against every rule and limit before they are kept."""
from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from brandloop.cli_errors import guarded
from brandloop.graph.status import AWAITING


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): still record something
        return "unknown"


def _show(p: dict, limits: dict, wide: bool) -> None:
    from brandloop.report import field_lines

    click.echo(f"\n── {p['id']} ({p.get('angle')}) — {p.get('delivered')}, score {p.get('score')}")
    for lab, count, text in field_lines(p.get("fields") or {}, limits, wide):
        click.echo(f"   {lab} ({count}): {text}")
    for x in p.get("violations") or []:
        click.echo(f"   [{x['severity']}] {x['rule_id']}: {x['message']}")


def _edit(p: dict, recheck) -> dict:
    from brandloop.knowledge.checks import label

    fields = {k: list(v) for k, v in (p.get("fields") or {}).items()}
    while True:
        for name, items in fields.items():
            for i, text in enumerate(items):
                items[i] = click.prompt(f"   {label(name)} {i + 1}", default=text)
        found = recheck(fields)
        if not found:
            click.echo("   re-checked: no violations")
        for x in found:
            click.echo(f"   re-checked: [{x['severity']}] {x['rule_id']}: {x['message']}")
        hard = any(x["severity"] == "error" for x in found)
        if click.confirm("   keep this edit?", default=not hard):
            return fields


def ask(payload: dict, recheck, channel: dict | None = None) -> dict:
    """Prompt for a decision on each pending variant; `channel` is a result-like {'channel', 'limits'}."""
    from brandloop.report import field_limits

    limits, wide = field_limits(channel or {})
    decisions = {}
    for p in payload.get("pending", []):
        _show(p, limits, wide)
        choice = click.prompt(f"{p['id']}: [a]pprove, [e]dit or [r]eject", type=click.Choice(["a", "e", "r"]),
                              show_choices=False)
        if choice == "a":
            decisions[p["id"]] = {"action": "approve"}
        elif choice == "r":
            note = click.prompt("   what should the rewrite do differently?", default="", show_default=False)
            decisions[p["id"]] = {"action": "reject", "note": note}
        else:
            decisions[p["id"]] = {"action": "edit", "fields": _edit(p, recheck)}
    return decisions


def read_decisions(path: str) -> dict:
    from brandloop.errors import BriefError

    try:
        text = click.get_text_stream("stdin").read() if path == "-" else Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as exc:
        raise BriefError(path, "(file)", f"cannot read it ({exc.strerror})", "check the path") from None
    except json.JSONDecodeError as exc:
        raise BriefError(path, "(syntax)", f"not valid JSON at line {exc.lineno}", "fix the syntax") from None
    if not isinstance(data, dict):
        raise BriefError(path, "(top level)", "decisions must be a JSON object", 'write {"v1": {"action": "approve"}}')
    return data


def _channel(runner, run_id: str) -> dict:
    values = runner.store.latest_values(run_id) or {}
    return {"channel": values["brief"].channel if values.get("brief") else None}


def review_loop(ctx, runner, run_id: str, payload: dict, *, decisions_file: str | None, reviewer: str,
                as_json: bool, out: Path | None) -> None:
    """Ask (or read) decisions, resume, and repeat while rewritten variants come back for review."""
    from brandloop.cli_common import finish
    from brandloop.report import progress_line

    while True:
        try:
            decisions = read_decisions(decisions_file) if decisions_file else ask(
                payload, lambda fields: runner.recheck(run_id, fields), _channel(runner, run_id))
        except click.Abort:
            click.echo(f"\nreview paused; continue with 'brandloop review {run_id}'", err=True)
            return
        decisions["_by"] = reviewer
        result = runner.review(run_id, decisions, on_progress=lambda n, u: click.echo(progress_line(n, u), err=True))
        if result.get("status") != AWAITING:
            finish(result, out, ctx.obj["home"], as_json)
            return
        payload = result["review"]
        if decisions_file:
            ids = ", ".join(p["id"] for p in payload["pending"])
            click.echo(f"rewritten variant(s) {ids} await review; continue with 'brandloop review {run_id}'", err=True)
            return


@click.command()
@click.argument("run_id")
@click.option("--decisions", "decisions_file", default=None,
              help='JSON file (or - for stdin): {"v1": {"action": "approve"}, "v2": {"action": "edit", "fields": '
                   '{...}}, "v3": {"action": "reject", "note": "..."}}. Without it, you are asked.')
@click.option("--reviewer", default=None, help="Who decides (default: your login name); kept in the trace.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guarded
def review(ctx, run_id, decisions_file, reviewer, as_json):
    """Approve, edit or reject each variant of a run paused for review (started with 'brandloop run --review')."""
    from brandloop.cli_common import make_runner

    runner = make_runner(ctx)
    payload = runner.pending_review(run_id)
    out_dir = (runner.store.get_run(run_id) or {}).get("out_dir")
    review_loop(ctx, runner, run_id, payload, decisions_file=decisions_file, reviewer=reviewer or default_reviewer(),
                as_json=as_json, out=Path(out_dir) if out_dir else None)
