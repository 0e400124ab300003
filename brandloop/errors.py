"""One mapping from errors to exit codes and messages, shared by every CLI command.

0 success; 2 invalid input (a one-line message naming the file, the field and the fix; every issue of a
rulebook); 1 internal error (one line). `brandloop --debug ...` adds the traceback.
"""
from __future__ import annotations

import errno
import functools
import sqlite3
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
    except BrokenPipeError:  # the reader (head, less) stopped reading: click exits quietly
        raise
    except KeyboardInterrupt:
        click.echo("interrupted; resume with 'brandloop resume RUN_ID' (see 'brandloop runs')", err=True)
        sys.exit(130)
    except Exception as exc:
        from graph.brief import BriefError
        from knowledge.names import InvalidName
        from knowledge.rulebook.errors import RulebookError
        from knowledge.safepaths import PathEscape

        if _debug():
            traceback.print_exc()
        if isinstance(exc, RulebookError):
            click.echo(exc.report(), err=True)
            sys.exit(EXIT_INPUT)
        if isinstance(exc, (BriefError, ConfigError)):  # one line per problem
            click.echo("\n".join(f"error: {line}" for line in str(exc).splitlines()), err=True)
            sys.exit(EXIT_INPUT)
        if isinstance(exc, (InvalidName, PathEscape)):
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        disk = disk_problem(exc)
        if disk:
            click.echo(f"error: {disk}", err=True)
            sys.exit(EXIT_INTERNAL)
        if type(exc).__name__ == "ModelSpecError":  # a malformed --model spec: the user's input
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        if type(exc).__name__ == "ModelError":  # by name: importing brandloop.llm loads langchain/transformers
            click.echo(f"model error: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)




def disk_problem(exc: BaseException) -> str | None:
    """A one-line message with the fix for a full disk or a data home it may not write; None otherwise."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    where = getattr(exc, "filename", None)
    where = f" ({where})" if where else ""
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text or "disk I/O error" in text:
        run_id = getattr(exc, "run_id", None)
        then = (f"then continue the run with 'brandloop resume {run_id}' (it stays resumable)" if run_id
                else "then retry (an interrupted run stays resumable: see 'brandloop runs')")
        return f"the disk is full{where}; free some space, {then}"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or (isinstance(exc, sqlite3.OperationalError) and (
            "readonly" in text or "unable to open" in text)):
        return (f"cannot write the data home{where}: {getattr(exc, 'strerror', None) or text}; make it writable "
                "or choose another with --home / BRANDLOOP_HOME")
    return None


def guarded(fn):
    """Decorator form of `cli_errors` for click commands."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with cli_errors():
            return fn(*args, **kwargs)

    return wrapper
