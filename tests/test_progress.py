"""Progress inside long steps (issue #12, item 2): a report per LLM batch with tokens per prompt and an
estimate from the run's measured speed; a cancelled run stops cleanly and resumes."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from langchain_core.language_models import BaseChatModel

from brandloop.cli import cli
from brandloop.llm.batching import BatchedChatMixin, chat_result
from brandloop.graph.context import RunSettings
from brandloop.errors import RunCancelled
from brandloop.graph.progress import LLMProgress
from brandloop.graph.runner import Runner
from tests.fakes import scripted
from tests.test_graph import GOOD, by_angle


class BatchedFake(BatchedChatMixin, BaseChatModel):
    """Like the local engines: a whole batch at once, usage metadata per reply; replies from a scripted fake."""

    inner: object = None

    @property
    def _llm_type(self) -> str:
        return "batched-fake"

    def _generate_many(self, message_lists, stop=None, **kwargs):
        texts = [self.inner._call(m) for m in message_lists]
        return [chat_result(t, 50, len(t.split()), "stop", {"engine": "fake"}) for t in texts]


def batched(**kw) -> BatchedFake:
    return BatchedFake(inner=scripted(by_angle, **kw))


def test_cli_run_reports_each_llm_batch_with_tokens_and_an_estimate(home, brief_file):
    llm = batched()
    r = CliRunner().invoke(cli, ["run", str(brief_file), "-k", "0"], obj={"home": home, "llm_factory": lambda s, **kw: llm})
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if " LLM: " in ln]
    words = len(GOOD.split())
    assert lines[0] == "[copywriter] LLM: 3 prompt(s) generating, no estimate yet (no speed measured in this run)"
    assert lines[1].startswith("[copywriter] LLM: 3 prompt(s) done in ")
    assert lines[1].endswith(f": {3 * words} tokens (#1 {words}, #2 {words}, #3 {words})")
    # the critic's batch comes with an estimate from the copywriter's measured tokens/s
    assert lines[2].startswith("[critic] LLM: 3 prompt(s) generating, about ") and "tokens/s measured so far" in lines[2]
    assert r.output.index(lines[1]) < r.output.index("[copywriter] loop 0")
    quiet = CliRunner().invoke(cli, ["run", str(brief_file), "-k", "0", "-q"],
                               obj={"home": home, "llm_factory": lambda s, **kw: batched()})
    assert " LLM: " not in quiet.output


def test_a_cancelled_run_stops_before_its_next_batch_and_resumes(home, brief_file):
    runner = Runner(home, lambda s, **kw: batched())
    progress = LLMProgress()
    reports = []

    def emit(report):
        reports.append(report)
        if report["node"] == "copywriter" and report["phase"] == "finished":
            progress.cancel.set()  # the cancel button, pressed while the copywriter generates

    progress.emit = emit
    runner.llm_progress = progress
    with pytest.raises(RunCancelled):
        runner.run(brief_file, RunSettings(max_revisions=0), run_id="cancelme")
    assert [r["node"] for r in reports if r["phase"] == "finished"] == ["copywriter"]
    row = runner.store.get_run("cancelme")
    assert row["status"] == "interrupted" and "brandloop resume cancelme" in row["error"]

    r = CliRunner().invoke(cli, ["resume", "cancelme", "--json"],
                           obj={"home": home, "llm_factory": lambda s, **kw: batched()})
    assert r.exit_code == 0, r.output
    out = r.output[r.output.index("{"):]
    assert json.loads(out)["status"] == "completed"
    assert "[copywriter] loop 0" not in r.output  # the finished step is not redone


def test_terminal_bar_draws_elapsed_against_the_estimate():
    from brandloop.cli_progress import BAR_WIDTH, bar

    half = bar({"node": "copywriter", "prompts": 3, "elapsed_s": 20.2, "estimate_s": 40.0})
    assert half == "[copywriter] 3 prompt(s) " + "█" * (BAR_WIDTH // 2) + "░" * (BAR_WIDTH // 2) + " 20 s of about 40 s"
    over = bar({"node": "critic", "prompts": 1, "elapsed_s": 90, "estimate_s": 40.0})
    assert "░" not in over and over.endswith("90 s of about 40 s")
    assert bar({"node": "critic", "prompts": 1, "elapsed_s": 5, "estimate_s": None}) == "[critic] 1 prompt(s) generating: 5 s"
