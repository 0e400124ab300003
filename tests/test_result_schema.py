import json

from brandloop.graph.context import RunSettings
from brandloop.graph.result import RunResult
from brandloop.graph.runner import Runner
from tests.conftest import ROOT
from tests.fakes import scripted
from tests.test_graph import LONG


def test_documented_schema_is_current():
    documented = json.loads((ROOT / "docs" / "result.schema.json").read_text())
    assert documented == RunResult.model_json_schema(), "regenerate docs/result.schema.json (see docs/result.md)"


def test_results_follow_the_schema(home, brief_file):
    result = Runner(home, lambda s, **kw: scripted(LONG, rewrite=LONG.splitlines()[1])).run(
        brief_file, RunSettings(max_revisions=1))
    parsed = RunResult.model_validate(result)
    assert all(v.repaired and v.delivered in ("approved", "below_threshold") for v in parsed.variants)
    assert all(v.repairs and v.violations_before_repair for v in parsed.variants)
