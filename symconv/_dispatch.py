"""The numeric API's dispatch: the plan cache, and the argument checks every operator shares.

A *plan* is what a validated call leaves behind: the lowered kernel, its output shape and that
shape's element count. :class:`PlanCache` keeps one per key of everything validation read
(shapes, dtypes, the parameters' values and their types, and a ``salt`` such as
:data:`symconv.numeric.MEMORY_LIMIT`), so a repeated call finds its plan before any argument is
converted or checked. The functions below are the shared argument rules of :mod:`symconv.numeric`.

Examples
--------
>>> cache = PlanCache(limit=2, salt=lambda: 0)
>>> cache.plan("op", ((2, 3),), (1, 2.0), lambda: "built")
'built'
>>> cache.lookup("op", ((2, 3),), (1, 2.0)), cache.lookup("op", ((2, 3),), (1, 2))
('built', None)
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import parallel

__all__ = ["PlanCache", "kernel_plan", "as_array", "floating", "spatial_rank", "with_input_shape", "kernel_rank",
           "conv_inputs", "is_unbatched", "pool_rank", "run_plan", "same_float"]

_SCALARS = (int, float, str, bool, type(None))
_SCALAR_SET = frozenset(_SCALARS)


class _Uncached(Exception):
    """A parameter of a type the cache key does not cover: take the uncached path."""


def _typed(value: Any) -> Any:
    """The types in ``value`` (nested like it): with the values, a key where ``2``, ``2.0`` and ``True`` differ."""
    kind = type(value)
    if kind in _SCALARS:
        return kind
    if kind is tuple or kind is list:
        return (kind,) + tuple([_typed(v) for v in value])
    raise _Uncached


class PlanCache:
    """Plans by (operator, array shapes/dtypes, parameters, their types, ``salt()``), at most ``limit``
    (cleared whole when full). Only a plan that ``build`` returned, hence validated, is stored."""

    def __init__(self, limit: int, salt: Callable[[], Any]):
        self.limit, self.salt, self.plans = limit, salt, {}

    def clear(self) -> None:
        self.plans.clear()

    def key(self, owner: str, arrays: tuple, params: tuple) -> Any:
        """The key for these shapes/dtypes and parameters; None when a parameter's type is not covered.

        The common case, every parameter a scalar, keys on the flat tuple of their types (no recursion).
        """
        types = tuple(map(type, params))
        if not _SCALAR_SET.issuperset(types):
            try:
                types = _typed(params)
            except _Uncached:
                return None
        return (owner, self.salt(), arrays, params, types)

    def lookup(self, owner: str, arrays: tuple, params: tuple) -> Any:
        """The plan stored for these shapes/dtypes and parameters, else None (checked before any validation)."""
        types = tuple(map(type, params))
        if _SCALAR_SET.issuperset(types):           # every parameter a (hashable) scalar: key()'s first branch
            return self.plans.get((owner, self.salt(), arrays, params, types))
        try:
            return self.plans.get(self.key(owner, arrays, params))
        except TypeError:                           # unhashable (a list): the uncached path
            return None

    def plan(self, owner: str, arrays: tuple, params: tuple, build: Callable[[], Any]) -> Any:
        """The plan cached for these array shapes/dtypes and parameters, else ``build()`` (which validates,
        raising on bad input), stored under a key holding every argument the validation read."""
        key = self.key(owner, arrays, params)
        try:
            plan = self.plans.get(key)
        except TypeError:                           # unhashable (a list)
            return build()
        if plan is None:
            plan = build()
            if key is not None:
                if len(self.plans) >= self.limit:
                    self.plans.clear()
                self.plans[key] = plan
        return plan


def kernel_plan(kernel: Any, shape: tuple) -> tuple:
    """A plan: the kernel, its output shape and that shape's element count (which decides threading)."""
    size = 1
    for extent in shape:
        size *= extent
    return kernel, shape, size


def as_array(value: Any, name: str, owner: str) -> np.ndarray:
    """``value`` as an array of real numbers (bool, int, uint or float), else a TypeError naming ``name``."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {name} must be a real numeric array, got dtype {array.dtype}")
    return array


def floating(x: np.ndarray) -> np.ndarray:
    """``x`` itself when floating, else as float64 (PyTorch's ops take floating inputs)."""
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def spatial_rank(owner: str, x: np.ndarray, ndim: int | None = None, name: str = "x") -> int:
    """Number of spatial axes of ``x`` (N, C, *spatial): 1 to 3, or ``ndim`` when given."""
    if ndim is None:
        if not 3 <= x.ndim <= 5:
            raise ValueError(f"{owner}: {name} must have 3, 4 or 5 dimensions (N, C, *spatial) for 1-D, 2-D or "
                             f"3-D, got {name}.shape={x.shape}")
        return x.ndim - 2
    if x.ndim != ndim + 2:
        raise ValueError(f"{owner}: {name} must have {ndim + 2} dimensions (N, C, *spatial) for kernel_size with "
                         f"{ndim} entries, got {name}.shape={x.shape}")
    return ndim


def with_input_shape(exc: ValueError, x: np.ndarray) -> ValueError:
    """A spec's ValueError with the input shape appended (the spec sees only the spatial sizes)."""
    return ValueError(f"{exc} (input shape {x.shape})")


def kernel_rank(kernel_size: Any) -> int | None:
    """The number of spatial axes a per-axis ``kernel_size`` gives; None for a scalar."""
    return len(kernel_size) if isinstance(kernel_size, (tuple, list)) else None


def conv_inputs(owner: str, x: Any, weight: Any, bias: Any) -> tuple:
    """``x`` floating, ``weight`` and ``bias`` cast to its dtype (PyTorch computes in the input's dtype)."""
    x = floating(as_array(x, "x", owner))
    weight = as_array(weight, "weight", owner)
    if weight.dtype != x.dtype:
        weight = weight.astype(x.dtype)
    if bias is not None:
        bias = as_array(bias, "bias", owner).astype(x.dtype, copy=False)
    return x, weight, bias


def is_unbatched(owner: str, ndim: int | None, x: np.ndarray, rank_of: int | None, name: str, value: Any) -> bool:
    """Whether ``x`` is one unbatched sample ``(C, *spatial)``: only for the dimension-explicit names.

    The rank-inferred names (``ndim`` None) read ``x`` as ``(N, C, *spatial)`` and refuse the
    two cases where that reading is a guess: ``x`` one axis short of the rank ``name`` implies,
    and, when no argument fixes the rank (``rank_of`` None: every size is a scalar), an ``x`` of
    3 or 4 axes, which PyTorch's ``*{r}d`` functions read two ways (``(N, C, *spatial)`` with
    ``r = x.ndim - 2`` or one unbatched ``(C, *spatial)`` with ``r = x.ndim - 1``). Both errors
    name the explicit function to call.
    """
    if ndim is not None:
        return x.ndim == ndim + 1
    if rank_of is not None and x.ndim == rank_of + 1:
        raise ValueError(f"{owner}: x.shape={x.shape} has one axis fewer than the (N, C, *spatial) layout "
                         f"{name}={value} implies; for one unbatched (C, *spatial) sample call {owner}{rank_of}d")
    if rank_of is None and x.ndim in (3, 4):
        batched, unbatched = x.ndim - 2, x.ndim - 1
        raise ValueError(f"{owner}: x.shape={x.shape} with scalar {name}={value} is ambiguous: call "
                         f"{owner}{batched}d for a batch (N, C, *spatial) with {batched} spatial axes, or "
                         f"{owner}{unbatched}d for one unbatched (C, *spatial) sample with {unbatched}, or give "
                         f"{name} as a tuple of {batched}")
    return False


def pool_rank(**sizes: Any) -> tuple:
    """``(rank, name, value)``: the spatial rank the first sequence among ``sizes`` (kernel_size,
    stride, ...) gives, with its name and value; ``(None, "kernel_size", kernel_size)`` when all are scalars."""
    for name, value in sizes.items():
        if isinstance(value, (tuple, list)):
            return len(value), name, value
    return None, "kernel_size", sizes["kernel_size"]


def run_plan(plan: tuple, dtype: Any, sliced: tuple, fixed: tuple = (), *, planewise: bool = False,
         blas: bool = False, indices: bool = False) -> Any:
    """Run a plan's kernel: inline below :data:`symconv.parallel.MIN_ELEMENTS` outputs (the kernel
    allocates its result), else on slices over threads into one preallocated output."""
    kernel, shape, size = plan
    if size < parallel.MIN_ELEMENTS:
        return kernel(*sliced, *fixed, return_indices=True) if indices else kernel(*sliced, *fixed)
    out = np.empty(shape, dtype)
    if indices:
        return parallel.run(kernel, sliced, fixed, (out, np.empty(shape, np.int64)), planewise=True,
                            return_indices=True)
    return parallel.run(kernel, sliced, fixed, out, planewise=planewise, blas=blas)


def same_float(x: Any, weight: Any, bias: Any) -> bool:
    """Whether ``x``, ``weight`` (and ``bias``) are arrays of one floating dtype: no conversion to do."""
    return (type(x) is np.ndarray and type(weight) is np.ndarray and x.dtype.kind == "f" and weight.dtype == x.dtype
            and (bias is None or type(bias) is np.ndarray and bias.dtype == x.dtype))
