"""Every import points down the floors (README "Architecture"), and no two packages import each other.

Floors, bottom up: the basement (brandloop/errors.py, brandloop/home.py: leaves) -> knowledge, materials,
prompts, and the model layer brandloop/llm -> agents -> graph -> the surfaces (the rest of brandloop/).
The model layer is built by the surfaces and handed down; agents and graph never import it.
Imports are read with `ast`, so function-local (lazy) imports count too.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("knowledge", "materials", "prompts", "agents", "graph", "brandloop")
BASEMENT = ("brandloop.errors", "brandloop.home")
MODEL_LAYER = "brandloop.llm"
FLOOR = {"knowledge": 1, "materials": 1, "prompts": 1, "agents": 2, "graph": 3, "brandloop": 4}
OWNER_FOLDERS = ("agents", "graph", "knowledge", "materials", "prompts")  # installed as brandloop.<folder>


def _local(name: str) -> str:
    """brandloop.agents.copywriter -> agents.copywriter: the folder a namespaced import lives in."""
    head, _, rest = name.partition(".")
    return rest if head == "brandloop" and rest.split(".")[0] in OWNER_FOLDERS else name

# Issue 15 item 4: agents stop importing graph/ (Brief, RunSettings, stop_reason move down). Empty this list
# when they do; an entry that no longer matches an import fails the test, so the list cannot go stale.
ALLOWED_UPWARD: set[tuple[str, str]] = set()  # (importer, imported) pairs allowed to point up: none


def _modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    out = {}
    for pkg in packages:
        for f in sorted((root / pkg).rglob("*.py")):
            parts = list(f.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = f
    return out


def imports(root: Path = ROOT, packages=PACKAGES) -> list[tuple[str, str, int]]:
    """(importer, imported project module, line) for every import statement, relative ones resolved."""
    mods = _modules(root, packages)
    edges = []
    for name, f in mods.items():
        package = name if f.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(f.read_text("utf-8"), str(f))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                subs = [f"{base}.{a.name}" for a in node.names if _local(f"{base}.{a.name}") in mods]
                targets = subs if base == "brandloop" and len(subs) == len(node.names) else [base] + subs
            else:
                continue
            for t in map(_local, targets):
                if t.split(".")[0] in packages:
                    while t not in mods and "." in t:  # `import a.b.c` of a non-module name: its module
                        t = t.rpartition(".")[0]
                    edges.append((name, t, node.lineno))
    return edges


def _in(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def floor(name: str) -> int:
    if any(_in(name, b) for b in BASEMENT):
        return 0
    if _in(name, MODEL_LAYER):
        return 1
    return FLOOR[name.split(".")[0]]


def violations(edges, allowed=frozenset()) -> list[str]:
    out = []
    for a, b, line in edges:
        if (a, b) in allowed:
            continue
        where = f"{a.replace('.', '/')}.py:{line} imports {b}"
        if floor(a) == 0 and floor(b) != 0:
            out.append(f"{where}: the basement (errors, home) imports nothing from the project")
        elif a == "brandloop" and floor(b) != 0:
            out.append(f"{where}: brandloop/__init__.py runs on every basement import; keep it free of imports")
        elif floor(b) > floor(a):
            out.append(f"{where}: up the floors ({floor(a)} -> {floor(b)})")
        elif _in(b, MODEL_LAYER) and not _in(a, MODEL_LAYER) and floor(a) < 4:
            out.append(f"{where}: only the surfaces build models; hand the model object down")
    return out


def package_cycles(edges, root: Path = ROOT, allowed=frozenset()) -> list[list[str]]:
    """Cycles between packages: top-level ones, and sibling subpackages (knowledge.rules, knowledge.rulebook)."""
    mods = _modules(root, {a.split(".")[0] for a, _, _ in edges} | {b.split(".")[0] for _, b, _ in edges})
    packages = {m for m, f in mods.items() if f.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for a, b, _ in edges:
        if (a, b) in allowed or floor(b) == 0:  # the basement is a leaf: no cycle runs through it
            continue
        pa, pb = a.split("."), b.split(".")
        depth = 0
        while depth < min(len(pa), len(pb)) and pa[depth] == pb[depth]:
            depth += 1
        if depth >= min(len(pa), len(pb)):
            continue  # one lies inside the other's package
        na, nb = ".".join(pa[: depth + 1]), ".".join(pb[: depth + 1])
        if na in packages and nb in packages:
            graph.setdefault(na, set()).add(nb)
    cycles, done = [], set()

    def walk(node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycle = path[path.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in done:
                    done.add(key)
                    cycles.append(cycle)
            elif len(path) < 12:
                walk(nxt, path + [nxt])

    for start in sorted(graph):
        walk(start, [start])
    return cycles


def test_owner_folders_are_imported_through_the_brandloop_namespace():
    """`import agents` works only from a checkout; installed, the folders are brandloop.agents and so on."""
    bare = []
    for name, f in _modules(ROOT, (*PACKAGES, "tests", "scripts")).items():
        for node in ast.walk(ast.parse(f.read_text("utf-8"), str(f))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            bare += [f"{f.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names
                     if n.split(".")[0] in OWNER_FOLDERS]
    assert not bare, "use brandloop.<folder>:\n" + "\n".join(bare)


def test_every_import_points_down_the_floors():
    found = violations(imports(), ALLOWED_UPWARD)
    assert not found, "imports up the floors:\n" + "\n".join(found)


def test_no_import_cycles_between_packages():
    cycles = package_cycles(imports(), allowed=ALLOWED_UPWARD)
    assert not cycles, "packages importing each other:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_allow_list_names_only_imports_that_exist():
    present = {(a, b) for a, b, _ in imports()}
    assert not ALLOWED_UPWARD - present, f"stale ALLOWED_UPWARD entries: {sorted(ALLOWED_UPWARD - present)}"


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path):
    def write(rel: str, text: str = "") -> None:
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)

    for pkg in PACKAGES:
        write(f"{pkg}/__init__.py")
    write("knowledge/rules/__init__.py")
    write("knowledge/rules/engine.py", "from knowledge.rulebook import loader\n")
    write("knowledge/rulebook/__init__.py")
    write("knowledge/rulebook/loader.py", "def f():\n    from ..rules import engine\n")
    write("knowledge/kg.py", "from graph.runner import Runner\n")
    write("graph/runner.py", "import brandloop.llm.factory\nfrom brandloop.errors import BriefError\n")
    write("brandloop/errors.py")
    write("brandloop/llm/__init__.py")
    write("brandloop/llm/factory.py")
    edges = imports(tmp_path)
    assert ("knowledge.rulebook.loader", "knowledge.rules.engine", 2) in edges  # a relative, lazy import
    found = violations(edges)
    assert any("knowledge/kg.py:1 imports graph.runner: up the floors" in v for v in found), found
    assert any("graph/runner.py:1 imports brandloop.llm.factory: only the surfaces" in v for v in found), found
    assert not any("brandloop.errors" in v for v in found), found
    cycles = package_cycles(edges, tmp_path)
    assert any(set(c) == {"knowledge.rules", "knowledge.rulebook"} for c in cycles), cycles
