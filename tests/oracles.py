"""Direct-loop NumPy reference implementations ("oracles") with PyTorch semantics.

These functions are deliberately naive: every output position and every kernel
tap is visited by an explicit Python loop, so each result can be read off the
definition.  They are meant for tiny test sizes only and are independent of the
``symconv`` package.

Conventions
-----------
* Arrays use the layout ``(N, C, *spatial)`` with any number (>= 1) of spatial
  dimensions.
* Per-dimension parameters (``stride``, ``dilation``, ``kernel_size``, ...)
  may be given as an int (same value for every spatial axis) or as a sequence
  with one entry per spatial axis.
* ``padding`` is a sequence of ``(before, after)`` pairs, one pair per spatial
  axis (an int ``p`` or a sequence of ints is also accepted and means
  symmetric padding).
* Output sizes are obtained from the brute-force counters :func:`count_windows`
  and :func:`conv_transpose_size` (never from the closed formulas), so the
  oracles and the counters are checked together against PyTorch.

Numerical choices for :func:`upsample_loop` (PyTorch 2.13 CPU, float64 input)
------------------------------------------------------------------------------
PyTorch has two CPU code paths for nearest modes and they round differently;
``upsample_loop(..., nearest_kernel=...)`` selects one (default: the one torch
picks for a contiguous NC(D)HW float64 tensor: ``'vectorized'`` iff there are
exactly two spatial axes and ``out_H + out_W <= 128``, else ``'generic'``;
torch's other trigger, channels-last with C > 3, only happens for a 1x1
input plane here, where every index is 0 anyway).

* ``'generic'`` (``HelperInterpNearest[Exact]``): float64 step
  ``r = 1/scale_factor`` or ``in/out``; nearest index
  ``floor(float32(r * dst))``; nearest-exact index
  ``floor(float32(max(r*(dst + 0.5) - 0.5, 0) + 0.5))`` (torch calls
  ``floorf`` on a double, i.e. rounds to float32 first).
* ``'vectorized'`` (``nearest_idx`` / ``nearest_exact_idx``): float32 step
  ``float32(1/scale_factor)`` or ``float32(in)/float32(out)``; nearest index
  ``floor(float32(dst) * r)`` in float32 arithmetic, with fast paths: an axis
  with ``out == in`` is copied and one with ``out == 2*in`` uses ``dst // 2``
  whatever the scale factor; nearest-exact index
  ``floor(float32((dst + 0.5) * r))`` (product in float64), no fast path.
* Both clamp the index to ``in - 1``.  Example: in=5, scale_factor=1.1
  (out=5) gives ``[0, 0, 1, 2, 3]`` generically but a copy when vectorized.

Linear family and ``'bicubic'``: float64 coordinates and weights.  The integer
part is ``floor(float32(src))`` (torch's ``floorf``), clamped to ``in - 1``,
and ``lambda = clip(src - index, 0, 1)``; this only differs from a float64
floor for ``src`` within ~1e-7 of an integer, where both give nearly the same
value.  Linear modes copy an axis whose output size equals its input size
(even when a scale factor != 1 was given); bicubic has no such special case.
The step for these modes is ``(in-1)/(out-1)`` (0 if out=1) with
``align_corners``, else ``1/scale_factor`` if given, else ``in/out``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

IntOrSeq = int | Sequence[int]
Padding = int | Sequence[int] | Sequence[Sequence[int]]


# ---------------------------------------------------------------------------
# argument helpers
# ---------------------------------------------------------------------------


def _per_dim(value: IntOrSeq, ndim: int) -> tuple[int, ...]:
    """Expand an int or a sequence to a tuple with one int per spatial axis.

    Parameters
    ----------
    value : int or sequence of int
        Scalar (broadcast to every axis) or per-axis values.
    ndim : int
        Number of spatial axes.

    Returns
    -------
    tuple of int
        ``ndim`` values.
    """
    if isinstance(value, (int, np.integer)):
        return (int(value),) * ndim
    values = tuple(int(v) for v in value)
    assert len(values) == ndim, (values, ndim)
    return values


def _pad_pairs(padding: Padding, ndim: int) -> tuple[tuple[int, int], ...]:
    """Normalise ``padding`` to one ``(before, after)`` pair per spatial axis.

    Parameters
    ----------
    padding : int, sequence of int, or sequence of (int, int)
        An int or a flat sequence means symmetric padding; pairs are used
        as given.
    ndim : int
        Number of spatial axes.

    Returns
    -------
    tuple of (int, int)
        ``ndim`` pairs ``(before, after)``.
    """
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * ndim
    items = list(padding)
    assert len(items) == ndim, (items, ndim)
    pairs = []
    for item in items:
        if isinstance(item, (int, np.integer)):
            pairs.append((int(item), int(item)))
        else:
            before, after = item
            pairs.append((int(before), int(after)))
    return tuple(pairs)


def _flat_index(position: Sequence[int], shape: Sequence[int]) -> int:
    """Row-major flat index of ``position`` inside an array of ``shape``.

    Parameters
    ----------
    position : sequence of int
        Multi-index (the formula is applied even to out-of-range entries,
        which :func:`max_pool_loop` needs to mimic PyTorch).
    shape : sequence of int
        Array shape.

    Returns
    -------
    int
        ``sum(position[j] * prod(shape[j+1:]))``.
    """
    flat = 0
    for index, size in zip(position, shape):
        flat = flat * size + index
    return flat


# ---------------------------------------------------------------------------
# brute-force size counters
# ---------------------------------------------------------------------------


def count_windows(
    i: int,
    k: int,
    s: int,
    p_b: int,
    p_a: int,
    d: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Count window placements along one axis by enumeration.

    The input occupies positions ``0 .. i-1``; the padded input occupies
    ``-p_b .. i+p_a-1``.  Window ``r`` starts at ``-p_b + r*s`` and its taps
    are ``start + t*d`` for ``t = 0 .. k-1`` (extent ``start .. start+d(k-1)``).

    * A window counts if its whole extent lies inside the padded input.
    * With ``ceil_mode`` the first window that runs past the right end of the
      padded input also counts, provided that (a) the previous window (for
      ``r = 0`` the virtual window starting at ``-p_b - s``) did not already
      reach the last padded position, i.e. the partial window covers a padded
      position no earlier window covered, and (b) it starts inside the input
      or the left padding (``start < i``) -- PyTorch drops windows that start
      in the right padding.

    Parameters
    ----------
    i : int
        Input size.
    k : int
        Kernel size (number of taps).
    s : int
        Stride.
    p_b, p_a : int
        Padding before / after the input.
    d : int, optional
        Dilation.
    ceil_mode : bool, optional
        Count the final partial window as described above.

    Returns
    -------
    int
        Number of windows (0 when none fits; PyTorch raises in that case).
    """
    last = i + p_a - 1  # last position of the padded input
    extent = d * (k - 1)
    count = 0
    r = 0
    while True:
        start = -p_b + r * s
        end = start + extent
        if end <= last:
            count += 1
            r += 1
            continue
        if ceil_mode:
            previous_end = start - s + extent
            if previous_end < last and start < i:
                count += 1
        return count


def conv_transpose_size(
    i: int,
    k: int,
    s: int,
    p_b: int,
    p_a: int,
    d: int = 1,
    output_padding: int = 0,
) -> int:
    """Output size of a transposed convolution along one axis, by enumeration.

    Every input position ``c`` and tap ``t`` writes to ``m = c*s + t*d - p_b``
    (the full result cropped by ``p_b`` at the start).  The size is the largest
    written ``m`` plus one, minus the ``p_a`` positions cropped at the end,
    plus ``output_padding``.

    Parameters
    ----------
    i : int
        Input size.
    k : int
        Kernel size.
    s : int
        Stride.
    p_b, p_a : int
        Cropping (PyTorch's ``padding``) at the start / end.
    d : int, optional
        Dilation.
    output_padding : int, optional
        Extra positions appended at the end.

    Returns
    -------
    int
        Output size; a value <= 0 means PyTorch would raise.
    """
    largest = None
    for c in range(i):
        for t in range(k):
            m = c * s + t * d - p_b
            if largest is None or m > largest:
                largest = m
    assert largest is not None
    return largest + 1 - p_a + output_padding


# ---------------------------------------------------------------------------
# convolution
# ---------------------------------------------------------------------------


def conv_loop(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrSeq = 1,
    padding: Padding = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
) -> np.ndarray:
    """N-d cross-correlation with zero padding (``torch.nn.functional.convNd``).

    ``out[n, co, o] = bias[co] + sum_{ci, t} x[n, g*Cin_g + ci, o*s + t*d - p_b]
    * weight[co, ci, t]`` where ``g = co // Cout_g`` and out-of-range input
    positions read as zero.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *i)
        Input.
    weight : ndarray, shape (C_out, C_in // groups, *k)
        Filters.
    bias : ndarray, shape (C_out,), optional
        Added to every output position.
    stride, dilation : int or sequence of int, optional
        Per-axis stride and dilation.
    padding : int, sequence of int, or sequence of (int, int), optional
        Per-axis ``(before, after)`` zero padding.
    groups : int, optional
        Number of channel groups.

    Returns
    -------
    ndarray, shape (N, C_out, *o)
        float64 result with ``o = floor((i + p_b + p_a - d(k-1) - 1)/s) + 1``.
    """
    ndim = x.ndim - 2
    strides = _per_dim(stride, ndim)
    dilations = _per_dim(dilation, ndim)
    pads = _pad_pairs(padding, ndim)
    batch, c_in = x.shape[:2]
    c_out = weight.shape[0]
    in_size = x.shape[2:]
    kernel = weight.shape[2:]
    c_in_group = c_in // groups
    c_out_group = c_out // groups
    assert weight.shape[1] == c_in_group
    out_size = tuple(
        count_windows(in_size[a], kernel[a], strides[a], pads[a][0], pads[a][1], dilations[a])
        for a in range(ndim)
    )
    out = np.zeros((batch, c_out) + out_size, dtype=np.float64)
    for n in range(batch):
        for co in range(c_out):
            group = co // c_out_group
            for o in itertools.product(*(range(size) for size in out_size)):
                total = 0.0 if bias is None else float(bias[co])
                for ci in range(c_in_group):
                    channel = group * c_in_group + ci
                    for t in itertools.product(*(range(size) for size in kernel)):
                        position = tuple(
                            o[a] * strides[a] + t[a] * dilations[a] - pads[a][0]
                            for a in range(ndim)
                        )
                        if all(0 <= position[a] < in_size[a] for a in range(ndim)):
                            total += float(x[(n, channel) + position]) * float(
                                weight[(co, ci) + t]
                            )
                out[(n, co) + o] = total
    return out


def conv_transpose_scatter(
    y: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrSeq = 1,
    padding: Padding = 0,
    output_padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
) -> np.ndarray:
    """N-d transposed convolution by its scatter definition.

    Every input position ``c`` of channel ``ci`` and every tap ``t`` adds
    ``y[n, ci, c] * weight[ci, co, t]`` to output position
    ``m = c*s + t*d - p_b`` of channel ``g*Cout_g + co`` (``g = ci // Cin_g``);
    writes outside ``[0, o)`` are dropped.  The bias is added everywhere
    (including the ``output_padding`` positions).

    Parameters
    ----------
    y : ndarray, shape (N, C_in, *i)
        Input.
    weight : ndarray, shape (C_in, C_out // groups, *k)
        Filters (PyTorch's ConvTranspose layout).
    bias : ndarray, shape (C_out,), optional
        Added to every output position.
    stride, dilation : int or sequence of int, optional
        Per-axis stride and dilation.
    padding : int, sequence of int, or sequence of (int, int), optional
        Per-axis ``(before, after)`` cropping of the full result.
    output_padding : int or sequence of int, optional
        Positions appended at the end of each axis.
    groups : int, optional
        Number of channel groups.

    Returns
    -------
    ndarray, shape (N, C_out, *o)
        float64 result with ``o = s(i-1) + d(k-1) + 1 - p_b - p_a + output_padding``.
    """
    ndim = y.ndim - 2
    strides = _per_dim(stride, ndim)
    dilations = _per_dim(dilation, ndim)
    out_pads = _per_dim(output_padding, ndim)
    pads = _pad_pairs(padding, ndim)
    batch, c_in = y.shape[:2]
    in_size = y.shape[2:]
    kernel = weight.shape[2:]
    c_in_group = c_in // groups
    c_out_group = weight.shape[1]
    c_out = c_out_group * groups
    assert weight.shape[0] == c_in
    out_size = tuple(
        conv_transpose_size(
            in_size[a], kernel[a], strides[a], pads[a][0], pads[a][1], dilations[a], out_pads[a]
        )
        for a in range(ndim)
    )
    out = np.zeros((batch, c_out) + out_size, dtype=np.float64)
    for n in range(batch):
        for ci in range(c_in):
            group = ci // c_in_group
            for c in itertools.product(*(range(size) for size in in_size)):
                value = float(y[(n, ci) + c])
                for co in range(c_out_group):
                    channel = group * c_out_group + co
                    for t in itertools.product(*(range(size) for size in kernel)):
                        m = tuple(
                            c[a] * strides[a] + t[a] * dilations[a] - pads[a][0]
                            for a in range(ndim)
                        )
                        if all(0 <= m[a] < out_size[a] for a in range(ndim)):
                            out[(n, channel) + m] += value * float(weight[(ci, co) + t])
    if bias is not None:
        for co in range(c_out):
            out[:, co] += float(bias[co])
    return out


# ---------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------


def max_pool_loop(
    x: np.ndarray,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: Padding = 0,
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """N-d max pooling with PyTorch's ``return_indices`` convention.

    Padding positions never win (they act as ``-inf`` and are skipped).  Taps
    are scanned in row-major order; a tap replaces the current best if its
    value is strictly greater or is NaN.  Hence the first maximum wins ties,
    and a NaN propagates (if several taps are NaN, the last one's index is
    reported, as in PyTorch's CPU kernel).  If every in-bounds value is
    ``-inf`` the first in-bounds tap is reported.  A dilated window can miss
    the input entirely (e.g. i=1, k=2, d=2, p=1); like torch, the result is
    then ``-inf`` with the (out-of-range) row-major index of the first tap at
    a non-negative coordinate on every axis.

    Parameters
    ----------
    x : ndarray, shape (N, C, *i)
        Input.
    kernel_size : int or sequence of int
        Window size.
    stride : int or sequence of int, optional
        Defaults to ``kernel_size``.
    padding : int, sequence of int, or sequence of (int, int), optional
        Per-axis ``(before, after)`` padding.
    dilation : int or sequence of int, optional
        Per-axis dilation.
    ceil_mode : bool, optional
        Use PyTorch's ceil-mode output size (see :func:`count_windows`).

    Returns
    -------
    values : ndarray, shape (N, C, *o)
        Maxima, same dtype as ``x``.
    indices : ndarray of int64, shape (N, C, *o)
        Row-major flat positions of the maxima within one ``(n, c)`` plane of
        the unpadded input.
    """
    ndim = x.ndim - 2
    kernel = _per_dim(kernel_size, ndim)
    strides = kernel if stride is None else _per_dim(stride, ndim)
    dilations = _per_dim(dilation, ndim)
    pads = _pad_pairs(padding, ndim)
    batch, channels = x.shape[:2]
    in_size = x.shape[2:]
    out_size = tuple(
        count_windows(
            in_size[a], kernel[a], strides[a], pads[a][0], pads[a][1], dilations[a], ceil_mode
        )
        for a in range(ndim)
    )
    values = np.zeros((batch, channels) + out_size, dtype=x.dtype)
    indices = np.zeros((batch, channels) + out_size, dtype=np.int64)
    for n in range(batch):
        for c in range(channels):
            for o in itertools.product(*(range(size) for size in out_size)):
                # Initial answer (kept if no tap beats -inf): the first tap at
                # a non-negative coordinate on every axis.  It is in-bounds
                # whenever the window has an in-bounds tap; otherwise (only
                # possible with dilation) torch reports this out-of-range
                # position with value -inf, and so do we.
                first = []
                for a in range(ndim):
                    coordinate = o[a] * strides[a] - pads[a][0]
                    while coordinate < 0:
                        coordinate += dilations[a]
                    first.append(coordinate)
                best_value = -math.inf
                best_index = _flat_index(first, in_size)
                for t in itertools.product(*(range(size) for size in kernel)):
                    position = tuple(
                        o[a] * strides[a] + t[a] * dilations[a] - pads[a][0]
                        for a in range(ndim)
                    )
                    if not all(0 <= position[a] < in_size[a] for a in range(ndim)):
                        continue  # padding never wins
                    value = float(x[(n, c) + position])
                    if value > best_value or math.isnan(value):
                        best_value = value
                        best_index = _flat_index(position, in_size)
                values[(n, c) + o] = best_value
                indices[(n, c) + o] = best_index
    return values, indices


def avg_pool_loop(
    x: np.ndarray,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: Padding = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    """N-d average pooling (no dilation) with PyTorch's divisor rule.

    The sum runs over the in-bounds taps.  The divisor is, per axis and then
    multiplied over axes, the number of window positions inside the padded
    input ``[-p_b, i + p_a)`` (``count_include_pad=True``; a ceil-mode window
    running past the right padding is clipped) or inside the input ``[0, i)``
    (``count_include_pad=False``).

    Parameters
    ----------
    x : ndarray, shape (N, C, *i)
        Input.
    kernel_size : int or sequence of int
        Window size.
    stride : int or sequence of int, optional
        Defaults to ``kernel_size``.
    padding : int, sequence of int, or sequence of (int, int), optional
        Per-axis ``(before, after)`` zero padding.
    ceil_mode : bool, optional
        Use PyTorch's ceil-mode output size.
    count_include_pad : bool, optional
        Whether padding positions count in the divisor.

    Returns
    -------
    ndarray, shape (N, C, *o)
        float64 averages.
    """
    ndim = x.ndim - 2
    kernel = _per_dim(kernel_size, ndim)
    strides = kernel if stride is None else _per_dim(stride, ndim)
    pads = _pad_pairs(padding, ndim)
    batch, channels = x.shape[:2]
    in_size = x.shape[2:]
    out_size = tuple(
        count_windows(in_size[a], kernel[a], strides[a], pads[a][0], pads[a][1], 1, ceil_mode)
        for a in range(ndim)
    )
    out = np.zeros((batch, channels) + out_size, dtype=np.float64)
    for n in range(batch):
        for c in range(channels):
            for o in itertools.product(*(range(size) for size in out_size)):
                total = 0.0
                divisor = 0
                for t in itertools.product(*(range(size) for size in kernel)):
                    position = tuple(o[a] * strides[a] + t[a] - pads[a][0] for a in range(ndim))
                    in_input = all(0 <= position[a] < in_size[a] for a in range(ndim))
                    in_padded = all(
                        -pads[a][0] <= position[a] < in_size[a] + pads[a][1] for a in range(ndim)
                    )
                    if in_input:
                        total += float(x[(n, c) + position])
                    if in_input or (count_include_pad and in_padded):
                        divisor += 1
                out[(n, c) + o] = total / divisor
    return out


def max_unpool_loop(
    x: np.ndarray,
    indices: np.ndarray,
    output_size: Sequence[int],
) -> np.ndarray:
    """N-d max unpooling as a scatter-assign (``torch.nn.functional.max_unpoolNd``).

    Parameters
    ----------
    x : ndarray, shape (N, C, *i)
        Values to place.
    indices : ndarray of int, shape (N, C, *i)
        Row-major flat positions within one ``(n, c)`` plane of the output.
    output_size : sequence of int
        Spatial output shape (one entry per spatial axis).

    Returns
    -------
    ndarray, shape (N, C, *output_size)
        Zeros except at the indexed positions; input positions are visited in
        row-major order, so when two share an index the last write wins.
    """
    ndim = x.ndim - 2
    out_size = tuple(int(v) for v in output_size)
    assert len(out_size) == ndim
    batch, channels = x.shape[:2]
    plane = int(np.prod(out_size))
    out = np.zeros((batch, channels, plane), dtype=x.dtype)
    for n in range(batch):
        for c in range(channels):
            for position in itertools.product(*(range(size) for size in x.shape[2:])):
                flat = int(indices[(n, c) + position])
                assert 0 <= flat < plane, "invalid max index"
                out[n, c, flat] = x[(n, c) + position]
    return out.reshape((batch, channels) + out_size)


# ---------------------------------------------------------------------------
# interpolation
# ---------------------------------------------------------------------------


def _cubic_weight(distance: float, a: float = -0.75) -> float:
    """Keys cubic convolution kernel ``W(x)`` with parameter ``a``.

    Parameters
    ----------
    distance : float
        Signed distance between the sample and the tap.
    a : float, optional
        Kernel parameter (PyTorch uses -0.75).

    Returns
    -------
    float
        ``(a+2)|x|^3 - (a+3)|x|^2 + 1`` for ``|x| <= 1``,
        ``a|x|^3 - 5a|x|^2 + 8a|x| - 4a`` for ``1 < |x| < 2``, else 0.
    """
    x = abs(distance)
    if x <= 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    if x < 2.0:
        return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return 0.0


def _axis_taps(
    dst: int,
    in_size: int,
    out_size: int,
    mode: str,
    align_corners: bool,
    scale_factor: float | None,
    nearest_kernel: str,
) -> list[tuple[int, float]]:
    """Source taps ``(index, weight)`` of output position ``dst`` along one axis.

    Parameters
    ----------
    dst : int
        Output index.
    in_size, out_size : int
        Input and output sizes of the axis.
    mode : str
        Interpolation mode (see :func:`upsample_loop`).
    align_corners : bool
        Corner alignment (linear family and bicubic only).
    scale_factor : float or None
        User scale factor of this axis, if one was given.
    nearest_kernel : {'generic', 'vectorized'}
        Which PyTorch code path to reproduce for the nearest modes (see the
        module docstring).

    Returns
    -------
    list of (int, float)
        Source indices (in ``[0, in_size)``) with their weights.
    """
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        if nearest_kernel == "vectorized":
            if not exact and out_size == in_size:
                return [(dst, 1.0)]
            if not exact and out_size == 2 * in_size:
                return [(dst // 2, 1.0)]
            if scale_factor is not None and scale_factor > 0:
                r32 = np.float32(1.0 / scale_factor)
            else:
                r32 = np.float32(in_size) / np.float32(out_size)
            if exact:
                src = math.floor(np.float32((dst + 0.5) * float(r32)))
            else:
                src = math.floor(np.float32(dst) * r32)  # float32 product
        else:
            if scale_factor is not None and scale_factor > 0:
                r = 1.0 / scale_factor
            else:
                r = in_size / out_size
            if exact:
                src = math.floor(np.float32(max(r * (dst + 0.5) - 0.5, 0.0) + 0.5))
            else:
                src = math.floor(np.float32(r * dst))
        return [(min(int(src), in_size - 1), 1.0)]

    # linear family and bicubic: float64 coordinates
    if align_corners:
        r = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    elif scale_factor is not None and scale_factor > 0:
        r = 1.0 / scale_factor
    else:
        r = in_size / out_size

    if mode in ("linear", "bilinear", "trilinear"):
        if out_size == in_size:
            return [(dst, 1.0)]  # PyTorch copies such an axis
        src = r * dst if align_corners else max(r * (dst + 0.5) - 0.5, 0.0)
        i0 = min(math.floor(np.float32(src)), in_size - 1)  # floorf, as torch
        i1 = min(i0 + 1, in_size - 1)
        lam = min(max(src - i0, 0.0), 1.0)
        return [(i0, 1.0 - lam), (i1, lam)]

    if mode == "bicubic":
        src = r * dst if align_corners else r * (dst + 0.5) - 0.5  # not clamped
        base = min(math.floor(np.float32(src)), in_size - 1)  # floorf, as torch
        lam = min(max(src - base, 0.0), 1.0)
        taps = []
        for j in range(-1, 3):
            index = min(max(base + j, 0), in_size - 1)  # edge replicate
            taps.append((index, _cubic_weight(lam - j)))
        return taps

    raise ValueError(f"unsupported mode {mode!r}")


def upsample_loop(
    x: np.ndarray,
    size: IntOrSeq | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    scale_factor: float | Sequence[float] | None = None,
    nearest_kernel: str | None = None,
) -> np.ndarray:
    """N-d resampling with ``torch.nn.functional.interpolate`` semantics.

    Supported modes: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` /
    ``'bilinear'`` / ``'trilinear'`` (all treated as separable N-linear for any
    number of spatial axes) and ``'bicubic'`` (separable Keys kernel with
    ``A = -0.75``, taps clamped to the edge, source coordinate not clamped).

    Output size: ``size`` if given, else ``floor(in * scale_factor)``.  Step
    ``r``: ``(in-1)/(out-1)`` (0 if ``out == 1``) with ``align_corners``;
    otherwise ``1/scale_factor`` if a scale factor was given, else
    ``in/out``.  Source coordinate of output index ``dst``:

    * nearest: ``min(floor(dst * r), in-1)`` (rounding and fast paths: see
      the module docstring);
    * nearest-exact: ``min(floor((dst + 0.5) * r), in-1)``;
    * linear: ``r*dst`` (align_corners) or ``max(r(dst+0.5) - 0.5, 0)``,
      interpolating ``x[i0]`` and ``x[min(i0+1, in-1)]``;
    * bicubic: ``r*dst`` or ``r(dst+0.5) - 0.5``, taps ``floor(src)-1 ..
      floor(src)+2`` clamped to ``[0, in-1]``.

    Parameters
    ----------
    x : ndarray, shape (N, C, *i)
        Input.
    size : int or sequence of int, optional
        Output spatial size.  Exactly one of ``size`` / ``scale_factor``.
    mode : str, optional
        Interpolation mode.
    align_corners : bool or None, optional
        Only meaningful for the linear family and bicubic (None means False).
    scale_factor : float or sequence of float, optional
        Per-axis scale factor (used for the step when ``align_corners`` is
        false, as PyTorch does when ``recompute_scale_factor`` is not set).
    nearest_kernel : {'generic', 'vectorized'} or None, optional
        PyTorch code path whose rounding the nearest modes reproduce (see the
        module docstring).  ``None`` (default) picks what torch 2.13 CPU uses
        for a contiguous input: ``'vectorized'`` iff two spatial axes and
        ``sum(output size) <= 128``, else ``'generic'``.

    Returns
    -------
    ndarray, shape (N, C, *o)
        float64 result.
    """
    ndim = x.ndim - 2
    in_size = x.shape[2:]
    corners = bool(align_corners)
    if scale_factor is not None:
        assert size is None
        if isinstance(scale_factor, (int, float)):
            scales: tuple[float | None, ...] = (float(scale_factor),) * ndim
        else:
            scales = tuple(float(v) for v in scale_factor)
        out_size = tuple(math.floor(in_size[a] * scales[a]) for a in range(ndim))
    else:
        assert size is not None
        scales = (None,) * ndim
        out_size = _per_dim(size, ndim)

    if nearest_kernel is None:
        nearest_kernel = "vectorized" if ndim == 2 and sum(out_size) <= 128 else "generic"

    # per-axis tap tables: taps[a][dst] = [(src_index, weight), ...]
    taps = [
        [
            _axis_taps(dst, in_size[a], out_size[a], mode, corners, scales[a], nearest_kernel)
            for dst in range(out_size[a])
        ]
        for a in range(ndim)
    ]

    batch, channels = x.shape[:2]
    out = np.zeros((batch, channels) + out_size, dtype=np.float64)
    for n in range(batch):
        for c in range(channels):
            for o in itertools.product(*(range(size_a) for size_a in out_size)):
                total = 0.0
                for combination in itertools.product(*(taps[a][o[a]] for a in range(ndim))):
                    weight = 1.0
                    for _, w in combination:
                        weight *= w
                    source = tuple(index for index, _ in combination)
                    total += weight * float(x[(n, c) + source])
                out[(n, c) + o] = total
    return out
