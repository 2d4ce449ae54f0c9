r"""ONNX Resize's coordinate maps, exact: per axis, which inputs each output reads and with what weight.

The source coordinate :math:`x` of output :math:`y` (:func:`resize_source`, every
``coordinate_transformation_mode``), the input it rounds to (``nearest_mode``) or the filter
around it (linear, or Keys' cubic kernel of :mod:`symconv.index` with ``cubic_coeff_a``,
stretched with ``antialias``), as exact ``Fraction`` triplets (:func:`resize_axis`, and over
several axes :func:`resize_axes`). :func:`symconv.matrix.resize_matrix` and
:func:`symconv.onnx.Resize` read these maps; the interpolation maps of ``F.interpolate`` are
:func:`symconv.index.resample_axis`.

Examples
--------
>>> resize_source(0, 4, 2, Fraction(1, 2))
Fraction(1, 2)
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from . import shapes
from .index import cubic_weight

__all__ = ["resize_source", "resize_axis", "resize_axes", "exact", "RESIZE_MODES", "RESIZE_COORDINATE_MODES",
           "RESIZE_NEAREST_MODES"]

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
