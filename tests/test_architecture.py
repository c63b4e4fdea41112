"""The layering rules of the README's ARCHITECTURE section, checked on the source with `ast`.

Every import counts, function-local ones included. The checks run on a synthetic tree too,
so a checker that silently stopped finding cycles would fail here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["scenes", "robots", "perception", "sim", "planners", "spacelab"]  # bottom to top
MAX_SHARE = 0.35  # no package may hold more than this share of the source lines
HEADLESS = "robots.headless_mujoco"  # the one module that imports mujoco itself


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> list[tuple[str, int, list[str]]]:
    """(module imported, line, names taken from it) for every import in the file, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative import: resolve against the file's package
                base = module_name(path, root).split(".")
                base = base[: len(base) - node.level + (path.name == "__init__.py")]
                mod = ".".join(base + ([mod] if mod else []))
            out.append((mod, node.lineno, [a.name for a in node.names]))
    return out


def source_files(root: Path, packages: list[str]) -> list[Path]:
    return sorted(p for pkg in packages for p in (root / pkg).rglob("*.py"))


def module_graph(root: Path, packages: list[str]) -> nx.DiGraph:
    """Modules of `packages` and the imports between them (edge attribute: line)."""
    files = source_files(root, packages)
    names = {module_name(p, root) for p in files}
    g = nx.DiGraph()
    g.add_nodes_from(names)
    for p in files:
        src = module_name(p, root)
        for mod, line, taken in imports_of(p, root):
            # `from pkg import module` imports the submodule when there is one
            targets = [f"{mod}.{n}" for n in taken if f"{mod}.{n}" in names] or [mod]
            for t in targets:
                while t and t not in names:  # a name inside a module: the module itself
                    t = t.rpartition(".")[0]
                if t and t != src and not src.startswith(t + "."):  # a package's own __init__ is not a cycle
                    g.add_edge(src, t, line=line)
    return g


def package_graph(g: nx.DiGraph) -> nx.DiGraph:
    pg = nx.DiGraph()
    for a, b, data in g.edges(data=True):
        pa, pb = a.split(".")[0], b.split(".")[0]
        if pa != pb:
            pg.add_edge(pa, pb, example=f"{a} -> {b} (line {data['line']})")
    return pg


def cycles(g: nx.DiGraph) -> list[list[str]]:
    return [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]


def upward_imports(g: nx.DiGraph, layers: list[str]) -> list[str]:
    rank = {p: i for i, p in enumerate(layers)}
    return [d["example"] for a, b, d in package_graph(g).edges(data=True) if rank.get(b, -1) > rank.get(a, -1)]


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return module_graph(ROOT, LAYERS)


def test_no_import_cycle_between_top_level_packages(graph):
    assert cycles(package_graph(graph)) == []


def test_packages_import_only_the_layers_below(graph):
    assert upward_imports(graph, LAYERS) == []


def test_no_import_cycle_between_modules(graph):
    assert cycles(graph) == []


def test_no_package_holds_more_than_its_share_of_the_source():
    lines = {pkg: sum(len(p.read_text().splitlines()) for p in source_files(ROOT, [pkg])) for pkg in LAYERS}
    total = sum(lines.values())
    assert {pkg: round(n / total, 3) for pkg, n in lines.items() if n / total > MAX_SHARE} == {}


def test_mujoco_is_imported_only_through_the_headless_module():
    offenders = []
    for p in source_files(ROOT, LAYERS):
        mod = module_name(p, ROOT)
        found = imports_of(p, ROOT)
        first_headless = min((line for m, line, _ in found if m == HEADLESS), default=None)
        for m, line, _ in found:
            if mod == HEADLESS:
                continue
            if m == "mujoco" or (m.startswith(("mujoco.", "mujoco_warp")) and (first_headless is None or line < first_headless)):
                offenders.append(f"{mod}:{line} imports {m}")
    assert offenders == []


def test_no_private_name_crosses_a_module_line():
    offenders = []
    first_party = tuple(LAYERS) + ("tests",)
    for p in source_files(ROOT, LAYERS):
        for m, line, taken in imports_of(p, ROOT):
            if m.split(".")[0] in first_party:
                offenders += [f"{module_name(p, ROOT)}:{line} takes {m}.{n}" for n in taken if n.startswith("_")]
    assert offenders == []


def test_no_package_init_imports_another_package():
    """Package faces hand on their own names; an import for a side effect hides a dependency."""
    offenders = []
    for p in source_files(ROOT, LAYERS):
        if p.name != "__init__.py":
            continue
        own = module_name(p, ROOT).split(".")[0]
        tree = ast.parse(p.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                offenders += [f"{p.relative_to(ROOT)} imports {a.name}" for a in node.names
                              if a.name.split(".")[0] in LAYERS and a.name.split(".")[0] != own]
    assert offenders == []


# --- the checker itself finds what it should (a planted cycle, an upward import) ---

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return tmp_path


def test_checker_finds_a_cycle_made_by_a_function_local_import(tmp_path):
    root = _tree(tmp_path, {
        "low/__init__.py": "", "low/a.py": "def f():\n    from high.b import g\n    return g\n",
        "high/__init__.py": "", "high/b.py": "from low.a import f\n\ndef g():\n    return f\n",
    })
    g = module_graph(root, ["low", "high"])
    assert cycles(g) == [["high.b", "low.a"]]
    assert cycles(package_graph(g)) == [["high", "low"]]
    assert upward_imports(g, ["low", "high"]) == ["low.a -> high.b (line 2)"]


def test_checker_accepts_a_clean_layering(tmp_path):
    root = _tree(tmp_path, {
        "low/__init__.py": "from low.a import f\n", "low/a.py": "def f():\n    return 1\n",
        "high/__init__.py": "", "high/b.py": "from low import a\nfrom low.a import f\n",
    })
    g = module_graph(root, ["low", "high"])
    assert cycles(g) == [] and upward_imports(g, ["low", "high"]) == []
    assert sorted(g.edges) == [("high.b", "low.a"), ("low", "low.a")]
