"""Every user-facing error class, at the bottom floor: this module imports nothing from the project.

Each class carries the exit code (CLI) and HTTP status (web) it maps to; the edges translate by class
(`brandloop/cli_errors.py` for the CLI, the web's exception handlers), never by class name.
Exit codes: 0 success; 2 invalid input; 1 internal or model error; 130 interrupted or cancelled.
"""
from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class BrandloopError(Exception):
    """Base of the project's errors. `str()` is the message shown to the user (one line per problem)."""

    exit_code: int = EXIT_INTERNAL
    http_status: int = 500


class UserError(BrandloopError):
    """Bad input from the user: exit code 2, HTTP 400."""

    exit_code = EXIT_INPUT
    http_status = 400


class BriefError(UserError, ValueError):
    """Bad user input. `str()` names the file, the field and the fix: one line per problem (`issues`)."""

    def __init__(self, file: str, field: str, problem: str, fix: str = "",
                 more: list[tuple[str, str, str]] | None = None):
        self.file, self.field, self.problem, self.fix = file, field, problem, fix
        self.issues = [(field, problem, fix), *(more or [])]
        super().__init__("\n".join(_line(file, f, p, x) for f, p, x in self.issues))


def _line(file: str, field: str, problem: str, fix: str) -> str:
    field, problem, fix = (" ".join(x.splitlines()) for x in (field, problem, fix))  # values may carry line breaks
    msg = f"{file}: field '{field}': {problem}"
    return msg + (f" (fix: {fix})" if fix and "(fix:" not in problem else "")


class RunNotFound(BriefError):
    """No run with this id (HTTP 404)."""

    http_status = 404

    def __init__(self, run_id: str):
        self.run_id = run_id
        super().__init__("(runs)", "RUN_ID", f"no run with id '{run_id}'", "see 'brandloop runs'")


class RunStateError(BriefError):
    """The run exists but is in the wrong state for the request (HTTP 409), e.g. not awaiting review."""

    http_status = 409


class ReviewError(UserError, ValueError):
    """A review decision that cannot be applied; `str()` names the variant, the field and the fix."""


@dataclass(frozen=True)
class Issue:
    """One problem in a rulebook: file:line, field, message and fix."""

    file: str
    line: int
    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        out = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        out += f" (fix: {self.fix})" if self.fix else ""
        return out.replace("\r", "\\r").replace("\n", "\\n")  # one line, even for keys holding newlines


class RulebookError(UserError):
    """A rulebook is missing or invalid. `issues` lists every problem found; `report()` prints them all."""

    http_status = 404  # the web's answer for an unknown or unreadable rulebook

    def __init__(self, issues: list[Issue] | Issue | str):
        if isinstance(issues, str):
            issues = [Issue(file="", line=0, field="", message=issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
        super().__init__(str(self.issues[0]) if self.issues else "invalid rulebook")

    def report(self) -> str:
        return "\n".join(str(i) for i in self.issues)


class InvalidName(UserError, ValueError):
    """A name that could be read as a path; str() is a one-line message with the fix."""

    http_status = 404  # such a name never names anything here


class PathEscape(UserError, ValueError):
    """A path that leaves its allowed folder, or cannot be resolved; str() is one line."""


class OutsideRoots(PathEscape):
    """A path that resolves outside every allowed folder."""


class MaterialError(UserError):
    """A problem with a material file itself (not a bug): becomes the describer report's `error`."""


class ConfigError(UserError, RuntimeError):
    """A bad setting (an environment variable such as BRANDLOOP_DATABASE_URL): names it, what is wrong, the fix."""

    def __init__(self, setting: str, problem: str, fix: str):
        self.setting, self.problem, self.fix = setting, problem, fix
        super().__init__(f"{setting}: {problem}; {fix}")

    http_status = 500  # the server's setting, not the request's fault


class HomeError(BrandloopError, ValueError):
    """The data home cannot be used; str() is one line with the fix. exit_code: 2 bad input, 1 disk problem."""

    def __init__(self, message: str, exit_code: int = EXIT_INTERNAL):
        super().__init__(message)
        self.exit_code = exit_code


class ModelError(BrandloopError, RuntimeError):
    """A model cannot be found, assembled, verified or loaded. The message is one line, shown as is."""

    http_status = 503


class ModelSpecError(UserError, ModelError):
    """A malformed ``--model`` spec (``openai:URL#MODEL``, ``hf-endpoint:URL``): the user's input, exit 2."""


class EmbeddingModelMissing(ModelError):
    """The embedding model package is not installed; the message has the pip command."""


class RunCancelled(BrandloopError):
    """A person stopped the run (the web's cancel button); it is resumable like an interrupted run."""

    exit_code = EXIT_INTERRUPTED
    http_status = 409


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


def describe_error(exc: BaseException) -> str:
    """A one-line message for a failed run (web jobs, queue workers): the project's errors as they are, model
    errors and the rest with their kind."""
    if isinstance(exc, ModelError) and not isinstance(exc, UserError):
        return f"model error: {exc}"
    if isinstance(exc, BrandloopError):
        return str(exc)
    return disk_problem(exc) or f"internal error: {type(exc).__name__}: {exc}"
