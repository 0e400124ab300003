"""The example briefs and rulebooks the eval runs: every brief loads, names a bundled rulebook that validates,
and the new rulebooks' golden examples pass."""
import pathlib

import pytest

from brandloop.graph.brief import load_brief
from brandloop.knowledge.registry import BUNDLED, RulebookRegistry

BRIEFS = sorted((pathlib.Path(__file__).resolve().parent.parent / "examples" / "briefs").glob("*.yaml"))


@pytest.mark.parametrize("path", BRIEFS, ids=lambda p: p.name)
def test_every_example_brief_loads_and_its_rulebook_validates(tmp_path, path):
    brief, _ = load_brief(path)
    assert brief.rulebook and (BUNDLED / brief.rulebook / "rulebook.yaml").is_file()
    know = RulebookRegistry(tmp_path).rules_only(brief.rulebook)
    assert know._product(brief.product.name) is not None, "the brief's product is one of the rulebook's products"


def test_new_briefs_cover_at_least_four_channels():
    channels = {load_brief(p)[0].channel for p in BRIEFS
                if p.name.split("_")[0] in ("harbor", "voltcycle", "fieldtable")}
    assert len(channels) >= 4 and len([p for p in BRIEFS if p.name.split("_")[0] in ("harbor", "voltcycle", "fieldtable")]) == 6


@pytest.mark.parametrize("name", ["harbor_brewing", "voltcycle", "fieldtable"])
def test_new_rulebooks_golden_examples_pass(tmp_path, name):
    results = RulebookRegistry(tmp_path).rules_only(name).run_golden()
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]
