"""The errors module: every user-facing error class in one place, mapped to exit codes and HTTP statuses by class."""
import errno
import inspect

import click
import pytest
from click.testing import CliRunner

from brandloop import errors
from brandloop.cli_errors import cli_errors
from brandloop.errors import (EXIT_INPUT, EXIT_INTERNAL, BrandloopError, BriefError, ModelError, RulebookError,
                              RunNotFound, describe_error)


def test_every_error_class_carries_its_exit_code_and_http_status():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, Exception) and c.__module__ == errors.__name__]
    assert {"BriefError", "RulebookError", "ModelError", "RunNotFound", "ConfigError", "HomeError", "InvalidName",
            "PathEscape", "MaterialError", "ReviewError", "EmbeddingModelMissing"} <= {c.__name__ for c in classes}
    for c in classes:
        assert issubclass(c, BrandloopError), c
        assert isinstance(c.exit_code, int) and 100 <= c.http_status < 600, c


def test_old_import_locations_are_the_same_classes():
    from brandloop.llm.assets import ModelError as from_llm
    from brandloop.graph.brief import BriefError as from_graph
    from brandloop.graph.context import HomeError
    from brandloop.knowledge.names import InvalidName
    from brandloop.knowledge.rulebook import RulebookError as from_knowledge
    from brandloop.knowledge.safepaths import PathEscape

    assert (from_llm, from_graph, from_knowledge) == (ModelError, BriefError, RulebookError)
    assert (HomeError, InvalidName, PathEscape) == (errors.HomeError, errors.InvalidName, errors.PathEscape)


def _exit(exc: BaseException) -> tuple[int, str]:
    @click.command()
    def fail():
        with cli_errors():
            raise exc

    r = CliRunner().invoke(fail, [])
    return r.exit_code, r.output


def test_the_cli_maps_errors_by_class_not_by_name():
    class EngineGone(ModelError):  # a subclass with another name maps like its class
        pass

    class Odd(BriefError):
        pass

    assert _exit(EngineGone("the engine went away")) == (EXIT_INTERNAL, "model error: the engine went away\n")
    code, out = _exit(Odd("brief.yaml", "channel", "unknown channel 'x'", "use google_rsa"))
    assert code == EXIT_INPUT and out == "error: brief.yaml: field 'channel': unknown channel 'x' (fix: use google_rsa)\n"
    code, out = _exit(RulebookError([errors.Issue("rulebook.yaml", 3, "rules", "bad"), errors.Issue("a.md", 0, "", "worse")]))
    assert code == EXIT_INPUT and out == "rulebook.yaml:3: rules: bad\na.md: worse\n"  # every issue, one per line

    impostor = type("ModelError", (Exception,), {})  # the same name, but not the project's class: internal
    code, out = _exit(impostor("boom"))
    assert code == EXIT_INTERNAL and out.startswith("internal error: ModelError: boom")
    code, out = _exit(OSError(errno.ENOSPC, "No space left on device", "/data/x"))
    assert code == EXIT_INTERNAL and out.startswith("error: the disk is full (/data/x)")


def test_describe_error_is_one_line_by_class():
    assert describe_error(RunNotFound("abc")) == "(runs): field 'RUN_ID': no run with id 'abc' (fix: see 'brandloop runs')"
    assert describe_error(errors.EmbeddingModelMissing("pip install it")) == "model error: pip install it"
    assert describe_error(KeyError("x")) == "internal error: KeyError: 'x'"


def test_an_unknown_run_is_run_not_found(home):
    from brandloop.graph.runner import Runner

    with pytest.raises(RunNotFound) as caught:
        Runner(home, lambda spec, **kw: None).pending_review("nope")
    assert caught.value.http_status == 404 and caught.value.exit_code == EXIT_INPUT
    assert isinstance(caught.value, BriefError)  # old `except BriefError` handlers still catch it
