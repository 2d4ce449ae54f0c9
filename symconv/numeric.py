r"""The torch-like NumPy API: every function builds a spec and calls its lowered kernel.

Arrays are channels first, ``(N, C, *spatial)``, with 1, 2 or 3 spatial axes inferred
from the ranks; weights use PyTorch's layouts. Floating dtypes are preserved (float32 in,
float32 out). Arguments are validated by the specs, so bad input raises ``ValueError``
naming the argument in the cases where PyTorch refuses, never a silently wrong shape.
Large calls run on several threads (:mod:`symconv.parallel`): slices of the batch, or of the
channels for the plane-wise operators, each written into its part of one output.

Dispatch is cached: the first call with given shapes, dtypes and parameters builds and
validates the spec and lowers it; its *plan* (spec, kernel, output shape) is kept under a key
of everything the spec validated (shapes, dtypes, the parameters with their types), so a
repeated call goes straight to the kernel: its plan is looked up before any argument is
converted or checked, and the vector-Jacobian products keep the inner operator's plan.

The dimension-explicit names (``conv2d``, ``max_pool2d``, ...) read ``(C, *spatial)`` as one
unbatched sample, as PyTorch does; the rank-inferred names always read ``(N, C, *spatial)``
and, for pooling, need the rank from a tuple size when ``x`` has 3 or 4 axes (PyTorch reads
those shapes two ways).

Examples
--------
>>> import numpy as np
>>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
>>> conv(x, np.ones((1, 1, 2, 2), np.float32), stride=2)
array([[[[10., 18.],
         [42., 50.]]]], dtype=float32)
>>> values, indices = max_pool(x, (2, 2), return_indices=True)
>>> max_unpool(values, indices, (2, 2))[0, 0]
array([[ 0.,  0.,  0.,  0.],
       [ 0.,  5.,  0.,  7.],
       [ 0.,  0.,  0.,  0.],
       [ 0., 13.,  0., 15.]], dtype=float32)
"""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from . import accelerator, parallel, shapes
from ._dispatch import (PlanCache, as_array, conv_inputs, floating, is_unbatched, kernel_plan, kernel_rank, pool_rank,
                        run_plan, same_float, spatial_rank, with_input_shape)
from .codegen import lower
from .spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec

__all__ = ["conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "upsample",
           "conv_vjp", "conv_transpose_vjp",
           "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d"]

#: The dispatch cache: one plan per validated call (cleared whole when full).
PLANS = PlanCache(limit=1024, salt=lambda: (MEMORY_LIMIT, ACCELERATOR))

#: ``"auto"``: depthwise convolutions (float32/float64) run :mod:`symconv.accelerator`'s compiled
#: loop when Numba is importable; ``"none"``: always the generated NumPy kernels. Defaults to the
#: environment variable ``SYMCONV_ACCELERATOR`` (``none`` switches it off).
ACCELERATOR = accelerator.mode_from_environment()


#: Largest estimated working set (output + padded input, in bytes) a call may allocate;
#: raise it to run larger problems.
MEMORY_LIMIT = 8 * 2**30


def _require_memory(owner: str, spec: Any, x: np.ndarray) -> None:
    """Refuse, before allocating, a call whose output plus padded input exceeds :data:`MEMORY_LIMIT`."""
    batch, channels = x.shape[0], x.shape[1]
    padded = 1
    for j, size in enumerate(spec.input_size):
        pad = spec.padding[j] if hasattr(spec, "padding") else (0, 0)
        padded *= int(size) + int(pad[0]) + int(pad[1])
    out_channels = getattr(spec, "out_channels", channels)
    output = 1
    for size in spec.output_size:
        output *= int(size)
    needed = (batch * channels * padded + batch * out_channels * output) * max(x.dtype.itemsize, 4)
    if needed > MEMORY_LIMIT:
        raise ValueError(f"{owner}: this call needs about {needed / 2**30:.1f} GiB (output size "
                         f"{tuple(int(v) for v in spec.output_size)} for input shape {x.shape}), over "
                         f"symconv.numeric.MEMORY_LIMIT = {MEMORY_LIMIT / 2**30:.1f} GiB; raise the limit to run it")


def conv(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
         groups: int = 1) -> np.ndarray:
    r"""N-D convolution (cross-correlation), as ``torch.nn.functional.conv1d/2d/3d``.

    Parameters
    ----------
    x : array, shape (N, C_in, *i)
    weight : array, shape (C_out, C_in/groups, *k)
    bias : array, shape (C_out,), optional
    stride, dilation : int or one per spatial axis
    padding : int, per-axis ints, per-axis (before, after) pairs, 'valid' or 'same'
    groups : int

    Returns
    -------
    ndarray, shape (N, C_out, *o), the dtype of ``x``

    Raises
    ------
    ValueError
        Wrong ranks, channels not matching ``weight`` and ``groups``, a kernel larger than the
        padded input, 'same' with stride > 1, ...

    Examples
    --------
    >>> conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding="same")
    array([[[2., 3., 3., 3., 2.]]])
    >>> conv(np.ones((1, 2, 5)), np.ones((1, 1, 3)))
    Traceback (most recent call last):
    ...
    ValueError: conv: x has 2 channels but weight.shape=(1, 1, 3) with groups=1 expects 1 (x.shape[1] must equal weight.shape[1] * groups)

    Notes
    -----
    :math:`o = \lfloor (i + p_b + p_a - d(k-1) - 1)/s \rfloor + 1` per axis (Dumoulin & Visin, Rel. 15).
    """
    return _conv("conv", None, x, weight, bias, stride, padding, dilation, groups)


def _repeated_weighted(owner: str, x: Any, weight: Any, bias: Any, params: tuple) -> Any:
    """A repeated conv/conv_transpose call's result from its cached plan, before any conversion or
    check; None when the call is not one (then it is validated and planned)."""
    if same_float(x, weight, bias):
        plan = PLANS.lookup(owner, (x.shape, x.dtype, weight.shape), params)
        if plan is not None:
            if plan[2] < parallel.MIN_ELEMENTS:
                return plan[0](x, weight, bias)
            return run_plan(plan, x.dtype, (x,), (weight, bias), blas=True)
    return None


def _conv(owner: str, ndim: int | None, x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
          dilation: Any = 1, groups: int = 1) -> np.ndarray:
    params = (stride, padding, dilation, groups, ndim)
    repeated = _repeated_weighted(owner, x, weight, bias, params)
    if repeated is not None:
        return repeated
    x, weight, bias = conv_inputs(owner, x, weight, bias)
    if is_unbatched(owner, ndim, x, weight.ndim - 2, "weight.shape", weight.shape):
        return _conv(owner, ndim, x[None], weight, bias, stride, padding, dilation, groups)[0]
    plan = PLANS.plan(owner, (x.shape, x.dtype, weight.shape), params,
                      lambda: _conv_plan(owner, ndim, x, weight, stride, padding, dilation, groups))
    return run_plan(plan, x.dtype, (x,), (weight, bias), blas=True)


def _conv_plan(owner: str, ndim: int | None, x: np.ndarray, weight: np.ndarray, stride: Any, padding: Any,
               dilation: Any, groups: Any) -> tuple:
    """Validate a convolution of ``x`` (N, C, *i) by ``weight`` and lower it: its plan."""
    spatial = spatial_rank(owner, x, ndim)
    if weight.ndim != x.ndim:
        raise ValueError(f"{owner}: weight must have {x.ndim} dimensions for x.shape={x.shape}, "
                         f"got weight.shape={weight.shape}")
    if isinstance(groups, int) and groups >= 1 and x.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"{owner}: x has {x.shape[1]} channels but weight.shape={weight.shape} with "
                         f"groups={groups} expects {weight.shape[1] * groups} (x.shape[1] must equal "
                         f"weight.shape[1] * groups)")
    try:
        spec = ConvSpec(weight.shape[2:], stride, padding, dilation, x.shape[1], weight.shape[0], groups,
                        input_size=x.shape[2:], ndim=spatial)
    except ValueError as exc:
        raise with_input_shape(exc, x) from None
    _require_memory(owner, spec, x)
    fast = accelerator.depthwise_kernel(spec, x.dtype, owner) if ACCELERATOR != "none" else None
    return kernel_plan(fast or lower(spec).function, (x.shape[0], spec.out_channels) + tuple(spec.output_size))


def conv_transpose(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                   output_padding: Any = 0, dilation: Any = 1, groups: int = 1,
                   output_size: Any = None) -> np.ndarray:
    r"""N-D transposed convolution, as ``torch.nn.functional.conv_transpose1d/2d/3d``.

    Parameters
    ----------
    x : array, shape (N, C_in, *i)
    weight : array, shape (C_in, C_out/groups, *k)
    bias : array, shape (C_out,), optional
    stride, dilation : int or one per spatial axis
    padding : int, per-axis ints or per-axis (before, after) pairs (cropping of the full result)
    output_padding : int or one per spatial axis, each ``< max(stride, dilation)``
    groups : int
    output_size : optional, one size per spatial axis (or the full shape)
        Pins the output size instead of ``output_padding`` (``ConvTranspose.forward``).

    Returns
    -------
    ndarray, shape (N, C_out, *o), the dtype of ``x``

    Examples
    --------
    >>> conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)))
    array([[[1., 2., 2., 1.]]])
    >>> conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), stride=2, output_padding=2)
    Traceback (most recent call last):
    ...
    ValueError: conv_transpose: output_padding must be smaller than either stride or dilation (output_padding < max(stride, dilation) = 2), got output_padding=2 (input shape (1, 1, 3))

    Notes
    -----
    :math:`o = s(i-1) + d(k-1) + 1 - p_b - p_a + a` per axis (Rel. 14 with dilation).
    """
    return _conv_transpose("conv_transpose", None, x, weight, bias, stride, padding, output_padding, dilation,
                           groups, output_size)


def _spatial_sizes(value: Any, ndim: int) -> Any:
    """``output_size`` given as the full shape (or an unbatched one): its last ``ndim`` entries."""
    if isinstance(value, (tuple, list)) and len(value) in (ndim + 1, ndim + 2):
        return tuple(value[len(value) - ndim:])
    return value


def _conv_transpose(owner: str, ndim: int | None, x: Any, weight: Any, bias: Any = None, stride: Any = 1,
                    padding: Any = 0, output_padding: Any = 0, dilation: Any = 1, groups: int = 1,
                    output_size: Any = None) -> np.ndarray:
    params = (stride, padding, output_padding, dilation, groups, output_size, ndim)
    repeated = _repeated_weighted(owner, x, weight, bias, params)
    if repeated is not None:
        return repeated
    x, weight, bias = conv_inputs(owner, x, weight, bias)
    if is_unbatched(owner, ndim, x, weight.ndim - 2, "weight.shape", weight.shape):
        return _conv_transpose(owner, ndim, x[None], weight, bias, stride, padding, output_padding, dilation,
                               groups, output_size)[0]
    plan = PLANS.plan(owner, (x.shape, x.dtype, weight.shape), params,
                      lambda: _conv_transpose_plan(owner, ndim, x, weight, stride, padding, output_padding, dilation,
                                                   groups, output_size))
    return run_plan(plan, x.dtype, (x,), (weight, bias), blas=True)


def _conv_transpose_plan(owner: str, ndim: int | None, x: np.ndarray, weight: np.ndarray, stride: Any,
                         padding: Any, output_padding: Any, dilation: Any, groups: Any, output_size: Any) -> tuple:
    """Validate a transposed convolution of ``x`` (N, C, *i) by ``weight`` and lower it: its plan."""
    spatial = spatial_rank(owner, x, ndim)
    if weight.ndim != x.ndim:
        raise ValueError(f"{owner}: weight must have {x.ndim} dimensions for x.shape={x.shape}, "
                         f"got weight.shape={weight.shape}")
    if weight.shape[0] != x.shape[1]:
        raise ValueError(f"{owner}: x has {x.shape[1]} channels but weight.shape={weight.shape} expects "
                         f"{weight.shape[0]} (x.shape[1] must equal weight.shape[0])")
    pinned = _spatial_sizes(output_size, spatial)
    try:
        spec = ConvTransposeSpec(weight.shape[2:], stride, padding, 0 if pinned is not None else output_padding,
                                 dilation, x.shape[1],
                                 weight.shape[1] * groups if isinstance(groups, int) else groups, groups,
                                 input_size=x.shape[2:], pinned_output_size=pinned, ndim=spatial)
        if spec.pinned_output_size is not None:
            spec = ConvTransposeSpec(spec.kernel_size, spec.stride, spec.padding, spec.output_padding,
                                     spec.dilation, spec.in_channels, spec.out_channels, groups,
                                     input_size=spec.input_size, ndim=spatial)
    except ValueError as exc:
        raise with_input_shape(exc, x) from None
    _require_memory(owner, spec, x)
    return kernel_plan(lower(spec).function, (x.shape[0], spec.out_channels) + tuple(spec.output_size))


def _pool_ndim(owner: str, x: np.ndarray, kernel_size: Any, ndim: int | None) -> int:
    return spatial_rank(owner, x, ndim if ndim is not None else kernel_rank(kernel_size))


def max_pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
             ceil_mode: bool = False, return_indices: bool = False) -> Any:
    r"""N-D max pooling, as ``torch.nn.functional.max_pool1d/2d/3d``.

    ``stride`` defaults to ``kernel_size``; padding is at most half the kernel (PyTorch).
    With ``return_indices`` also returns int64 switches: row-major flat positions inside
    each ``(n, c)`` plane of the unpadded input. ``x`` is ``(N, C, *spatial)``; for one
    unbatched sample ``(C, *spatial)`` call :func:`max_pool2d` (or 1d, 3d).

    Examples
    --------
    >>> max_pool(np.array([[[1., 5, 2, 0, 3]]]), (3,), stride=1, return_indices=True)
    (array([[[5., 5., 3.]]]), array([[[1, 1, 4]]]))
    >>> max_pool(np.ones((1, 1, 4)), (2,), padding=2)
    Traceback (most recent call last):
    ...
    ValueError: max_pool: padding must be at most half the kernel size (p <= k//2 = 1), got padding before=2 with kernel_size=2 (input shape (1, 1, 4))
    >>> max_pool(np.zeros((3, 8, 8)), (2, 2))
    Traceback (most recent call last):
    ...
    ValueError: max_pool: x.shape=(3, 8, 8) has one axis fewer than the (N, C, *spatial) layout kernel_size=(2, 2) implies; for one unbatched (C, *spatial) sample call max_pool2d
    >>> max_pool(np.zeros((3, 8, 8)), 2)
    Traceback (most recent call last):
    ...
    ValueError: max_pool: x.shape=(3, 8, 8) with scalar kernel_size=2 is ambiguous: call max_pool1d for a batch (N, C, *spatial) with 1 spatial axes, or max_pool2d for one unbatched (C, *spatial) sample with 2, or give kernel_size as a tuple of 1
    """
    return _max_pool("max_pool", None, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _max_pool(owner: str, ndim: int | None, x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
              dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    params = (kernel_size, stride, padding, dilation, ceil_mode, ndim)
    if type(x) is np.ndarray:                   # a repeated call: its plan, before any check
        plan = PLANS.lookup(owner, (x.shape, x.dtype), params)
        if plan is not None:
            if plan[2] < parallel.MIN_ELEMENTS:
                return plan[0](x, True) if return_indices else plan[0](x)
            return run_plan(plan, x.dtype, (x,), planewise=True, indices=bool(return_indices))
    x = as_array(x, "x", owner)
    rank = pool_rank(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    if is_unbatched(owner, ndim, x, *rank):
        out = _max_pool(owner, ndim, x[None], kernel_size, stride, padding, dilation, ceil_mode, return_indices)
        return (out[0][0], out[1][0]) if return_indices else out[0]

    def build() -> tuple:
        try:
            spec = MaxPoolSpec(kernel_size, stride, padding, dilation, ceil_mode, input_size=x.shape[2:],
                               ndim=_pool_ndim(owner, x, kernel_size, ndim))
        except ValueError as exc:
            raise with_input_shape(exc, x) from None
        _require_memory(owner, spec, x)
        return kernel_plan(lower(spec).function, x.shape[:2] + tuple(spec.output_size))

    plan = PLANS.plan(owner, (x.shape, x.dtype), params, build)
    return run_plan(plan, x.dtype, (x,), planewise=True, indices=bool(return_indices))


def avg_pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
             count_include_pad: bool = True) -> np.ndarray:
    r"""N-D average pooling, as ``torch.nn.functional.avg_pool1d/2d/3d``.

    Window sums of float16 inputs accumulate in float32, as PyTorch's.

    Examples
    --------
    >>> avg_pool(np.array([[[1., 2, 3, 4, 5]]]), (2,), ceil_mode=True)
    array([[[1.5, 3.5, 5. ]]])
    >>> avg_pool(np.array([[[1., 2, 3]]]), (3,), stride=1, padding=1, count_include_pad=False)
    array([[[1.5, 2. , 2.5]]])
    >>> avg_pool(np.full((1, 1, 8, 8), 10000, np.float16), (4, 4)).ravel().tolist()
    [10000.0, 10000.0, 10000.0, 10000.0]
    """
    return _avg_pool("avg_pool", None, x, kernel_size, stride, padding, ceil_mode, count_include_pad)


def _avg_pool(owner: str, ndim: int | None, x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
              ceil_mode: bool = False, count_include_pad: bool = True) -> np.ndarray:
    params = (kernel_size, stride, padding, ceil_mode, count_include_pad, ndim)
    if type(x) is np.ndarray and x.dtype.kind == "f":   # a repeated call: its plan, before any check
        plan = PLANS.lookup(owner, (x.shape, x.dtype), params)
        if plan is not None:
            return plan[0](x) if plan[2] < parallel.MIN_ELEMENTS else run_plan(plan, x.dtype, (x,), planewise=True)
    x = floating(as_array(x, "x", owner))
    if is_unbatched(owner, ndim, x, *pool_rank(kernel_size=kernel_size, stride=stride, padding=padding)):
        return _avg_pool(owner, ndim, x[None], kernel_size, stride, padding, ceil_mode, count_include_pad)[0]

    def build() -> tuple:
        spatial = _pool_ndim(owner, x, kernel_size, ndim)
        try:
            spec = AvgPoolSpec(kernel_size, stride, padding, ceil_mode, count_include_pad, input_size=x.shape[2:],
                               ndim=spatial)
        except ValueError as exc:
            raise with_input_shape(exc, x) from None
        if spatial == 3 and any(i < k for i, k in zip(spec.input_size, spec.kernel_size)):
            # PyTorch's avg_pool3d (pool3d_shape_check) refuses an unpadded input smaller than the kernel
            raise ValueError(f"{owner}: 3-D input size {spec.input_size} must be at least kernel_size "
                             f"{spec.kernel_size} on every axis (as torch's avg_pool3d) (input shape {x.shape})")
        _require_memory(owner, spec, x)
        return kernel_plan(lower(spec).function, x.shape[:2] + tuple(spec.output_size))

    return run_plan(PLANS.plan(owner, (x.shape, x.dtype), params, build), x.dtype, (x,), planewise=True)


def max_unpool(x: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               output_size: Any = None) -> np.ndarray:
    r"""N-D max unpooling, as ``torch.nn.functional.max_unpool1d/2d/3d`` (a scatter-assign).

    The default output size is :math:`s(i-1) + k - 2p`; an explicit ``output_size`` (spatial
    sizes, or the full shape) must lie strictly within ``stride`` of it.

    Examples
    --------
    >>> max_unpool(np.array([[[5., 3]]]), np.array([[[1, 4]]]), (3,), stride=2)
    array([[[0., 5., 0., 0., 3.]]])
    >>> max_unpool(np.array([[[5., 3]]]), np.array([[[1, 9]]]), (2,))
    Traceback (most recent call last):
    ...
    ValueError: max_unpool: indices must lie in [0, 4) for output size (4,), got values in [1, 9]
    """
    return _max_unpool("max_unpool", None, x, indices, kernel_size, stride, padding, output_size)


def _max_unpool(owner: str, ndim: int | None, x: Any, indices: Any, kernel_size: Any, stride: Any = None,
                padding: Any = 0, output_size: Any = None) -> np.ndarray:
    params = (kernel_size, stride, padding, output_size, ndim)
    if type(x) is np.ndarray and type(indices) is np.ndarray and indices.shape == x.shape:
        plan = PLANS.lookup(owner, (x.shape, x.dtype), params)     # a repeated call: its plan, before any check
        if plan is not None:
            return run_plan(plan, x.dtype, (x, indices), planewise=True)
    x = as_array(x, "x", owner)
    indices = np.asarray(indices)
    if indices.shape != x.shape:
        raise ValueError(f"{owner}: indices must have the shape of x {x.shape}, got indices.shape={indices.shape}")
    if is_unbatched(owner, ndim, x, *pool_rank(kernel_size=kernel_size, stride=stride, padding=padding)):
        return _max_unpool(owner, ndim, x[None], indices[None], kernel_size, stride, padding, output_size)[0]

    def build() -> tuple:
        spatial = _pool_ndim(owner, x, kernel_size, ndim)
        try:
            spec = MaxUnpoolSpec(kernel_size, stride, padding, input_size=x.shape[2:],
                                 pinned_output_size=_spatial_sizes(output_size, spatial), ndim=spatial)
        except ValueError as exc:
            raise with_input_shape(exc, x) from None
        _require_memory(owner, spec, x)
        return kernel_plan(lower(spec).function, x.shape[:2] + tuple(spec.output_size))

    return run_plan(PLANS.plan(owner, (x.shape, x.dtype), params, build), x.dtype, (x, indices), planewise=True)


def upsample(x: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: Any = None) -> np.ndarray:
    r"""N-D interpolation, as ``torch.nn.functional.interpolate``.

    Modes 'nearest', 'nearest-exact', 'linear', 'bilinear' (2-D), 'trilinear' (3-D) and
    'bicubic'; exactly one of ``size`` and ``scale_factor``. Float16 inputs are weighted and
    summed in float32, as PyTorch does.

    Examples
    --------
    >>> upsample(np.array([[[1., 2]]]), scale_factor=2, mode="linear")
    array([[[1.  , 1.25, 1.75, 2.  ]]])
    >>> upsample(np.array([[[1., 2]]]), scale_factor=2, mode="bilinear")
    Traceback (most recent call last):
    ...
    ValueError: upsample: mode='bilinear' needs 2 spatial dimensions, got ndim=1 (input shape (1, 1, 2))
    """
    owner = "upsample"
    params = (size, scale_factor, mode, align_corners)
    if type(x) is np.ndarray and (x.dtype.kind == "f" or mode in ("nearest", "nearest-exact")):
        plan = PLANS.lookup(owner, (x.shape, x.dtype), params)     # a repeated call: its plan, before any check
        if plan is not None:
            return plan[0](x) if plan[2] < parallel.MIN_ELEMENTS else run_plan(plan, x.dtype, (x,), planewise=True)
    x = as_array(x, "x", owner)
    if mode not in ("nearest", "nearest-exact"):
        x = floating(x)

    def build() -> tuple:
        try:
            spec = UpsampleSpec(size, scale_factor, mode, align_corners, input_size=x.shape[2:],
                                ndim=spatial_rank(owner, x))
        except ValueError as exc:
            raise with_input_shape(exc, x) from None
        _require_memory(owner, spec, x)
        return kernel_plan(lower(spec).function, x.shape[:2] + tuple(spec.output_size))

    return run_plan(PLANS.plan(owner, (x.shape, x.dtype), params, build), x.dtype, (x,), planewise=True)


def conv_vjp(grad_output: Any, weight: Any, input_size: Any, stride: Any = 1, padding: Any = 0,
             dilation: Any = 1, groups: int = 1) -> np.ndarray:
    r"""The vector-Jacobian product of :func:`conv` with respect to ``x``: a transposed convolution.

    ``input_size`` (the spatial size of ``x``) fixes the output padding
    :math:`a = (i + p_b + p_a - d(k-1) - 1) \bmod s` that the forward floor forgot, so the
    result has ``x``'s shape: this is :math:`C^T g`.

    Examples
    --------
    >>> g = np.ones((1, 1, 3))
    >>> conv_vjp(g, np.array([[[1., 2.]]]), (6,), stride=2)
    array([[[1., 2., 1., 2., 1., 2.]]])
    """
    owner = "conv_vjp"
    params = (input_size, stride, padding, dilation, groups)
    if same_float(grad_output, weight, None):  # a repeated call: its plan, before any conversion or check
        plan = PLANS.lookup(owner, (grad_output.shape, grad_output.dtype, weight.shape), params)
        if plan is not None:
            if plan[2] < parallel.MIN_ELEMENTS:
                return plan[0](grad_output, weight)
            return run_plan(plan, grad_output.dtype, (grad_output,), (weight, None), blas=True)
    grad_output = floating(as_array(grad_output, "grad_output", owner))
    weight = np.asarray(weight)

    def build() -> tuple:
        spec = ConvSpec(weight.shape[2:], stride, padding, dilation, weight.shape[1] * groups, weight.shape[0],
                        groups, input_size=input_size, ndim=weight.ndim - 2)
        remainder = tuple(shapes.lost_remainder_axis(i, k, s, pb, pa, d) for i, k, s, (pb, pa), d in
                          zip(spec.input_size, spec.kernel_size, spec.stride, spec.padding, spec.dilation))
        if tuple(grad_output.shape[2:]) != tuple(spec.output_size):
            raise ValueError(f"{owner}: grad_output must have spatial size {spec.output_size} (conv's output for "
                             f"input_size={spec.input_size}), got grad_output.shape={grad_output.shape}")
        g, w, _ = conv_inputs("conv_transpose", grad_output, weight, None)
        # the transposed convolution's own plan: the VJP calls its kernel directly
        return _conv_transpose_plan("conv_transpose", None, g, w, spec.stride, spec.padding, remainder,
                                    spec.dilation, groups, None)

    plan = PLANS.plan(owner, (grad_output.shape, grad_output.dtype, weight.shape), params, build)
    grad_output, weight, _ = conv_inputs("conv_transpose", grad_output, weight, None)
    return run_plan(plan, grad_output.dtype, (grad_output,), (weight, None), blas=True)


def conv_transpose_vjp(grad_output: Any, weight: Any, input_size: Any, stride: Any = 1, padding: Any = 0,
                       output_padding: Any = 0, dilation: Any = 1, groups: int = 1) -> np.ndarray:
    r"""The vector-Jacobian product of :func:`conv_transpose` with respect to ``x``: a convolution.

    The convolution with the same weight, stride, padding and dilation maps the transposed
    layer's output back onto its ``input_size`` (cropping the positions a large
    ``output_padding`` adds): this is :math:`(C^T)^T g = C g`.

    Examples
    --------
    >>> conv_transpose_vjp(np.ones((1, 1, 4)), np.array([[[1., 2., 3.]]]), (2,))
    array([[[6., 6.]]])
    """
    owner = "conv_transpose_vjp"
    params = (input_size, stride, padding, output_padding, dilation, groups)
    if same_float(grad_output, weight, None):  # a repeated call: its plan, before any conversion or check
        cached = PLANS.lookup(owner, (grad_output.shape, grad_output.dtype, weight.shape), params)
        if cached is not None:
            plan = cached[0]
            out = plan[0](grad_output, weight) if plan[2] < parallel.MIN_ELEMENTS else \
                run_plan(plan, grad_output.dtype, (grad_output,), (weight, None), blas=True)
            return out if cached[1] is None else out[cached[1]]
    grad_output = floating(as_array(grad_output, "grad_output", owner))
    weight = np.asarray(weight)

    def build() -> tuple:
        spec = ConvTransposeSpec(weight.shape[2:], stride, padding, output_padding, dilation, weight.shape[0],
                                 weight.shape[1] * groups, groups, input_size=input_size, ndim=weight.ndim - 2)
        if tuple(grad_output.shape[2:]) != tuple(spec.output_size):
            raise ValueError(f"{owner}: grad_output must have spatial size {spec.output_size}, "
                             f"got grad_output.shape={grad_output.shape}")
        g, w, _ = conv_inputs("conv", grad_output, weight, None)
        # the convolution's own plan (the VJP calls its kernel directly), then a crop to input_size when
        # output_padding >= stride made the transposed output longer than the convolution maps back
        plan = _conv_plan("conv", None, g, w, spec.stride, spec.padding, spec.dilation, groups)
        crop = None
        if tuple(plan[1][2:]) != tuple(spec.input_size):
            crop = (slice(None), slice(None)) + tuple(slice(0, i) for i in spec.input_size)
        return plan, crop

    plan, crop = PLANS.plan(owner, (grad_output.shape, grad_output.dtype, weight.shape), params, build)
    grad_output, weight, _ = conv_inputs("conv", grad_output, weight, None)
    out = run_plan(plan, grad_output.dtype, (grad_output,), (weight, None), blas=True)
    return out if crop is None else out[crop]


# --------------------------------------------------------------------------- dimension-explicit names
def _bound(run: Any, name: str, ndim: int) -> Any:
    """``run`` with its owner ``name`` and rank ``ndim`` fixed, forwarding positionally: a
    ``*args, **kwargs`` wrapper costs more per call than a tiny kernel's whole dispatch."""
    if run is _conv:
        def function(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
            return _conv(name, ndim, x, weight, bias, stride, padding, dilation, groups)
    elif run is _conv_transpose:
        def function(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                     dilation=1, groups=1, output_size=None):
            return _conv_transpose(name, ndim, x, weight, bias, stride, padding, output_padding, dilation, groups,
                                   output_size)
    elif run is _max_pool:
        def function(x, kernel_size, stride=None, padding=0, dilation=1,
                     ceil_mode=False, return_indices=False):
            return _max_pool(name, ndim, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    elif run is _avg_pool:
        def function(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True):
            return _avg_pool(name, ndim, x, kernel_size, stride, padding, ceil_mode, count_include_pad)
    else:
        def function(x, indices, kernel_size, stride=None, padding=0,
                     output_size=None):
            return _max_unpool(name, ndim, x, indices, kernel_size, stride, padding, output_size)
    return function


def _explicit(name: str, run: Any, ndim: int, public: Any, torch_name: str, example: str, shape: str) -> Any:
    """``name``: ``public`` for ``ndim`` spatial axes that also takes one unbatched ``(C, *spatial)`` sample."""
    function = _bound(run, name, ndim)
    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__signature__ = inspect.signature(public)  # type: ignore[attr-defined]
    function.__doc__ = (
        f"{ndim}-D :func:`{public.__name__}`, as ``torch.nn.functional.{torch_name}``: ``x`` is ``(N, C, "
        f"*spatial)`` or one unbatched sample ``(C, *spatial)`` with {ndim} spatial axes.\n\n"
        f"    Parameters, returns and errors as :func:`{public.__name__}`; an unbatched ``x`` gives an unbatched "
        f"result.\n\n    Examples\n    --------\n    >>> {example}\n    {shape}\n")
    return function


def _explicit_names() -> dict:
    names = {}
    for d in (1, 2, 3):
        sample = "(3" + ", 8" * d + ")"
        half = "(3" + ", 4" * d + ")"
        ones = ", ".join(["3"] * d)
        table = [
            (f"conv{d}d", _conv, conv, f"conv{d}d(np.ones({sample}), np.ones((5, 3, {ones})), padding=1).shape",
             "(5" + ", 8" * d + ")"),
            (f"conv_transpose{d}d", _conv_transpose, conv_transpose,
             f"conv_transpose{d}d(np.ones({half}), np.ones((3, 5, {ones})), stride=2, padding=1, "
             f"output_padding=1).shape", "(5" + ", 8" * d + ")"),
            (f"max_pool{d}d", _max_pool, max_pool, f"max_pool{d}d(np.ones({sample}), 2).shape", str(half)),
            (f"avg_pool{d}d", _avg_pool, avg_pool, f"avg_pool{d}d(np.ones({sample}), 2).shape", str(half)),
            (f"max_unpool{d}d", _max_unpool, max_unpool,
             f"max_unpool{d}d(*max_pool{d}d(np.ones({sample}), 2, return_indices=True), 2).shape", str(sample)),
        ]
        for name, run, public, example, shape in table:
            names[name] = _explicit(name, run, d, public, name, example, shape)
    return names


_NAMES = _explicit_names()
conv1d, conv2d, conv3d = (_NAMES[f"conv{d}d"] for d in (1, 2, 3))
conv_transpose1d, conv_transpose2d, conv_transpose3d = (_NAMES[f"conv_transpose{d}d"] for d in (1, 2, 3))
max_pool1d, max_pool2d, max_pool3d = (_NAMES[f"max_pool{d}d"] for d in (1, 2, 3))
avg_pool1d, avg_pool2d, avg_pool3d = (_NAMES[f"avg_pool{d}d"] for d in (1, 2, 3))
max_unpool1d, max_unpool2d, max_unpool3d = (_NAMES[f"max_unpool{d}d"] for d in (1, 2, 3))
