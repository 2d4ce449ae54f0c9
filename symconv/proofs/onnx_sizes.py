r"""ONNX size theorems: ``auto_pad`` (SAME_UPPER / SAME_LOWER / VALID) and ConvTranspose's
generated pads give the sizes the operators' text documents.

The statements read :mod:`symconv.shapes` (``auto_pad_axis``, ``conv_transpose_pads_axis``,
``window_count_axis``, ``transpose_size_axis``): the pads the library generates, put into the
library's size formulas, yield ONNX's documented sizes. The grids count windows (and the
transposed scatter) by brute force with those pads.

Examples
--------
>>> from symconv.proofs import prove
>>> [prove(name, grid="quick").status for name in ("onnx_same_pads", "onnx_valid_pads")]
['proved', 'proved']
"""
from __future__ import annotations

import sympy as sp

from .. import shapes
from ..symbols import a, d, i, k, s
from . import grid as G
from .engine import Grid, Theorem, register, step
from .rules import Range, library_function
from .sizes import i_t

__all__ = ["SAME_UPPER", "SAME_LOWER", "VALID", "O_T"]

#: The SAME pads as the pools' text defines them (no clipping at 0) and the windows they give.
_UPPER = shapes.auto_pad_axis(i, k, s, d, "SAME_UPPER", clip=False)
_LOWER = shapes.auto_pad_axis(i, k, s, d, "SAME_LOWER", clip=False)
SAME_UPPER = shapes.window_count_axis(i, k, s, *_UPPER, d)
SAME_LOWER = shapes.window_count_axis(i, k, s, *_LOWER, d)
VALID = shapes.window_count_axis(i, k, s, 0, 0, d)
K_EFF = shapes.effective_kernel(k, d)

#: A ConvTranspose ``output_shape`` and the output sizes with the pads generated for it.
O_T = sp.Symbol("O", integer=True, positive=True)
_T_UPPER = shapes.conv_transpose_pads_axis(i_t, k, s, d, a, O_T, "SAME_UPPER")
_T_NOTSET = shapes.conv_transpose_pads_axis(i_t, k, s, d, a, O_T, "NOTSET")
T_UPPER = shapes.transpose_size_axis(i_t, k, s, *_T_UPPER, d, a)
T_NOTSET = shapes.transpose_size_axis(i_t, k, s, *_T_NOTSET, d, a)


def _axes_without_padding() -> list:
    return [c for c in G.conv_configs() if c["p_b"] == c["p_a"] == 0]


def _same_count(mode: str):
    def count(c: dict) -> int:
        pads = shapes.auto_pad_axis(c["i"], c["k"], c["s"], c["d"], mode, clip=False)
        return G.count_windows(c["i"], c["k"], c["s"], c["d"], *pads)
    return count


# The statements name the library's pad generators (library functions), so they are not trivially true:
# with the pads substituted SymPy folds both sides to ceil(i/s) -- the substance is that the generated pads
# have the documented total, which the grid checks against brute-force window counts.
SAME_COUNT = library_function("onnx_same_window_count", lambda i_, k_, s_, d_, upper: shapes.window_count_axis(
    i_, k_, s_, *shapes.auto_pad_axis(i_, k_, s_, d_, "SAME_UPPER" if upper else "SAME_LOWER", clip=False), d_))
T_SHAPE_SIZE = library_function("onnx_output_shape_size", lambda i_, k_, s_, d_, a_, o_, upper: (
    shapes.transpose_size_axis(i_, k_, s_, *shapes.conv_transpose_pads_axis(
        i_, k_, s_, d_, a_, o_, "SAME_UPPER" if upper else "NOTSET"), d_, a_)))


def _same_library_proof() -> list:
    return [step(SAME_COUNT(i, k, s, d, flag), sp.ceiling(i / s), "library", "the generated pads' window count")
            for flag in (1, 0)]


register(Theorem(
    name="onnx_same_pads",
    title="ONNX auto_pad SAME_UPPER / SAME_LOWER: the pads (o-1)s + d(k-1) + 1 - i, split either way, "
          "give o = ceil(i/s) windows",
    statement=sp.And(sp.Eq(SAME_COUNT(i, k, s, d, 1), sp.ceiling(i / s)),
                     sp.Eq(SAME_COUNT(i, k, s, d, 0), sp.ceiling(i / s))),
    proof=_same_library_proof, uses=("conv_output_size",), family=1,
    grid=Grid(G.GRID_1D + " (p = 0); lhs brute-force window count over the generated pads (negative: cropping)",
              _axes_without_padding, _same_count("SAME_UPPER"), lambda c: -(-c["i"] // c["s"])),
    reference="ONNX MaxPool/AveragePool/Conv auto_pad (opset 22); onnxruntime's pad split",
))


def _valid_proof() -> list:
    x = i - K_EFF + 1
    return [
        step(sp.ceiling(x / s), sp.floor((x + s - 1) / s), "floor-mod", "ceil(x/s) = floor((x + s - 1)/s)"),
        step(sp.floor((x + s - 1) / s), VALID, "algebra", "floor((L + s)/s) = floor(L/s) + 1"),
    ]


register(Theorem(
    name="onnx_valid_pads",
    title="ONNX auto_pad VALID: floor((i - d(k-1) - 1)/s) + 1 = ceil((i - d(k-1))/s), the documented size "
          "with ceil_mode or without",
    statement=sp.Eq(sp.ceiling((i - K_EFF + 1) / s), VALID),
    assumptions=(Range(i, lo=K_EFF),), proof=_valid_proof, uses=("conv_output_size",), family=1,
    grid=Grid(G.GRID_1D + " (p = 0); lhs the documented VALID size, rhs the brute-force window count",
              _axes_without_padding, lambda c: -(-(c["i"] - c["d"] * (c["k"] - 1)) // c["s"]),
              lambda c: G.count_windows(c["i"], c["k"], c["s"], c["d"], 0, 0)),
    reference="ONNX MaxPool/AveragePool auto_pad VALID (opset 22)",
))


def _output_shape_cfgs() -> list:
    """Transposed layers (i, k, s, d, a < s) and every output_shape up to the full result."""
    out = []
    for c in G.conv_configs():
        if c["p_b"] or c["p_a"] or c["i"] > 6:
            continue
        for a_ in range(c["s"]):
            full = shapes.transpose_size_axis(c["i"], c["k"], c["s"], 0, 0, c["d"], a_)
            out += [{**c, "a": a_, "O": o} for o in range(1, full + 1)]
    return out


def _scatter_with_generated_pads(mode: str):
    def length(c: dict) -> int:
        pads = shapes.conv_transpose_pads_axis(c["i"], c["k"], c["s"], c["d"], c["a"], c["O"], mode)
        return G.scatter_length(c["i"], c["k"], c["s"], c["d"], *pads, c["a"])
    return length


register(Theorem(
    name="onnx_conv_transpose_output_shape",
    title="ONNX ConvTranspose output_shape: the generated pads (total s(i'-1) + a + d(k-1) + 1 - O, split "
          "either way) give exactly O",
    statement=sp.And(sp.Eq(T_SHAPE_SIZE(i_t, k, s, d, a, O_T, 1), O_T), sp.Eq(T_SHAPE_SIZE(i_t, k, s, d, a, O_T, 0), O_T)),
    proof=lambda: [step(T_SHAPE_SIZE(i_t, k, s, d, a, O_T, flag), O_T, "library", "the generated pads' output size")
                   for flag in (1, 0)], uses=("transpose_output_size",), family=5,
    grid=Grid("1-D transposed layers i<=6, k<=5, s<=4, d<=3, a<s, every output_shape 1..full; lhs the scatter's "
              "brute-force length with the generated pads", _output_shape_cfgs,
              _scatter_with_generated_pads("NOTSET"), lambda c: c["O"]),
    reference="ONNX ConvTranspose (opset 22): pads generated from output_shape",
))
