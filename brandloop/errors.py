"""One mapping from errors to exit codes and messages, shared by every CLI command.

0 success; 2 invalid input (a one-line message naming the file, the field and the fix; every issue of a
rulebook); 1 internal error (one line). `brandloop --debug ...` adds the traceback.
"""
from __future__ import annotations

import functools
import sys
import traceback
from contextlib import contextmanager

import click

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class ConfigError(RuntimeError):
    """A bad setting (an environment variable such as BRANDLOOP_DATABASE_URL): names it, what is wrong, the fix."""

    def __init__(self, setting: str, problem: str, fix: str):
        self.setting, self.problem, self.fix = setting, problem, fix
        super().__init__(f"{setting}: {problem}; {fix}")


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return bool(isinstance(obj, dict) and obj.get("debug"))


@contextmanager
def cli_errors():
    try:
        yield
    except (SystemExit, click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except KeyboardInterrupt:
        click.echo("interrupted; resume with 'brandloop resume RUN_ID' (see 'brandloop runs')", err=True)
        sys.exit(130)
    except Exception as exc:
        from graph.brief import BriefError
        from knowledge.rulebook.errors import RulebookError

        if _debug():
            traceback.print_exc()
        if isinstance(exc, RulebookError):
            click.echo(exc.report(), err=True)
            sys.exit(EXIT_INPUT)
        if isinstance(exc, (BriefError, ConfigError)):
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        if type(exc).__name__ == "ModelError":  # by name: importing brandloop.llm loads langchain/transformers
            click.echo(f"model error: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)


def guarded(fn):
    """Decorator form of `cli_errors` for click commands."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with cli_errors():
            return fn(*args, **kwargs)

    return wrapper
