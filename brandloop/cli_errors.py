"""The CLI's edge: every command's errors become an exit code and one-line messages, by error class.

0 success; 2 invalid input (a one-line message naming the file, the field and the fix; every issue of a
rulebook); 1 internal or model error (one line); 130 interrupted. `brandloop --debug ...` adds the traceback.
"""
from __future__ import annotations

import functools
import sys
import traceback
from contextlib import contextmanager

import click

from brandloop.errors import (EXIT_INTERNAL, EXIT_INTERRUPTED, BrandloopError, ModelError, RulebookError, UserError,
                              disk_problem)


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return bool(isinstance(obj, dict) and obj.get("debug"))


def message(exc: BaseException) -> str:
    """What the CLI prints for `exc`: one line per problem."""
    if isinstance(exc, RulebookError):
        return exc.report()
    if isinstance(exc, ModelError) and not isinstance(exc, UserError):
        return f"model error: {exc}"
    if isinstance(exc, BrandloopError):
        return "\n".join(f"error: {line}" for line in str(exc).splitlines())
    disk = disk_problem(exc)
    if disk:
        return f"error: {disk}"
    return f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"


def exit_code(exc: BaseException) -> int:
    return exc.exit_code if isinstance(exc, BrandloopError) else EXIT_INTERNAL


@contextmanager
def cli_errors():
    try:
        yield
    except (SystemExit, click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except BrokenPipeError:  # the reader (head, less) stopped reading: click exits quietly
        raise
    except KeyboardInterrupt:
        click.echo("interrupted; resume with 'brandloop resume RUN_ID' (see 'brandloop runs')", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the CLI's edge: every error becomes a message and an exit code
        if _debug():
            traceback.print_exc()
        click.echo(message(exc), err=True)
        sys.exit(exit_code(exc))


def guarded(fn):
    """Decorator form of `cli_errors` for click commands."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with cli_errors():
            return fn(*args, **kwargs)

    return wrapper
