r"""The index relation every view reads.

On each spatial axis a sliding-window operator is the relation

.. math:: r \xrightarrow{t} c \iff c = r s + t d - p_b,\quad
          0 \le r < o,\ 0 \le t < k,\ 0 \le c < i,

"output ``r`` reads input ``c`` through tap ``t``". A convolution gathers along it,
a transposed convolution scatters along it (same relation, read backwards), pooling
takes a max or mean over it, unpooling writes back along the chosen taps.

Symbolically the relation yields the entry formula of the matrix
:math:`C[r, c] = w_{(c + p_b - r s)/d}` when :math:`d \mid (c + p_b - r s)` and
:math:`0 \le c + p_b - r s \le d(k-1)`, else 0 -- with the divisibility guard kept
explicit (SymPy's Kronecker-delta summation drops it when d > 1).

Concretely, for a fixed tap the pairs ``(r, c)`` form arithmetic progressions, so
the matrices are built by solving the relation for ``r``, never by testing pairs.

Every view reads the solved relation from here, for ints, NumPy arrays and SymPy sizes
alike: the read position (:func:`read_position`, :meth:`AxisRelation.input_index`), the
taps' output ranges (:func:`tap_window`, :func:`tap_progressions`), the stride phases
(:func:`polyphase`), the interior (:meth:`AxisRelation.interior`), and for interpolation
the step (:func:`step_rule`), the source coordinates (:func:`source_coordinate`) and the
cubic kernel (:func:`cubic_near`, :func:`cubic_far`). The functions of the section "the
relation solved" use only ``+ - * // %`` and the operations passed to them, so the code
generator pastes their text verbatim into the generated NumPy modules
(:data:`KERNEL_FUNCTIONS`): the kernels evaluate the same formulas at run time. ONNX
Resize's maps are in :mod:`symconv.resize`. The proof engine is the deliberate exception:
its statements define the operators literally and independently of this module.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from . import shapes
from ._validate import Size
from .spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec

__all__ = ["AxisRelation", "relations", "entry_formula", "entry_delta_sum", "tap_progressions", "tap_ranges",
           "read_position", "tap_window", "polyphase", "step_rule", "source_coordinate", "cubic_near", "cubic_far",
           "KERNEL_FUNCTIONS", "resample_axis", "source_step", "cubic_weight", "MODE_FAMILY"]


@dataclass(frozen=True)
class AxisRelation:
    r"""One axis of the relation :math:`c = r s + t d - p_b`.

    ``o`` outputs (``r``) read ``i`` inputs (``c``) through ``k`` taps (``t``).

    Examples
    --------
    >>> rel = AxisRelation(i=4, o=2, k=3, s=1, d=1, p_b=0)
    >>> rel.input_index(1, 2)
    3
    >>> rel.tap_rows(2)
    (0, 2)
    """

    i: Size
    o: Size
    k: Size
    s: Size
    d: Size
    p_b: Size

    def input_index(self, r: Any, t: Any) -> Any:
        """The input position ``c = r s + t d - p_b`` read by output ``r`` through tap ``t`` (:func:`read_position`)."""
        return read_position(r, t * self.d, self.s, self.p_b)

    def scaled_reader(self, c: Any, t: Any) -> Any:
        """``c + p_b - t d``: equals ``r s`` for the output ``r`` that reads ``c`` through ``t`` (if ``s`` divides it).

        >>> AxisRelation(i=5, o=2, k=3, s=2, d=1, p_b=0).scaled_reader(3, 1)
        2
        """
        return c - read_position(0, t * self.d, self.s, self.p_b)

    def offset(self, r: Any, c: Any) -> Any:
        """``q = c + p_b - r s``: equals ``t d`` exactly when ``r`` reads ``c`` through ``t``."""
        return c - read_position(r, 0, self.s, self.p_b)

    def condition(self, r: Any, c: Any) -> sp.Boolean:
        r"""Whether output ``r`` reads input ``c`` at all: :math:`d \mid q` and :math:`0 \le q \le d(k-1)`."""
        q = self.offset(r, c)
        guards = [sp.Ge(q, 0), sp.Le(q, self.d * (self.k - 1))]
        if self.d != 1:
            guards.insert(0, sp.Eq(sp.Mod(q, self.d), 0))
        return sp.And(*guards)

    def tap(self, r: Any, c: Any) -> Any:
        """The tap index ``t = q / d`` (meaningful only where :meth:`condition` holds)."""
        return self.offset(r, c) / self.d if self.d != 1 else self.offset(r, c)

    def tap_rows(self, t: int) -> tuple[int, int]:
        """Half-open range ``[start, stop)`` of outputs ``r`` whose tap ``t`` lands inside the input."""
        starts, stops = tap_progressions(self.i, self.o, self.k, self.s, self.d, self.p_b)
        return int(starts[t]), int(stops[t])

    def interior(self, scatter: bool = False) -> tuple[int, int]:
        r"""Half-open range of positions that receive *every* contribution (int sizes; may be empty).

        Gather (conv, pooling): outputs ``r`` whose whole window lies in the input -- tap 0's
        first reader to tap ``k-1``'s last (:func:`tap_window`). Scatter (transposed conv,
        unpooling; the targets ``c`` of the relation read backwards): :math:`c` from
        ``input_index(0, k-1)`` to ``input_index(o-1, 0)``, i.e.
        :math:`d(k-1) - p_b \le c \le s(o-1) - p_b`. Clipped to the side's size.

        >>> AxisRelation(i=4, o=4, k=3, s=1, d=1, p_b=1).interior()
        (1, 3)
        >>> AxisRelation(i=9, o=4, k=3, s=2, d=1, p_b=0).interior(scatter=True)
        (2, 7)
        """
        if scatter:
            low, high, size = self.input_index(0, self.k - 1), self.input_index(self.o - 1, 0) + 1, self.i
        else:
            low = tap_window(self.i, 0, self.s, self.p_b)[0]
            high = tap_window(self.i, self.d * (self.k - 1), self.s, self.p_b)[1]
            size = self.o
        low, high = max(low, 0), min(high, size)
        return int(low), int(max(high, low))


def tap_progressions(i: int, o: int, k: int, s: int, d: int, p_b: int) -> tuple[np.ndarray, np.ndarray]:
    r"""For every tap ``t``, the range of sources ``r`` with ``0 <= r s + t d - p_b < i``.

    Solving the relation: :math:`r \ge \lceil (p_b - t d)/s \rceil` and
    :math:`r \le \lfloor (i - 1 + p_b - t d)/s \rfloor`, clipped to ``[0, o)``. Returns
    ``starts`` and ``stops`` (half-open, ``stops >= starts``), one entry per tap
    (:func:`tap_ranges` as two arrays).

    Examples
    --------
    >>> tap_progressions(5, 3, 3, 2, 1, 1)
    (array([1, 0, 0]), array([3, 3, 2]))
    """
    ranges = tap_ranges(i, o, k, s, d, p_b)
    return (np.array([start for start, _stop in ranges], dtype=np.int64),
            np.array([stop for _start, stop in ranges], dtype=np.int64))


def tap_ranges(i: int, o: int, k: int, s: int, d: int, p_b: int) -> list[tuple[int, int]]:
    r"""For every tap ``t``, the half-open range ``(start, stop)`` of sources ``r`` with ``0 <= r s + t d - p_b < i``.

    :func:`tap_window` at offset :math:`t d`, clipped to ``[0, o)`` (``stop >= start``); int
    sizes, Python ints (a kernel has few taps: no array overhead).

    Examples
    --------
    >>> tap_ranges(5, 3, 3, 2, 1, 1)
    [(1, 3), (0, 3), (0, 2)]
    """
    out = []
    for t in range(k):
        low, high = tap_window(i, t * d, s, p_b)
        start = min(max(low, 0), o)
        out.append((start, min(max(high, start), o)))
    return out


# --------------------------------------------------------------------------- the relation solved
# Written with + - * // % and the operations passed in only (no imports, no annotations): the
# same text serves ints, NumPy arrays and SymPy expressions, and symconv.codegen pastes it into
# the generated modules (KERNEL_FUNCTIONS), so their run-time arithmetic is this arithmetic.


def read_position(r, offset, s, p_b):
    r"""The input position :math:`c = r s + offset - p_b` that output ``r`` reads at padded offset ``offset``.

    ``offset`` is a tap's :math:`t d` (the relation :meth:`AxisRelation.input_index`) or a stride phase.

    >>> read_position(2, 3, 2, 1)
    6
    """
    return r * s + offset - p_b


def tap_window(i, offset, s, p_b):
    r"""The outputs ``first <= r < end`` whose :func:`read_position` ``r s + offset - p_b`` lies in ``[0, i)``.

    ``offset`` is a tap's :math:`t d` (or a stride phase). Solving :math:`0 \le r s + offset
    - p_b \le i - 1` for ``r``: ``first`` :math:`= \lceil (p_b - offset)/s \rceil`, ``end``
    :math:`= \lfloor (i - 1 + p_b - offset)/s \rfloor + 1`, not clipped to ``[0, o)``. Ints,
    NumPy arrays (``offset`` per tap) and SymPy expressions alike.

    Examples
    --------
    >>> tap_window(5, 0, 2, 1)
    (1, 3)
    >>> import sympy as sp
    >>> tap_window(sp.Symbol("i", integer=True), 2, 2, 1)
    (0, floor(i/2))
    """
    return -((offset - p_b) // s), (i - 1 + p_b - offset) // s + 1


def polyphase(offset, s):
    r"""The stride phase and shift of padded offset ``offset`` (a tap's :math:`t d`): ``offset = shift s + phase``.

    Split into ``s`` phases (padded positions :math:`\equiv` phase mod ``s``), tap ``t`` of
    output ``r`` reads phase :math:`(t d) \bmod s` at row :math:`r + \lfloor t d / s \rfloor`.

    Examples
    --------
    >>> [polyphase(t * 2, 3) for t in range(3)]
    [(0, 0), (2, 0), (1, 1)]
    """
    return offset % s, offset // s


def step_rule(i, o, align_corners, inverse_scale, divide):
    r"""PyTorch's ``area_pixel_compute_scale``: the step :math:`r` from output to source coordinates.

    :math:`(i-1)/(o-1)` with ``align_corners`` (0 when ``o = 1``); else ``inverse_scale``
    (:math:`1/f`) when a scale factor was given; else :math:`i/o`. ``divide`` is exact
    (``sp.Rational``, :func:`source_step`) or floating point (``np.true_divide``, the kernels).

    >>> step_rule(3, 5, True, None, Fraction), step_rule(3, 6, False, None, Fraction)
    (Fraction(1, 2), Fraction(1, 2))
    """
    if align_corners:
        return divide(i - 1, o - 1) if o > 1 else divide(0, 1)
    if inverse_scale is not None:
        return inverse_scale
    return divide(i, o)


def source_coordinate(dst, step, mode, align_corners, half, clamp=None):
    r"""The source coordinate :math:`x` of output ``dst`` on one interpolation axis (PyTorch's rules).

    ``step`` is :func:`step_rule`'s; ``half`` one half (``Rational(1, 2)`` exact, ``0.5`` in
    floats); ``clamp`` the maximum to clip the linear family's coordinate at 0 with
    (``sp.Max``, ``np.maximum``), or None on an unbounded axis (no border):

    * nearest: :math:`x = r\,dst`; nearest-exact: :math:`(dst + 1/2)\,r`;
    * align_corners: :math:`r\,dst`;
    * linear: :math:`\max(r(dst + 1/2) - 1/2, 0)`; bicubic: the same unclamped.

    Examples
    --------
    >>> source_coordinate(0, 0.5, "linear", False, 0.5, max), source_coordinate(0, 0.5, "bicubic", False, 0.5, max)
    (0, -0.25)
    """
    if mode == "nearest":
        return step * dst
    if mode == "nearest-exact":
        return (dst + half) * step
    if align_corners:
        return step * dst
    x = step * (dst + half) - half
    if clamp is None or mode == "bicubic":
        return x
    return clamp(x, 0)


def cubic_near(z, a):
    r"""Keys' cubic kernel for :math:`|z| \le 1`: :math:`(a+2)|z|^3 - (a+3)|z|^2 + 1` (Horner form, ``z >= 0``).

    >>> cubic_near(Fraction(1, 2), Fraction(-3, 4))
    Fraction(19, 32)
    """
    return ((a + 2) * z - (a + 3)) * z * z + 1


def cubic_far(z, a):
    r"""Keys' cubic kernel for :math:`1 < |z| < 2`: :math:`a|z|^3 - 5a|z|^2 + 8a|z| - 4a` (Horner form, ``z >= 0``).

    >>> cubic_far(Fraction(3, 2), Fraction(-3, 4))
    Fraction(-3, 32)
    """
    return ((a * z - 5 * a) * z + 8 * a) * z - 4 * a


#: The functions above whose text the generated kernels contain (see :mod:`symconv.codegen`).
KERNEL_FUNCTIONS = (read_position, tap_window, polyphase, step_rule, source_coordinate, cubic_near, cubic_far)


def relations(spec: Any) -> tuple[AxisRelation, ...]:
    """The per-axis relations of a spec with known ``input_size``.

    For a transposed convolution (and for unpooling) this is the relation of the
    forward operator it transposes: ``i`` is the layer's *output* size and ``o`` its
    input size -- the same relation, read as a scatter.

    Examples
    --------
    >>> relations(ConvSpec(3, input_size=4))
    (AxisRelation(i=4, o=2, k=3, s=1, d=1, p_b=0),)
    >>> relations(ConvTransposeSpec(3, input_size=2))
    (AxisRelation(i=4, o=2, k=3, s=1, d=1, p_b=0),)
    """
    return _relations(spec)


@lru_cache(maxsize=256)
def _relations(spec: Any) -> tuple[AxisRelation, ...]:
    if isinstance(spec, (ConvSpec, MaxPoolSpec, AvgPoolSpec)):
        sizes_in, sizes_out = spec.input_size, spec.output_size
    elif isinstance(spec, (ConvTransposeSpec, MaxUnpoolSpec)):
        sizes_in, sizes_out = spec.output_size, spec.require_input()
    else:
        raise TypeError(f"relations: expected a sliding-window spec, got {type(spec).__name__}")
    if sizes_in is None:
        raise ValueError(f"{spec.op}: input_size is unknown; use spec.with_input(input_size)")
    return tuple(AxisRelation(i, o, k, s, d, pb) for i, o, k, s, d, (pb, _pa) in
                 zip(sizes_in, sizes_out, spec.kernel_size, spec.stride, spec.dilation, spec.padding))


def _weight_entry(weight: Any, taps: tuple) -> Any:
    if weight is None:
        weight = sp.IndexedBase("w")
    if isinstance(weight, sp.IndexedBase):
        return weight[taps]
    return weight(*taps)


def entry_formula(spec: Any, r: tuple | None = None, c: tuple | None = None, weight: Any = None) -> sp.Piecewise:
    r"""The entry :math:`C[r, c]` of a single-channel operator's matrix, for symbolic sizes.

    A ``Piecewise``: the weight at tap :math:`t_j = (c_j + p_{b,j} - r_j s_j)/d_j` when every
    axis's :meth:`AxisRelation.condition` holds (divisibility guard included), else 0.

    Parameters
    ----------
    spec : ConvSpec
        Sizes may be symbols; ``input_size`` defaults to symbols ``i_j``.
    r, c : tuple of symbols, optional
        Output and input multi-indices (default ``r_j``, ``c_j``).
    weight : IndexedBase or callable, optional
        Default ``IndexedBase('w')``.

    Examples
    --------
    >>> from symconv.symbols import k, s, d, p
    >>> entry_formula(ConvSpec(k, stride=s, padding=p, dilation=d))
    Piecewise((w[(c_0 + p - r_0*s)/d], (c_0 + p - r_0*s >= 0) & Eq(Mod(c_0 + p - r_0*s, d), 0) & (d*(k - 1) >= c_0 + p - r_0*s)), (0, True))
    """
    rels, r, c = _symbolic_relations(spec, r, c)
    taps = tuple(rel.tap(rj, cj) for rel, rj, cj in zip(rels, r, c))
    condition = sp.And(*(rel.condition(rj, cj) for rel, rj, cj in zip(rels, r, c)))
    return sp.Piecewise((_weight_entry(weight, taps), condition), (0, True))


def entry_delta_sum(spec: Any, r: tuple | None = None, c: tuple | None = None, weight: Any = None) -> sp.Expr:
    r"""The same entry as a sum over taps of Kronecker deltas: :math:`\sum_t w_t \prod_j \delta(c_j, r_j s_j + t_j d_j - p_{b,j})`.

    Examples
    --------
    >>> from symconv.symbols import k
    >>> entry_delta_sum(ConvSpec(k))
    Sum(KroneckerDelta(c_0, r_0 + t_0)*w[t_0], (t_0, 0, k - 1))
    """
    rels, r, c = _symbolic_relations(spec, r, c)
    taps = sp.symbols(f"t_0:{len(rels)}", integer=True, nonnegative=True)
    term = _weight_entry(weight, taps)
    for rel, rj, cj, tj in zip(rels, r, c, taps):
        term = term * sp.KroneckerDelta(cj, rel.input_index(rj, tj))
    return sp.Sum(term, *((tj, 0, rel.k - 1) for rel, tj in zip(rels, taps)))


def _symbolic_relations(spec: Any, r: tuple | None, c: tuple | None) -> tuple:
    if not isinstance(spec, ConvSpec):
        raise TypeError(f"entry_formula: expected a ConvSpec, got {type(spec).__name__}")
    n = spec.ndim
    r = r if r is not None else sp.symbols(f"r_0:{n}", integer=True, nonnegative=True)
    c = c if c is not None else sp.symbols(f"c_0:{n}", integer=True, nonnegative=True)
    i = spec.input_size or sp.symbols(f"i_0:{n}", integer=True, positive=True)
    rels = tuple(AxisRelation(ij, shapes.window_count_axis(ij, k, s, pb, pa, d), k, s, d, pb)
                 for ij, k, s, (pb, pa), d in zip(i, spec.kernel_size, spec.stride, spec.padding, spec.dilation))
    return rels, tuple(r), tuple(c)


# --------------------------------------------------------------------------- interpolation coordinate maps

#: Keys' cubic convolution parameter used by PyTorch (and ONNX's default).
CUBIC_A = sp.Rational(-3, 4)
#: Interpolation modes (``F.interpolate``'s) by the family of their coordinate map.
MODE_FAMILY = {"nearest": "nearest", "nearest-exact": "nearest-exact", "linear": "linear", "bilinear": "linear",
           "trilinear": "linear", "bicubic": "bicubic"}


def source_step(i: int, o: int, align_corners: bool, scale_factor: Any = None) -> sp.Rational:
    r"""The step :math:`r` from output to source coordinates (PyTorch's ``area_pixel_compute_scale``).

    ``align_corners``: :math:`(i-1)/(o-1)` (0 when ``o = 1``); else :math:`1/f` when a scale
    factor was given, otherwise :math:`i/o`. Exact rationals.

    Examples
    --------
    >>> source_step(3, 6, False, 2), source_step(3, 5, True)
    (1/2, 1/2)
    """
    inverse = None if scale_factor is None else 1 / shapes.exact_factor(scale_factor)
    return step_rule(i, o, align_corners, inverse, sp.Rational)


def cubic_weight(x: Any, a: Any = None) -> Any:
    r"""Keys' cubic convolution kernel with :math:`A = -3/4` (or ``a``).

    Exact ``Fraction`` arguments (``x`` and ``a``) stay ``Fraction``; anything else is SymPy.

    :math:`W(x) = (A+2)|x|^3 - (A+3)|x|^2 + 1` for :math:`|x| \le 1`,
    :math:`A|x|^3 - 5A|x|^2 + 8A|x| - 4A` for :math:`1 < |x| < 2`, else 0.

    Examples
    --------
    >>> cubic_weight(0), cubic_weight(sp.Rational(1, 2)), cubic_weight(1)
    (1, 19/32, 0)
    """
    x = abs(x) if isinstance(x, Fraction) else abs(sp.sympify(x))
    A = CUBIC_A if a is None else a
    if x <= 1:
        return cubic_near(x, A)
    if x < 2:
        return cubic_far(x, A)
    return Fraction(0) if isinstance(x, Fraction) else sp.Integer(0)


def resample_axis(i: int, o: int, mode: str, align_corners: bool = False,
                  scale_factor: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The coordinate map of one interpolation axis as (dst, src, weight) triplets.

    * nearest: :math:`src = \min(\lfloor dst\, r \rfloor, i - 1)`;
    * nearest-exact: :math:`src = \min(\lfloor (dst + 1/2) r \rfloor, i - 1)`;
    * linear: :math:`x = r\,dst` (align_corners) or :math:`\max(r(dst + 1/2) - 1/2, 0)`,
      weights :math:`1-\lambda, \lambda` at :math:`\lfloor x \rfloor` and :math:`\min(\lfloor x \rfloor + 1, i-1)`;
    * bicubic: the same :math:`x` unclamped, four taps :math:`\lfloor x \rfloor - 1 \ldots + 2`
      clamped to the edge, Keys weights.

    Weights are exact SymPy rationals; taps that coincide are merged. As PyTorch's
    kernels do, the linear family copies an axis whose output size equals its input
    size, whatever the scale factor.

    Examples
    --------
    >>> resample_axis(2, 4, "linear")
    (array([0, 1, 1, 2, 2, 3]), array([0, 0, 1, 0, 1, 1]), array([1, 3/4, 1/4, 1/4, 3/4, 1], dtype=object))
    """
    # Exact arithmetic on fractions.Fraction (a SymPy Rational costs ~10x more per operation); the
    # weights become SymPy Rationals at the end.
    step = Fraction(*map(int, sp.fraction(source_step(i, o, align_corners, scale_factor))))
    half, cubic_a = Fraction(1, 2), Fraction(int(CUBIC_A.p), int(CUBIC_A.q))
    triplets: dict[tuple[int, int], Fraction] = {}

    def add(dst: int, src: int, weight: Fraction) -> None:
        key = (dst, src)
        triplets[key] = triplets.get(key, 0) + weight

    family = MODE_FAMILY.get(mode)
    if family is None:
        raise ValueError(f"resample_axis: unknown mode {mode!r}")
    for dst in range(o):
        x = source_coordinate(dst, step, family, align_corners, half, max)
        if family in ("nearest", "nearest-exact"):
            add(dst, min(math.floor(x), i - 1), Fraction(1))
        elif family == "linear" and o == i:
            add(dst, dst, Fraction(1))
        elif family == "linear":
            i0 = math.floor(x)
            lam = x - i0
            add(dst, min(i0, i - 1), 1 - lam)
            add(dst, min(i0 + 1, i - 1), lam)
        else:
            i0 = math.floor(x)
            frac = x - i0
            for offset in (-1, 0, 1, 2):
                add(dst, min(max(i0 + offset, 0), i - 1), cubic_weight(frac - offset, cubic_a))
    keys = sorted(k for k, v in triplets.items() if v != 0)
    rows = np.array([k[0] for k in keys], dtype=np.int64)
    cols = np.array([k[1] for k in keys], dtype=np.int64)
    values = np.empty(len(keys), dtype=object)
    values[:] = [sp.Rational(triplets[k].numerator, triplets[k].denominator) for k in keys]
    return rows, cols, values
