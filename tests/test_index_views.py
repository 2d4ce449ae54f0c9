"""The views follow :mod:`symconv.index`: move the relation there, and matrices, graphs and kernels move too.

The relation is moved by one position -- output ``r`` reads ``r s + t d - (p_b - 1)`` -- by
wrapping the two functions that solve it (``read_position`` and ``tap_window``). A view built
under the moved relation must equal the same view of the padding ``(p_b - 1, p_a + 1)`` (same
output size) built normally, and a kernel must match the direct loop with that padding. A view
that restated the formula instead of calling ``index`` would not move, and fail here.
"""
from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

from symconv import graphs, index, matrix
from symconv.codegen import lower, small
from symconv.spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, UpsampleSpec
from tests.oracles import conv_loop, conv_transpose_scatter, max_pool_loop

lowering = importlib.import_module("symconv.codegen.lower")

KERNEL, STRIDE, DILATION = (3, 2), (2, 1), (1, 2)
PADDING, MOVED = ((2, 1), (1, 0)), ((1, 2), (0, 1))


def _forget() -> None:
    """Drop the kernels and index pairs cached under the other relation."""
    lowering._lower.cache_clear()
    matrix._spatial_pairs.cache_clear()
    matrix._window_table.cache_clear()


@pytest.fixture
def move(monkeypatch):
    """A function that moves ``index``'s relation to ``p_b - 1`` (the last argument of both solvers)."""
    def shifted(function):
        return lambda *args: function(*args[:-1], args[-1] - 1)

    def activate() -> None:
        _forget()
        monkeypatch.setattr(index, "read_position", shifted(index.read_position))
        monkeypatch.setattr(index, "tap_window", shifted(index.tap_window))

    _forget()
    yield activate
    monkeypatch.undo()
    _forget()


def _views(padding: tuple) -> dict:
    conv = ConvSpec(KERNEL, STRIDE, padding, DILATION, input_size=(7, 6))
    transpose = ConvTransposeSpec(KERNEL, STRIDE, padding, 0, DILATION, input_size=(3, 5))
    w = np.arange(1.0, 7.0).reshape(1, 1, *KERNEL)
    return {"conv matrix": matrix.matrix_of(conv, w, "numpy"),
            "conv_transpose matrix": matrix.matrix_of(transpose, w, "numpy"),
            "conv graph": sorted(graphs.graph(conv).edges(data="tap")),
            "conv_transpose graph": sorted(graphs.graph(transpose).edges(data="tap")),
            "interior": np.array(graphs.interior(conv)),
            "overlap": np.concatenate(graphs.overlap_counts(transpose))}


def test_matrices_and_graphs_follow_the_relation(move):
    want, before = _views(MOVED), _views(PADDING)
    move()
    got = _views(PADDING)
    for name in want:
        assert np.array_equal(np.asarray(got[name], object), np.asarray(want[name], object)), name
    assert not np.array_equal(got["conv matrix"], before["conv matrix"])


@pytest.mark.parametrize("path", ["small", "im2col", "rows"])
def test_conv_kernels_follow_the_relation(path, move, monkeypatch):
    if path != "small":
        monkeypatch.setattr(small, "SMALL_COLUMNS", -1)
    channels = 64 if path == "rows" else 2
    rng = np.random.default_rng(len(path))
    x, xt = rng.standard_normal((2, channels, 7, 6)), rng.standard_normal((2, channels, 3, 5))
    w, wt, b = rng.standard_normal((3, channels) + KERNEL), rng.standard_normal((channels, 3) + KERNEL), rng.random(3)
    move()
    conv = lower(ConvSpec(KERNEL, STRIDE, PADDING, DILATION, channels, 3, input_size=(7, 6)))
    transpose = lower(ConvTransposeSpec(KERNEL, STRIDE, PADDING, 0, DILATION, channels, 3, input_size=(3, 5)))
    assert {"small": "SMALL_COLUMNS", "im2col": "_im2col_gemm(", "rows": "rows plan"}[path] in conv.source
    np.testing.assert_allclose(conv(x, w, b), conv_loop(x, w, b, STRIDE, MOVED, DILATION), atol=1e-10)
    np.testing.assert_allclose(transpose(xt, wt, b), conv_transpose_scatter(xt, wt, b, STRIDE, MOVED, 0, DILATION),
                               atol=1e-10)


@pytest.mark.parametrize("path", ["small", "large"])
def test_max_pool_kernel_follows_the_relation(path, move, monkeypatch):
    if path == "large":
        monkeypatch.setattr(small, "SMALL_WINDOWS", -1)
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 8))
    move()
    values, indices = lower(MaxPoolSpec((3, 3), stride=2, padding=1, input_size=(7, 8)))(x, return_indices=True)
    want_values, want_indices = max_pool_loop(x, (3, 3), 2, ((0, 2), (0, 2)))
    np.testing.assert_array_equal(values, want_values)
    np.testing.assert_array_equal(indices, want_indices)


@pytest.mark.parametrize("spec, formulas", [
    (AvgPoolSpec(3, stride=2, padding=1, ndim=1), [index.tap_window]),
    (UpsampleSpec(scale_factor=2, mode="bicubic", ndim=2),
     [index.step_rule, index.source_coordinate, index.cubic_near, index.cubic_far]),
])
def test_kernels_evaluate_the_formulas_of_index_at_run_time(spec, formulas):
    """Run-time helpers cannot call symconv: the module carries index's own text of the formulas."""
    source = lower(spec).source
    for formula in formulas:
        assert inspect.getsource(formula) in source
        assert source.count(formula.__name__ + "(") >= 2                  # defined, and called
