"""Connectivity graphs against brute-force loops, the dense matrices, and the overlap closed forms."""
from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv import graphs
from symconv.spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from tests.oracles import conv_transpose_scatter
from tests.strategies import conv_configs

_WINDOW = ("kernel_size", "stride", "padding", "dilation")


def _window(cfg: dict) -> dict:
    return {key: cfg[key] for key in _WINDOW}


def _brute_edges(in_size, out_size, kernel, stride, padding, dilation, scatter=False):
    """Every (input, output, tap) triple by looping over all outputs, taps and inputs (no solving)."""
    edges = {}
    small = out_size if not scatter else in_size            # the side indexed by r
    large = in_size if not scatter else out_size            # the side indexed by c
    for r in itertools.product(*(range(n) for n in small)):
        for t in itertools.product(*(range(n) for n in kernel)):
            for c in itertools.product(*(range(n) for n in large)):
                if all(c[j] == r[j] * stride[j] + t[j] * dilation[j] - padding[j][0] for j in range(len(r))):
                    edge = (("in", r), ("out", c)) if scatter else (("in", c), ("out", r))
                    edges[edge] = t
    return edges


def _pair(cfg: dict) -> tuple[ConvSpec, ConvTransposeSpec]:
    """A convolution and the transposed convolution mapping its output size back to its input size."""
    conv = ConvSpec(**_window(cfg), input_size=cfg["input_size"])
    a = tuple(symconv.shapes.lost_remainder(i, k, s, p, d) for i, k, s, p, d in
              zip(conv.input_size, conv.kernel_size, conv.stride, conv.padding, conv.dilation))
    return conv, ConvTransposeSpec(**_window(cfg), output_padding=a, input_size=conv.output_size)


def _edges(g):
    return {(u, v): data["tap"] for u, v, data in g.edges(data=True)}


# --------------------------------------------------------------------------- the graph is the relation


@settings(max_examples=40, deadline=None)
@given(conv_configs(max_ndim=2, max_size=6, channels=False))
def test_conv_graph_equals_brute_force(cfg):
    spec = ConvSpec(**_window(cfg), input_size=cfg["input_size"])
    g = graphs.graph(spec)
    assert _edges(g) == _brute_edges(spec.input_size, spec.output_size, spec.kernel_size, spec.stride,
                                     spec.padding, spec.dilation)
    assert g.number_of_nodes() == np.prod(spec.input_size) + np.prod(spec.output_size)
    assert nx.is_bipartite(g) and nx.is_directed_acyclic_graph(g)


@settings(max_examples=40, deadline=None)
@given(conv_configs(max_ndim=2, max_size=6, channels=False), st.data())
def test_transposed_graph_is_the_reverse_of_the_conv_graph(cfg, data):
    """Theorem (graph form of C^T): graph(conv_transpose) == reverse(graph(conv)) with sides swapped."""
    conv, tconv = _pair(cfg)
    assert tconv.output_size == conv.input_size
    g, t = graphs.graph(conv), graphs.graph(tconv)
    assert graphs.same_graph(graphs.transpose_graph(g), t)
    assert graphs.same_graph(graphs.transpose_graph(t), g)
    assert _edges(t) == _brute_edges(tconv.input_size, tconv.output_size, tconv.kernel_size, tconv.stride,
                                     tconv.padding, tconv.dilation, scatter=True)
    # nx.reverse_view is the same graph up to renaming the two sides
    swap = {n: ({"in": "out", "out": "in"}[n[0]], n[1]) for n in g}
    assert set(nx.relabel_nodes(nx.reverse_view(g), swap).edges) == set(t.edges)


def test_unpool_graph_is_the_reverse_of_the_pool_graph():
    pool = MaxPoolSpec(3, stride=2, padding=1, input_size=(7, 6))
    unpool = MaxUnpoolSpec(3, stride=2, padding=1, input_size=pool.output_size, pinned_output_size=(7, 6))
    assert graphs.same_graph(graphs.transpose_graph(graphs.graph(pool)), graphs.graph(unpool))
    avg = AvgPoolSpec(2, input_size=5)
    assert sorted(d for _, d in graphs.graph(avg).in_degree() if True)[-2:] == [2, 2]


def test_graph_degrees_are_the_dense_matrix_structure():
    """In-degree of output r = nonzeros in row r of C; out-degree of input c = nonzeros in column c."""
    spec = ConvSpec((3, 2), stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 2), input_size=(6, 5))
    C = symconv.conv_matrix(spec.input_size, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
                            weight=np.ones(spec.kernel_size), format="numpy")
    g = graphs.graph(spec)
    for r, pos in enumerate(np.ndindex(*spec.output_size)):
        assert g.in_degree(("out", pos)) == np.count_nonzero(C[r])
    for c, pos in enumerate(np.ndindex(*spec.input_size)):
        assert g.out_degree(("in", pos)) == np.count_nonzero(C[:, c])


def test_axis_graphs_multiply():
    spec = ConvTransposeSpec((3, 4), stride=(2, 3), padding=(1, 0), input_size=(3, 4))
    g = graphs.graph(spec)
    g0, g1 = graphs.graph(spec, axis=0), graphs.graph(spec, axis=1)
    assert g.number_of_edges() == g0.number_of_edges() * g1.number_of_edges()
    for pos in np.ndindex(*spec.output_size):
        assert g.in_degree(("out", pos)) == g0.in_degree(("out", pos[:1])) * g1.in_degree(("out", pos[1:]))


def test_upsample_graph_carries_the_interpolation_weights():
    spec = UpsampleSpec(scale_factor=2, mode="bilinear", input_size=(2, 3))
    g = graphs.graph(spec)
    rows, cols, values = symconv.upsample_matrix((2, 3), scale_factor=2, mode="bilinear", format="coo")
    out_pos = list(np.ndindex(*spec.output_size))
    in_pos = list(np.ndindex(*spec.input_size))
    expected = {(("in", in_pos[c]), ("out", out_pos[r])): v for r, c, v in zip(rows, cols, values)}
    assert {(u, v): d["weight"] for u, v, d in g.edges(data=True)} == expected
    for pos in out_pos:   # weights into every output sum to one
        assert sum(g.edges[u, ("out", pos)]["weight"] for u in g.predecessors(("out", pos))) == 1


# --------------------------------------------------------------------------- overlap counts


def _scatter_counts(spec):
    """Odena's experiment with the independent oracle: all-ones input and all-ones kernel."""
    y = np.ones((1, 1) + tuple(spec.input_size))
    w = np.ones((1, 1) + tuple(spec.kernel_size))
    return conv_transpose_scatter(y, w, stride=spec.stride, padding=spec.padding,
                                  output_padding=spec.output_padding, dilation=spec.dilation)[0, 0]


@settings(max_examples=40, deadline=None)
@given(conv_configs(max_ndim=2, max_size=5, channels=False))
def test_overlap_map_is_in_degree_and_matrix_sums_and_oracle(cfg):
    conv, tconv = _pair(cfg)
    ov = graphs.overlap_map(tconv)
    g = graphs.graph(tconv)
    assert all(ov[pos] == g.in_degree(("out", pos)) for pos in np.ndindex(*tconv.output_size))
    T = symconv.conv_transpose_matrix(tconv.input_size, tconv.kernel_size, tconv.stride, tconv.padding,
                                      tconv.output_padding, tconv.dilation, weight=np.ones(tconv.kernel_size),
                                      format="numpy")
    C = symconv.conv_matrix(conv.input_size, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                            weight=np.ones(conv.kernel_size), format="numpy")
    assert np.array_equal(C.sum(axis=0).reshape(tconv.output_size), ov)     # column sums of C
    assert np.array_equal(T.sum(axis=1).reshape(tconv.output_size), ov)
    assert np.array_equal(_scatter_counts(tconv), ov)


def test_reference_section_7_examples():
    assert graphs.overlap_pattern(3, 2) == (2, 1)
    assert graphs.overlap_pattern(5, 3) == (2, 2, 1)
    assert graphs.overlap_pattern(4, 3) == (2, 1, 1)
    ov = graphs.overlap_map(ConvTransposeSpec((3, 3), stride=2, input_size=(5, 5)))
    (lo, hi), _ = graphs.interior(ConvTransposeSpec((3, 3), stride=2, input_size=(5, 5)))
    block = ov[lo:lo + 2, lo:lo + 2]
    assert block.tolist() == [[4, 2], [2, 1]]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7), st.integers(1, 4), st.integers(0, 4), st.integers(1, 3), st.integers(2, 6))
def test_overlap_formula_matches_in_degrees_on_the_interior(k, s, p, d, i):
    """n(m) = floor((k-1-((m+p) mod s))/s) + 1 for d = 1, and its dilated generalisation."""
    if p > d * (k - 1):
        p = d * (k - 1)
    spec = ConvTransposeSpec(k, stride=s, padding=p, dilation=d, input_size=i + d * k)
    g = graphs.graph(spec)
    (lo, hi), = graphs.interior(spec)
    assert hi > lo
    m_sym = sp.Symbol("m", integer=True, nonnegative=True)
    closed = graphs.overlap_count(m_sym, k, s, p, d)
    for m in range(lo, hi):
        degree = g.in_degree(("out", (m,)))
        assert graphs.overlap_count(m, k, s, p, d) == degree
        assert closed.subs(m_sym, m) == degree
        assert graphs.overlap_pattern(k, s, p, d)[m % s] == degree
    # outside the interior an output receives at most the interior count
    for m in itertools.chain(range(0, lo), range(hi, spec.output_size[0])):
        assert g.in_degree(("out", (m,))) <= graphs.overlap_count(m, k, s, p, d)


def test_overlap_formula_symbolic_in_every_letter():
    m, k, s, p = sp.symbols("m k s p", integer=True, nonnegative=True)
    expr = graphs.overlap_count(m, k, s, p)
    for values in itertools.product(range(6), range(1, 6), range(1, 4), range(3)):
        mv, kv, sv, pv = values
        assert expr.subs({m: mv, k: kv, s: sv, p: pv}) == graphs.overlap_count(mv, kv, sv, pv)
    # even iff s divides k (d = 1)
    for kv, sv in itertools.product(range(1, 9), range(1, 5)):
        pattern = graphs.overlap_pattern(kv, sv)
        assert (min(pattern) == max(pattern)) == (kv % sv == 0)
        assert max(pattern) == -(-kv // sv) and min(pattern) == kv // sv


def test_conv_overlap_counts_are_clipped_window_sizes():
    assert graphs.overlap_counts(ConvSpec(3, padding=1, input_size=5))[0].tolist() == [2, 3, 3, 3, 2]
    assert graphs.interior(ConvSpec(3, padding=1), input_size=5) == ((1, 4),)


# --------------------------------------------------------------------------- errors


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match="spec must be a symconv spec"):
        graphs.graph("conv", 3)
    with pytest.raises(ValueError, match="input_size is unknown"):
        graphs.graph(ConvSpec(3))
    with pytest.raises(ValueError, match="axis must be"):
        graphs.graph(ConvSpec(3), 5, axis=1)
    with pytest.raises(ValueError, match="graphs need int sizes"):
        graphs.graph(ConvSpec(3), sp.Symbol("i", integer=True, positive=True))
    with pytest.raises(ValueError, match="GRAPH_EDGE_LIMIT"):
        graphs.graph(ConvSpec((3, 3), padding=1), (512, 512))
    assert graphs.graph(ConvSpec((3, 3), padding=1), (512, 512), axis=0).number_of_edges() == 3 * 512 - 2
    with pytest.raises(TypeError, match="stride and dilation must be ints"):
        graphs.overlap_count(0, 3, sp.Symbol("s", integer=True), 0, 2)
    with pytest.raises(TypeError, match="sliding-window"):
        graphs.overlap_counts(UpsampleSpec(scale_factor=2, input_size=3))
