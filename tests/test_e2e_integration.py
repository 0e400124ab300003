"""The real embedded default model, end to end through the graph: short, greedy, one revision loop."""
import json

import pytest
from click.testing import CliRunner

from brandloop.cli import cli
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_home(tmp_path_factory):
    return tmp_path_factory.mktemp("real-home")


@pytest.fixture(scope="module")
def real_run(real_home):
    """One real run of the search-ad example, shared by the checks below."""
    from brandloop.llm import get_chat_model

    factory = lambda spec, **kw: get_chat_model(spec, **kw)  # noqa: E731 - cached model (shared with other integration tests)
    r = CliRunner().invoke(cli, ["run", str(EXAMPLES / "northwind_search.yaml"), "--json", "-k", "1",
                                 "--max-new-tokens", "96", "-n", "3", "--temperature", "0"],
                           obj={"home": real_home, "llm_factory": factory})
    assert r.exit_code == 0, r.output
    return json.loads(r.output[r.output.index("{"):])


def test_real_model_delivers_three_critiqued_variants_within_limits(real_run):
    assert len(real_run["variants"]) == 3
    assert real_run["stop_reason"] in ("all_passed", "budget_exhausted", "no_improvement")
    for v in real_run["variants"]:
        assert v["stop_reason"] and v["critique"]
        assert v["delivered"] in ("approved", "below_threshold", "failed")
        if v["delivered"] != "failed":
            assert not [x for x in v["violations"] if x["severity"] == "error"]
            assert all(len(h) <= 30 for h in v["fields"]["headline"])
            assert all(len(d) <= 90 for d in v["fields"]["description"])


def test_real_trace_has_every_agent_with_prompts_and_raw_outputs(real_run, real_home):
    r = CliRunner().invoke(cli, ["trace", real_run["run_id"], "--json"], obj={"home": real_home})
    events = [json.loads(x) for x in r.output.strip().splitlines()]
    nodes = [e["node"] for e in events]
    for node in ("describer", "retrieve", "copywriter", "compliance", "critic", "finalize"):
        assert node in nodes
    calls = [c for e in events if e["node"] in ("copywriter", "critic") for c in e["calls"]]
    assert calls and all(c["prompt"] and c["raw_output"] is not None for c in calls)
    assert all(c["tokens_out"] and c["tokens_out"] <= 96 for c in calls)
