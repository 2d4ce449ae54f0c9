r"""ONNX's operators as ONNX defines them, as views of symconv's specs.

One function per operator, named as in ONNX: the node's inputs positionally (NumPy
arrays, ``None`` or an empty array for an omitted optional input), its attributes as
keywords with ONNX's names and defaults, and its outputs as ONNX returns them (a tuple
for ``MaxPool``: ``Y`` and ``Indices``). Nothing here imports the ``onnx`` package.

The ONNX rules live in the spec layer: ``auto_pad`` and ConvTranspose's generated pads in
:mod:`symconv.shapes` (:func:`~symconv.shapes.auto_pad_axis`,
:func:`~symconv.shapes.conv_transpose_pads_axis`), pool padding up to ``k - 1`` per side as
``convention="onnx"`` on the pooling specs, Resize's output sizes in
:func:`~symconv.shapes.resize_output_sizes` and its coordinate maps, exact and rational, in
:func:`symconv.resize.resize_axis` (so :func:`symconv.matrix.resize_matrix` is Resize's matrix).
Convolutions and pools run the kernels :func:`symconv.codegen.lower` generates for the
resolved specs; dilated AveragePool and LpPool, which no kernel covers, sum over the same
index relation (:class:`symconv.index.AxisRelation`); Resize applies each axis's map.

Examples
--------
>>> import numpy as np
>>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
>>> y, indices = MaxPool(x, kernel_shape=(3, 3), pads=(2, 2, 2, 2), strides=(3, 3))
>>> y[0, 0]
array([[ 0.,  3.],
       [12., 15.]], dtype=float32)
>>> Resize(np.array([[1., 2.]]), None, np.array([1, 2], np.float32), mode="linear")
array([[1.  , 1.25, 1.75, 2.  ]])
"""
from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from . import numeric, parallel, shapes
from .codegen import lower
from .index import AxisRelation
from .resize import exact, resize_axes
from .spec import AvgPoolSpec, MaxPoolSpec, MaxUnpoolSpec

__all__ = ["Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool",
           "MaxUnpool", "Resize", "Upsample"]


# --------------------------------------------------------------------------- attributes


def _array(value: Any, name: str, owner: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {name} must be a real numeric array, got dtype {array.dtype}")
    return array


def _optional(value: Any) -> np.ndarray | None:
    """An omitted optional input: ``None`` or an empty tensor (ONNX's '' input)."""
    if value is None:
        return None
    array = np.asarray(value)
    return None if array.size == 0 else array


def _spatial_rank(x: np.ndarray, owner: str) -> int:
    if x.ndim < 3:
        raise ValueError(f"{owner}: X must have shape (N, C, D1, ..., Dn) with n >= 1, got X.shape={x.shape}")
    return x.ndim - 2


def _ints(value: Any, n: int, name: str, default: int, owner: str) -> tuple:
    """An ONNX ints attribute with one entry per spatial axis (``None`` is the default)."""
    if value is None:
        return (default,) * n
    entries = tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else None
    if entries is None or len(entries) != n or not all(isinstance(v, Integral) for v in entries):
        raise ValueError(f"{owner}: {name} must list {n} ints (one per spatial axis), got {name}={value!r}")
    return tuple(int(v) for v in entries)


def _flag(value: Any, name: str, owner: str) -> bool:
    if value not in (0, 1) or isinstance(value, float):
        raise ValueError(f"{owner}: {name} must be 0 or 1, got {name}={value!r}")
    return bool(value)


def _pad_pairs(pads: Any, n: int, owner: str) -> tuple:
    """ONNX ``pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...]`` as per-axis (begin, end) pairs."""
    flat = _ints(pads, 2 * n, "pads", 0, owner)
    if any(p < 0 for p in flat):
        raise ValueError(f"{owner}: pads must be >= 0, got pads={list(pads)}")
    return tuple((flat[j], flat[n + j]) for j in range(n))


def _window_attributes(owner: str, x: np.ndarray, kernel_shape: Any, strides: Any, dilations: Any,
                       pads: Any, auto_pad: str, clip: bool = True) -> tuple:
    """Kernel, strides, dilations and resolved (begin, end) pads of a Conv or pool node.

    ``clip=False`` (pools) lets SAME pads be negative (cropping), as the pools' text.
    """
    n = _spatial_rank(x, owner)
    kernel = _ints(kernel_shape, n, "kernel_shape", 0, owner)
    stride = _ints(strides, n, "strides", 1, owner)
    dilation = _ints(dilations, n, "dilations", 1, owner)
    if auto_pad not in shapes.AUTO_PADS:
        raise ValueError(f"{owner}: auto_pad must be one of {', '.join(shapes.AUTO_PADS)}, got auto_pad={auto_pad!r}")
    if auto_pad != "NOTSET" and pads is not None and any(pads):
        raise ValueError(f"{owner}: pads cannot be used together with auto_pad={auto_pad!r}, got pads={list(pads)}")
    if auto_pad == "NOTSET":
        pairs = _pad_pairs(pads, n, owner)
    else:
        pairs = tuple(shapes.auto_pad_axis(i, k, s, d, auto_pad, owner, clip)
                      for i, k, s, d in zip(x.shape[2:], kernel, stride, dilation))
    return kernel, stride, dilation, pairs


# --------------------------------------------------------------------------- convolutions


def Conv(X: Any, W: Any, B: Any = None, *, auto_pad: str = "NOTSET", dilations: Any = None, group: int = 1,
         kernel_shape: Any = None, pads: Any = None, strides: Any = None) -> np.ndarray:
    r"""ONNX Conv: :math:`o = \lfloor (i + p_b + p_e - d(k-1) - 1)/s \rfloor + 1` per axis.

    ``auto_pad`` SAME_UPPER / SAME_LOWER pad to :math:`o = \lceil i/s \rceil`
    (:func:`symconv.shapes.auto_pad_axis`); the weight is ``(M, C/group, k1, ...)``.

    Examples
    --------
    >>> Conv(np.ones((1, 1, 5)), np.ones((1, 1, 2)), strides=(2,), auto_pad="SAME_LOWER")
    array([[[1., 2., 2.]]])
    """
    owner = "Conv"
    X, W = _array(X, "X", owner), _array(W, "W", owner)
    kernel = W.shape[2:] if kernel_shape is None else kernel_shape
    if tuple(kernel) != tuple(W.shape[2:]):
        raise ValueError(f"{owner}: kernel_shape={list(kernel)} must match W.shape[2:]={list(W.shape[2:])}")
    kernel, stride, dilation, pairs = _window_attributes(owner, X, kernel, strides, dilations, pads, auto_pad)
    return numeric.conv(X, W, _optional(B), stride, pairs, dilation, group)


def ConvTranspose(X: Any, W: Any, B: Any = None, *, auto_pad: str = "NOTSET", dilations: Any = None,
                  group: int = 1, kernel_shape: Any = None, output_padding: Any = None, output_shape: Any = None,
                  pads: Any = None, strides: Any = None) -> np.ndarray:
    r"""ONNX ConvTranspose: :math:`o = s(i-1) + a + d(k-1) + 1 - p_b - p_e` per axis.

    ``output_shape`` (spatial, or with N and C) and SAME_* generate the pads
    (:func:`symconv.shapes.conv_transpose_pads_axis`). The weight is ``(C, M/group, k1, ...)``.

    Examples
    --------
    >>> ConvTranspose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), strides=(2,), output_shape=(6,))
    array([[[1., 2., 1., 2., 1., 1.]]])
    """
    owner = "ConvTranspose"
    X, W = _array(X, "X", owner), _array(W, "W", owner)
    n = _spatial_rank(X, owner)
    if kernel_shape is not None and tuple(kernel_shape) != tuple(W.shape[2:]):
        raise ValueError(f"{owner}: kernel_shape={list(kernel_shape)} must match W.shape[2:]={list(W.shape[2:])}")
    stride = _ints(strides, n, "strides", 1, owner)
    dilation = _ints(dilations, n, "dilations", 1, owner)
    extra = _ints(output_padding, n, "output_padding", 0, owner)
    target = None
    if output_shape is not None:
        target = tuple(output_shape)[-n:] if len(output_shape) in (n, n + 2) else None
        if target is None:
            raise ValueError(f"{owner}: output_shape must have {n} entries, got output_shape={list(output_shape)}")
        target = _ints(target, n, "output_shape", 1, owner)
    if target is None and auto_pad in ("NOTSET", "VALID"):
        pairs = _pad_pairs(pads if auto_pad == "NOTSET" else None, n, owner)
    else:
        pairs = tuple(shapes.conv_transpose_pads_axis(i, k, s, d, a, None if target is None else target[j],
                                                      auto_pad, owner)
                      for j, (i, k, s, d, a) in enumerate(zip(X.shape[2:], W.shape[2:], stride, dilation, extra)))
    return numeric.conv_transpose(X, W, _optional(B), stride, pairs, extra, dilation, group)


# --------------------------------------------------------------------------- pooling


def _pool_spec(cls: type, owner: str, x: np.ndarray, kernel_shape: Any, strides: Any, dilations: Any, pads: Any,
               auto_pad: str, ceil_mode: Any, **extra: Any) -> tuple[Any, np.ndarray, tuple]:
    """The pooling spec of an ONNX pool node (ONNX convention: pads up to ``k - 1``), the input
    it reads and the crop per axis.

    With ``auto_pad`` the documented sizes (ceil or not) equal the floor-mode window count
    over the generated pads, so ``ceil_mode`` only applies to explicit pads. Negative SAME
    pads crop the input (returned cropped, with the per-axis crop at the beginning).
    """
    if kernel_shape is None:
        raise ValueError(f"{owner}: kernel_shape is required")
    kernel, stride, dilation, pairs = _window_attributes(owner, x, kernel_shape, strides, dilations, pads, auto_pad,
                                                         clip=False)
    ceil = _flag(ceil_mode, "ceil_mode", owner) and auto_pad == "NOTSET"
    crop = tuple(max(0, -pb) for pb, _ in pairs)
    x = x[(slice(None), slice(None)) + tuple(slice(max(0, -pb), n + min(0, pe)) for (pb, pe), n in
                                             zip(pairs, x.shape[2:]))]
    pairs = tuple((max(0, pb), max(0, pe)) for pb, pe in pairs)
    if cls is not MaxPoolSpec:
        extra["dilation"] = dilation
    try:
        if cls is MaxPoolSpec:
            spec = MaxPoolSpec(kernel, stride, pairs, dilation, ceil, input_size=x.shape[2:], ndim=len(kernel),
                               convention="onnx")
        else:
            spec = _Window(kernel, stride, pairs, ceil, x.shape[2:], owner, **extra)
    except ValueError as exc:
        raise ValueError(f"{exc} (input shape {x.shape})") from None
    return spec, x, crop


class _Window:
    """Geometry of a pool that no generated kernel covers: the per-axis index relations.

    Validated by :class:`MaxPoolSpec` (ONNX convention), which shares the window geometry.
    """

    def __init__(self, kernel: tuple, stride: tuple, pairs: tuple, ceil: bool, input_size: tuple, owner: str,
                 dilation: tuple, count_include_pad: bool = False) -> None:
        spec = MaxPoolSpec(kernel, stride, pairs, dilation, ceil, input_size=input_size, ndim=len(kernel),
                           convention="onnx")
        self.spec, self.count_include_pad = spec, count_include_pad
        self.relations = tuple(AxisRelation(i, o, k, s, d, pb) for i, o, k, s, d, (pb, _pe) in
                               zip(spec.input_size, spec.output_size, kernel, stride, dilation, pairs))

    def gather(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Window values ``(N, C, *o, *k)`` (clamped reads), the in-input mask, and the divisor ``*o``."""
        n = len(self.relations)
        index, inside, counts = [], [], []
        for j, rel in enumerate(self.relations):
            c = rel.input_index(np.arange(rel.o)[:, None], np.arange(rel.k)[None, :])
            shape = [1] * (2 * n)
            shape[j], shape[n + j] = rel.o, rel.k
            ok = (c >= 0) & (c < rel.i)
            counted = (c < rel.i + self.spec.padding[j][1]) if self.count_include_pad else ok
            index.append(np.clip(c, 0, rel.i - 1).reshape(shape))
            inside.append(ok.reshape(shape))
            counts.append(counted.sum(axis=1).reshape(shape[:n]))
        values = x[(slice(None), slice(None)) + tuple(index)]
        mask = np.logical_and.reduce(np.broadcast_arrays(*inside))
        divisor = np.multiply.reduce(np.broadcast_arrays(*counts))
        return values, mask, divisor


def _float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _accumulator(x: np.ndarray) -> type:
    """float32 accumulation for half precision (as the frameworks), else the dtype itself."""
    return np.float32 if x.dtype == np.float16 else x.dtype


def MaxPool(X: Any, *, auto_pad: str = "NOTSET", ceil_mode: int = 0, dilations: Any = None, kernel_shape: Any = None,
            pads: Any = None, storage_order: int = 0, strides: Any = None) -> tuple[np.ndarray, np.ndarray]:
    r"""ONNX MaxPool: returns ``(Y, Indices)``.

    Pads may reach ``k - 1`` per side; with ``ceil_mode`` a last window starting in the end
    padding is dropped. ``Indices`` are int64 flat positions over the whole ``X`` (row-major
    over N, C, spatial), each plane flattened column-major when ``storage_order=1``.

    Examples
    --------
    >>> y, i = MaxPool(np.array([[[1., 5, 2, 0, 3]], [[0, 0, 7, 1, 1]]]), kernel_shape=(2,), strides=(2,),
    ...                ceil_mode=1)
    >>> y[:, 0], i[:, 0]
    (array([[5., 2., 3.],
           [0., 7., 1.]]), array([[1, 2, 4],
           [5, 7, 9]]))
    """
    owner = "MaxPool"
    X = _array(X, "X", owner)
    if storage_order not in (0, 1):
        raise ValueError(f"{owner}: storage_order must be 0 or 1, got storage_order={storage_order!r}")
    spec, read, crop = _pool_spec(MaxPoolSpec, owner, X, kernel_shape, strides, dilations, pads, auto_pad, ceil_mode)
    out = (np.empty(X.shape[:2] + spec.output_size, X.dtype), np.empty(X.shape[:2] + spec.output_size, np.int64))
    values, switches = parallel.run(lower(spec), (read,), (), out, planewise=True, return_indices=True)
    plane = int(np.prod(X.shape[2:]))
    if storage_order == 1 or any(crop):
        position = np.unravel_index(switches, read.shape[2:])
        position = tuple(c + offset for c, offset in zip(position, crop))
        switches = np.ravel_multi_index(position, X.shape[2:], order="F" if storage_order == 1 else "C")
    offsets = np.arange(X.shape[0] * X.shape[1], dtype=np.int64).reshape(X.shape[:2] + (1,) * spec.ndim) * plane
    return values, switches + offsets


def AveragePool(X: Any, *, auto_pad: str = "NOTSET", ceil_mode: int = 0, count_include_pad: int = 0,
                dilations: Any = None, kernel_shape: Any = None, pads: Any = None, strides: Any = None) -> np.ndarray:
    r"""ONNX AveragePool: the window mean, divided by the in-input count (or, with
    ``count_include_pad``, the count inside the padded input).

    Examples
    --------
    >>> AveragePool(np.array([[[1., 2, 3, 4]]]), kernel_shape=(3,), pads=(2, 2), strides=(2,))
    array([[[1. , 2. , 3.5]]])
    >>> AveragePool(np.array([[[1., 2, 3, 4, 5]]]), kernel_shape=(2,), dilations=(3,))
    array([[[2.5, 3.5]]])
    """
    owner = "AveragePool"
    X = _float(_array(X, "X", owner))
    include = _flag(count_include_pad, "count_include_pad", owner)
    window, read, _ = _pool_spec(_Window, owner, X, kernel_shape, strides, dilations, pads, auto_pad, ceil_mode,
                                 count_include_pad=include)
    geometry = window.spec
    if all(d == 1 for d in geometry.dilation):
        spec = AvgPoolSpec(geometry.kernel_size, geometry.stride, geometry.padding, geometry.ceil_mode, include,
                           input_size=geometry.input_size, ndim=geometry.ndim, convention="onnx")
        return parallel.run(lower(spec), (read,), (), np.empty(X.shape[:2] + spec.output_size, X.dtype),
                            planewise=True)
    values, mask, divisor = window.gather(read)
    axes = tuple(range(2 + geometry.ndim, 2 + 2 * geometry.ndim))
    sums = np.where(mask, values, 0).sum(axis=axes, dtype=_accumulator(X))
    return (sums / divisor).astype(X.dtype)


def LpPool(X: Any, *, auto_pad: str = "NOTSET", ceil_mode: int = 0, dilations: Any = None, kernel_shape: Any = None,
           p: int = 2, pads: Any = None, strides: Any = None) -> np.ndarray:
    r"""ONNX LpPool: :math:`(\sum_{window} |x|^p)^{1/p}` (padding contributes nothing).

    Examples
    --------
    >>> LpPool(np.array([[[3., 4, 0, 12, 5]]]), kernel_shape=(2,), strides=(2,))
    array([[[ 5., 12.]]])
    """
    owner = "LpPool"
    X = _float(_array(X, "X", owner))
    if isinstance(p, bool) or not isinstance(p, Integral) or p < 1:
        raise ValueError(f"{owner}: p must be an int >= 1, got p={p!r}")
    window, read, _ = _pool_spec(_Window, owner, X, kernel_shape, strides, dilations, pads, auto_pad, ceil_mode)
    values, mask, _ = window.gather(read)
    axes = tuple(range(2 + window.spec.ndim, 2 + 2 * window.spec.ndim))
    powers = np.where(mask, np.abs(values.astype(_accumulator(X))) ** p, 0).sum(axis=axes)
    return (powers ** (1.0 / p)).astype(X.dtype)


def GlobalAveragePool(X: Any) -> np.ndarray:
    """ONNX GlobalAveragePool: AveragePool with the whole spatial extent as kernel.

    Examples
    --------
    >>> GlobalAveragePool(np.arange(8.).reshape(1, 2, 2, 2))
    array([[[[1.5]],
    <BLANKLINE>
            [[5.5]]]])
    """
    X = _array(X, "X", "GlobalAveragePool")
    return AveragePool(X, kernel_shape=X.shape[2:])


def GlobalMaxPool(X: Any) -> np.ndarray:
    """ONNX GlobalMaxPool: MaxPool with the whole spatial extent as kernel (``Y`` only).

    Examples
    --------
    >>> GlobalMaxPool(np.array([[[1., 7, 3]]]))
    array([[[7.]]])
    """
    X = _array(X, "X", "GlobalMaxPool")
    return MaxPool(X, kernel_shape=X.shape[2:])[0]


def MaxUnpool(X: Any, I: Any, output_shape: Any = None, *, kernel_shape: Any = None, pads: Any = None,  # noqa: E741
              strides: Any = None) -> np.ndarray:
    r"""ONNX MaxUnpool: writes ``X`` at the flat positions ``I`` of a zero output.

    Default size :math:`s(i-1) + k - p_b - p_e`; the ``output_shape`` input (full shape)
    replaces it, and ``I`` indexes that output directly, as onnxruntime does (the reference
    evaluator instead scatters into the default size and zero-pads, onnx#2398).

    Examples
    --------
    >>> MaxUnpool(np.array([[[5., 3]]]), np.array([[[1, 4]]]), kernel_shape=(3,), strides=(2,))
    array([[[0., 5., 0., 0., 3.]]])
    """
    owner = "MaxUnpool"
    X = _array(X, "X", owner)
    I = np.asarray(I)  # noqa: E741
    n = _spatial_rank(X, owner)
    if I.shape != X.shape or I.dtype.kind not in "iu":
        raise ValueError(f"{owner}: I must be integers of X's shape {X.shape}, got I.shape={I.shape}, "
                         f"dtype {I.dtype}")
    if kernel_shape is None:
        raise ValueError(f"{owner}: kernel_shape is required")
    target = _optional(output_shape)
    if target is not None and (target.shape != (n + 2,) or tuple(target[:2]) != X.shape[:2]):
        raise ValueError(f"{owner}: output_shape must be the full shape (N, C, D1, ...) starting with "
                         f"{X.shape[:2]}, got output_shape={target.tolist()}")
    try:
        spec = MaxUnpoolSpec(_ints(kernel_shape, n, "kernel_shape", 0, owner), _ints(strides, n, "strides", 1, owner),
                             _pad_pairs(pads, n, owner), input_size=X.shape[2:],
                             pinned_output_size=None if target is None else tuple(int(v) for v in target[2:]),
                             ndim=n, convention="onnx")
    except ValueError as exc:
        raise ValueError(f"{exc} (input shape {X.shape})") from None
    out = np.zeros(X.shape[:2] + tuple(spec.output_size), X.dtype)
    if I.size and (I.min() < 0 or I.max() >= out.size):
        raise ValueError(f"{owner}: I must lie in [0, {out.size}) for output shape {out.shape}, "
                         f"got values in [{I.min()}, {I.max()}]")
    out.reshape(-1)[I.ravel()] = X.ravel()      # flat over N, C and space: ONNX's indices are global
    return out


# --------------------------------------------------------------------------- resampling


def _apply_axis(x: np.ndarray, axis: int, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray,
                o: int) -> np.ndarray:
    """``y[..., r, ...] = sum_c M[r, c] x[..., c, ...]`` along ``axis`` from the map's triplets."""
    counts = np.bincount(rows, minlength=o)
    width = max(int(counts.max()) if counts.size else 0, 1)
    position = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    index = np.zeros((o, width), np.int64)
    weight = np.zeros((o, width), np.float64)
    index[rows, position] = cols
    weight[rows, position] = weights.astype(np.float64)
    gathered = np.take(x, index, axis=axis)
    return np.einsum(gathered, list(range(x.ndim + 1)), weight, [axis, axis + 1],
                     [d for d in range(x.ndim + 1) if d != axis + 1])


def _axes(axes: Any, rank: int, owner: str) -> tuple:
    if axes is None:
        return tuple(range(rank))
    out = tuple(int(a) + rank if int(a) < 0 else int(a) for a in axes)
    if any(not 0 <= a < rank for a in out) or len(set(out)) != len(out):
        raise ValueError(f"{owner}: axes must be distinct and in [-{rank}, {rank - 1}], got axes={list(axes)}")
    return out


def Resize(X: Any, roi: Any = None, scales: Any = None, sizes: Any = None, *, antialias: int = 0, axes: Any = None,
           coordinate_transformation_mode: str = "half_pixel", cubic_coeff_a: float = -0.75,
           exclude_outside: int = 0, extrapolation_value: float = 0.0, keep_aspect_ratio_policy: str = "stretch",
           mode: str = "nearest", nearest_mode: str = "round_prefer_floor") -> np.ndarray:
    r"""ONNX Resize (opset 19): every mode, coordinate transformation and nearest rounding.

    Separable: each resized axis applies its exact map (:func:`symconv.resize.resize_axis`)
    in float64; integers are rounded and saturated, as ONNX casts. Output sizes follow
    :func:`symconv.shapes.resize_output_sizes` (``floor(i * scale)``; the ``roi`` does not
    enter it, as in onnx.reference and onnxruntime, although the operator's text multiplies
    by ``roi_end - roi_start``). Scales and ``cubic_coeff_a`` are used at their exact binary
    value (``cubic_coeff_a`` rounded to float32, an ONNX float attribute).

    Examples
    --------
    >>> Resize(np.array([[[[1., 2], [3, 4]]]]), None, np.array([1, 1, 1, 1.5], np.float32),
    ...        mode="nearest", coordinate_transformation_mode="asymmetric")
    array([[[[1., 2., 2.],
             [3., 4., 4.]]]])
    >>> Resize(np.array([1., 2, 3, 4]), np.array([0.25, 1.5], np.float32), sizes=np.array([3]),
    ...        mode="linear", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-1)
    array([ 1.75 ,  3.625, -1.   ])
    """
    owner = "Resize"
    X = _array(X, "X", owner)
    axes = _axes(axes, X.ndim, owner)
    scales, sizes, roi = _optional(scales), _optional(sizes), _optional(roi)
    for name, value in (("scales", scales), ("sizes", sizes)):
        if value is not None and value.shape != (len(axes),):
            raise ValueError(f"{owner}: {name} must have one entry per resized axis ({len(axes)}), "
                             f"got {name}={value.tolist()}")
    if mode == "nearest" and antialias:
        raise ValueError(f"{owner}: antialias applies to the linear and cubic modes only, got mode='nearest', "
                         f"antialias={antialias!r}")
    if coordinate_transformation_mode == "tf_crop_and_resize" and roi is None:
        raise ValueError(f"{owner}: coordinate_transformation_mode='tf_crop_and_resize' needs the roi input")
    use_roi = coordinate_transformation_mode == "tf_crop_and_resize"
    out, maps = resize_axes(tuple(X.shape[a] for a in axes),
                            None if scales is None else tuple(exact(v) for v in scales.tolist()),
                            None if sizes is None else tuple(int(v) for v in sizes),
                            keep_aspect_ratio_policy, tuple(roi.tolist()) if use_roi else None, mode=mode,
                            coordinate_transformation_mode=coordinate_transformation_mode,
                            nearest_mode=nearest_mode, cubic_coeff_a=exact(float(np.float32(cubic_coeff_a))),
                            exclude_outside=_flag(exclude_outside, "exclude_outside", owner),
                            antialias=_flag(antialias, "antialias", owner))
    y = X.astype(np.float64)
    extrapolated = np.zeros((1,) * X.ndim, bool)
    for axis, o, (rows, cols, weights, outside) in zip(axes, out, maps):
        y = _apply_axis(y, axis, rows, cols, weights, o)
        extrapolated = extrapolated | outside.reshape([-1 if d == axis else 1 for d in range(X.ndim)])
    if use_roi:
        y = np.where(extrapolated, float(np.float32(extrapolation_value)), y)
    if X.dtype.kind in "iub":
        info = np.iinfo(X.dtype) if X.dtype.kind != "b" else None
        return np.clip(np.round(y), info.min, info.max).astype(X.dtype) if info else y.astype(X.dtype)
    return y.astype(X.dtype)


def Upsample(X: Any, scales: Any, *, mode: str = "nearest") -> np.ndarray:
    r"""ONNX Upsample (opset 9, deprecated since 10): :math:`o = \lfloor i \cdot scale \rfloor`.

    Scales are at least 1; 'nearest' reads :math:`\lfloor y/scale \rfloor` and 'linear' is
    N-linear on :math:`y/scale` with edge clamping (Resize with 'asymmetric' coordinates,
    as onnxruntime runs it).

    Examples
    --------
    >>> Upsample(np.array([[1., 2]]), np.array([1, 2], np.float32), mode="linear")
    array([[1. , 1.5, 2. , 2. ]])
    """
    owner = "Upsample"
    scales = _array(scales, "scales", owner)
    if mode not in ("nearest", "linear"):
        raise ValueError(f"{owner}: mode must be 'nearest' or 'linear', got mode={mode!r}")
    if scales.shape != (np.ndim(X),) or (scales < 1).any():
        raise ValueError(f"{owner}: scales must have one entry >= 1 per axis of X ({np.ndim(X)}), "
                         f"got scales={scales.tolist()}")
    return Resize(X, None, scales, mode=mode, coordinate_transformation_mode="asymmetric", nearest_mode="floor")
