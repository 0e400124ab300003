"""Interrupted runs resume from their last checkpoint without redoing finished nodes."""
import os
import signal
import subprocess
import sys
import textwrap
import time

from click.testing import CliRunner

from brandloop.agents.inputs import Brief
from brandloop.cli import cli
from brandloop.graph.context import RunSettings
from brandloop.graph.runner import Runner
from brandloop.graph.store import RunStore
from tests.conftest import ROOT
from tests.fakes import scripted
from tests.test_graph import GOOD, LONG


def test_crash_in_critic_then_resume_skips_finished_nodes(home, brief_file):
    def exploding_critic(prompt):
        raise RuntimeError("power cut")

    runner = Runner(home, lambda s, **kw: scripted(LONG, critic=exploding_critic))
    try:
        runner.run(brief_file, RunSettings(max_revisions=1), run_id="r1")
    except RuntimeError:
        pass
    assert RunStore(home).get_run("r1")["status"] == "error"
    before = [e["node"] for e in RunStore(home).events("r1")]
    assert before == ["describer", "retrieve", "copywriter", "compliance"]

    result = Runner(home, lambda s, **kw: scripted(GOOD)).resume("r1")
    after = [e["node"] for e in RunStore(home).events("r1")][len(before):]
    assert after[0] == "critic" and "describer" not in after and after[-1] == "finalize"
    assert result["stop_reason"] in ("all_passed", "budget_exhausted")
    assert RunStore(home).get_run("r1")["status"] == "completed"


KILLABLE = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from brandloop.graph.context import RunSettings
    from brandloop.graph.runner import Runner
    from tests.fakes import scripted
    from tests.test_graph import GOOD, LONG

    def copy(prompt):  # the rewrite of a failing line: inside the revision loop, signal, then hang until killed
        print("IN_REVISION", flush=True)
        time.sleep(600)
        return "unreachable"
    Runner({home!r}, lambda s, **kw: scripted(LONG, rewrite=copy)).run({brief!r}, RunSettings(max_revisions=2), run_id="killme")
""")


def test_killed_run_during_revision_loop_resumes_to_completion(home, brief_file):
    script = KILLABLE.format(root=str(ROOT), home=str(home), brief=str(brief_file))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "IN_REVISION"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = RunStore(home)
    assert store.get_run("killme")["status"] == "interrupted"
    listing = CliRunner().invoke(cli, ["runs"], obj={"home": home})
    assert "interrupted (resumable)" in listing.output
    done_before = [e["node"] for e in store.events("killme")]
    assert done_before[-1] == "revise" and done_before.count("copywriter") == 1
    with store.checkpointer() as saver:  # the other process's checkpoint holds the brief and settings as models
        raw = saver.get_tuple({"configurable": {"thread_id": "killme", "checkpoint_ns": ""}}).checkpoint
    assert type(raw["channel_values"]["brief"]) is Brief and type(raw["channel_values"]["settings"]) is RunSettings
    assert "trace" not in raw["channel_values"]

    r = CliRunner().invoke(cli, ["resume", "killme", "--json"], obj={"home": home, "llm_factory": lambda s, **kw: scripted(GOOD)})
    assert r.exit_code == 0, r.output
    nodes = [e["node"] for e in store.events("killme")]
    assert nodes[: len(done_before)] == done_before
    assert nodes[len(done_before):][0] == "copywriter" and nodes[-1] == "finalize"
    assert nodes.count("describer") == 1 and nodes.count("revise") >= 1
    d = CliRunner().invoke(cli, ["diff", "killme", "v1"], obj={"home": home})
    assert d.exit_code == 0 and "-HEADLINE 2: Earn 4.10% APY, On Every Dollar You Save" in d.output
    assert "+HEADLINE 2: Earn 4.10% APY" in d.output
