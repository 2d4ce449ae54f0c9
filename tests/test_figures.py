"""Figures: deterministic bytes, and every labelled cell read back from the matrix it pictures."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from symconv import conv_matrix, conv_transpose_matrix, pool_switches
from symconv.writeup import figures as F
from symconv.writeup.examples import EXAMPLE_IMAGE


def _expected(matrix: sp.MatrixBase) -> dict:
    return {(r, c): "$" + sp.latex(matrix[r, c]) + "$" for r in range(matrix.rows) for c in range(matrix.cols)
            if matrix[r, c] != 0}


@pytest.mark.parametrize("stem", sorted(F.FIGURES))
def test_bytes_are_deterministic(stem):
    builder, formats = F.FIGURES[stem]
    first, second = builder(), builder()
    for fmt in formats:
        a, b = F.figure_bytes(first, fmt), F.figure_bytes(second, fmt)
        assert a == b, f"{stem}.{fmt} differs between two runs"
        assert a == F.figure_bytes(first, fmt), f"{stem}.{fmt} differs when saved twice"


def test_pdf_has_no_date_or_version():
    data = F.figure_bytes(F.checkerboard_figure(), "pdf")
    assert data.startswith(b"%PDF-")
    assert b"CreationDate" not in data and b"Matplotlib" not in data
    png = F.figure_bytes(F.checkerboard_figure(), "png")
    assert png.startswith(b"\x89PNG") and b"Matplotlib" not in png


def test_seed_figure_cells_are_the_matrix_entries():
    fig = F.seed_matrix_figure()
    c = sp.Matrix(conv_matrix((4, 4), 3))
    assert F.cell_labels(fig, "C") == _expected(c)
    assert F.cell_labels(fig, "CT") == _expected(sp.Matrix(conv_transpose_matrix((2, 2), 3)))
    assert F.cell_labels(fig, "CT") == _expected(c.T)


def test_unpool_figure_shows_switches_unpooled_and_copied_maps():
    fig = F.unpool_figure()
    x = EXAMPLE_IMAGE
    windows = x.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)
    pooled = windows.max(axis=-1)                                # oracle: max over each 2x2 window
    unpooled = np.zeros_like(x)
    for flat in pool_switches(x, (2, 2)).ravel():
        unpooled.flat[flat] = x.flat[flat]
    nearest = np.kron(pooled, np.ones((2, 2), dtype=int))

    def grid(panel: str, shape: tuple) -> np.ndarray:
        labels = F.cell_labels(fig, panel)
        return np.array([[int(labels[(r, c)].strip("$")) for c in range(shape[1])] for r in range(shape[0])])

    assert (grid("pooled", (2, 2)) == pooled).all()
    assert (grid("unpooled", (4, 4)) == unpooled).all()
    assert (grid("nearest", (4, 4)) == nearest).all()
    assert (grid("x", (4, 4)) == x).all()
    assert (unpooled != 0).sum() == 4 and ((unpooled != 0) <= (nearest == unpooled) | (unpooled == 0)).all()


def test_bilinear_figure_labels_are_exact_rationals():
    fig = F.bilinear_figure()
    kernel = F.cell_labels(fig, "kernel")
    assert kernel[(1, 1)] == "$" + sp.latex(sp.Rational(9, 16)) + "$"
    assert kernel[(0, 0)] == "$" + sp.latex(sp.Rational(1, 16)) + "$"
    assert len(F.cell_labels(fig, "B")) == 36                   # non-zeros of the 16x4 bilinear matrix


def _overlap_oracle(k: int, s: int, i: int) -> np.ndarray:
    """Direct loop: each input (a, b) and tap (t, u) writes output (a s + t, b s + u)."""
    o = s * (i - 1) + k
    out = np.zeros((o, o), dtype=int)
    for a in range(i):
        for b in range(i):
            out[a * s:a * s + k, b * s:b * s + k] += 1
    return out


def test_checkerboard_counts_match_a_direct_loop():
    fig = F.checkerboard_figure()
    for k, s in ((3, 2), (4, 2)):
        expected = _overlap_oracle(k, s, 5)
        assert (F.checkerboard_counts(k, s, 5) == expected).all()
        labels = F.cell_labels(fig, f"k{k}s{s}")
        assert {pos: int(v.strip("$")) for pos, v in labels.items()} == \
            {(r, c): int(expected[r, c]) for r in range(expected.shape[0]) for c in range(expected.shape[1])}
    assert F.checkerboard_counts(3, 2, 5)[4:6, 4:6].tolist() == [[4, 2], [2, 1]]      # Odena et al.: uneven
    assert set(np.unique(F.checkerboard_counts(4, 2, 5)[2:-2, 2:-2])) == {4}           # k divisible by s: even


def test_theorem_graph_figure_draws_every_node_and_refuses_cycles():
    graph = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d")])
    labels = F.cell_labels(F.theorem_graph_figure(graph), "node")
    assert sorted(labels.values()) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="acyclic"):
        F.theorem_graph_figure(nx.DiGraph([("a", "b"), ("b", "a")]))


def test_figure_bytes_rejects_unknown_format():
    with pytest.raises(ValueError, match="fmt must be one of"):
        F.figure_bytes(F.checkerboard_figure(), "gif")
