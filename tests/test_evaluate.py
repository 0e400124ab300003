"""`brandloop eval`: output checks from the trace, and the single-shot baseline beside the loop."""
from click.testing import CliRunner

from brandloop.cli import cli
from brandloop.evaluate import evaluate
from brandloop.graph.context import RunSettings
from brandloop.graph.runner import Runner
from tests.test_graph import GOOD, by_angle
from tests.fakes import scripted


def test_eval_counts_model_lines_over_their_limit_and_compares_a_baseline(home, brief_file):
    llm = scripted(lambda p: by_angle(p).replace("Earn 4.10% APY\n", "Earn 4.10% APY, On Every Dollar You Save\n")
                   .replace("Get 4.10% APY\n", "Get 4.10% APY, On Every Dollar You Save\n")
                   .replace("Your 4.10% APY\n", "Your 4.10% APY Grows Each Month, Online\n"),
                   rewrite="Earn More at 4.10% APY")  # three distinct drafts, each with one headline over 30
    report = evaluate(Runner(home, lambda s, **kw: llm), [brief_file], RunSettings(max_revisions=1), baseline=True)
    row = report["briefs"][0]
    assert row["model_lines_over_limit"] == 3 and row["parse_failures"] == 0  # one 46-char headline per first draft
    assert row["model_lines"] == 3 * 5 + 3 * 2  # three first drafts; per failing headline a rewrite and a new line
    assert set(report["summary"]["baseline"]) == set(report["summary"]["loop"]) == {
        "approved_share", "mean_score", "lint_hits", "shared_lines", "distinct_2"}
    baseline = Runner(home, lambda s, **kw: llm).store.latest_values(row["baseline"]["run_id"])
    assert baseline["settings"].single_shot and baseline["revision"] == 0
    assert all(v["delivered"] == "failed" and not v["repairs"] for v in baseline["variants"])  # no repairs
    assert report["summary"]["loop"]["approved_share"] > report["summary"]["baseline"]["approved_share"]


def test_eval_cli_prints_the_comparison(home, brief_file):
    r = CliRunner().invoke(cli, ["--home", str(home), "eval", str(brief_file), "-k", "0", "--baseline"],
                           obj={"llm_factory": lambda s, **kw: scripted(GOOD)})
    assert r.exit_code == 0, r.output
    assert "| single-shot baseline |" in r.output and "model-written lines were over their limit" in r.output


def test_shared_lines_leave_out_the_business_name_every_variant_takes_from_the_brand():
    from brandloop.evaluate import quality_of

    def ad(head: str) -> dict:
        return {"delivered": "approved", "score": 70.0, "violations": [],
                "fields": {"headline": [head, "Dinners Delivered Weekly"], "business_name": ["FieldTable"]}}

    result = {"channel": "google_demand_gen", "variants": [ad("Fresh Vegetarian Recipes"), ad("Cook at Home Tonight")]}
    assert quality_of(result)["shared_lines"] == 1  # the headline both carry, not the business name
