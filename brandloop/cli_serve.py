"""`brandloop serve`: the web UI and JSON API (FastAPI under uvicorn)."""
from __future__ import annotations

import copy
from pathlib import Path

import click

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind. Anything but 127.0.0.1/localhost/::1 requires --token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", default=None, envvar="BRANDLOOP_TOKEN", show_envvar=True,
              help="Require this token on every request (Authorization: Bearer, or open /?token=... once).")
@click.option("--materials-dir", "materials_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, resolve_path=True, path_type=Path),
              help="A server folder briefs may name materials from (repeatable). Default: uploads only.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 8),
              help="Runs executed at the same time; more are queued.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, token: str | None, workers: int,
          materials_dirs: tuple[Path, ...]) -> None:
    """Serve the web UI: submit briefs, watch runs live, read results and traces, manage rulebooks."""
    obj = ctx.obj or {}
    token = (token or "").strip() or None
    loopback = host.strip("[]").lower() in LOOPBACK
    if not loopback and not token:
        click.echo(f"error: binding to {host} exposes the UI to the network; pass --token (or set BRANDLOOP_TOKEN)",
                   err=True)
        ctx.exit(2)
    import uvicorn  # noqa: PLC0415 - only for this command

    from brandloop.web.app import create_app

    home = obj["home"]
    factory = obj.get("llm_factory")
    if factory is None:
        from brandloop.cli_common import llm_factory

        factory = llm_factory(home)
    app = create_app(home, factory, token=token, workers=workers,
                     allowed_hosts=None if (token or not loopback) else LOOPBACK, material_dirs=list(materials_dirs))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"brandloop web UI on http://{shown}:{port}/" + ("?token=..." if token else "")
               + f"  (data home {home})", err=True)
    uvicorn.run(app, host=host.strip("[]"), port=port, log_level="info", timeout_graceful_shutdown=3,
                log_config=redacted_log_config())


def redacted_log_config() -> dict:
    """uvicorn's logging, with ?token=... removed from every line (the access log prints request lines)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_token"] = {"()": "brandloop.web.guard.RedactTokenFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_token")
    return config
