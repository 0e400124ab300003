"""`brandloop model-server`: the project's own engine behind an OpenAI-compatible HTTP API."""
from __future__ import annotations

import click

from brandloop.cli_serve import LOOPBACK
from brandloop.cli_errors import cli_errors


@click.command(name="model-server")
@click.option("--model", "-m", default="small", show_default=True,
              help="Preset (small, large), Hugging Face model id, local folder or .gguf file to serve.")
@click.option("--engine", type=click.Choice(["auto", "openvino", "transformers"]), default="auto", show_default=True)
@click.option("--name", default=None, help="Model name clients ask for (default: the --model spec).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; anything but loopback needs --allow-network (there is no authentication).")
@click.option("--port", default=8008, show_default=True, type=click.IntRange(0, 65535))
@click.option("--window", "window_ms", default=20, show_default=True, type=click.IntRange(0, 2000),
              help="Milliseconds to gather concurrent requests into one batched engine call.")
@click.option("--allow-network", is_flag=True, help="Allow a non-loopback --host.")
@click.pass_context
def model_server(ctx, model, engine, name, host, port, window_ms, allow_network):
    """Serve MODEL at http://HOST:PORT/v1 (OpenAI chat completions); agents use it with --model openai:URL#NAME."""
    with cli_errors():
        if host.strip("[]").lower() not in LOOPBACK and not allow_network:
            click.echo(f"error: binding to {host} exposes the model to the network without authentication; "
                       "pass --allow-network, or bind 127.0.0.1", err=True)
            ctx.exit(2)
        import uvicorn  # noqa: PLC0415 - only for this command

        from brandloop.model_server import create_model_app

        llm = ctx.obj["llm_factory"](model, engine=engine)
        served = name or model
        app = create_model_app(llm, served, window_s=window_ms / 1000)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"brandloop model server: {served} on http://{shown}:{port}/v1 "
                   f"(use --model openai:http://{shown}:{port}/v1#{served})", err=True)
        uvicorn.run(app, host=host.strip("[]"), port=port, log_level="warning", timeout_graceful_shutdown=3)
