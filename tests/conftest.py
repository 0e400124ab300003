import brandloop  # noqa: F401 - first: sets OMP_WAIT_POLICY before torch loads
import importlib.abc
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class _BareOwnerFolders(importlib.abc.MetaPathFinder):
    """pytest puts the checkout on sys.path, where `import prompts` would work; installed it does not (the folders
    are brandloop.prompts ...). Refuse the bare names so a test fails where a user's run would."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in ("agents", "graph", "knowledge", "materials", "prompts"):
            raise ModuleNotFoundError(f"No module named '{fullname}' (use brandloop.{fullname})", name=fullname)
        return None


sys.meta_path.insert(0, _BareOwnerFolders())
EXAMPLES = ROOT / "examples" / "briefs"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An isolated data home; BRANDLOOP_HOME points at it so nothing leaks into the repo's .brandloop."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("BRANDLOOP_HOME", str(h))
    return h


@pytest.fixture
def brief_file(tmp_path) -> Path:
    """A minimal valid brief (no rulebook) for a Google search ad, with the channel's minimum asset counts."""
    p = tmp_path / "brief.yaml"
    p.write_text(
        "brand: Northwind Bank\n"
        "product:\n  name: Everyday Savings\n  description: A savings account.\n  facts: ['4.10% APY']\n"
        "audience: [savers]\nchannel: google_rsa\ngoal: sign-ups\nkey_message: Earn more.\n"
        "keywords: [savings]\nforbidden_words: [guaranteed]\nvariants: 3\n"
        "assets: {headline: 3, description: 2}\n", encoding="utf-8")  # the scripted fakes write 3 + 2 lines
    return p


def copy_examples(dest: Path) -> Path:
    shutil.copytree(ROOT / "examples", dest / "examples")
    return dest / "examples"
