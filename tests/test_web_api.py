"""The web app through FastAPI's TestClient with the scripted fake model: pages, JSON API, SSE, uploads,
rulebook zips, access control and the `serve` command's guard."""
from __future__ import annotations

import html as htmllib
import io
import json
import threading
import time
import zipfile

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from brandloop.cli_serve import serve
from brandloop.web.app import create_app
from brandloop.web.uploads import MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES
from tests.fakes import scripted
from tests.test_graph import GOOD, LONG, by_angle


def copy_reply(prompt: str) -> str:
    """v1's first draft has a long headline (its rewrite fits); v2 and v3 keep a forbidden word (repaired). Each
    variant has its own lines (a line a sibling has is lint, and is revised)."""
    return LONG if "main benefit" in prompt else by_angle(prompt).replace("in minutes.", "in minutes, guaranteed.")


def rewrite_reply(prompt: str) -> str:
    """Rewrites of a failing line: headlines come back short; descriptions keep the forbidden word."""
    return "Earn 4.10% APY" if "Headline:" in prompt else "Open an account with guaranteed growth."


def fake_model(copy=copy_reply, **kw):
    return scripted(copy, rewrite=rewrite_reply, **kw)


def make_client(home, llm_factory=None, **kw) -> TestClient:
    return TestClient(create_app(home, llm_factory or (lambda spec, **kw: fake_model()), **kw))


@pytest.fixture
def client(home):
    with make_client(home) as c:
        yield c


def events_of(client, run_id) -> list[tuple[str, dict]]:
    out, kind = [], None
    with client.stream("GET", f"/api/runs/{run_id}/events") as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        for line in s.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                out.append((kind, json.loads(line[6:])))
    return out


def wait_done(client, run_id, timeout=300) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        info = client.get(f"/api/runs/{run_id}").json()
        if info["status"] in ("completed", "error") and (info["result"] or info["status"] == "error"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def form_post(client, url, data=None, **kw):
    """A page form post as the browser sends it: with the session's form token from a page visit."""
    if not client.cookies.get("bl_csrf"):
        client.get("/")
    return client.post(url, data={**(data or {}), "csrf_token": client.cookies.get("bl_csrf")}, **kw)


def submit_upload(client, brief_bytes, name="brief.yaml", **fields):
    data = {"mode": "upload", "max_revisions": "1", **fields}
    return form_post(client, "/submit", data=data, files={"brief_file": (name, brief_bytes, "application/x-yaml")},
                       follow_redirects=False)


def test_yaml_upload_streams_progress_then_shows_result_page(client, home, brief_file):
    r = submit_upload(client, brief_file.read_bytes())
    assert r.status_code == 303, r.text
    run_id = r.headers["location"].rsplit("/", 1)[1]
    events = events_of(client, run_id)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "done" and "started" in kinds
    lines = [d["line"] for k, d in events if k == "progress"]
    assert lines[0].startswith("[describer] loop 0")
    assert any(x.startswith("[critic] loop 1") for x in lines) and lines[-1].startswith("[finalize]")

    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="variant-v1"' in html and "Save More Every Day" in html
    assert "repaired (" in html and "PASSED" not in html  # repaired is an attribute, never a pass
    # the forbidden word is highlighted in the last draft before repair, and the repair shown as a diff
    assert '<mark class="violation sev-error"' in html and ">guaranteed</mark>" in html
    assert "<del>, guaranteed</del>" in html  # the whole phrase goes
    assert "loop 0" in html and "loop 1" in html  # v1's score per loop
    assert (home / "runs" / run_id / "result.json").is_file()
    info = client.get(f"/api/runs/{run_id}").json()
    assert info["status"] == "completed" and len(info["result"]["variants"][0]["score_history"]) == 2


def test_form_submit_builds_the_brief(client):
    r = form_post(client, "/submit", data={
        "mode": "form", "brand": "Northwind Bank", "product_name": "Everyday Savings", "facts": "4.10% APY\n",
        "audience": "savers\nfirst-time buyers", "channel": "google_rsa", "keywords": "savings",
        "forbidden_words": "guaranteed, risk-free", "variants": "2", "max_revisions": "0"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    run_id = r.headers["location"].rsplit("/", 1)[1]
    info = wait_done(client, run_id)
    assert info["status"] == "completed" and len(info["result"]["variants"]) == 2
    assert info["run"]["brand"] == "Northwind Bank"


def test_form_sets_lines_per_field(client, home):
    import yaml

    data = {"mode": "form", "brand": "Northwind Bank", "product_name": "Everyday Savings", "audience": "savers",
            "channel": "google_rsa", "variants": "1", "max_revisions": "0"}
    r = form_post(client, "/submit", data={**data, "assets": "headline: 4, description=2"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    run_id = r.headers["location"].rsplit("/", 1)[1]
    wait_done(client, run_id)
    brief = yaml.safe_load((home / "web" / "briefs" / run_id / "brief.yaml").read_text())
    assert brief["assets"] == {"headline": 4, "description": 2}
    for text, expect in [("headline: 40", "outside google_rsa's allowed range 3 to 15"),
                         ("primary_text: 2", "has no field 'primary_text'"),
                         ("headline: many", "'headline:many' is not a field and a whole number"),
                         ("twelve headlines", "write pairs such as headline: 12, description: 3")]:
        r = form_post(client, "/submit", data={**data, "assets": text})
        assert r.status_code == 400 and expect in htmllib.unescape(field_error(r.text, "assets")), (text, r.text[-3000:])
        assert f'value="{text}"' in r.text  # kept for the fix


@pytest.mark.parametrize("body,expect", [
    (b"brand: [unclosed\n", "bad.yaml: field '(syntax)': not valid YAML at line 2"),
    (b"brand: B\nproduct: {name: P}\naudience: a\nchannel: myspace\n", "unknown channel 'myspace'"),
    (b"- just\n- a list\n", "a brief must be a mapping"),
])
def test_invalid_brief_upload_is_a_form_error(client, body, expect):
    r = submit_upload(client, body, name="bad.yaml")
    assert r.status_code == 400
    assert 'id="form-error"' in r.text and expect in htmllib.unescape(r.text)
    assert client.get("/api/runs").json() == []  # nothing was started


def test_form_errors_keep_the_values_and_name_no_server_path(client, home):
    r = form_post(client, "/submit", data={"mode": "form", "brand": "Acme", "channel": "google_rsa"})
    assert r.status_code == 400 and "write the product&#39;s name" in field_error(r.text, "product_name")
    assert 'value="Acme"' in r.text and str(home) not in r.text
    r = form_post(client, "/submit", data={"mode": "upload"})
    assert r.status_code == 400 and "choose a brief file" in r.text
    r = form_post(client, "/submit", data={"mode": "form", "max_revisions": "lots"})
    assert r.status_code == 400 and 'id="form-error"' in r.text


def field_error(page: str, name: str) -> str:
    import re

    found = re.search(rf'<span class="field-error" id="error-{name}">(.*?)</span>', page)
    assert found, f"no error next to '{name}'"
    return found.group(1)


def test_every_form_problem_is_shown_next_to_its_field_in_plain_words(client):
    r = form_post(client, "/submit", data={"mode": "form", "brand": "", "channel": "google_rsa", "variants": "99",
                                     "max_revisions": "lots", "threshold": "150"})
    assert r.status_code == 400
    text = htmllib.unescape(r.text)
    assert "6 problems, shown next to their fields" in " ".join(text.split())
    assert "is empty" in field_error(r.text, "brand") and "Northwind Bank" in field_error(r.text, "brand")
    assert "at least one audience segment" in field_error(r.text, "audience")
    assert "must be between 1 and 12" in field_error(r.text, "variants")
    assert field_error(r.text, "max_revisions") == "Revision budget must be a whole number from 0 to 10"
    assert field_error(r.text, "threshold") == "Pass score must be a number from 0 to 100"
    for wording in ("should have at least", "Input should", "String should", "after validation", "invalid literal",
                    "correct the value", "Value error"):
        assert wording not in text
    assert client.get("/api/runs").json() == []


def test_json_api_run_trace_and_trace_page(client):
    brief = {"brand": "Northwind Bank", "product": {"name": "Everyday Savings", "facts": ["4.10% APY"]},
             "audience": ["savers"], "channel": "google_rsa", "forbidden_words": ["guaranteed"], "variants": 3}
    r = client.post("/api/runs", json={"brief": brief, "settings": {"max_revisions": 1}})
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["page"] == f"/runs/{created['run_id']}"
    run_id = created["run_id"]
    wait_done(client, run_id)
    trace = client.get(f"/api/runs/{run_id}/trace").json()
    assert [e["node"] for e in trace][:3] == ["describer", "retrieve", "copywriter"]
    call = trace[2]["calls"][0]
    assert "Angle for this version" in call["prompt"] and call["raw_output"].startswith("HEADLINE 1:")
    assert [e["node"] for e in client.get(f"/api/runs/{run_id}/trace?node=critic").json()] == ["critic", "critic"]

    page = client.get(f"/runs/{run_id}/trace").text
    assert 'class="prompt"' in page and "Write a Google Ads responsive search ad" in page
    assert 'class="raw"' in page and "HEADLINE 2: Earn 4.10% APY, On Every Dollar You Save" in page
    rev = page[page.index('id="revisions"'):]
    assert "Variant v1" in rev and "<del>" in rev and "loop 0 → loop 1" in rev  # the revision diff
    assert client.get(f"/runs/{run_id}/trace?node=critic").text.count('class="node-critic"') == 2

    bad = client.post("/api/runs", json={"brief": {"brand": "B"}})
    assert bad.status_code == 400 and "field 'product'" in bad.json()["detail"]
    assert client.post("/api/runs", json={"settings": {}}).status_code == 422


def test_unknown_run_is_a_404_page_and_json(client):
    r = client.get("/runs/doesnotexist")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "no run with id &#39;doesnotexist&#39;" in r.text
    assert client.get("/runs/doesnotexist/trace").status_code == 404
    r = client.get("/api/runs/doesnotexist")
    assert r.status_code == 404 and r.json() == {"detail": "no run with id 'doesnotexist'"}
    assert client.get("/api/runs/doesnotexist/events").status_code == 404
    assert client.get("/api/runs/doesnotexist/trace").status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_two_runs_at_once_both_complete_with_separate_traces(home, brief_file):
    # Each run's first model call waits until the other run has made one too, so they overlap. The factory is
    # called once per run, so each run has its own flag (thread ids are reused, and later nodes run on new
    # threads). The timeout only bounds a hang.
    both_started = threading.Barrier(2, timeout=300)

    def factory(spec, **kw):
        waited = threading.Event()

        def reply(prompt):
            if not waited.is_set():
                waited.set()
                both_started.wait()
            return copy_reply(prompt)
        return scripted(reply)

    with make_client(home, factory, workers=2) as c:
        ids = [c.post("/api/runs", json={"brief": {"brand": f"Brand {i}", "product": {"name": "P"},
                                                   "audience": ["a"], "channel": "google_rsa", "variants": 2},
                                         "settings": {"max_revisions": 1}}).json()["run_id"] for i in (1, 2)]
        infos = [wait_done(c, i) for i in ids]
        assert [x["status"] for x in infos] == ["completed", "completed"]
        assert [x["result"]["brand"] for x in infos] == ["Brand 1", "Brand 2"]
        traces = [c.get(f"/api/runs/{i}/trace").json() for i in ids]
        for t in traces:
            assert [e["node"] for e in t].count("finalize") == 1 and t[0]["node"] == "describer"
        assert all("Brand 1" in call["prompt"] for e in traces[0] for call in e.get("calls", []))
        assert all("Brand 2" in call["prompt"] for e in traces[1] for call in e.get("calls", []))
        listed = {r["run_id"]: r["status"] for r in c.get("/api/runs").json()}
        assert listed == {ids[0]: "completed", ids[1]: "completed"}


def test_live_page_while_running_then_failed_run_reports_error(home, brief_file):
    gate = threading.Event()

    def slow(prompt):
        gate.wait(10)
        return GOOD

    with make_client(home, lambda spec, **kw: scripted(slow)) as c:
        r = submit_upload(c, brief_file.read_bytes())
        run_id = r.headers["location"].rsplit("/", 1)[1]
        try:
            page = c.get(f"/runs/{run_id}")
            assert page.status_code == 200 and 'id="progress"' in page.text and 'data-live="yes"' in page.text
        finally:
            gate.set()
        assert wait_done(c, run_id)["status"] == "completed"

    def broken(spec, **kw):
        raise RuntimeError("model exploded")

    with make_client(home, broken) as c:
        run_id = submit_upload(c, brief_file.read_bytes()).headers["location"].rsplit("/", 1)[1]
        events = events_of(c, run_id)
        assert events[-1][0] == "failed"
        assert events[-1][1]["error"] == "internal error: RuntimeError: model exploded"
        page = c.get(f"/runs/{run_id}")
        assert page.status_code == 200 and "model exploded" in page.text
        # the server is still fine
        assert c.get("/").status_code == 200


def test_events_of_a_finished_run_replay_from_the_store(home, brief_file):
    with make_client(home) as c:
        run_id = submit_upload(c, brief_file.read_bytes()).headers["location"].rsplit("/", 1)[1]
        wait_done(c, run_id)
    with make_client(home) as c:  # a fresh server: no job in memory
        events = events_of(c, run_id)
        assert events[0][1]["line"].startswith("[describer]") and events[-1] == (
            "done", {"status": "completed", "error": None, "line": "run completed"})
        assert run_id in c.get("/").text


def test_openapi_schema_describes_the_api(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for p in ("/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/trace", "/api/runs/{run_id}/events",
              "/api/rulebooks", "/api/rulebooks/{name}", "/api/rulebooks/validate", "/api/channels"):
        assert p in paths, p
    assert "post" in paths["/api/runs"] and "RunRequest" in schema["components"]["schemas"]
    assert "RunSettings" in schema["components"]["schemas"]
    assert not any(p.startswith("/runs") or p == "/submit" for p in paths)  # pages stay out of the schema


# --- rulebook zips ---------------------------------------------------------------------------------------
RULEBOOK = ("brand:\n  name: Tiny Brand\n  voice: [plain]\nrules:\n  - id: no_cheap\n    type: existence\n"
            "    severity: error\n    message: \"do not say '%s'\"\n    tokens: [cheap]\n    ignorecase: true\n")


def zip_of(files: dict[str, bytes | str], symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            z.writestr(info, "/etc/passwd")
    return buf.getvalue()


def upload_zip(client, data: bytes, url="/api/rulebooks/validate", name=""):
    return client.post(url, files={"file": ("tiny.zip", data, "application/zip")}, data={"name": name})


@pytest.mark.parametrize("files,symlink,message", [
    ({"tiny/rulebook.yaml": RULEBOOK, "../evil.txt": "x"}, None, "points outside the rulebook folder"),
    ({"/abs/rulebook.yaml": RULEBOOK}, None, "points outside the rulebook folder"),
    ({"tiny/rulebook.yaml": RULEBOOK}, "tiny/link", "is a symbolic link"),
    ({"tiny/rulebook.yaml": RULEBOOK, "tiny/big.md": b"\0" * (MAX_UNZIPPED_BYTES + 1)}, None, "unpacks to more than"),
    ({"notes.txt": "hello"}, None, "no rulebook.yaml"),
])
def test_unsafe_or_wrong_zips_are_rejected(client, home, files, symlink, message):
    r = upload_zip(client, zip_of(files, symlink))
    assert r.status_code == 400 and r.json()["ok"] is False
    assert message in r.json()["issues"][0]
    assert not (home.parent / "evil.txt").exists() and not (home / "web" / "evil.txt").exists()
    scratch = home / "web" / "uploads"
    assert not scratch.exists() or not any(scratch.iterdir())  # scratch space cleaned up


def test_oversized_and_non_zip_uploads_are_rejected(client):
    r = upload_zip(client, b"PK" + b"\0" * MAX_ZIP_BYTES)
    assert r.status_code == 400 and "larger than the limit of 5 MB" in r.json()["issues"][0]
    r = upload_zip(client, b"not a zip at all")
    assert r.status_code == 400 and r.json()["issues"] == ["the upload is not a valid zip file"]
    page = form_post(client, "/rulebooks", files={"file": ("x.zip", b"nope", "application/zip")}, data={"action": "add"})
    assert page.status_code == 400 and 'id="rulebook-issues"' in page.text and "not a valid zip" in page.text


def test_rulebook_validation_errors_are_listed_with_file_and_line(client):
    pytest.importorskip("brandloop.knowledge.registry", reason="brandloop.knowledge.registry (RulebookRegistry) is not there yet")
    bad = RULEBOOK.replace("type: existence", "type: banned_terms") + "colour: blue\n"
    r = upload_zip(client, zip_of({"tiny/rulebook.yaml": bad}))
    assert r.status_code == 400
    issues = r.json()["issues"]
    assert any(i.startswith("rulebook.yaml:6: rules.0.type: unknown rule type 'banned_terms'") for i in issues)
    assert any("unknown section 'colour'" in i for i in issues)
    page = form_post(client, "/rulebooks", files={"file": ("tiny.zip", zip_of({"tiny/rulebook.yaml": bad}))},
                       data={"action": "validate"})
    assert page.status_code == 400 and "rulebook.yaml:6: rules.0.type" in page.text
    ok = upload_zip(client, zip_of({"tiny/rulebook.yaml": RULEBOOK}))
    assert ok.status_code == 200 and ok.json() == {"ok": True, "name": "tiny", "issues": [], "report": None}


def test_rulebook_install_show_use_in_a_run_and_remove(client, brief_file):
    pytest.importorskip("brandloop.knowledge.registry", reason="brandloop.knowledge.registry (RulebookRegistry) is not there yet")
    data = zip_of({"tiny/rulebook.yaml": RULEBOOK, "tiny/guidelines/voice.md": "# Voice\n\nWrite plainly. Never say cheap.\n"})
    page = form_post(client, "/rulebooks", files={"file": ("tiny.zip", data)}, data={"action": "add", "name": "tinybrand"})
    assert page.status_code == 200 and 'id="rulebook-ok"' in page.text and "installed" in page.text
    assert [x["name"] for x in client.get("/api/rulebooks").json()] == ["tinybrand"]
    shown = client.get("/api/rulebooks/tinybrand").json()
    assert shown["brand"] == "Tiny Brand" and shown["rules_by_type"] == {"existence": 1}
    assert shown["source"] == "uploaded tiny.zip"  # not the upload's scratch folder, deleted after install
    html = htmllib.unescape(client.get("/rulebooks/tinybrand").text)
    assert "Tiny Brand" in html and "existence" in html and "Never say cheap" in html
    assert "rules_by_type" not in html and "node_kinds" not in html
    assert 'value="tinybrand"' in client.get("/").text  # offered on the submit form

    brief = brief_file.read_text().replace("Northwind Bank", "Tiny Brand")  # passages are filtered by brand
    r = submit_upload(client, brief.encode(), rulebook="tinybrand", max_revisions="0")
    run_id = r.headers["location"].rsplit("/", 1)[1]
    info = wait_done(client, run_id, timeout=60)
    assert info["status"] == "completed", info["error"]
    passages = info["result"]["variants"][0]["passages"]
    assert passages and "Never say cheap" in passages[0]["text"]
    page = client.get(f"/runs/{run_id}").text
    assert page.count('<section class="card" id="passages">') == 1
    assert page.count("Never say cheap") == 1  # each passage once per run, referenced by id under each variant
    assert page.count('class="passage-ref"') == sum(len(v["passages"]) for v in info["result"]["variants"]) > 1

    assert client.get("/rulebooks/nope").status_code == 404
    assert client.delete("/api/rulebooks/tinybrand").status_code == 204
    assert client.get("/api/rulebooks").json() == []
    assert client.delete("/api/rulebooks/tinybrand").status_code == 404


# --- access control --------------------------------------------------------------------------------------
def test_token_is_required_by_header_or_cookie(home):
    with make_client(home, token="s3cret") as c:
        assert c.get("/").status_code == 401
        r = c.get("/api/runs")
        assert r.status_code == 401 and "token" in r.json()["detail"]
        assert c.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/runs", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/?token=wrong", follow_redirects=False).status_code == 401
        r = c.get("/rulebooks?token=s3cret&x=1", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/rulebooks?x=1"
        assert "token=s3cret" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        assert c.get("/").status_code == 200  # the cookie now travels with every request
        assert c.get("/openapi.json").status_code == 200


def test_loopback_only_app_refuses_other_host_headers(home):
    with make_client(home, allowed_hosts=("127.0.0.1", "localhost", "::1")) as c:
        assert c.get("/", headers={"host": "evil.example:8000"}).status_code == 400
        assert c.get("/", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/", headers={"host": "[::1]:8000"}).status_code == 200


def test_serve_refuses_a_public_host_without_token(home, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.delenv("BRANDLOOP_TOKEN", raising=False)
    obj = {"home": home, "llm_factory": lambda spec, **kw: scripted(GOOD)}
    r = CliRunner().invoke(serve, ["--host", "0.0.0.0"], obj=obj)
    assert r.exit_code == 2 and r.output.strip().count("\n") == 0 and "pass --token" in r.output
    assert calls == []
    r = CliRunner().invoke(serve, ["--host", "0.0.0.0", "--port", "8123"], obj=obj, env={"BRANDLOOP_TOKEN": "t0k"})
    assert r.exit_code == 0, r.output
    assert calls[-1][1]["host"] == "0.0.0.0" and calls[-1][1]["port"] == 8123
    with TestClient(calls[-1][0]) as c:
        assert c.get("/api/health").status_code == 401
        assert c.get("/api/health", headers={"Authorization": "Bearer t0k"}).json()["ok"] is True
    r = CliRunner().invoke(serve, [], obj=obj)
    assert r.exit_code == 0 and calls[-1][1]["host"] == "127.0.0.1" and calls[-1][1]["port"] == 8000


def test_events_follow_a_run_started_from_the_cli_until_it_ends(home):
    """A running run this server did not start is followed, not reported as failed (issue #12, item 1)."""
    from brandloop.graph.store import RunStore

    cli = RunStore(home)  # the CLI's process: the pid is alive, so the run stays 'running'
    cli.start_run("clirun", brand="B", channel="google_rsa", brief_path="b.yaml", model="small", out_dir="",
                  run_input={})
    cli.add_events("clirun", [{"node": "describer", "loop": 0, "duration_s": 0.1, "output": []}])
    with make_client(home) as c:
        streamed: list = []
        reader = threading.Thread(target=lambda: streamed.extend(events_of(c, "clirun")))
        reader.start()
        reader.join(1.5)
        assert reader.is_alive(), f"the stream ended while the run was still running: {streamed}"
        cli.add_events("clirun", [{"node": "retrieve", "loop": 0, "duration_s": 0.2, "output": {}}])
        cli.finish_run("clirun", status="completed", stop_reason="all_passed")
        reader.join(20)
    cli.close()
    kinds = [k for k, _ in streamed]
    assert kinds == ["progress", "progress", "done"], streamed
    assert streamed[1][1]["line"].startswith("[retrieve]")
    assert streamed[-1][1] == {"status": "completed", "error": None, "line": "run completed"}


def test_events_of_an_interrupted_cli_run_say_how_to_resume(home):
    from brandloop.graph.store import RunStore

    cli = RunStore(home)
    cli.start_run("gone", brand="B", channel="google_rsa", brief_path="b.yaml", model="small", out_dir="", run_input={})
    cli.conn.execute("UPDATE runs SET pid=? WHERE run_id='gone'", (2**22 + 12345,))  # no such process
    cli.conn.commit()
    cli.close()
    with make_client(home) as c:
        kind, data = events_of(c, "gone")[-1]
    assert kind == "failed" and data["status"] == "interrupted"
    assert "brandloop resume gone" in data["error"]


def test_node_totals_sum_time_and_tokens_per_node():
    from brandloop.web.render import node_totals

    events = [{"node": "copywriter", "duration_s": 2.0, "calls": [{"tokens_in": 100, "tokens_out": 30}] * 3},
              {"node": "critic", "duration_s": 1.5, "calls": [{"tokens_in": None, "tokens_out": None}]},
              {"node": "copywriter", "duration_s": 1.0, "calls": [{"tokens_in": 50, "tokens_out": 10}]}]
    rows = {r["node"]: r for r in node_totals(events)}
    assert rows["copywriter"] == {"node": "copywriter", "steps": 2, "seconds": 3.0, "calls": 4, "tokens_in": 350,
                                  "tokens_out": 100, "measured": True}
    assert rows["critic"]["measured"] is False and rows["total"]["seconds"] == 4.5 and rows["total"]["calls"] == 5
