"""End to end in headless Chromium (Debian's `chromium`, driven by the Python Playwright package): submit a
brief, watch live progress, read the result and the trace. Screenshots go to test-artifacts/web/."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from brandloop.web.app import create_app
from tests.test_web_api import fake_model

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (/usr/bin/chromium); apt-get install chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(home):
    """uvicorn on 127.0.0.1 in a thread; the fake model's critic waits on `gate` so progress can be watched."""
    import uvicorn

    gate = threading.Event()

    def critic(prompt):
        gate.wait(20)
        return "SCORE: 8\nCRITIQUE: Clear and on brief.\nFIX: none"

    app = create_app(home, lambda spec, **kw: fake_model(critic=critic), allowed_hosts=("127.0.0.1", "localhost"))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    end = time.time() + 15
    while not srv.started and time.time() < end:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", gate
    finally:
        gate.set()
        srv.should_exit = True
        thread.join(10)


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            pg.set_default_timeout(15000)
            yield pg
        finally:
            browser.close()


def test_submit_watch_progress_read_result_and_trace(server, page, brief_file, tmp_path):
    base, gate = server
    from playwright.sync_api import expect

    # an invalid upload is a form error on the page
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: [unclosed\n")
    page.goto(base + "/")
    page.check("input[name=mode][value=upload]")
    page.set_input_files("input[name=brief_file]", str(bad))
    page.click("#start")
    expect(page.locator("#form-error")).to_contain_text("bad.yaml: field '(syntax)': not valid YAML")
    page.screenshot(path=str(ARTIFACTS / "01-form-error.png"), full_page=True)

    # submit a valid brief; progress streams in while the critic is held back
    page.check("input[name=mode][value=upload]")
    page.set_input_files("input[name=brief_file]", str(brief_file))
    page.fill("input[name=max_revisions]", "1")
    page.click("#start")
    expect(page.locator("#progress li", has_text="[copywriter] loop 0")).to_be_visible(timeout=40000)  # loads embeddings
    expect(page.locator("#progress li", has_text="[compliance] loop 0")).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("running")
    page.screenshot(path=str(ARTIFACTS / "02-live-progress.png"), full_page=True)
    gate.set()

    # the page turns into the result when the run is done
    expect(page.locator("#variant-v1")).to_be_visible(timeout=40000)  # first run in a process loads embeddings
    expect(page.locator("#run-status")).to_have_text("completed")
    expect(page.locator("#variant-v1 table.copy").first).to_contain_text("Save More Every Day")
    expect(page.locator("#variant-v1 table.copy td.chars").first).to_have_text("19/30")
    mark = page.locator('#variant-v2 mark.violation[data-rule="brief.forbidden_word"]').first
    expect(mark).to_have_text("guaranteed")
    assert "brief.forbidden_word" in mark.get_attribute("title")
    expect(page.locator("#variant-v1 table.scores tr")).to_have_count(2)
    expect(page.locator("#variant-v1 table.scores .threshold")).to_have_count(2)  # the pass score line
    assert page.locator("#variant-v1 table.scores .threshold").first.get_attribute("style") == "left: 60.0%"
    page.screenshot(path=str(ARTIFACTS / "03-result.png"), full_page=True)

    # the trace: a timeline, a prompt and its raw output, and v1's revision diff
    page.click("#open-trace")
    expect(page.locator("#timeline > li")).to_have_count(10)
    call = page.locator("li.node-copywriter details.call").first
    call.locator("summary").click()
    expect(call.locator("pre.prompt")).to_contain_text("Write a Google Ads responsive search ad")
    expect(call.locator("pre.raw")).to_contain_text("HEADLINE 1: Save More Every Day")
    expect(page.locator("#revisions")).to_contain_text("loop 0 → loop 1")
    expect(page.locator("#revisions del").first).to_be_visible()
    # aligned: the old text with its deletions above the new text with its insertions, never interleaved
    assert page.locator("#revisions .wd-old ins").count() == 0 and page.locator("#revisions .wd-new del").count() == 0
    cell = page.locator("#revisions td").first
    old_box, new_box = cell.locator(".wd-old").bounding_box(), cell.locator(".wd-new").bounding_box()
    assert new_box["y"] >= old_box["y"] + old_box["height"] - 1 and abs(new_box["x"] - old_box["x"]) < 1
    expect(page.locator("#revisions p.muted", has_text="→ delivered").first).to_be_visible()  # ends with the delivered text
    # run totals per node
    totals = page.locator("#totals tbody tr")
    expect(totals.filter(has_text="copywriter")).to_have_count(1)
    expect(totals.last).to_contain_text("total")
    page.screenshot(path=str(ARTIFACTS / "04-trace.png"), full_page=True)

    # an unknown run id is a 404 page
    resp = page.goto(base + "/runs/nope")
    assert resp.status == 404
    expect(page.locator("#error-message")).to_have_text("no run with id 'nope'")


def test_result_page_downloads_round_trip(server, page, home, brief_file):
    """The result page's download buttons give the same files as `brandloop export`, parsed back to the result."""
    from playwright.sync_api import expect

    from brandloop.export import parse_export
    from brandloop.report import write_result
    from brandloop.graph.context import RunSettings
    from brandloop.graph.runner import Runner
    from tests.fakes import scripted
    from tests.test_graph import GUARANTEED, by_angle

    base, gate = server
    gate.set()
    llm = scripted(lambda p: GUARANTEED if "main benefit" in p else by_angle(p),
                   critic=lambda p: "SCORE: 2\nCRITIQUE: Weak.\nFIX: none" if "guaranteed" in p.lower()
                   else "SCORE: 9\nCRITIQUE: Sharp.\nFIX: none")
    result = Runner(home, lambda s, **kw: llm).run(brief_file, RunSettings(max_revisions=0))
    write_result(result, home / "runs" / result["run_id"])  # as `brandloop run` does
    page.goto(f"{base}/runs/{result['run_id']}")
    expect(page.locator("#variant-v1 .badge.repaired")).to_be_visible()
    page.fill("#export-form input[name=campaign]", "Savings Q3")
    page.fill("#export-form input[name=ad_group]", "Savers")
    page.fill("#export-form input[name=final_url]", "https://northwind.example/save")
    with page.expect_download() as dl:
        page.click("#dl-google")
    path = dl.value.path()
    assert dl.value.suggested_filename == f"{result['run_id']}-google-ads-editor.csv"
    rows = list(parse_export(Path(path).read_text(encoding="utf-8"), "google-ads-editor").values())
    assert rows == [v["fields"] for v in result["variants"] if v["delivered"] == "approved"]

    page.check("#export-form input[name=all]")
    with page.expect_download() as dl:
        page.click("#dl-json")
    back = parse_export(Path(dl.value.path()).read_text(encoding="utf-8"), "json")
    assert back == {v["id"]: v["fields"] for v in result["variants"]}
    page.screenshot(path=str(ARTIFACTS / "05-downloads.png"), full_page=True)

    # a missing campaign is a one-line error page, not a file
    page.goto(f"{base}/runs/{result['run_id']}/export?format=google-ads-editor")
    expect(page.locator("#error-message")).to_contain_text("campaign is needed for this format")


def test_rulebook_page_checks_copy_as_you_type(server, page, home):
    from playwright.sync_api import expect

    from brandloop.knowledge.registry import BUNDLED, RulebookRegistry

    base, gate = server
    gate.set()
    RulebookRegistry(home).add(BUNDLED / "cobalt", "cobalt")
    page.goto(f"{base}/rulebooks/cobalt")
    expect(page.locator("#check-channel option[value=linkedin]")).to_have_count(1)
    page.select_option("#check-channel", "linkedin")
    page.locator("#check-text").press_sequentially("Meet Cobalt insights!\nA game changer", delay=5)
    marks = page.locator("#check-highlight mark.violation")
    expect(marks).to_have_count(3)
    expect(marks.nth(0)).to_have_text("Cobalt insights")
    assert "Cobalt.Trademarks" in marks.nth(0).get_attribute("title")
    expect(marks.nth(2)).to_have_text("game changer")
    expect(page.locator("#check-alerts li").nth(2)).to_have_text(
        "2:3  error  'game changer' reads as hype on LinkedIn.  cobalt.linkedin-hype")
    expect(page.locator("#check-summary")).to_have_text("3 error(s), 0 warning(s), 0 suggestion(s)")
    page.screenshot(path=str(ARTIFACTS / "06-check-copy.png"), full_page=True)
    page.fill("#check-text", "Automate handoffs with Cobalt Flow.")  # fixing the copy clears the alerts
    expect(marks).to_have_count(0)
    expect(page.locator("#check-summary")).to_have_text("0 error(s), 0 warning(s), 0 suggestion(s)")

    # the rules with their examples and the guideline sections, not raw counts
    expect(page.locator("#rules tr.rule")).to_have_count(13)
    row = page.locator("#rules tr.rule", has_text="cobalt.linkedin-hype")
    expect(row).to_contain_text("reads as hype on LinkedIn")
    expect(row.locator("li.ex-fail").first).to_be_visible()
    expect(page.locator("#guidelines details.section")).to_have_count(4)
    page.locator("#guidelines details.section summary").first.click()
    expect(page.locator("#guidelines p.passage").first).to_be_visible()
    assert "rules_by_type" not in page.content() and "node_kinds" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "07-rulebook.png"), full_page=True)


def test_review_board(server, page, home, brief_file):
    """Submit with review; the board shows variants side by side with counters, copy buttons, an RSA preview and a
    live re-check; approve / edit / reject; the rejected one is rewritten and comes back; then the run completes."""
    from playwright.sync_api import expect

    base, gate = server
    gate.set()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(base + "/")
    page.check("input[name=mode][value=upload]")
    page.set_input_files("input[name=brief_file]", str(brief_file))
    page.fill("input[name=max_revisions]", "0")
    page.check("#review")
    page.click("#start")
    expect(page.locator("#open-review")).to_be_visible(timeout=40000)
    expect(page.locator("#run-status")).to_have_text("awaiting_review")
    page.click("#open-review")

    cards = page.locator(".board > section.rv")
    expect(cards).to_have_count(3)
    boxes = [cards.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]  # side by side
    v2 = page.locator("#rv-v2")
    head2 = v2.locator("input.field[data-field=headline]").nth(1)
    counter = v2.locator(".item").nth(1).locator(".counter")
    expect(counter).to_have_text(f"{len(head2.input_value())}/30")
    expect(page.locator("#rv-v1 .combos li")).to_have_count(3)  # one per headline: every asset shows
    heads = [page.locator("#rv-v1 input.field[data-field=headline]").nth(i).input_value() for i in range(3)]
    expect(page.locator("#rv-v1 .combos li").first).to_contain_text(" | ".join(heads))
    expect(page.locator("#rv-v1 .combos li").nth(1)).to_contain_text(" | ".join([heads[1], heads[2], heads[0]]))

    head2.fill("Guaranteed 4.10% APY for every saver")  # too long and forbidden: counter and re-check say so
    expect(counter).to_have_text("36/30")
    assert "over" in counter.get_attribute("class")
    expect(v2.locator(".rv-violations")).to_contain_text("brief.forbidden_word")
    expect(v2.locator(".rv-violations")).to_contain_text("channel.length")
    assert v2.locator("input[value=edit]").is_checked()
    head2.fill("Open Your Account Today")
    expect(counter).to_have_text("23/30")
    expect(v2.locator(".rv-violations")).to_have_text("re-checked: no violations")
    expect(page.locator("#rv-v2 .combos li").first).to_contain_text("Open Your Account Today")

    v1_copy = page.locator("#rv-v1 .item").first.locator("button.copy")
    v1_copy.click()
    expect(v1_copy).to_have_attribute("data-copied", heads[0])

    page.locator("#rv-v3 input[value=reject]").check()
    page.locator("#rv-v3 .note-text").fill("lead with growing savings")
    page.fill("#reviewer", "robin")
    page.screenshot(path=str(ARTIFACTS / "07-review-board.png"), full_page=True)
    page.click("#submit-review")

    # v3 is rewritten with the note and comes back alone
    expect(page.locator("#open-review")).to_be_visible(timeout=40000)
    page.click("#open-review")
    expect(page.locator(".board > section.rv")).to_have_count(1)
    expect(page.locator("#rv-v3")).to_be_visible()
    page.click("#submit-review")
    expect(page.locator("#run-status")).to_have_text("completed", timeout=40000)
    expect(page.locator("#variant-v2 table.copy").first).to_contain_text("Open Your Account Today")


def test_live_page_shows_llm_batches_and_cancel_leaves_the_run_resumable(server, page, home, brief_file):
    from playwright.sync_api import expect

    from brandloop.graph.runner import Runner
    from tests.test_web_api import fake_model

    base, gate = server
    page.goto(base + "/")
    page.check("input[name=mode][value=upload]")
    page.set_input_files("input[name=brief_file]", str(brief_file))
    page.fill("input[name=max_revisions]", "1")
    page.click("#start")
    # the three first drafts at least (lines written anew for gaps follow as more one-prompt batches)
    expect(page.locator("#progress li.ev-llm", has_text="[copywriter] LLM: 1 prompt(s) done in").nth(2)).to_be_visible()
    expect(page.locator("#progress li", has_text="[compliance] loop 0")).to_be_visible()
    page.click("#cancel-run")  # the critic is held at the gate: the run stops before its next model call
    expect(page.locator("#cancel-run")).to_be_disabled()
    gate.set()
    expect(page.locator("#run-status")).to_have_text("interrupted")
    expect(page.locator("#run-error")).to_contain_text("cancelled; continue it with 'brandloop resume ")
    page.screenshot(path=str(ARTIFACTS / "08-cancelled.png"), full_page=True)
    run_id = page.url.rsplit("/", 1)[1]
    runner = Runner(home, lambda spec, **kw: fake_model())
    assert runner.store.get_run(run_id)["status"] == "interrupted"
    assert runner.resume(run_id)["status"] == "completed"


PHONE = 390


def test_no_page_scrolls_sideways_at_phone_width(server, page, home, brief_file):
    """Every page at 390 px: nothing wider than the screen (issue #12, item 5)."""
    from brandloop.knowledge.registry import BUNDLED, RulebookRegistry
    from tests.test_web_api import fake_model

    from brandloop.report import write_result
    from brandloop.graph.context import RunSettings
    from brandloop.graph.runner import Runner

    base, gate = server
    gate.set()
    RulebookRegistry(home).add(BUNDLED / "cobalt", "cobalt")
    result = Runner(home, lambda s, **kw: fake_model()).run(brief_file, RunSettings(max_revisions=1))
    write_result(result, home / "runs" / result["run_id"])
    paused = Runner(home, lambda s, **kw: fake_model()).run(brief_file, RunSettings(max_revisions=0, review=True))
    page.set_viewport_size({"width": PHONE, "height": 800})
    widths = {}
    for path in ("/", f"/runs/{result['run_id']}", f"/runs/{result['run_id']}/trace", "/rulebooks", "/rulebooks/cobalt",
                 f"/runs/{paused['run_id']}/review", "/runs/nope"):
        page.goto(base + path)
        widths[path] = page.evaluate("() => document.documentElement.scrollWidth")
        page.screenshot(path=str(ARTIFACTS / f"phone{path.replace('/', '_') or '_index'}.png"), full_page=True)
    assert all(w <= PHONE for w in widths.values()), widths


def test_live_page_follows_a_run_started_from_the_cli(server, page, home):
    """No false failure: a CLI run still going is followed until it ends (issue #12, item 1)."""
    from playwright.sync_api import expect

    from brandloop.graph.store import RunStore

    base, gate = server
    gate.set()
    cli = RunStore(home)  # the CLI's process: alive, so the run is 'running'
    cli.start_run("fromcli", brand="B", channel="google_rsa", brief_path="b.yaml", model="small", out_dir="",
                  run_input={})
    cli.add_events("fromcli", [{"node": "describer", "loop": 0, "duration_s": 0.1, "output": []}])
    page.goto(f"{base}/runs/fromcli")
    expect(page.locator("#progress li", has_text="[describer] loop 0")).to_be_visible()
    cli.add_events("fromcli", [{"node": "retrieve", "loop": 0, "duration_s": 0.2, "output": {}}])
    expect(page.locator("#progress li", has_text="[retrieve] loop 0")).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("running")
    expect(page.locator("#run-error")).to_be_hidden()
    cli.finish_run("fromcli", status="completed", stop_reason="all_passed")
    expect(page.locator("#run-status")).to_have_text("completed")
    expect(page.locator("#run-error")).to_be_hidden()
    cli.close()
