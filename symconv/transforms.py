r"""Operators derived from forward specs: the transposed conv, its direct-conv form, unpooling, upsampling.

Everything reads a spec and :mod:`symconv.shapes`; nothing here redoes padding arithmetic:

* :func:`transpose_of` -- the transposed layer of a convolution (channels swapped, ``output_padding``
  defaulting to the lost remainder :math:`a = (i + p_b + p_a - d(k-1) - 1) \bmod s`, so that it
  restores the input size);
* :func:`as_direct_conv` -- the zero-insertion form of a transposed conv (Dumoulin & Visin,
  Rel. 12-14, with dilation): insert :math:`s-1` zeros between input units, pad by
  :math:`d(k-1) - p_b` before and :math:`d(k-1) - p_a + a` after, run a stride-1 conv with the same
  dilation and the *flipped* kernel (in/out channels swapped);
* :func:`dilated_kernel` -- a dilated kernel as a dense kernel of size :math:`d(k-1)+1`;
* :func:`nearest_as_transpose`, :func:`bilinear_as_transpose` -- upsampling as depthwise transposed
  convs (all-ones kernel; FCN's ``upsample_filt``);
* :func:`unpool_of` -- the max-unpooling that undoes a max pooling's size.

Examples
--------
>>> from symconv.spec import ConvSpec
>>> t = transpose_of(ConvSpec(3, stride=2, padding=1, input_size=6))
>>> t.input_size, t.output_padding, t.output_size
((3,), (1,), (6,))
>>> as_direct_conv(t).padding
((1, 2),)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from . import shapes
from .spec import ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec

__all__ = ["transpose_of", "DirectConv", "as_direct_conv", "zero_insert", "flip_kernel", "dilated_kernel",
           "undilated", "nearest_as_transpose", "bilinear_kernel", "bilinear_as_transpose", "bilinear_border",
           "unpool_of"]


def transpose_of(spec: ConvSpec, output_padding: Any = None) -> ConvTransposeSpec:
    r"""The transposed convolution of ``spec``: same kernel, stride, padding, dilation and groups,
    channels swapped.

    Parameters
    ----------
    spec : ConvSpec
    output_padding : int, symbol or per-dimension, optional
        Default: the lost remainder :math:`a` when ``spec.input_size`` is known (the transposed layer
        then maps ``spec.output_size`` back to exactly ``spec.input_size``), else 0.

    Returns
    -------
    ConvTransposeSpec
        With ``input_size = spec.output_size`` when known.

    Examples
    --------
    >>> transpose_of(ConvSpec(3, stride=2, input_size=7)).output_size
    (7,)
    >>> transpose_of(ConvSpec(3, stride=2, input_size=8)).output_padding
    (1,)
    >>> from symconv.symbols import i, k, s, p
    >>> transpose_of(ConvSpec(k, s, p, input_size=i)).output_size[0] - i
    -i + k - 2*p + s*floor((i - k + 2*p)/s) + Mod(i - k + 2*p, s)
    """
    if not isinstance(spec, ConvSpec):
        raise TypeError(f"transpose_of: expected a ConvSpec, got {type(spec).__name__}")
    if output_padding is None:
        if spec.input_size is None:
            output_padding = 0
        else:
            output_padding = tuple(shapes.lost_remainder_axis(i, k, s, pb, pa, d) for i, k, s, (pb, pa), d in
                                   zip(spec.input_size, spec.kernel_size, spec.stride, spec.padding,
                                       spec.dilation))
    input_size = None if spec.input_size is None else spec.output_size
    return ConvTransposeSpec(spec.kernel_size, spec.stride, spec.padding, output_padding, spec.dilation,
                             in_channels=spec.out_channels, out_channels=spec.in_channels, groups=spec.groups,
                             input_size=input_size, ndim=spec.ndim)


@dataclass(frozen=True)
class DirectConv:
    r"""The zero-insertion form of a transposed convolution.

    Attributes
    ----------
    stretch : tuple
        Zero-insertion factor per axis (the transposed conv's stride): ``s - 1`` zeros between units.
    stretched_size : tuple or None
        :math:`s(i'-1)+1` per axis.
    padding : tuple of pairs
        :math:`(d(k-1) - p_b,\ d(k-1) - p_a + a)`; negative entries mean cropping.
    kernel_size, dilation : tuple
        Unchanged; the stride of the direct conv is 1.
    spec : ConvSpec or None
        The stride-1 convolution (in/out channels swapped back) when every padding is >= 0.
    """

    stretch: tuple
    stretched_size: tuple | None
    padding: tuple
    kernel_size: tuple
    dilation: tuple
    groups: Any
    spec: ConvSpec | None


def as_direct_conv(tspec: ConvTransposeSpec) -> DirectConv:
    r"""The stride-1 convolution of the zero-inserted input that equals ``tspec`` (with :func:`flip_kernel`).

    Examples
    --------
    >>> d = as_direct_conv(ConvTransposeSpec(3, stride=2, padding=1, output_padding=1, input_size=3))
    >>> d.stretch, d.stretched_size, d.padding, d.spec.output_size
    ((2,), (5,), ((1, 2),), (6,))
    >>> from symconv.symbols import k, s, d as dil, p_b, p_a, a
    >>> as_direct_conv(ConvTransposeSpec(k, s, ((p_b, p_a),), a, dil)).padding
    ((d*(k - 1) - p_b, a + d*(k - 1) - p_a),)
    """
    if not isinstance(tspec, ConvTransposeSpec):
        raise TypeError(f"as_direct_conv: expected a ConvTransposeSpec, got {type(tspec).__name__}")
    pads = []
    for k, d, (pb, pa), a in zip(tspec.kernel_size, tspec.dilation, tspec.padding, tspec.output_padding):
        full = shapes.effective_kernel(k, d) - 1
        pads.append((full - pb, full - pa + a))
    pads = tuple(pads)
    stretched = None
    if tspec.input_size is not None:
        stretched = tuple(shapes.transpose_size_axis(i, 1, s, 0, 0) for i, s in zip(tspec.input_size, tspec.stride))
    spec = None
    nonneg = all(not (isinstance(v, int) and v < 0) for pair in pads for v in pair)
    if nonneg and all(isinstance(v, int) or sp.sympify(v).is_nonnegative is not False for pair in pads for v in pair):
        try:
            spec = ConvSpec(tspec.kernel_size, 1, pads, tspec.dilation, in_channels=tspec.in_channels,
                            out_channels=tspec.out_channels, groups=tspec.groups, input_size=stretched,
                            ndim=tspec.ndim)
        except (ValueError, TypeError):
            spec = None
    return DirectConv(tuple(tspec.stride), stretched, pads, tuple(tspec.kernel_size), tuple(tspec.dilation),
                      tspec.groups, spec)


def zero_insert(x: Any, stretch: Any, ndim: int | None = None) -> np.ndarray:
    r"""Insert ``stretch - 1`` zeros between neighbouring units along the last ``ndim`` axes.

    Examples
    --------
    >>> zero_insert([1, 2, 3], 2).tolist()
    [1, 0, 2, 0, 3]
    >>> zero_insert([[1, 2], [3, 4]], (2, 1)).tolist()
    [[1, 2], [0, 0], [3, 4]]
    """
    x = np.asarray(x)
    stretch = tuple(stretch) if isinstance(stretch, (tuple, list)) else (stretch,) * (ndim or x.ndim)
    ndim = len(stretch)
    lead = x.shape[: x.ndim - ndim]
    sizes = x.shape[x.ndim - ndim:]
    out = np.zeros(lead + tuple(shapes.transpose_size_axis(n, 1, s, 0, 0) for n, s in zip(sizes, stretch)),
                   dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(None, None, s) for s in stretch)] = x
    return out


def flip_kernel(weight: Any, groups: int = 1, ndim: int | None = None) -> np.ndarray:
    r"""The direct-conv weight of a transposed conv: spatially flipped, in/out channels swapped per group.

    ``weight`` has the transposed layout ``(C_in, C_out/G, *k)`` (or ``k`` alone); the result has the
    conv layout ``(C_out, C_in/G, *k)``.

    Examples
    --------
    >>> flip_kernel([1, 2, 3]).tolist()
    [3, 2, 1]
    >>> flip_kernel(np.arange(4).reshape(2, 1, 2), groups=2).tolist()
    [[[1, 0]], [[3, 2]]]
    """
    w = np.asarray(weight)
    if ndim is None and w.ndim <= 1:
        return w[::-1].copy()
    ndim = w.ndim - 2 if ndim is None else ndim
    if w.ndim == ndim:
        return w[(slice(None, None, -1),) * ndim].copy()
    c_in, c_out_g = w.shape[:2]
    cin_g = c_in // groups
    blocks = w.reshape((groups, cin_g, c_out_g) + w.shape[2:])
    swapped = np.swapaxes(blocks, 1, 2).reshape((groups * c_out_g, cin_g) + w.shape[2:])
    return swapped[(Ellipsis,) + (slice(None, None, -1),) * ndim].copy()


def dilated_kernel(weight: Any, dilation: Any, ndim: int | None = None) -> np.ndarray:
    r"""A dilated kernel as a dense one of size :math:`d(k-1)+1`: :math:`d-1` zeros between taps.

    Examples
    --------
    >>> dilated_kernel([1, 2, 3], 2).tolist()
    [1, 0, 2, 0, 3]
    """
    w = np.asarray(weight)
    ndim = w.ndim if ndim is None else ndim
    return zero_insert(w, dilation, ndim)


def undilated(spec: ConvSpec) -> ConvSpec:
    r"""The same convolution with the zero-inserted kernel (size :math:`d(k-1)+1`) and dilation 1.

    Examples
    --------
    >>> undilated(ConvSpec(3, dilation=2, input_size=7)).kernel_size
    (5,)
    """
    return ConvSpec(tuple(shapes.effective_kernel(k, d) for k, d in zip(spec.kernel_size, spec.dilation)),
                    spec.stride, spec.padding, 1, spec.in_channels, spec.out_channels, spec.groups,
                    input_size=spec.input_size, ndim=spec.ndim)


def nearest_as_transpose(f: int, channels: int = 1, ndim: int = 1, input_size: Any = None
                         ) -> tuple[ConvTransposeSpec, np.ndarray]:
    r"""Nearest upsampling by an integer factor ``f`` as a depthwise transposed conv.

    All-ones kernel ``f x ... x f``, stride ``f``, padding 0, ``groups = channels``.

    Examples
    --------
    >>> spec, w = nearest_as_transpose(3, input_size=2)
    >>> spec.output_size, w.tolist()
    ((6,), [[[1, 1, 1]]])
    """
    spec = ConvTransposeSpec((f,) * ndim, f, 0, 0, 1, channels, channels, channels, input_size=input_size,
                             ndim=ndim)
    return spec, np.ones(spec.weight_shape, dtype=np.int64)


def bilinear_kernel(size: int) -> list:
    r"""FCN's ``upsample_filt`` along one axis, as exact rationals.

    factor :math:`= \lfloor (K+1)/2 \rfloor`, centre :math:`=` factor :math:`- 1` (odd ``K``) or
    factor :math:`- 1/2` (even ``K``), weight :math:`1 - |x - \mathrm{centre}|/\mathrm{factor}`.

    Examples
    --------
    >>> bilinear_kernel(4)
    [1/4, 3/4, 3/4, 1/4]
    >>> bilinear_kernel(5)
    [1/3, 2/3, 1, 2/3, 1/3]
    """
    factor = (size + 1) // 2
    centre = sp.Integer(factor - 1) if size % 2 == 1 else sp.Rational(2 * factor - 1, 2)
    return [1 - abs(x - centre) / factor for x in range(size)]


def bilinear_as_transpose(f: int, channels: int = 1, ndim: int = 2, input_size: Any = None
                          ) -> tuple[ConvTransposeSpec, np.ndarray]:
    r"""Bilinear upsampling by ``f`` (``align_corners=False``) as a depthwise transposed conv.

    Kernel :math:`2f - f \bmod 2` (FCN's bilinear weights, outer product over axes), stride ``f``,
    padding :math:`\lceil (f-1)/2 \rceil`, ``groups = channels``. It equals interpolation except on a
    border band of :func:`bilinear_border` outputs at each end of every axis.

    Examples
    --------
    >>> spec, w = bilinear_as_transpose(2, ndim=1, input_size=3)
    >>> spec.kernel_size, spec.padding, spec.output_size, w.ravel().tolist()
    ((4,), ((1, 1),), (6,), [1/4, 3/4, 3/4, 1/4])
    """
    size = 2 * f - f % 2
    pad = shapes.ceildiv(f - 1, 2)
    spec = ConvTransposeSpec((size,) * ndim, f, pad, 0, 1, channels, channels, channels, input_size=input_size,
                             ndim=ndim)
    axis = np.array(bilinear_kernel(size), dtype=object)
    kernel = axis
    for _ in range(ndim - 1):
        kernel = np.multiply.outer(kernel, axis)
    weight = np.empty(spec.weight_shape, dtype=object)
    weight[...] = kernel
    return spec, weight


def bilinear_border(f: int) -> int:
    r"""Width :math:`\lfloor f/2 \rfloor` of the band where :func:`bilinear_as_transpose` differs from
    interpolation (at each end of every axis; zero-padding vs edge clamping).

    Examples
    --------
    >>> [bilinear_border(f) for f in range(1, 7)]
    [0, 1, 1, 2, 2, 3]
    """
    return shapes.floordiv(f, 2)


def unpool_of(spec: MaxPoolSpec) -> MaxUnpoolSpec:
    r"""The max-unpooling matching a max pooling: input = the pooled size, output pinned to the
    pooled input size (which lies within PyTorch's accepted range when ``dilation = 1`` and
    ``ceil_mode`` is off).

    Examples
    --------
    >>> unpool_of(MaxPoolSpec(2, input_size=5)).output_size
    (5,)
    """
    if not isinstance(spec, MaxPoolSpec):
        raise TypeError(f"unpool_of: expected a MaxPoolSpec, got {type(spec).__name__}")
    if any(d != 1 for d in spec.dilation):
        raise ValueError(f"unpool_of: max-unpooling has no dilation (pytorch#68589), got dilation={spec.dilation}")
    input_size = None if spec.input_size is None else spec.output_size
    return MaxUnpoolSpec(spec.kernel_size, spec.stride, spec.padding, input_size=input_size,
                         pinned_output_size=spec.input_size if input_size is not None else None, ndim=spec.ndim)
