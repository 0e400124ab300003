"""The rulebook loader's section parsers, one by one: what each keeps and which issue (file:line, field, fix)
each records. load_folder calls them in order and gathers their issues (tests/test_rulebook_*.py)."""
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from brandloop.knowledge.rulebook.loader import (Loaded, attach_tests, check_folder, load_parent, parse_ads, parse_brand,
                                       parse_channels, parse_fact, parse_guidelines, parse_products, parse_rules,
                                       parse_tests, parse_vale, read_rulebook_yaml)
from brandloop.knowledge.yamlmap import load_yaml

BUNDLED = Path(__file__).resolve().parents[1] / "rulebooks"


def parsed(text: str, tmp_path: Path, name: str = "rb") -> tuple[dict, object, Loaded]:
    data, lm = load_yaml(textwrap.dedent(text), "rulebook.yaml")
    return data, lm, Loaded(name, tmp_path)


def messages(L: Loaded) -> list[str]:
    return [str(i) for i in L.errors]


def test_check_folder(tmp_path):
    L = Loaded("x", tmp_path / "missing")
    assert not check_folder(tmp_path / "missing", L) and "rulebook folder not found" in messages(L)[0]
    L = Loaded("x", tmp_path)
    assert not check_folder(tmp_path, L) and "rulebook.yaml is missing" in messages(L)[0]
    (tmp_path / "rulebook.yaml").write_text("brand: {name: X}\n")
    (tmp_path / "guidelines").mkdir()
    (tmp_path / "guidelines" / "big.md").write_bytes(b"x" * (2 * 1024 * 1024 + 1))
    L = Loaded("x", tmp_path)
    assert not check_folder(tmp_path, L) and "the limit is 2,097,152" in messages(L)[0]
    (tmp_path / "guidelines" / "big.md").unlink()
    os.symlink("/etc/passwd", tmp_path / "guidelines" / "out.md")
    L = Loaded("x", tmp_path)
    assert not check_folder(tmp_path, L) and "pointing outside the rulebook folder" in messages(L)[0]
    (tmp_path / "guidelines" / "out.md").unlink()
    L = Loaded("x", tmp_path)
    assert check_folder(tmp_path, L) and L.errors == []


def test_read_rulebook_yaml(tmp_path):
    rb = tmp_path / "rulebook.yaml"
    rb.write_text("- a list\n")
    L = Loaded("x", tmp_path)
    assert read_rulebook_yaml(tmp_path, L) is None and messages(L) == [
        "rulebook.yaml:1: rulebook.yaml must be a mapping (fix: start with 'brand:')"]
    rb.write_bytes(b"brand: \xff\n")
    L = Loaded("x", tmp_path)
    assert read_rulebook_yaml(tmp_path, L) is None and "not UTF-8 text" in messages(L)[0]
    rb.write_text("brand: {name: X\n")
    L = Loaded("x", tmp_path)
    assert read_rulebook_yaml(tmp_path, L) is None and messages(L)[0].startswith("rulebook.yaml:")
    rb.write_text("brand: {name: X}\n")
    data, lm = read_rulebook_yaml(tmp_path, Loaded("x", tmp_path))
    assert data == {"brand": {"name": "X"}} and lm.line(("brand",)) == 1


def test_parse_brand(tmp_path):
    data, lm, L = parsed("""\
        brand:
          name: Verdant
          voice: [playful, warm]
          tone: upbeat
          parent: verdant
        """, tmp_path)
    parse_brand(data, lm, L)
    assert L.errors == [] and L.brand == "Verdant" and L.parent_name == "verdant"
    assert L.info["voice"] == ["playful", "warm"] and L.info["tone"] == ["upbeat"] and L.info["audiences"] == []
    data, lm, L = parsed("""\
        brand:
          voice: {a: 1}
          parent: ../elsewhere
        """, tmp_path, "fallback")
    parse_brand(data, lm, L)
    assert L.brand == "fallback" and L.parent_name is None
    assert messages(L) == [
        "rulebook.yaml:1: brand.name: missing field (fix: add 'name: Your Brand' under 'brand:')",
        "rulebook.yaml:2: brand.voice: must be a list of strings (fix: write 'voice: [a, b]')",
        "rulebook.yaml:3: brand.parent: must be the name of a rulebook (a name, never a path) (fix: write 'parent: verdant')"]


def test_parse_products_and_facts(tmp_path):
    data, lm, L = parsed("""\
        products:
          - name: Crunch
            aliases: [Bites]
            facts:
              - "6 g protein"
              - {statement: "4.10% APY", value: "4.10%", unit: "%"}
              - {statement: "Fast", value: quick}
              - {value: 3}
          - description: no name
        """, tmp_path)
    L.brand = "Verdant"
    parse_products(data, lm, L)
    (p,) = L.products
    assert p.name == "Crunch" and p.aliases == ["Bites"] and p.brand == "Verdant"
    assert [(f.statement, f.value, f.unit) for f in p.facts] == [("6 g protein", None, None), ("4.10% APY", 4.1, "%")]
    assert messages(L) == [
        "rulebook.yaml:7: products.0.facts.2.value: value 'quick' is not a number (fix: write a number, e.g. 4.10)",
        "rulebook.yaml:8: products.0.facts.3.statement: missing field (fix: give every fact a 'statement:')",
        "rulebook.yaml:9: products.1.name: missing field (fix: give every product a 'name:')"]
    errs = []
    assert parse_fact(True, ("f",), "P", lm, errs) is None and len(errs) == 1
    assert parse_fact({"statement": 7, "value": 7}, ("f",), "P", lm, []).statement == "7"


def test_parse_channels(tmp_path):
    data, lm, L = parsed("""\
        channels:
          google_rsa: {headline: {max_chars: 28}}
          meta_feed: {headline: {max_chars: -1}}
          nowhere: {headline: {max_chars: 10}}
          broken: 5
        """, tmp_path)
    parse_channels(data, lm, L)
    assert L.channels["google_rsa"] == {"headline": {"max_chars": 28}} and "broken" not in L.channels
    assert messages(L) == [
        "rulebook.yaml:3: channels.meta_feed.headline.max_chars: max_chars must be a non-negative integer "
        "(fix: write 'max_chars: 30')",
        "rulebook.yaml:5: channels.broken: must map field names to limits (fix: write 'headline: {max_chars: 28}')"]
    assert [str(w).split(" (fix")[0] for w in L.warnings] == ["rulebook.yaml:4: channels.nowhere: unknown channel 'nowhere'"]


def test_parse_rules(tmp_path):
    data, lm, L = parsed("""\
        rules:
          - id: r.banned
            type: existence
            severity: error
            message: "Never say '%s'."
            tokens: [cheap]
          - id: r.banned
            type: existence
            message: "Again '%s'."
            tokens: [junk]
          - just text
        """, tmp_path)
    seen = parse_rules(data, lm, L)
    assert seen == {"r.banned"} and [r.id for r in L.rules] == ["r.banned"]
    assert messages(L) == [
        "rulebook.yaml:7: rules.1.id: duplicate rule id 'r.banned' (fix: give every rule a unique id)",
        "rulebook.yaml:11: rules.2: a rule must be a mapping (fix: start the rule with '- id: my-rule')"]


def test_parse_vale(tmp_path):
    shutil.copytree(BUNDLED / "cobalt" / "vale", tmp_path / "vale")
    data, lm, L = parsed("""\
        vale:
          disable: [Cobalt.Hedging]
          severity: {Cobalt.Exclamation: error, Cobalt.Avoid: loud}
        """, tmp_path, "cobalt")
    seen = {"Cobalt.Avoid"}  # as if rulebook.yaml defined it too
    parse_vale(data, lm, L, seen)
    rules = {r.id: r for r in L.rules}
    assert "Cobalt.Avoid" not in rules and "Cobalt.Trademarks" in seen
    assert rules["Cobalt.Hedging"].enabled is False and rules["Cobalt.Exclamation"].severity == "error"
    assert any("rule id 'Cobalt.Avoid' also defined in rulebook.yaml" in m for m in messages(L))
    assert any("vale.severity.Cobalt.Avoid: unknown severity 'loud'" in m for m in messages(L))
    L = Loaded("plain", tmp_path / "none")
    parse_vale({"vale": {"disable": ["X"]}}, lm, L, set())  # no vale/ folder: the section is ignored
    assert L.rules == [] and L.errors == []


def test_parse_tests(tmp_path):
    data, lm, L = parsed("""\
        tests:
          - rule: Cobalt.Avoid
            pass: ["Clear workflows."]
            fail: ["Unlock synergy."]
          - pass: ["no rule named"]
        """, tmp_path)
    (test,) = parse_tests(data, lm, L.errors)
    rid, passes, fails, path = test
    assert rid == "Cobalt.Avoid" and path == ("tests", 0)
    assert [e.text for e in passes] == ["Clear workflows."] and [e.text for e in fails] == ["Unlock synergy."]
    assert messages(L) == ["rulebook.yaml:5: tests.1.rule: missing field (fix: name the rule id the examples test)"]


def test_parse_guidelines(tmp_path):
    (tmp_path / "guidelines" / "sub").mkdir(parents=True)
    (tmp_path / "guidelines" / "voice.md").write_text("# Voice\n\nWarm and plain.\n\n## Claims\n\nOnly approved claims.\n")
    (tmp_path / "guidelines" / "sub" / "bad.md").write_bytes(b"\xff\xfe bad")
    L = Loaded("rb", tmp_path)
    L.brand = "Verdant"
    parse_guidelines(L)
    assert L.chunks and {c.file for c in L.chunks} == {"guidelines/voice.md"}
    assert all(c.brand == "Verdant" and c.rulebook == "rb" for c in L.chunks)
    assert "Only approved claims." in " ".join(c.text for c in L.chunks)
    assert messages(L) == ["guidelines/sub/bad.md:1: not UTF-8 text (fix: save the file as UTF-8)"]


def test_parse_ads(tmp_path):
    shutil.copytree(BUNDLED / "verdant" / "ads", tmp_path / "ads")
    L = Loaded("verdant", tmp_path)
    parse_ads(L)
    assert L.errors == [] and len(L.exemplars) >= 3
    assert {e.channel for e in L.exemplars} >= {"google_rsa", "meta_feed"}
    L = Loaded("none", tmp_path / "empty")
    parse_ads(L)
    assert L.exemplars == [] and L.errors == []


@pytest.mark.parametrize("case", ["found", "missing", "cycle"])
def test_load_parent(tmp_path, case):
    root = tmp_path / "books"
    shutil.copytree(BUNDLED / "verdant", root / "verdant")
    child = root / "child"
    child.mkdir()
    parent = {"found": "verdant", "missing": "nowhere", "cycle": "child"}[case]
    text = f"brand:\n  name: Child\n  parent: {parent}\n"
    (child / "rulebook.yaml").write_text(text)
    data, lm = load_yaml(text, "rulebook.yaml")
    L = Loaded("child", child)
    L.parent_name = parent
    load_parent(lm, L, None, ())
    if case == "found":
        assert L.errors == [] and L.parent is not None and L.parent.brand == "Verdant"
    elif case == "missing":
        assert L.parent is None and messages(L)[0].startswith(
            "rulebook.yaml:3: brand.parent: parent rulebook 'nowhere' does not exist")
    else:
        assert L.parent is None and messages(L)[0].startswith(
            "rulebook.yaml:3: brand.parent: inheritance cycle: child -> child")


def test_attach_tests(tmp_path):
    data, lm, L = parsed("""\
        rules:
          - id: own
            type: existence
            message: "No '%s'."
            tokens: [cheap]
        tests:
          - rule: own
            fail: ["So cheap"]
          - rule: inherited
            pass: ["Fine"]
          - rule: ghost
            pass: ["Fine"]
        """, tmp_path)
    parse_rules(data, lm, L)
    parent = Loaded("parent", tmp_path)
    parent.rules = [L.rules[0].model_copy(update={"id": "inherited"})]
    L.parent = parent
    attach_tests(parse_tests(data, lm, L.errors), lm, L)
    assert [e.text for e in L.rules[0].fails][-1] == "So cheap"
    assert [t[0] for t in L.info["inherited_tests"]] == ["inherited"]
    assert messages(L) == ["rulebook.yaml:11: tests.2.rule: no rule with id 'ghost' "
                           "(fix: use the id of a rule in this rulebook, e.g. Style.RuleName)"]
