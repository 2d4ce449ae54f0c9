r"""Output sizes of the sliding-window and resampling operators, for ints and for symbols.

Every formula lives here exactly once, per axis, in the paper's letters
(Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"):

* convolution and pooling (Rel. 15 with asymmetric padding):
  :math:`o = \lfloor (i + p_b + p_a - d(k-1) - 1)/s \rfloor + 1`;
* transposed convolution (Rel. 14 with dilation): :math:`o' = s(i'-1) + d(k-1) + 1 - p_b - p_a + a`;
* max-unpooling (PyTorch): :math:`o = s(i-1) + d(k-1) + 1 - p_b - p_a`;
* interpolation: ``size`` or :math:`\lfloor i \cdot \mathrm{scale} \rfloor`.

Integers in give a Python ``int`` out; any SymPy symbol gives a SymPy expression
in floor form. The ``*_axis`` functions are the raw formulas (no validation) that
specs and every view call; the public ``*_output_size`` functions validate first.
"""
from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

import sympy as sp

from ._validate import Size, as_size, is_false, is_sequence

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "unpool_output_size",
    "upsample_output_size",
    "lost_remainder",
    "AUTO_PADS",
    "auto_pad_axis",
    "conv_transpose_pads_axis",
    "resize_output_sizes",
]


# --------------------------------------------------------------------------- arithmetic


def floordiv(num: Size, den: Size) -> Size:
    """``num // den`` for ints, ``floor(num/den)`` for symbols."""
    if isinstance(num, int) and isinstance(den, int):
        return num // den
    return sp.floor(sp.sympify(num) / den)


def ceildiv(num: Size, den: Size) -> Size:
    """``ceil(num/den)`` for ints and symbols."""
    if isinstance(num, int) and isinstance(den, int):
        return -((-num) // den)
    return sp.ceiling(sp.sympify(num) / den)


def mod(num: Size, den: Size) -> Size:
    """Non-negative remainder for ints, ``Mod`` for symbols."""
    if isinstance(num, int) and isinstance(den, int):
        return num % den
    return sp.Mod(num, den)


def effective_kernel(k: Size, d: Size) -> Size:
    """Span of a dilated kernel, :math:`d(k-1)+1` (Rel. 15's :math:`\\hat k`)."""
    return d * (k - 1) + 1


# --------------------------------------------------------------------------- raw axis formulas


def window_count_axis(i: Size, k: Size, s: Size, p_b: Size, p_a: Size, d: Size = 1,
                      ceil_mode: bool = False) -> Size:
    r"""Number of window placements on one axis (convolution and pooling).

    Floor mode is :math:`\lfloor (i + p_b + p_a - d(k-1) - 1)/s \rfloor + 1`. Ceil mode
    rounds up, then drops a last window that would start in the right padding
    (PyTorch's ``pooling_output_shape_pad_lr``: keep it only if :math:`(o-1)s < i + p_b`).

    Examples
    --------
    >>> window_count_axis(5, 3, 2, 1, 1)
    3
    >>> window_count_axis(5, 2, 2, 0, 0, ceil_mode=True)
    3
    """
    span = i + p_b + p_a - effective_kernel(k, d)
    if not ceil_mode:
        if type(span) is int and type(s) is int:
            return span // s + 1            # floordiv's int case, without the call (the proof grids' hot path)
        return floordiv(span, s) + 1
    o = floordiv(span + s - 1, s) + 1
    if isinstance(o, int) and all(isinstance(v, int) for v in (s, i, p_b)):
        return o - 1 if (o - 1) * s >= i + p_b else o
    return sp.Piecewise((o - 1, sp.Ge((o - 1) * s, i + p_b)), (o, True))


def transpose_size_axis(i: Size, k: Size, s: Size, p_b: Size, p_a: Size, d: Size = 1,
                        a: Size = 0) -> Size:
    r"""Output size of a transposed convolution on one axis: :math:`s(i-1) + d(k-1) + 1 - p_b - p_a + a`.

    Examples
    --------
    >>> transpose_size_axis(2, 3, 1, 0, 0)
    4
    """
    return s * (i - 1) + effective_kernel(k, d) - p_b - p_a + a


def output_padding_axis(o: Size, i: Size, k: Size, s: Size, p_b: Size, p_a: Size, d: Size = 1) -> Size:
    r"""The output padding with which a transposed conv of input ``i`` has output size ``o``.

    :func:`transpose_size_axis` is :math:`a` plus the size without output padding, so
    :math:`a = o - (s(i-1) + d(k-1) + 1 - p_b - p_a)`. Any integer may come out; whether a layer
    accepts it is the spec's rule (:class:`symconv.spec.ConvTransposeSpec`: :math:`0 \le a < \max(s, d)`).

    Examples
    --------
    >>> output_padding_axis(6, 3, 3, 2, 1, 1)
    1
    """
    return o - transpose_size_axis(i, k, s, p_b, p_a, d, 0)


def unpool_size_axis(i: Size, k: Size, s: Size, p_b: Size, p_a: Size, d: Size = 1) -> Size:
    r"""Default output size of max-unpooling on one axis: :math:`s(i-1) + d(k-1) + 1 - p_b - p_a`.

    PyTorch's ``_unpool_output_size`` (no dilation there, i.e. ``d = 1``).
    """
    return transpose_size_axis(i, k, s, p_b, p_a, d, 0)


def lost_remainder_axis(i: Size, k: Size, s: Size, p_b: Size, p_a: Size, d: Size = 1) -> Size:
    r"""The remainder :math:`a = (i + p_b + p_a - d(k-1) - 1) \bmod s` a strided conv forgets (Rel. 14)."""
    return mod(i + p_b + p_a - effective_kernel(k, d), s)


def resize_size_axis(i: Size, size: Size | None = None, scale_factor: Any = None) -> Size:
    r"""Output size of interpolation on one axis: ``size`` or :math:`\lfloor i \cdot f \rfloor`.

    Integer ``i`` with a float factor uses double arithmetic as PyTorch does; a symbolic
    ``i`` uses the exact rational value of the factor.
    """
    if size is not None:
        return size
    if isinstance(i, int):
        if isinstance(scale_factor, (Integral, Fraction)) or isinstance(scale_factor, sp.Rational):
            return int(math.floor(Fraction(i) * Fraction(str(scale_factor))))
        scaled = i * float(scale_factor)
        if not math.isfinite(scaled):
            raise ValueError(f"upsample: scale_factor={scale_factor!r} gives an infinite output size for input {i}")
        return int(math.floor(scaled))
    return sp.floor(i * exact_factor(scale_factor))


def exact_factor(scale_factor: Any) -> sp.Rational:
    """A scale factor as an exact SymPy rational (floats by their shortest decimal repr)."""
    if isinstance(scale_factor, sp.Basic):
        return sp.Rational(scale_factor)
    if isinstance(scale_factor, Fraction):
        return sp.Rational(scale_factor.numerator, scale_factor.denominator)
    return sp.Rational(repr(scale_factor)) if isinstance(scale_factor, float) else sp.Rational(scale_factor)


# --------------------------------------------------------------------------- validation shared with specs


def padding_pair(p: Any, name: str = "p", owner: str = "") -> tuple[Size, Size]:
    """Canonical (before, after) pair from an int/symbol or a 2-sequence."""
    prefix = f"{owner}: " if owner else ""
    if is_sequence(p):
        if len(p) != 2:
            raise ValueError(f"{prefix}{name} must be an int or a (before, after) pair, got {name}={tuple(p)}")
        return (as_size(p[0], f"{name}[0]", 0, owner), as_size(p[1], f"{name}[1]", 0, owner))
    value = as_size(p, name, 0, owner)
    return (value, value)


def window_fits(i: Size, k: Size, p_b: Size, p_a: Size, d: Size = 1, s: Size = 1,
                ceil_mode: bool = False) -> Any:
    r"""Whether at least one window is placed, i.e. the output size is >= 1 (PyTorch's rule).

    Floor mode: the dilated kernel fits the padded input, :math:`d(k-1)+1 \le i + p_b + p_a`.
    Ceil mode (pooling) also keeps a first window that runs past the padded end:
    :math:`d(k-1)+1 \le i + p_b + p_a + s - 1` (``pooling_output_shape_pad_lr`` gives
    :math:`o \ge 1` exactly then; the first window starts at :math:`-p_b`, inside the input
    or the left padding, so it is never dropped). A ``bool`` for ints, a SymPy relation otherwise.

    Examples
    --------
    >>> window_fits(2, 3, 0, 0), window_fits(2, 3, 0, 0, s=2, ceil_mode=True)
    (False, True)
    """
    slack = i + p_b + p_a - effective_kernel(k, d) + (s - 1 if ceil_mode else 0)
    return slack >= 0 if isinstance(slack, int) else sp.Ge(slack, 0)


def require_kernel_fits(i: Size, k: Size, p_b: Size, p_a: Size, d: Size, owner: str, axis: str = "",
                        s: Size = 1, ceil_mode: bool = False) -> None:
    """Raise ``ValueError`` when :func:`window_fits` is decided false (no window at all)."""
    if not is_false(window_fits(i, k, p_b, p_a, d, s, ceil_mode)):
        return
    spans = f"{owner}: kernel_size{axis} with dilation spans d*(k-1)+1={effective_kernel(k, d)}, "
    where = f"(input_size={i}, padding=({p_b}, {p_a})"
    if ceil_mode:
        raise ValueError(
            spans + f"more than the padded input plus stride - 1 allows in ceil_mode "
            f"(i+p_before+p_after+s-1={i + p_b + p_a + s - 1}) " + where + f", stride={s})"
        )
    raise ValueError(
        spans + f"larger than the padded input i+p_before+p_after={i + p_b + p_a} " + where + ")"
    )


def require_pool_padding(k: Size, p_b: Size, p_a: Size, owner: str, axis: str = "",
                         convention: str = "torch") -> None:
    r"""Pooling padding rule: at most half the kernel (PyTorch), or below the kernel (ONNX), per side.

    ONNX's text allows any padding; onnxruntime refuses ``pads >= kernel_shape``
    ("Pad should be smaller than kernel"), so ``convention="onnx"`` means :math:`p \le k - 1`.
    """
    if convention == "onnx":
        for side, value in (("before", p_b), ("after", p_a)):
            ok = value < k if isinstance(value, int) and isinstance(k, int) else sp.Lt(value, k)
            if is_false(ok):
                raise ValueError(f"{owner}: pads{axis} must be smaller than the kernel (p <= k - 1 = {k - 1}, "
                                 f"ONNX convention), got pads {side}={value} with kernel_shape={k}")
        return
    for side, value in (("before", p_b), ("after", p_a)):
        half = floordiv(k, 2)
        ok = value <= half if isinstance(value, int) and isinstance(half, int) else sp.Le(value, half)
        if is_false(ok):
            raise ValueError(
                f"{owner}: padding{axis} must be at most half the kernel size (p <= k//2 = {half}), "
                f"got padding {side}={value} with kernel_size={k}"
            )


def _output_padding_limit(s: Size, d: Size) -> Size:
    if isinstance(s, int) and isinstance(d, int):
        return max(s, d)
    return sp.Max(s, d)


def require_output_padding(a: Size, s: Size, d: Size, owner: str, axis: str = "") -> None:
    """PyTorch's rule: output_padding must be smaller than either stride or dilation."""
    limit = _output_padding_limit(s, d)
    ok = a < limit if isinstance(a, int) and isinstance(limit, int) else sp.Lt(a, limit)
    if is_false(ok):
        raise ValueError(
            f"{owner}: output_padding{axis} must be smaller than either stride or dilation "
            f"(output_padding < max(stride, dilation) = {limit}), got output_padding={a}"
        )


def require_unpool_output_size(o: Size, default: Size, s: Size, owner: str, axis: str = "") -> None:
    """PyTorch's ``_unpool_output_size``: an explicit size lies strictly within ``s`` of the default.

    Nothing else is asked of the default, which may be 0 or negative (e.g. pool k=2, p=1 on
    one element, unpooled to ``output_size=1``).
    """
    low, high = default - s, default + s
    if all(isinstance(v, int) for v in (o, low, high)):
        ok = low < o < high
    else:
        ok = not (is_false(sp.Gt(o, low)) or is_false(sp.Lt(o, high)))
    if not ok:
        raise ValueError(f"{owner}: output_size{axis}={o} must be strictly between {low} and {high} "
                         f"(default {default} +- stride)")


def require_positive_output(o: Size, owner: str, what: Any) -> None:
    """Raise when a derived output size is decided to be < 1.

    ``what`` names the cause: a string, or a function returning it (built only for the error).
    """
    ok = o >= 1 if isinstance(o, int) else sp.Ge(o, 1)
    if is_false(ok):
        raise ValueError(f"{owner}: {what() if callable(what) else what} gives a non-positive output size {o}")


# --------------------------------------------------------------------------- public, validated


def conv_output_size(i: Any, k: Any, s: Any = 1, p: Any = 0, d: Any = 1) -> Size:
    r"""Length of a convolution's output along one axis.

    Parameters
    ----------
    i, k, s, d : int or integer SymPy expression
        Input size, kernel size, stride, dilation (all >= 1).
    p : int, symbol, or (before, after) pair
        Zero padding (>= 0).

    Returns
    -------
    int or sympy.Expr
        :math:`\lfloor (i + p_b + p_a - d(k-1) - 1)/s \rfloor + 1`.

    Raises
    ------
    TypeError
        A size that is not an int or integer symbol.
    ValueError
        A size below its minimum, or a kernel larger than the padded input.

    Examples
    --------
    >>> conv_output_size(5, 3, s=2, p=1)
    3
    >>> conv_output_size(5, 3, p=(0, 1))
    4
    >>> from symconv.symbols import i, k, s, p
    >>> conv_output_size(i, k, s, p)
    floor((i - k + 2*p)/s) + 1

    Notes
    -----
    Dumoulin & Visin's relationship 15 (and 1-6 as special cases), PyTorch's
    ``_conv_output_size``.
    """
    owner = "conv_output_size"
    i, k, s, d = (as_size(v, n, 1, owner) for v, n in ((i, "i"), (k, "k"), (s, "s"), (d, "d")))
    p_b, p_a = padding_pair(p, "p", owner)
    require_kernel_fits(i, k, p_b, p_a, d, owner)
    return window_count_axis(i, k, s, p_b, p_a, d)


def conv_transpose_output_size(i: Any, k: Any, s: Any = 1, p: Any = 0, d: Any = 1,
                               output_padding: Any = 0) -> Size:
    r"""Length of a transposed convolution's output along one axis.

    Returns :math:`s(i-1) + d(k-1) + 1 - p_b - p_a + a` with ``a = output_padding``,
    which must satisfy ``a < max(s, d)`` (PyTorch).

    Examples
    --------
    >>> conv_transpose_output_size(2, 3)
    4
    >>> conv_transpose_output_size(3, 4, s=2, p=1)
    6
    >>> from symconv.symbols import i, k, s, p
    >>> conv_transpose_output_size(i, k, s, p)
    k - 2*p + s*(i - 1)
    """
    owner = "conv_transpose_output_size"
    i, k, s, d = (as_size(v, n, 1, owner) for v, n in ((i, "i"), (k, "k"), (s, "s"), (d, "d")))
    p_b, p_a = padding_pair(p, "p", owner)
    a = as_size(output_padding, "output_padding", 0, owner)
    require_output_padding(a, s, d, owner)
    o = transpose_size_axis(i, k, s, p_b, p_a, d, a)
    require_positive_output(o, owner, "padding larger than the full transposed result")
    return o


def pool_output_size(i: Any, k: Any, s: Any = None, p: Any = 0, d: Any = 1, ceil_mode: bool = False,
                     convention: str = "torch") -> Size:
    r"""Length of a pooling output along one axis (max or average pooling).

    ``s`` defaults to ``k``; padding is at most ``k // 2`` (``convention="onnx"``: up to ``k - 1`` per
    side). With ``ceil_mode`` the last window must start inside the input or the left padding, and may
    run past the padded end: a window larger than the padded input is accepted when
    :math:`d(k-1)+1 \le i + p_b + p_a + s - 1` (PyTorch; see :func:`window_fits`).

    Examples
    --------
    >>> pool_output_size(5, 2)
    2
    >>> pool_output_size(5, 2, ceil_mode=True)
    3
    >>> pool_output_size(5, 2, s=2, p=1, ceil_mode=True)  # a 4th window would start in the padding
    3
    >>> pool_output_size(2, 3, s=2, ceil_mode=True)        # one window, clipped (GoogLeNet's pool)
    1
    >>> pool_output_size(2, 3, s=2)
    Traceback (most recent call last):
    ...
    ValueError: pool_output_size: kernel_size with dilation spans d*(k-1)+1=3, larger than the padded input i+p_before+p_after=2 (input_size=2, padding=(0, 0))
    >>> pool_output_size(4, 3, s=1, p=2, convention="onnx")
    6
    """
    owner = "pool_output_size"
    i, k, d = (as_size(v, n, 1, owner) for v, n in ((i, "i"), (k, "k"), (d, "d")))
    s = k if s is None else as_size(s, "s", 1, owner)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"{owner}: ceil_mode must be a bool, got {ceil_mode!r}")
    p_b, p_a = padding_pair(p, "p", owner)
    if convention not in ("torch", "onnx"):
        raise ValueError(f"{owner}: convention must be 'torch' or 'onnx', got convention={convention!r}")
    require_pool_padding(k, p_b, p_a, owner, "", convention)
    require_kernel_fits(i, k, p_b, p_a, d, owner, "", s, ceil_mode)
    return window_count_axis(i, k, s, p_b, p_a, d, ceil_mode)


def unpool_output_size(i: Any, k: Any, s: Any = None, p: Any = 0) -> Size:
    r"""Default length of a max-unpooling output along one axis: :math:`s(i-1) + k - p_b - p_a`.

    Examples
    --------
    >>> unpool_output_size(2, 2)
    4
    >>> unpool_output_size(3, 3, s=2, p=1)
    5
    """
    owner = "unpool_output_size"
    i, k = (as_size(v, n, 1, owner) for v, n in ((i, "i"), (k, "k")))
    s = k if s is None else as_size(s, "s", 1, owner)
    p_b, p_a = padding_pair(p, "p", owner)
    o = unpool_size_axis(i, k, s, p_b, p_a)
    require_positive_output(o, owner, "padding larger than the unpooled window span")
    return o


def upsample_output_size(i: Any, size: Any = None, scale_factor: Any = None) -> Size:
    r"""Length of an interpolation output along one axis: ``size`` or :math:`\lfloor i f \rfloor`.

    Exactly one of ``size`` and ``scale_factor`` must be given.

    Examples
    --------
    >>> upsample_output_size(5, scale_factor=2)
    10
    >>> upsample_output_size(5, scale_factor=1.5)
    7
    >>> from symconv.symbols import i
    >>> upsample_output_size(i, scale_factor=2)
    2*i
    """
    owner = "upsample_output_size"
    i = as_size(i, "i", 1, owner)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{owner}: exactly one of size and scale_factor must be given, "
                         f"got size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        return as_size(size, "size", 1, owner)
    check_scale_factor(scale_factor, owner)
    o = resize_size_axis(i, None, scale_factor)
    require_positive_output(o, owner, f"scale_factor={scale_factor}")
    return o


def check_scale_factor(scale_factor: Any, owner: str, name: str = "scale_factor") -> None:
    """A scale factor is a finite positive real number (not a bool)."""
    if isinstance(scale_factor, bool) or not isinstance(scale_factor, (Real, sp.Rational)):
        raise TypeError(f"{owner}: {name} must be a positive number, got {scale_factor!r}")
    value = float(scale_factor)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a finite number > 0, got {name}={scale_factor!r}")


def lost_remainder(i: Any, k: Any, s: Any = 1, p: Any = 0, d: Any = 1) -> Size:
    r"""The output padding that makes a transposed conv restore ``i`` exactly.

    :math:`a = (i + p_b + p_a - d(k-1) - 1) \bmod s` (Rel. 14).

    Examples
    --------
    >>> lost_remainder(6, 3, s=2, p=1)
    1
    >>> conv_transpose_output_size(conv_output_size(6, 3, 2, 1), 3, 2, 1, output_padding=1)
    6
    """
    owner = "lost_remainder"
    i, k, s, d = (as_size(v, n, 1, owner) for v, n in ((i, "i"), (k, "k"), (s, "s"), (d, "d")))
    p_b, p_a = padding_pair(p, "p", owner)
    require_kernel_fits(i, k, p_b, p_a, d, owner)
    return lost_remainder_axis(i, k, s, p_b, p_a, d)


# --------------------------------------------------------------------------- ONNX conventions

#: ONNX's ``auto_pad`` values.
AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def _check_auto_pad(auto_pad: Any, owner: str) -> None:
    if auto_pad not in AUTO_PADS:
        raise ValueError(f"{owner}: auto_pad must be one of {', '.join(AUTO_PADS)}, got auto_pad={auto_pad!r}")


def _split(total: Size, odd_unit_first: bool) -> tuple[Size, Size]:
    r"""Split ``total`` padding in two; the odd unit goes first (SAME_LOWER) or last (SAME_UPPER).

    A negative total (cropping) splits as onnxruntime's C++ integer division does: the
    beginning gets :math:`\operatorname{trunc}(t/2)` (UPPER) or :math:`\operatorname{trunc}((t+1)/2)` (LOWER).
    """
    if isinstance(total, int) and total < 0:
        begin = -((-(total + 1)) // 2) if odd_unit_first else -((-total) // 2)
        return (begin, total - begin)
    half = floordiv(total, 2)
    return (total - half, half) if odd_unit_first else (half, total - half)


def _non_negative(value: Size) -> Size:
    return max(value, 0) if isinstance(value, int) else sp.Max(value, 0)


def auto_pad_axis(i: Size, k: Size, s: Size = 1, d: Size = 1, auto_pad: str = "SAME_UPPER",
                  owner: str = "auto_pad", clip: bool = True) -> tuple[Size, Size]:
    r"""The (begin, end) padding ONNX's ``auto_pad`` gives Conv and the pools on one axis.

    SAME_UPPER / SAME_LOWER target :math:`o = \lceil i/s \rceil`: the total is
    :math:`(o-1)s + d(k-1) + 1 - i`, its odd unit at the end (UPPER) or the beginning
    (LOWER). Conv clips the total at 0 (``clip``); the pools' text does not, so when the
    stride exceeds the window a negative total crops the input (``clip=False``, halved toward
    zero as onnxruntime). VALID (and NOTSET) pad nothing. With these pads the window count
    :func:`window_count_axis` is :math:`\lceil i/s \rceil` (SAME) or
    :math:`\lceil (i - d(k-1))/s \rceil` (VALID), the operators' documented sizes.

    Examples
    --------
    >>> auto_pad_axis(5, 2, 2), auto_pad_axis(5, 2, 2, auto_pad="SAME_LOWER")
    ((0, 1), (1, 0))
    >>> auto_pad_axis(4, 3, 1, 2, "SAME_LOWER")
    (2, 2)
    >>> auto_pad_axis(6, 1, 3, clip=False)  # windows at 1 and 4: the input is cropped by one on each side
    (-1, -1)
    >>> auto_pad_axis(6, 1, 3, auto_pad="SAME_LOWER", clip=False)  # windows at 0 and 3
    (0, -2)
    >>> from symconv.symbols import i, k
    >>> auto_pad_axis(i, k, 1)
    (floor(k/2 - 1/2), k - floor(k/2 - 1/2) - 1)
    """
    _check_auto_pad(auto_pad, owner)
    if auto_pad in ("NOTSET", "VALID"):
        return (0, 0)
    o = ceildiv(i, s)
    total = (o - 1) * s + effective_kernel(k, d) - i
    return _split(_non_negative(total) if clip else total, auto_pad == "SAME_LOWER")


def conv_transpose_pads_axis(i: Size, k: Size, s: Size = 1, d: Size = 1, output_padding: Size = 0,
                             output_shape: Size | None = None, auto_pad: str = "NOTSET",
                             owner: str = "ConvTranspose") -> tuple[Size, Size]:
    r"""ONNX ConvTranspose's generated (begin, end) padding on one axis.

    With ``output_shape`` (or SAME_* without it, which targets :math:`o = i s`) the total is
    :math:`s(i-1) + a + d(k-1) + 1 - o`; SAME_UPPER crops :math:`\lfloor total/2 \rfloor` at the
    beginning, SAME_LOWER and NOTSET put the odd unit at the beginning (the operator's text).
    A negative total (an output larger than the full result) is refused, as onnxruntime does.

    Examples
    --------
    >>> conv_transpose_pads_axis(3, 3, 2, output_shape=6)
    (1, 0)
    >>> conv_transpose_pads_axis(3, 3, 2, output_shape=6, auto_pad="SAME_UPPER")
    (0, 1)
    >>> conv_transpose_pads_axis(3, 4, 2, auto_pad="SAME_LOWER")
    (1, 1)
    """
    _check_auto_pad(auto_pad, owner)
    if output_shape is None:
        if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
            return (0, 0)
        output_shape = i * s
    total = transpose_size_axis(i, k, s, 0, 0, d, output_padding) - output_shape
    if is_false(total >= 0 if isinstance(total, int) else sp.Ge(total, 0)):
        raise ValueError(f"{owner}: output_shape {output_shape} is larger than the full transposed result "
                         f"s(i-1) + output_padding + d(k-1) + 1 = {output_shape + total} (input size {i})")
    return _split(total, auto_pad != "SAME_UPPER")


def resize_output_sizes(input_sizes: tuple, scales: tuple | None = None, sizes: tuple | None = None,
                        keep_aspect_ratio_policy: str = "stretch") -> tuple[tuple, tuple]:
    r"""ONNX Resize's output sizes and per-axis scales, exactly.

    With ``scales``: :math:`o = \lfloor i f \rfloor` and the scale is the given one (not
    recomputed). With ``sizes``: ``stretch`` takes them as they are, scale :math:`o/i`;
    ``not_larger`` / ``not_smaller`` take the common scale :math:`f = \min_j` / :math:`\max_j
    (\mathrm{sizes}_j / i_j)` and :math:`o = \lfloor f i + 1/2 \rfloor` (round half up) on every axis.
    Scales are exact (``Fraction`` for numbers, SymPy for symbols).

    Examples
    --------
    >>> resize_output_sizes((4, 6), sizes=(3, 3), keep_aspect_ratio_policy="not_larger")
    ((2, 3), (Fraction(1, 2), Fraction(1, 2)))
    >>> resize_output_sizes((5,), scales=(0.75,))
    ((3,), (Fraction(3, 4),))
    >>> from symconv.symbols import i
    >>> resize_output_sizes((i,), scales=(sp.Rational(3, 2),))[0]
    (floor(3*i/2),)
    """
    owner = "Resize"
    if (scales is None) == (sizes is None):
        raise ValueError(f"{owner}: exactly one of scales and sizes must be given, got scales={scales!r}, "
                         f"sizes={sizes!r}")
    symbolic = any(isinstance(v, sp.Basic) for v in input_sizes)
    exact = _exact_sympy if symbolic else _exact_fraction
    if scales is not None:
        factors = tuple(exact(f) for f in scales)
        return tuple(floordiv_exact(i * f) for i, f in zip(input_sizes, factors)), factors
    ratios = tuple(exact(o) / i if not symbolic else sp.sympify(o) / i for o, i in zip(sizes, input_sizes))
    if keep_aspect_ratio_policy == "stretch":
        return tuple(sizes), ratios
    if keep_aspect_ratio_policy not in ("not_larger", "not_smaller"):
        raise ValueError(f"{owner}: keep_aspect_ratio_policy must be one of stretch, not_larger, not_smaller, "
                         f"got keep_aspect_ratio_policy={keep_aspect_ratio_policy!r}")
    if symbolic:
        f = (sp.Min if keep_aspect_ratio_policy == "not_larger" else sp.Max)(*ratios)
    else:
        f = (min if keep_aspect_ratio_policy == "not_larger" else max)(ratios)
    return tuple(floordiv_exact(f * i + exact(1) / 2) for i in input_sizes), (f,) * len(input_sizes)


def _exact_fraction(value: Any) -> Fraction:
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(value.item() if hasattr(value, "item") else value)


def _exact_sympy(value: Any) -> sp.Expr:
    return value if isinstance(value, sp.Basic) else sp.Rational(_exact_fraction(value))


def floordiv_exact(value: Any) -> Size:
    """The floor of an exact rational (``int``) or of a SymPy expression."""
    return math.floor(value) if isinstance(value, (int, Fraction)) else sp.floor(value)
