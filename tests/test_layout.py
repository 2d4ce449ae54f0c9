"""The package layout: no import cycle through the write-up or the stack package, modules of modest size.

The import graph is read from the source (every ``import`` statement, including those inside
functions, since a lazy import still ties two modules together), so the test does not depend
on import order.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent / "symconv"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _targets(node: ast.AST, name: str, is_package: bool, modules: dict) -> list[str]:
    """The symconv modules an import statement reads (``from . import x`` names submodule x if it exists)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in modules]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = name.split(".") if is_package else name.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    out = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
    if len(out) < len(node.names) and base in modules:
        out.append(base)
    return out


def import_graph() -> nx.DiGraph:
    """symconv's modules, with an edge ``a -> b`` when module ``a`` imports module ``b``."""
    modules = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for target in _targets(node, name, path.name == "__init__.py", modules):
                if target != name:
                    g.add_edge(name, target)
    return g


def test_import_graph_sees_the_known_edges():
    g = import_graph()
    assert g.has_edge("symconv.writeup.document", "symconv.writeup.figures")     # a lazy import counts
    assert g.has_edge("symconv.writeup.figures", "symconv.writeup.seed")
    assert g.has_edge("symconv.commands.derive", "symconv.writeup.document")
    assert g.has_edge("symconv.stack.analysis", "symconv.stack.load")


def test_a_cycle_would_be_found():
    g = import_graph()
    g.add_edge("symconv.writeup.seed", "symconv.writeup.document")
    assert any("symconv.writeup.seed" in c for c in nx.simple_cycles(g.subgraph(
        [n for n in g if n.startswith("symconv.writeup")])))


@pytest.mark.parametrize("package", ["symconv.writeup", "symconv.stack"])
def test_no_import_cycle_passes_through(package):
    g = import_graph()
    for component in nx.strongly_connected_components(g):
        inside = sorted(n for n in component if n == package or n.startswith(package + "."))
        assert len(component) == 1 or not inside, f"import cycle through {inside}: {sorted(component)}"


@pytest.mark.parametrize("package", ["symconv.writeup", "symconv.stack"])
def test_modules_stay_under_600_lines_and_say_what_they_hold(package):
    for name, path in _modules().items():
        if name == package or name.startswith(package + "."):
            source = path.read_text(encoding="utf-8")
            assert source.count("\n") <= 600, f"{name} has {source.count(chr(10))} lines"
            assert ast.get_docstring(ast.parse(source)), f"{name} has no docstring"


def test_the_old_names_are_gone():
    modules = _modules()
    for old in ("symconv.derive", "symconv.derivations", "symconv.latex", "symconv.figures"):
        assert old not in modules
