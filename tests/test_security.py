"""Hostile input against the web and the CLI: one test per hole of issue #13 (items 1-4)."""
from __future__ import annotations

import logging
import os

import pytest
from click.testing import CliRunner

from brandloop.cli import cli
from brandloop.web.guard import RedactTokenFilter, local_path
from brandloop.knowledge.names import InvalidName, check_name
from tests.fakes import scripted
from tests.test_graph import GOOD
from tests.test_web_api import RULEBOOK, form_post, make_client, submit_upload, wait_done, zip_of

BRIEF = {"brand": "Northwind Bank", "product": {"name": "Everyday Savings", "facts": ["4.10% APY"]},
         "audience": ["savers"], "channel": "google_rsa"}


@pytest.fixture
def client(home):
    with make_client(home) as c:
        yield c


def invoke(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), *args],
                              obj={"llm_factory": lambda spec, **kw: scripted(GOOD)})


# --- 1. the web reads no server file ---------------------------------------------------------------------
@pytest.mark.parametrize("material", ["/etc/passwd", "../../../../etc/passwd", "../brief.yaml", "~/.bashrc"])
def test_api_brief_cannot_name_server_files_as_materials(client, material):
    r = client.post("/api/runs", json={"brief": {**BRIEF, "materials": [material]}})
    assert r.status_code == 400, r.text
    assert "materials.0" in r.json()["detail"] and "root:" not in r.text
    assert client.get("/api/runs").json() == []


def test_uploaded_brief_cannot_name_server_files_either(client):
    r = submit_upload(client, b"brand: B\nproduct: {name: P}\naudience: a\nchannel: google_rsa\n"
                              b"materials: [/etc/passwd]\n")
    assert r.status_code == 400 and "lies outside the uploaded files" in r.text


def test_materials_inside_an_allowed_folder_pass_but_links_out_of_it_do_not(home, tmp_path):
    allowed = tmp_path / "shared"
    allowed.mkdir()
    (allowed / "notes.txt").write_text("Earn 4.10% APY on savings.", "utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", "utf-8")
    os.symlink(secret, allowed / "link.txt")
    with make_client(home, material_dirs=[allowed]) as c:
        bad = c.post("/api/runs", json={"brief": {**BRIEF, "materials": [str(allowed / "link.txt")]}})
        assert bad.status_code == 400 and "outside" in bad.json()["detail"]
        ok = c.post("/api/runs", json={"brief": {**BRIEF, "materials": [str(allowed / "notes.txt")]},
                                       "settings": {"max_revisions": 0}})
        assert ok.status_code == 202, ok.text
        info = wait_done(c, ok.json()["run_id"])
        assert info["status"] == "completed" and "top secret" not in str(info)


@pytest.mark.parametrize("where", ["settings", "brief"])
def test_web_rulebook_must_be_a_name_not_a_server_folder(client, tmp_path, where):
    folder = tmp_path / "rb"
    folder.mkdir()
    (folder / "rulebook.yaml").write_text(RULEBOOK, "utf-8")
    body = {"brief": dict(BRIEF)}
    if where == "settings":
        body["settings"] = {"rulebook": str(folder)}
    else:
        body["brief"]["rulebook"] = "../../rb"
    r = client.post("/api/runs", json=body)
    assert r.status_code == 400 and "invalid rulebook name" in r.json()["detail"]
    assert client.get("/api/rulebooks").json() == []  # nothing was installed


def test_cli_rulebook_with_a_link_out_of_its_folder_is_refused(home, tmp_path):
    rb = tmp_path / "linked"
    (rb / "guidelines").mkdir(parents=True)
    (rb / "rulebook.yaml").write_text(RULEBOOK, "utf-8")
    os.symlink("/etc/passwd", rb / "guidelines" / "voice.md")
    r = invoke(home, "rulebook", "add", str(rb))
    assert r.exit_code == 2, r.output
    assert "guidelines/voice.md: a symbolic link pointing outside the rulebook folder" in r.output
    assert not (home / "rulebooks" / "linked").exists() or not any((home / "rulebooks" / "linked").rglob("voice.md"))


@pytest.mark.parametrize("model", ["/etc", "../../models/x", "~/m.gguf", "weights.gguf", "a/b/c"])
def test_web_model_must_be_a_preset_or_hub_id_not_a_server_path(client, model):
    r = client.post("/api/runs", json={"brief": BRIEF, "settings": {"model": model}})
    assert r.status_code == 400 and "settings.model" in r.json()["detail"]
    assert client.get("/api/runs").json() == []


# --- 2. cross-site requests ------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{"origin": "http://evil.example"}, {"origin": "null"},
                                     {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}])
def test_cross_site_posts_are_refused(client, home, headers):
    client.post("/api/rulebooks", files={"file": ("t.zip", zip_of({"tiny/rulebook.yaml": RULEBOOK}))})
    for method, url in (("POST", "/submit"), ("POST", "/rulebooks/tiny/remove"), ("DELETE", "/api/rulebooks/tiny"),
                        ("POST", "/api/runs")):
        r = client.request(method, url, headers=headers)
        assert r.status_code == 403, (method, url, r.status_code)
    assert [x["name"] for x in client.get("/api/rulebooks").json()] == ["tiny"]


def test_form_posts_need_the_session_token(client):
    client.post("/api/rulebooks", files={"file": ("t.zip", zip_of({"tiny/rulebook.yaml": RULEBOOK}))})
    client.get("/")
    r = client.post("/rulebooks/tiny/remove", data={}, follow_redirects=False)
    assert r.status_code == 403 and "session token" in r.text
    r = client.post("/rulebooks/tiny/remove", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert [x["name"] for x in client.get("/api/rulebooks").json()] == ["tiny"]
    same_origin = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    r = form_post(client, "/rulebooks/tiny/remove", headers=same_origin, follow_redirects=False)
    assert r.status_code == 303 and client.get("/api/rulebooks").json() == []
    assert 'name="csrf_token"' in client.get("/").text


# --- 3. names that are paths -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["..", ".", "../x", "a/b", "/etc", ".hidden", "", "x" * 65, "a\\b", "a\nb", "v.1"])
def test_one_name_check_refuses_paths(name):
    with pytest.raises(InvalidName):
        check_name(name)


def test_cli_remove_dot_dot_keeps_the_data_home(home):
    (home / "keep.txt").write_text("data", "utf-8")
    for name in ("..", ".", "../home"):
        r = invoke(home, "rulebook", "remove", name)
        assert r.exit_code == 2 and "invalid rulebook name" in r.output, r.output
    assert (home / "keep.txt").read_text("utf-8") == "data"


def test_api_delete_dot_dot_keeps_the_data_home(client, home):
    (home / "keep.txt").write_text("data", "utf-8")
    for raw in ("%2E%2E", "..%2F..", "%2e"):
        assert client.delete(f"/api/rulebooks/{raw}").status_code in (404, 405)
    assert client.get("/api/runs/%2E%2E").status_code == 404
    assert (home / "keep.txt").read_text("utf-8") == "data"


def test_zip_with_a_path_like_name_is_refused(client):
    r = client.post("/api/rulebooks", files={"file": ("t.zip", zip_of({"tiny/rulebook.yaml": RULEBOOK}))},
                    data={"name": ".."})
    assert r.status_code == 400 and "invalid rulebook name" in r.json()["issues"][0]


# --- 4. token leaks --------------------------------------------------------------------------------------
def test_token_redirect_stays_on_this_server(home):
    with make_client(home, token="s3cret") as c:
        r = c.get("http://testserver//evil.example/?token=s3cret", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/evil.example/"
    assert local_path("/\\evil.example") == "/evil.example"


def test_access_log_redacts_the_token():
    from brandloop.cli_serve import redacted_log_config

    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/?x=1&token=s3cret", "1.1", 303), None)
    RedactTokenFilter().filter(record)
    assert "s3cret" not in record.getMessage() and "token=[redacted]" in record.getMessage()
    config = redacted_log_config()
    assert all("redact_token" in h["filters"] for h in config["handlers"].values())
    logging.config.dictConfig(config)
    stream_handler = logging.getLogger("uvicorn.access").handlers[0]
    assert any(isinstance(f, RedactTokenFilter) for f in stream_handler.filters)
