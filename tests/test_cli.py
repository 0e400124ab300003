import json

from click.testing import CliRunner

from brandloop.cli import cli
from tests.fakes import scripted
from tests.test_graph import GOOD, LONG, by_angle


def invoke(home, args, llm=None):
    obj = {"home": home}
    if llm is not None:
        obj["llm_factory"] = lambda spec, **kw: llm
    return CliRunner().invoke(cli, args, obj=obj)


def test_run_prints_variants_writes_files_and_lists_run(home, brief_file, tmp_path):
    out = tmp_path / "out"
    r = invoke(home, ["run", str(brief_file), "--out", str(out), "-k", "1"], scripted(LONG, rewrite=LONG.splitlines()[1]))
    assert r.exit_code == 0, r.output
    assert "[copywriter] loop 0" in r.output and "[finalize]" in r.output
    assert r.output.count("### Variant") == 3 and "Stop reason: **budget_exhausted**" in r.output
    assert "- **HEADLINE 1** (19/30): Save More Every Day" in r.output  # counters show the channel's limit
    assert "- **DESCRIPTION 1** (44/90): Open an Everyday Savings account in minutes." in r.output
    result = json.loads((out / "result.json").read_text())
    assert len(result["variants"]) == 3 and (out / "result.md").exists()
    listing = invoke(home, ["runs"])
    assert result["run_id"] in listing.output and "completed" in listing.output


def test_trace_shows_every_agent_with_prompt_and_raw_output(home, brief_file):
    r = invoke(home, ["run", str(brief_file), "--json", "-q"], scripted(by_angle))
    run_id = json.loads(r.output)["run_id"]
    t = invoke(home, ["trace", run_id, "--full"])
    assert t.exit_code == 0
    for node in ("describer", "retrieve", "copywriter", "compliance", "critic", "finalize"):
        assert f" {node} (loop" in t.output
    assert "prompt:" in t.output and "raw output:" in t.output and "HEADLINE 1: Save More Every Day" in t.output
    lines = invoke(home, ["trace", run_id, "--json", "--node", "critic"]).output.strip().splitlines()
    assert [json.loads(x)["node"] for x in lines] == ["critic"]


def test_bad_brief_exits_2_with_one_line(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: B\nproduct: {name: P}\naudience: a\nchannel: myspace\n")
    r = invoke(home, ["run", str(bad)], scripted(GOOD))
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0
    assert "bad.yaml: field 'channel': unknown channel 'myspace'" in r.output


def test_missing_material_exits_2(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: B\nproduct: {name: P}\naudience: a\nchannel: x\nmaterials: [gone.png]\n")
    r = invoke(home, ["run", str(bad)], scripted(GOOD))
    assert r.exit_code == 2 and "field 'materials.0': material file not found: gone.png" in r.output


def test_unknown_run_id_exits_2(home):
    r = invoke(home, ["trace", "nope"])
    assert r.exit_code == 2 and "no run with id 'nope'" in r.output


def test_internal_error_exits_1_without_traceback(home, brief_file):
    class Boom(Exception):
        pass

    def factory(spec, **kw):
        raise Boom("model exploded")

    r = CliRunner().invoke(cli, ["run", str(brief_file)], obj={"home": home, "llm_factory": factory})
    assert r.exit_code == 1 and "internal error: Boom: model exploded" in r.output
    assert "Traceback" not in r.output


def _noisy_factory(seen: dict, llm):
    """A model factory that behaves like transformers while loading: a deprecation warning, a log line, a bar."""
    import logging
    import warnings

    from tqdm.auto import tqdm

    def factory(spec, **kw):
        with warnings.catch_warnings(record=True) as caught:
            warnings.warn_explicit("`torch_dtype` is deprecated! Use `dtype` instead!", FutureWarning,
                                   "modeling_utils.py", 1, module="transformers.modeling_utils")
        seen["warnings"] = [str(w.message) for w in caught]
        seen["log_warning_enabled"] = logging.getLogger("transformers.modeling_utils").isEnabledFor(logging.WARNING)
        for _ in tqdm(range(3), desc="Loading weights"):
            pass
        return llm

    return factory


def test_third_party_noise_is_hidden_unless_debug(home, brief_file):
    for debug in (False, True):
        seen: dict = {}
        obj = {"home": home, "llm_factory": _noisy_factory(seen, scripted(GOOD))}
        r = CliRunner().invoke(cli, (["--debug"] if debug else []) + ["run", str(brief_file), "-k", "0"], obj=obj)
        assert r.exit_code == 0, r.output
        assert ("Loading weights" in r.output) is debug, r.output
        assert bool(seen["warnings"]) is debug and seen["log_warning_enabled"] is debug
        assert "[copywriter] loop 0" in r.output  # our own progress stays


def test_trace_is_a_compact_summary_by_default_and_full_on_request(home, brief_file):
    run_id = json.loads(invoke(home, ["run", str(brief_file), "--json", "-q", "-k", "0"], scripted(GOOD)).output)["run_id"]
    t = invoke(home, ["trace", run_id])
    assert t.exit_code == 0, t.output
    lines = t.output.strip().splitlines()
    assert lines[0].split()[:6] == ["#", "node", "loop", "time", "calls", "tokens"]
    steps = [ln.split()[1] for ln in lines[1:-2]]
    assert steps == ["describer", "retrieve", "copywriter", "compliance", "critic", "finalize"]
    critic = next(ln for ln in lines if ln.split()[1:2] == ["critic"])
    assert "v1:" in critic and "v3:" in critic  # scores per variant
    assert lines[-2].startswith("total: 6 step(s)") and "prompt:" not in t.output and "raw output:" not in t.output
    full = invoke(home, ["trace", run_id, "--full"])
    assert "prompt:" in full.output and "raw output:" in full.output and len(full.output) > 3 * len(t.output)


def test_trace_unknown_node_exits_2_and_lists_the_names(home, brief_file):
    run_id = json.loads(invoke(home, ["run", str(brief_file), "--json", "-q", "-k", "0"], scripted(GOOD)).output)["run_id"]
    r = invoke(home, ["trace", run_id, "--node", "critc"])
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert "unknown node 'critc'" in r.output and "critic" in r.output and "finalize" in r.output


def test_trace_node_names_match_the_graph():
    from brandloop.report import NODES
    from brandloop.graph.builder import build_graph

    assert set(NODES) == set(build_graph().nodes) - {"__start__"}


def test_diff_says_unchanged_when_a_revision_changed_nothing(home, brief_file):
    # every draft is too long and every rewrite returns the same long line: loop 1 equals loop 0
    r = invoke(home, ["run", str(brief_file), "--json", "-q", "-k", "1"], scripted(LONG, rewrite=LONG.splitlines()[1]))
    run_id = json.loads(r.output)["run_id"]
    d = invoke(home, ["diff", run_id, "v1"])
    assert d.exit_code == 0
    assert "v1 loop 0 → loop 1: unchanged" in d.output, d.output


def test_piping_into_head_never_raises_broken_pipe(home):
    """A real process whose reader stops early (`brandloop trace RUN_ID --full | head -1`)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from brandloop.graph.store import RunStore

    store = RunStore(home)
    store.start_run("big", brand="B", channel="x", brief_path="b.yaml", model="small", out_dir="", run_input={})
    store.add_events("big", [{"node": "critic", "loop": i, "duration_s": 0.1, "calls": [
        {"target": "v1", "attempt": 1, "prompt": "p" * 2000, "raw_output": "r" * 2000, "parsed": None}]}
        for i in range(300)])
    for i in range(400):
        store.start_run(f"r{i}", brand="Brand " * 10, channel="x", brief_path="b.yaml" * 20, model="small",
                        out_dir="", run_input={})
    store.close()
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for args in (["trace", "big", "--full"], ["trace", "big", "--json"], ["trace", "big"], ["runs", "--json", "--limit", "500"],
                 ["runs", "--limit", "500"]):
        proc = subprocess.Popen([sys.executable, "-m", "brandloop", "--home", str(home), *args], cwd=root, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.readline()
        proc.stdout.close()  # like head: stop reading after one line
        err = proc.stderr.read().decode()
        proc.wait(60)
        assert "BrokenPipeError" not in err and "Traceback" not in err and "internal error" not in err, err


def test_a_brief_with_several_problems_lists_them_all_one_line_each(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: B\nproduct: {name: P}\naudience: []\nchannel: myspace\n")
    r = invoke(home, ["run", str(bad)], scripted(GOOD))
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 2 and all(ln.startswith(f"error: {bad}: field '") for ln in lines)
    assert "'audience': is empty" in lines[0] and "'channel': unknown channel 'myspace'" in lines[1]
