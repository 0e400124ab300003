"""BRANDLOOP_CHROMA_URL: the guideline index on a real Chroma server (`chroma run` on loopback)."""
import pathlib

import chromadb
from click.testing import CliRunner

from brandloop.cli_rulebook import rulebook
from brandloop.knowledge.registry import RulebookRegistry
from tests.servers import chroma_url  # noqa: F401 - fixture

RULEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "rulebooks"


def test_rulebook_index_lives_on_the_chroma_server(tmp_path, chroma_url, monkeypatch, caplog):
    monkeypatch.setenv("BRANDLOOP_CHROMA_URL", chroma_url)
    home = tmp_path / "home"
    res = CliRunner().invoke(rulebook, ["add", str(RULEBOOKS / "northwind_bank")], obj={"home": str(home)})
    assert res.exit_code == 0, res.output
    assert not (home / "chroma").exists()  # nothing embedded on this machine

    port = int(chroma_url.rsplit(":", 1)[1])
    names = [c.name for c in chromadb.HttpClient(host="127.0.0.1", port=port).list_collections()]
    assert any(n.startswith("bl-northwind_bank-") for n in names)

    know = RulebookRegistry(home).load("northwind_bank")
    hits = know.guidelines_for("how do we disclose an interest rate or APY", k=2)
    assert hits and hits[0].id.endswith("#northwind-bank-brand-guidelines-rates-and-disclosures")
    assert "falling back to lexical search" not in caplog.text  # a vector hit from the server


def test_unreachable_chroma_server_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("BRANDLOOP_CHROMA_URL", "http://127.0.0.1:1")
    res = CliRunner().invoke(rulebook, ["add", str(RULEBOOKS / "northwind_bank")], obj={"home": str(tmp_path / "h")})
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "BRANDLOOP_CHROMA_URL: cannot reach the Chroma server at http://127.0.0.1:1" in lines[0]
