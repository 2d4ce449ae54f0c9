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

__all__ = ["AxisRelation", "relations", "entry_formula", "entry_delta_sum", "tap_progressions",
           "resample_axis", "source_step", "cubic_weight", "resize_source", "resize_axis",
           "RESIZE_COORDINATE_MODES", "RESIZE_NEAREST_MODES", "RESIZE_MODES", "exact", "resize_axes"]


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
        """The input position ``c = r s + t d - p_b`` read by output ``r`` through tap ``t``."""
        return r * self.s + t * self.d - self.p_b

    def offset(self, r: Any, c: Any) -> Any:
        """``q = c + p_b - r s``: equals ``t d`` exactly when ``r`` reads ``c`` through ``t``."""
        return c + self.p_b - r * self.s

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


def tap_progressions(i: int, o: int, k: int, s: int, d: int, p_b: int) -> tuple[np.ndarray, np.ndarray]:
    r"""For every tap ``t``, the range of sources ``r`` with ``0 <= r s + t d - p_b < i``.

    Solving the relation: :math:`r \ge \lceil (p_b - t d)/s \rceil` and
    :math:`r \le \lfloor (i - 1 + p_b - t d)/s \rfloor`, clipped to ``[0, o)``. Returns
    ``starts`` and ``stops`` (half-open, ``stops >= starts``), one entry per tap.

    Examples
    --------
    >>> tap_progressions(5, 3, 3, 2, 1, 1)
    (array([1, 0, 0]), array([3, 3, 2]))
    """
    taps = np.arange(k)
    low = -((taps * d - p_b) // s)          # ceil((p_b - t d) / s)
    high = (i - 1 + p_b - taps * d) // s    # floor((i - 1 + p_b - t d) / s)
    starts = np.clip(low, 0, o)
    stops = np.clip(high + 1, starts, o)
    return starts, stops


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


def source_step(i: int, o: int, align_corners: bool, scale_factor: Any = None) -> sp.Rational:
    r"""The step :math:`r` from output to source coordinates (PyTorch's ``area_pixel_compute_scale``).

    ``align_corners``: :math:`(i-1)/(o-1)` (0 when ``o = 1``); else :math:`1/f` when a scale
    factor was given, otherwise :math:`i/o`. Exact rationals.

    Examples
    --------
    >>> source_step(3, 6, False, 2), source_step(3, 5, True)
    (1/2, 1/2)
    """
    if align_corners:
        return sp.Rational(i - 1, o - 1) if o > 1 else sp.Integer(0)
    if scale_factor is not None:
        return 1 / shapes.exact_factor(scale_factor)
    return sp.Rational(i, o)


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
        return (A + 2) * x**3 - (A + 3) * x**2 + 1
    if x < 2:
        return A * x**3 - 5 * A * x**2 + 8 * A * x - 4 * A
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
    step = source_step(i, o, align_corners, scale_factor)
    half = sp.Rational(1, 2)
    triplets: dict[tuple[int, int], Any] = {}

    def add(dst: int, src: int, weight: Any) -> None:
        key = (dst, src)
        triplets[key] = triplets.get(key, 0) + weight

    for dst in range(o):
        if mode == "nearest":
            add(dst, min(int(sp.floor(dst * step)), i - 1), sp.Integer(1))
        elif mode == "nearest-exact":
            add(dst, min(int(sp.floor((dst + half) * step)), i - 1), sp.Integer(1))
        elif mode in ("linear", "bilinear", "trilinear") and o == i:
            add(dst, dst, sp.Integer(1))
        elif mode in ("linear", "bilinear", "trilinear"):
            x = step * dst if align_corners else sp.Max(step * (dst + half) - half, 0)
            i0 = int(sp.floor(x))
            lam = x - i0
            add(dst, min(i0, i - 1), 1 - lam)
            add(dst, min(i0 + 1, i - 1), lam)
        elif mode == "bicubic":
            x = step * dst if align_corners else step * (dst + half) - half
            i0 = int(sp.floor(x))
            frac = x - i0
            for offset in (-1, 0, 1, 2):
                add(dst, min(max(i0 + offset, 0), i - 1), cubic_weight(frac - offset))
        else:
            raise ValueError(f"resample_axis: unknown mode {mode!r}")
    keys = sorted(k for k, v in triplets.items() if v != 0)
    rows = np.array([k[0] for k in keys], dtype=np.int64)
    cols = np.array([k[1] for k in keys], dtype=np.int64)
    values = np.empty(len(keys), dtype=object)
    values[:] = [sp.nsimplify(triplets[k]) if not isinstance(triplets[k], sp.Basic) else triplets[k] for k in keys]
    return rows, cols, values


# --------------------------------------------------------------------------- ONNX Resize coordinate maps

#: ONNX Resize ``mode`` values, ``coordinate_transformation_mode`` values and ``nearest_mode`` values.
RESIZE_MODES = ("nearest", "linear", "cubic")
RESIZE_COORDINATE_MODES = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_crop_and_resize")
RESIZE_NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
_HALF = Fraction(1, 2)


def exact(value: Any) -> Fraction:
    """A number as an exact ``Fraction`` (floats by their exact binary value, SymPy rationals too).

    Examples
    --------
    >>> exact(0.75), exact(sp.Rational(2, 3))
    (Fraction(3, 4), Fraction(2, 3))
    """
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, np.generic):
        value = value.item()
    return Fraction(value)


def resize_source(y: int, i: int, o: int, scale: Any, coordinate_transformation_mode: str = "half_pixel",
                  roi: tuple = (0, 1)) -> Fraction:
    r"""ONNX Resize's source coordinate ``x_original`` of output ``y`` on one axis, exactly.

    ``i``, ``o`` are the input and output sizes, ``scale`` the axis's scale :math:`f` (the given
    one, or :math:`o / i` when derived from sizes), ``roi = (start, end)`` for tf_crop_and_resize.
    As the operator's text defines ``scale = length_resized / length_original``, the resized
    length is the *target* width :math:`w = f i`, fractional when :math:`f` comes from
    ``scales`` (onnx.reference does the same; onnxruntime uses :math:`o` instead):

    * half_pixel: :math:`(y + 1/2)/f - 1/2`;
    * half_pixel_symmetric: the same shifted by :math:`\frac{i}{2}(1 - o/w)`;
    * pytorch_half_pixel: half_pixel when :math:`w > 1`, else 0;
    * align_corners: :math:`y (i-1)/(w-1)` (0 when :math:`w = 1`);
    * asymmetric: :math:`y / f`;
    * tf_crop_and_resize: :math:`s(i-1) + y (e-s)(i-1)/(w-1)`, or :math:`(s+e)(i-1)/2` when :math:`w = 1`.

    Examples
    --------
    >>> resize_source(0, 4, 2, Fraction(1, 2))
    Fraction(1, 2)
    >>> resize_source(1, 3, 4, Fraction(4, 3), "align_corners")
    Fraction(2, 3)
    >>> resize_source(1, 3, 4, Fraction(3, 2), "align_corners")  # target width 4.5
    Fraction(4, 7)
    """
    f = exact(scale)
    width = f * i
    mode = coordinate_transformation_mode
    if mode == "half_pixel":
        return (y + _HALF) / f - _HALF
    if mode == "half_pixel_symmetric":
        return Fraction(i, 2) * (1 - o / width) + (y + _HALF) / f - _HALF
    if mode == "pytorch_half_pixel":
        return (y + _HALF) / f - _HALF if width > 1 else Fraction(0)
    if mode == "align_corners":
        return y * (i - 1) / (width - 1) if width != 1 else Fraction(0)
    if mode == "asymmetric":
        return y / f
    if mode == "tf_crop_and_resize":
        start, end = exact(roi[0]), exact(roi[1])
        if width == 1:
            return (start + end) * (i - 1) / 2
        return start * (i - 1) + y * (end - start) * (i - 1) / (width - 1)
    raise ValueError(f"resize: coordinate_transformation_mode must be one of {', '.join(RESIZE_COORDINATE_MODES)}, "
                     f"got coordinate_transformation_mode={mode!r}")


def _nearest_index(x: Fraction, nearest_mode: str) -> int:
    """The input index nearest to ``x`` under ONNX's ``nearest_mode`` (before clamping)."""
    if nearest_mode == "round_prefer_floor":
        return math.ceil(x - _HALF)
    if nearest_mode == "round_prefer_ceil":
        return math.floor(x + _HALF)
    if nearest_mode == "floor":
        return math.floor(x)
    if nearest_mode == "ceil":
        return math.ceil(x)
    raise ValueError(f"resize: nearest_mode must be one of {', '.join(RESIZE_NEAREST_MODES)}, "
                     f"got nearest_mode={nearest_mode!r}")


def _triangle(x: Fraction) -> Fraction:
    """The linear-interpolation kernel :math:`\\max(0, 1 - |x|)`."""
    return max(Fraction(0), 1 - abs(x))


def _filter_taps(x: Fraction, i: int, f: Fraction, mode: str, a: Fraction, exclude_outside: bool,
                 antialias: bool) -> list[tuple[int, Fraction]]:
    r"""(input index, weight) pairs of a linear or cubic filter centred at ``x``.

    The filter (triangle, radius 1, or Keys with parameter ``a``, radius 2) is stretched by
    :math:`1/\min(f, 1)` with ``antialias``; taps are the ``2 - 2 t_0`` integers from
    :math:`\lceil x \rceil - 1 + t_0`, :math:`t_0 = \lfloor -R \min(f,1)^{-1} \rfloor + 1`, as ONNX's
    reference. Antialiased weights are normalised; ``exclude_outside`` drops taps outside
    ``[0, i)`` and renormalises; the remaining taps read the clamped (edge) index.
    """
    kernel, radius = (_triangle, 1) if mode == "linear" else ((lambda u: cubic_weight(u, a)), 2)
    stretch = min(f, Fraction(1)) if antialias else Fraction(1)
    first = math.floor(-radius / stretch) + 1
    base = math.ceil(x) - 1
    taps = [base + first + m for m in range(2 - 2 * first)]
    weights = [kernel(stretch * (c - x)) for c in taps]
    if antialias:
        total = sum(weights)
        weights = [w / total for w in weights]
    if exclude_outside:
        weights = [w if 0 <= c < i else Fraction(0) for c, w in zip(taps, weights)]
        total = sum(weights)
        weights = [w / total for w in weights] if total else weights
    return [(min(max(c, 0), i - 1), w) for c, w in zip(taps, weights)]


@lru_cache(maxsize=512)
def resize_axis(i: int, o: int, scale: Any, mode: str = "nearest",
                coordinate_transformation_mode: str = "half_pixel", nearest_mode: str = "round_prefer_floor",
                cubic_coeff_a: Any = Fraction(-3, 4), exclude_outside: bool = False, antialias: bool = False,
                roi: tuple = (0, 1)) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""ONNX Resize on one axis as exact (dst, src, weight) triplets plus the extrapolated rows.

    The source coordinate is :func:`resize_source`; ``nearest`` reads one input (rounded by
    ``nearest_mode``), ``linear`` and ``cubic`` a filter (:math:`\max(0, 1-|u|)` or Keys' kernel
    with ``cubic_coeff_a``), stretched with ``antialias`` when downsampling; indices outside
    the input read the edge unless ``exclude_outside``. With tf_crop_and_resize, rows whose
    source lies outside :math:`[0, i-1]` have no entry and are flagged in ``extrapolated``
    (the operator writes ``extrapolation_value`` there). Weights are ``Fraction``; taps that
    coincide are merged and zero weights dropped.

    Examples
    --------
    >>> rows, cols, weights, extrapolated = resize_axis(2, 4, 2, "linear")
    >>> rows.tolist(), cols.tolist(), [str(w) for w in weights]
    ([0, 1, 1, 2, 2, 3], [0, 0, 1, 0, 1, 1], ['1', '3/4', '1/4', '1/4', '3/4', '1'])
    >>> resize_axis(4, 2, Fraction(1, 2), "nearest", "asymmetric", "floor")[1].tolist()
    [0, 2]
    """
    f, a = exact(scale), exact(cubic_coeff_a)
    if mode not in RESIZE_MODES:
        raise ValueError(f"resize: mode must be one of {', '.join(RESIZE_MODES)}, got mode={mode!r}")
    triplets: dict[tuple[int, int], Fraction] = {}
    extrapolated = np.zeros(o, dtype=bool)
    for y in range(o):
        x = resize_source(y, i, o, f, coordinate_transformation_mode, roi)
        if coordinate_transformation_mode == "tf_crop_and_resize" and not 0 <= x <= i - 1:
            extrapolated[y] = True
            continue
        if mode == "nearest":
            taps = [(min(max(_nearest_index(x, nearest_mode), 0), i - 1), Fraction(1))]
        else:
            taps = _filter_taps(x, i, f, mode, a, exclude_outside, antialias)
        for c, w in taps:
            triplets[y, c] = triplets.get((y, c), Fraction(0)) + w
    keys = sorted(k for k, v in triplets.items() if v != 0)
    rows = np.array([k[0] for k in keys], dtype=np.int64)
    cols = np.array([k[1] for k in keys], dtype=np.int64)
    weights = np.empty(len(keys), dtype=object)
    weights[:] = [triplets[k] for k in keys]
    return rows, cols, weights, extrapolated


def resize_axes(input_sizes: tuple, scales: tuple | None = None, sizes: tuple | None = None,
                keep_aspect_ratio_policy: str = "stretch", roi: tuple | None = None,
                **options: Any) -> tuple[tuple, list]:
    r"""ONNX Resize over several axes: output sizes and one :func:`resize_axis` map per axis.

    ``input_sizes`` are the resized axes' sizes; ``scales`` or ``sizes`` one entry per axis
    (:func:`symconv.shapes.resize_output_sizes`); ``roi`` ONNX's layout ``(starts..., ends...)``.
    ``options`` are :func:`resize_axis`'s keywords. Returns ``(output_sizes, maps)``.

    Examples
    --------
    >>> out, maps = resize_axes((2, 3), sizes=(4, 3), mode="linear")
    >>> out, maps[0][1].tolist(), maps[1][1].tolist()
    ((4, 3), [0, 0, 1, 0, 1, 1], [0, 1, 2])
    """
    n = len(input_sizes)
    out, factors = shapes.resize_output_sizes(tuple(input_sizes), scales, sizes, keep_aspect_ratio_policy)
    for j, o in enumerate(out):
        if o < 1:
            raise ValueError(f"resize: output size must be >= 1 on every axis, got {o} on axis {j} for input size "
                             f"{input_sizes[j]} and scale {factors[j]}")
    if roi is not None and len(roi) != 2 * n:
        raise ValueError(f"resize: roi must have 2 * {n} entries (starts, then ends), got {len(roi)}")
    rois = [(0, 1)] * n if roi is None else [(exact(roi[j]), exact(roi[n + j])) for j in range(n)]
    maps = [resize_axis(int(i), int(o), f, roi=tuple(r), **options)
            for i, o, f, r in zip(input_sizes, out, factors, rois)]
    return tuple(int(o) for o in out), maps
