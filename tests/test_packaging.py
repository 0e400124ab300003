"""The installed distribution: everything under the brandloop namespace, nothing generic in site-packages."""
import shutil
import subprocess
import sys
import tomllib
import zipfile

from tests.conftest import ROOT

OWNER_FOLDERS = ("agents", "graph", "knowledge", "materials", "prompts")


def test_every_package_folder_is_listed_under_the_brandloop_namespace():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    on_disk = set()
    for top in ("brandloop", *OWNER_FOLDERS):
        for init in (ROOT / top).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT).parts
            on_disk.add(".".join(parts if top == "brandloop" else ("brandloop", *parts)))
    assert set(config["packages"]) == on_disk
    assert all(config["package-dir"][f"brandloop.{f}"] == f for f in OWNER_FOLDERS)


def test_the_wheel_holds_one_top_level_package_with_its_data(tmp_path):
    leftover = not (ROOT / "build").exists()  # setuptools builds in the checkout's build/; leave no trace
    try:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                        str(tmp_path), str(ROOT)], check=True, capture_output=True, cwd=tmp_path)
    finally:
        if leftover:
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    [wheel] = tmp_path.glob("brandloop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"brandloop", wheel.name.split("-py")[0] + ".dist-info"}
    for needed in ("brandloop/agents/copywriter.py", "brandloop/prompts/copywriter.yaml",
                   "brandloop/knowledge/data/channels.yaml", "brandloop/web/templates/index.html",
                   "brandloop/graph/builder.py", "brandloop/materials/core.py"):
        assert needed in names
