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
from .decide import Range
from .sizes import i_t
from .theorem_types import Grid, Theorem, step

__all__ = ["SAME", "SAME_TOTAL", "VALID", "T_SIZE", "T_TOTAL", "O_T", "P_B", "P_E", "THEOREMS"]

#: Begin and end padding of any sign (a negative SAME pad crops); the statements fix only their sum.
P_B = sp.Symbol("p_b", integer=True)
P_E = sp.Symbol("p_e", integer=True)
K_EFF = shapes.effective_kernel(k, d)

#: The total SAME padding (the pools' text: not clipped at 0) and the window count over any split of it.
SAME_TOTAL = (sp.ceiling(i / s) - 1) * s + K_EFF - i
SAME = shapes.window_count_axis(i, k, s, P_B, P_E, d)
VALID = shapes.window_count_axis(i, k, s, 0, 0, d)

#: A ConvTranspose ``output_shape``, the total padding generated for it, and the size over any split.
O_T = sp.Symbol("O", integer=True, positive=True)
T_TOTAL = shapes.transpose_size_axis(i_t, k, s, 0, 0, d, a) - O_T
T_SIZE = shapes.transpose_size_axis(i_t, k, s, P_B, P_E, d, a)


def _axes_without_padding() -> list:
    return [c for c in G.conv_configs() if c["p_b"] == c["p_a"] == 0]


def _same_cfgs() -> list:
    return [{**c, "mode": mode} for c in _axes_without_padding() for mode in ("SAME_UPPER", "SAME_LOWER")]


def _same_count(c: dict) -> int:
    pads = shapes.auto_pad_axis(c["i"], c["k"], c["s"], c["d"], c["mode"], clip=False)
    return G.count_windows(c["i"], c["k"], c["s"], c["d"], *pads)


def _same_proof() -> list:
    split = SAME.xreplace({P_E: SAME_TOTAL - P_B})
    return [
        step(SAME, split, "substitute", "p_e = total - p_b (SAME_UPPER: p_b = floor(total/2); SAME_LOWER: the rest)"),
        step(split, sp.ceiling(i / s), "algebra", "i + p_b + p_e - d(k-1) - 1 = (ceil(i/s) - 1) s"),
    ]


ONNX_SAME_PADS = Theorem(
    name="onnx_same_pads",
    title="ONNX auto_pad SAME_UPPER / SAME_LOWER: the pads' total (ceil(i/s)-1)s + d(k-1) + 1 - i, split "
          "either way, gives o = ceil(i/s) windows",
    statement=sp.Eq(SAME, sp.ceiling(i / s), evaluate=False),
    equalities=((P_E, SAME_TOTAL - P_B),), proof=_same_proof, uses=("conv_output_size",), family=1,
    grid=Grid(G.GRID_1D + " (p = 0); lhs brute-force window count over shapes.auto_pad_axis's pads (SAME_UPPER "
              "and SAME_LOWER; negative pads crop)", _same_cfgs, _same_count, lambda c: -(-c["i"] // c["s"])),
    reference="ONNX MaxPool/AveragePool/Conv auto_pad (opset 22); onnxruntime's pad split",
)


def _valid_proof() -> list:
    x = i - K_EFF + 1
    return [
        step(sp.ceiling(x / s), sp.floor((x + s - 1) / s), "floor-mod", "ceil(x/s) = floor((x + s - 1)/s)"),
        step(sp.floor((x + s - 1) / s), VALID, "algebra", "floor((L + s)/s) = floor(L/s) + 1"),
    ]


ONNX_VALID_PADS = Theorem(
    name="onnx_valid_pads",
    title="ONNX auto_pad VALID: floor((i - d(k-1) - 1)/s) + 1 = ceil((i - d(k-1))/s), the documented size "
          "with ceil_mode or without",
    statement=sp.Eq(sp.ceiling((i - K_EFF + 1) / s), VALID),
    assumptions=(Range(i, lo=K_EFF),), proof=_valid_proof, uses=("conv_output_size",), family=1,
    grid=Grid(G.GRID_1D + " (p = 0); lhs the documented VALID size, rhs the brute-force window count",
              _axes_without_padding, lambda c: -(-(c["i"] - c["d"] * (c["k"] - 1)) // c["s"]),
              lambda c: G.count_windows(c["i"], c["k"], c["s"], c["d"], 0, 0)),
    reference="ONNX MaxPool/AveragePool auto_pad VALID (opset 22)",
)


def _output_shape_cfgs() -> list:
    """Transposed layers (i, k, s, d, a < s) and every output_shape up to the full result."""
    out = []
    for c in G.conv_configs():
        if c["p_b"] or c["p_a"] or c["i"] > 6:
            continue
        for a_ in range(c["s"]):
            full = shapes.transpose_size_axis(c["i"], c["k"], c["s"], 0, 0, c["d"], a_)
            out += [{**c, "a": a_, "O": o, "mode": mode} for o in range(1, full + 1)
                    for mode in ("NOTSET", "SAME_UPPER")]
    return out


def _scatter_with_generated_pads(c: dict) -> int:
    pads = shapes.conv_transpose_pads_axis(c["i"], c["k"], c["s"], c["d"], c["a"], c["O"], c["mode"])
    return G.scatter_length(c["i"], c["k"], c["s"], c["d"], *pads, c["a"])


def _output_shape_proof() -> list:
    split = T_SIZE.xreplace({P_E: T_TOTAL - P_B})
    return [
        step(T_SIZE, split, "substitute", "p_e = total - p_b (SAME_UPPER: p_b = floor(total/2); else the rest)"),
        step(split, O_T, "algebra", "s(i'-1) + a + d(k-1) + 1 - total"),
    ]


ONNX_CONV_TRANSPOSE_OUTPUT_SHAPE = Theorem(
    name="onnx_conv_transpose_output_shape",
    title="ONNX ConvTranspose output_shape O: the generated pads' total s(i'-1) + a + d(k-1) + 1 - O, split "
          "either way, gives exactly O",
    statement=sp.Eq(T_SIZE, O_T, evaluate=False),
    equalities=((P_E, T_TOTAL - P_B),), proof=_output_shape_proof, uses=("transpose_output_size",), family=5,
    grid=Grid("1-D transposed layers i<=6, k<=5, s<=4, d<=3, a<s, every output_shape 1..full, NOTSET and "
              "SAME_UPPER splits; lhs the scatter's brute-force length with shapes.conv_transpose_pads_axis's pads",
              _output_shape_cfgs, _scatter_with_generated_pads, lambda c: c["O"]),
    reference="ONNX ConvTranspose (opset 22): pads generated from output_shape",
)


# --------------------------------------------------------------------------- ONNX pool pads up to k - 1

_PB, _PA = sp.symbols("p_b p_a", integer=True, nonnegative=True)
#: the window count with d = 1, written literally
_POOL_L = i + _PB + _PA - k
_POOL_O = sp.floor(_POOL_L / s) + 1


def _pool_pads_proof() -> list:
    last = s * (_POOL_O - 1) - _PB
    return [
        step(last, s * sp.floor(_POOL_L / s) - _PB, "algebra", "o - 1 = floor(L/s)"),
        step(s * sp.floor(_POOL_L / s) - _PB, _POOL_L - sp.Mod(_POOL_L, s) - _PB, "floor-mod", "division with remainder"),
        step(_POOL_L - sp.Mod(_POOL_L, s) - _PB, _POOL_L - _PB, "bound", "a remainder is >= 0", rel="<="),
        step(_POOL_L - _PB, i + _PA - k, "algebra", "L = i + p_b + p_a - k"),
        step(i + _PA - k, i - 1, "bound", "p_a <= k - 1", rel="<="),
        step(k - 1 - _PB, 0, "bound", "p_b <= k - 1", rel=">="),
    ]


def _pool_pad_cfgs() -> list:
    """Undilated windows with ONNX's pads 0 <= p <= k - 1 on each side (the 1-D grid's i, k, s)."""
    out = []
    for i_ in range(1, 13):
        for k_ in range(1, 6):
            for s_ in range(1, 5):
                for pb in range(k_):
                    for pa in range(k_):
                        if i_ + pb + pa >= k_:
                            out.append({"i": i_, "k": k_, "s": s_, "p_b": pb, "p_a": pa})
    return out


def _windows_meeting_the_input(c: dict) -> tuple:
    """Brute force: (number of windows, number of them holding an input element)."""
    count = G.count_windows(c["i"], c["k"], c["s"], 1, c["p_b"], c["p_a"])
    meets = sum(any(0 <= r * c["s"] - c["p_b"] + t < c["i"] for t in range(c["k"])) for r in range(count))
    return count, meets


ONNX_POOL_PADS = Theorem(
    name="onnx_pool_pads",
    title="ONNX pools allow pads up to k - 1 per side: the last window still starts inside the input "
          "(s(o-1) - p_b <= i - 1) and the first ends inside it (k - 1 - p_b >= 0), so no window is all padding",
    statement=sp.And(sp.Le(s * (_POOL_O - 1) - _PB, i - 1), sp.Ge(k - 1 - _PB, 0)),
    assumptions=(Range(_PB, 0, k - 1), Range(_PA, 0, k - 1), Range(i, lo=k - _PB - _PA)),
    proof=_pool_pads_proof, family=9,
    grid=Grid("1-D: i<=12, k<=5, s<=4, d=1, pads 0<=p_b,p_a<=k-1 with the kernel fitting; lhs (windows, windows "
              "meeting the input) by brute force, rhs (windows, windows)", _pool_pad_cfgs,
              _windows_meeting_the_input, lambda c: (_windows_meeting_the_input(c)[0],) * 2),
    reference="ONNX MaxPool/AveragePool pads (opset 22); onnxruntime: Pad should be smaller than kernel",
)


# --------------------------------------------------------------------------- Resize: keep_aspect_ratio_policy

_I1, _I2, _S1, _S2 = sp.symbols("i_1 i_2 S_1 S_2", integer=True, positive=True)


def _kept_sizes(pick) -> tuple:
    """ONNX Resize with ``sizes`` (S_1, S_2) and a kept aspect ratio, written literally: one scale
    f = pick(S_1/i_1, S_2/i_2) for both axes, each size f i rounded half up."""
    f = pick(_S1 / _I1, _S2 / _I2)
    return sp.floor(f * _I1 + sp.Rational(1, 2)), sp.floor(f * _I2 + sp.Rational(1, 2))


_NOT_LARGER = _kept_sizes(sp.Min)
_NOT_SMALLER = _kept_sizes(sp.Max)


def _resize_cfgs() -> list:
    return [{"i_1": a_, "i_2": b_, "S_1": c_, "S_2": e_} for a_ in range(1, 9) for b_ in range(1, 9)
            for c_ in range(1, 9) for e_ in range(1, 9)]


def _resize_library(c: dict) -> tuple:
    inputs, sizes = (c["i_1"], c["i_2"]), (c["S_1"], c["S_2"])
    return (shapes.resize_output_sizes(inputs, sizes=sizes, keep_aspect_ratio_policy="not_larger")[0],
            shapes.resize_output_sizes(inputs, sizes=sizes, keep_aspect_ratio_policy="not_smaller")[0])


def _resize_brute(c: dict) -> tuple:
    """By search: the largest (smallest) common rational scale n/(i_1 i_2 ...) not overshooting (undershooting)
    either requested size, then each size rounded half up -- from the policy's words, not the formula."""
    from fractions import Fraction
    inputs, sizes = (c["i_1"], c["i_2"]), (c["S_1"], c["S_2"])
    ratios = [Fraction(s_, i_) for s_, i_ in zip(sizes, inputs)]
    larger = [r for r in ratios if all(r * i_ <= s_ for i_, s_ in zip(inputs, sizes))]
    smaller = [r for r in ratios if all(r * i_ >= s_ for i_, s_ in zip(inputs, sizes))]

    def rounded(f):
        return tuple(int((f * i_ + Fraction(1, 2)).__floor__()) for i_ in inputs)
    return rounded(max(larger)), rounded(min(smaller))


ONNX_RESIZE_KEEP_ASPECT = Theorem(
    name="onnx_resize_keep_aspect",
    title="ONNX Resize with sizes and keep_aspect_ratio_policy: not_larger never exceeds a requested size and "
          "meets it on the binding axis; not_smaller never falls short and meets it on the binding axis",
    statement=sp.And(sp.Le(_NOT_LARGER[0], _S1), sp.Le(_NOT_LARGER[1], _S2),
                     sp.Or(sp.Eq(_NOT_LARGER[0], _S1), sp.Eq(_NOT_LARGER[1], _S2)),
                     sp.Ge(_NOT_SMALLER[0], _S1), sp.Ge(_NOT_SMALLER[1], _S2),
                     sp.Or(sp.Eq(_NOT_SMALLER[0], _S1), sp.Eq(_NOT_SMALLER[1], _S2))),
    proof=None, family=12, kind="theorem",
    reason="no step proof (a minimum of ratios of sizes: nonlinear); Z3 and the grid check it",
    grid=Grid("2-D Resize: input sizes and requested sizes 1..8 on both axes; lhs symconv.shapes.resize_output_sizes, "
              "rhs the policy by search over the candidate scales", _resize_cfgs, _resize_library, _resize_brute),
    reference="ONNX Resize (opset 18+) keep_aspect_ratio_policy",
)


#: This module's theorems, in the catalogue's order (:mod:`symconv.proofs.catalogue`).
THEOREMS = (ONNX_SAME_PADS, ONNX_VALID_PADS, ONNX_CONV_TRANSPOSE_OUTPUT_SHAPE, ONNX_POOL_PADS, ONNX_RESIZE_KEEP_ASPECT)
