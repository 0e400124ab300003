"""Errors at the web edge: mapped to HTTP statuses by class (subclasses included), JSON for the API and an HTML
page for pages; failed web jobs get a one-line message by class too."""
from fastapi.testclient import TestClient

from brandloop.errors import ModelError, RunNotFound, RunStateError
from brandloop.web.app import create_app
from brandloop.web.jobs import describe_error, user_error
from brandloop.graph.brief import BriefError
from brandloop.errors import Issue, RulebookError


class RenamedRulebookError(RulebookError):
    """A subclass under another name: matched by isinstance, never by the class name."""


def test_error_classes_become_statuses(home):
    app = create_app(home, lambda s, **kw: None)
    problems = {
        "rulebook": RenamedRulebookError(Issue("rb", 0, "name", "rulebook 'x' is not installed", "add it")),
        "unknown-run": RunNotFound("abc"),
        "not-finished": RunStateError("(runs)", "RUN_ID", "run 'abc' has not finished (running)", "wait"),
        "model": ModelError("the model server at http://x is down"),
        "bad-input": BriefError("run abc", "format", "unknown format 'x'", "use csv"),
        "crash": KeyError("boom"),
        "disk": OSError(28, "No space left on device"),
    }

    def fail(kind: str):
        raise problems[kind]

    app.get("/api/fail/{kind}")(fail)
    app.get("/fail/{kind}")(fail)
    with TestClient(app, raise_server_exceptions=False) as client:
        expect = {"rulebook": 404, "unknown-run": 404, "not-finished": 409, "bad-input": 400, "model": 503, "crash": 500,
                  "disk": 503}
        for kind, status in expect.items():
            r = client.get(f"/api/fail/{kind}")
            assert r.status_code == status, kind
            assert r.headers["content-type"].startswith("application/json")
            page = client.get(f"/fail/{kind}")
            assert page.status_code == status and page.headers["content-type"].startswith("text/html")
        assert client.get("/api/fail/rulebook").json()["detail"] == (
            "rb: name: rulebook 'x' is not installed (fix: add it)")
        assert client.get("/api/fail/crash").json()["detail"] == "internal error: KeyError: 'boom'"
        assert "the disk is full" in client.get("/api/fail/disk").json()["detail"]
        assert "no run with id &#39;abc&#39;" in client.get("/fail/unknown-run").text


def test_failed_jobs_are_described_by_class():
    brief = BriefError("brief.yaml", "channel", "unknown channel 'x'", "use google_rsa")
    assert user_error(brief) and describe_error(brief) == str(brief)
    rb = RenamedRulebookError("rulebook 'x' is not installed")
    assert user_error(rb) and describe_error(rb) == str(rb) and "is not installed" in str(rb)
    assert not user_error(ModelError("no such preset")) and describe_error(ModelError("no such preset")) == (
        "model error: no such preset")
    assert describe_error(ValueError("odd")) == "internal error: ValueError: odd"
