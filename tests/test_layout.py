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


# --------------------------------------------------------------------------- views follow their source
# Each test swaps the source for a different one and checks the view changes with it: a view that
# recomputed the quantity itself would not notice.


def test_checkerboard_figure_counts_come_from_graphs(monkeypatch):
    from symconv import graphs
    from symconv.writeup import figures
    honest = graphs.overlap_counts
    monkeypatch.setattr(graphs, "overlap_counts", lambda spec, input_size=None: tuple(c + 1 for c in honest(spec)))
    assert figures.checkerboard_counts(3, 2, i=2)[0].tolist() == [4, 4, 6, 4, 4]      # (row 1+1) * (counts + 1)


def test_layer_derivation_counts_come_from_graphs(monkeypatch):
    from symconv import graphs
    from symconv.writeup.layer import layer_fragment
    seen = []
    honest = graphs.overlap_counts
    monkeypatch.setattr(graphs, "overlap_counts", lambda spec, input_size=None: seen.append(spec) or honest(spec))
    layer_fragment(3, 2, 1, i=3)
    assert [(s.kernel_size, s.stride, s.input_size) for s in seen] == [((3,), (2,), (3,))]
    monkeypatch.setattr(graphs, "overlap_counts", lambda spec, input_size=None: tuple(c + 1 for c in honest(spec)))
    with pytest.raises(RuntimeError, match="per-phase pattern"):      # the shown counts disagree with the phases
        layer_fragment(3, 2, 1, i=3)


def test_relationship_table_is_read_from_the_proofs(monkeypatch):
    import dataclasses

    import sympy as sp

    import symconv.proofs as proofs
    from symconv.writeup.sizes import relationships
    honest = proofs.theorem

    def altered(name):
        thm = honest(name)
        if name != "dv_rel_05":
            return thm
        return dataclasses.replace(thm, statement=sp.Eq(thm.statement.lhs, thm.statement.rhs + 1, evaluate=False))

    before = relationships()[4]
    monkeypatch.setattr(proofs, "theorem", altered)
    after = relationships()[4]
    assert after.number == 5 and after.guide == before.guide + 1
    assert before.reduces() and not after.reduces()
    assert dict(after.substitution) == dict(honest("dv_rel_05").equalities)


def test_stack_restore_asks_the_spec_which_output_padding_is_allowed(monkeypatch):
    from symconv import shapes
    from symconv.stack import analyze
    stack = [{"op": "conv", "kernel_size": 3},
             {"op": "conv_transpose", "kernel_size": 3, "padding": [[1, 2]], "dilation": 2, "of": 0}]
    assert analyze(stack, 7, ndim=1).layers[1].restore.output_padding == (1,)     # 1 < max(stride 1, dilation 2)
    honest = shapes.require_output_padding

    def stride_only(a, s, d, owner, axis=""):         # a stricter (made-up) rule: a < stride
        honest(a, s, 1, owner, axis)

    monkeypatch.setattr(shapes, "require_output_padding", stride_only)
    restore = analyze(stack, 7, ndim=1).layers[1].restore
    assert restore.output_padding is None and restore.fix.startswith("no output_padding restores [7]")


def test_stack_unpool_advice_asks_the_spec_which_output_size_is_allowed(monkeypatch):
    from symconv import shapes
    from symconv.stack import analyze
    stack = [{"op": "max_pool", "kernel_size": 2}, {"op": "max_unpool", "of": 0}]
    assert analyze(stack, 5, ndim=1, advise=False).layers[1].restore.fix.startswith("pass output_size=[5]")

    def refuse(o, default, s, owner, axis=""):
        raise ValueError(f"{owner}: refused output_size={o}")

    monkeypatch.setattr(shapes, "require_unpool_output_size", refuse)
    assert "out of reach" in analyze(stack, 5, ndim=1, advise=False).layers[1].restore.fix
