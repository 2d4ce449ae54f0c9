r'''Lowering: a spec becomes the source of a standalone NumPy module, then a callable kernel.

``lower(spec)`` reads the spec's SymPy size expressions and the index relation
:math:`c = r s + t d - p_b` (:mod:`symconv.index`) and prints them into a module that imports
only NumPy. The builder of each operator family lives in its own module -- convolutions in
:mod:`.conv`, pooling and unpooling in :mod:`.pooling`, interpolation in :mod:`.resampling` --
on the shared pieces of :mod:`.common`; this module dispatches, compiles and caches.

Sizes, slice bounds and tap offsets are printed from SymPy expressions, so a spec whose
``input_size`` is symbolic (or absent) gives a kernel generic in those sizes, and a concrete
spec gives a kernel that checks its input shape. The source is deterministic and the kernel
cached per spec.

Examples
--------
>>> import numpy as np
>>> from symconv.spec import ConvSpec
>>> kernel = lower(ConvSpec(3, padding=1, ndim=1))
>>> kernel(np.ones((1, 1, 4)), np.ones((1, 1, 3)))
array([[[2., 3., 3., 2.]]])
>>> print(kernel.source.splitlines()[0])
"""conv: 1-D convolution (cross-correlation) lowered by symconv.
'''
from __future__ import annotations

import linecache
from dataclasses import dataclass, field, replace
from functools import lru_cache
from math import prod
from typing import Any, Callable

from .. import index
from ..spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from . import _runtime
from .common import _helper_source
from .conv import (CHANNELS_LAST_ROW_OFFSETS, CHUNK_ELEMENTS, COLUMN_LIMIT, IM2COL_LIMIT, STRIDED_IM2COL_PHASES,
                   _build_conv, _build_conv_transpose)
from .ir import render
from .pooling import _build_avg_pool, _build_max_pool, _build_max_unpool
from .resampling import _build_upsample

__all__ = ["Kernel", "lower", "module_source", "CHUNK_ELEMENTS", "IM2COL_LIMIT", "COLUMN_LIMIT",
           "STRIDED_IM2COL_PHASES",
           "CHANNELS_LAST_ROW_OFFSETS", "MAX_TAPS", "MAX_PHASES"]


#: Lowering plans every kernel tap and every stride phase separately (SymPy slice bounds for each),
#: so its cost grows with both; larger kernels are refused before any work starts. A 64x64 (2-D)
#: or 16x16x16 (3-D) kernel with 256 phases lowers in a few seconds.
MAX_TAPS = 4096


MAX_PHASES = 256


_SPECS = (ConvSpec, ConvTransposeSpec, MaxPoolSpec, AvgPoolSpec, MaxUnpoolSpec, UpsampleSpec)


@dataclass(frozen=True)
class Kernel:
    """A lowered operator: call it like the generated function; ``source`` is the module text.

    Attributes
    ----------
    name : str
        The function's name (the operator: ``conv``, ``conv_transpose``, ...).
    spec : spec
        The spec it was lowered from.
    source : str
        The standalone module (imports only NumPy).
    """

    name: str
    spec: Any
    source: str = field(repr=False)
    function: Callable = field(repr=False, compare=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)


def lower(spec: Any) -> Kernel:
    """Lower a spec to a kernel: a NumPy function plus the source of its standalone module.

    Parameters
    ----------
    spec : ConvSpec, ConvTransposeSpec, MaxPoolSpec, AvgPoolSpec, MaxUnpoolSpec or UpsampleSpec
        Kernel size, stride, padding, dilation, groups, output padding, scale factors and
        sizes must be ints; ``input_size`` may be ints, integer symbols or absent (then the
        kernel is generic in the input size); channel counts may be symbols.

    Returns
    -------
    Kernel
        Callable as ``conv(x, weight, bias=None)``, ``conv_transpose(x, weight, bias=None)``,
        ``max_pool(x)`` (returns ``(values, indices)``), ``avg_pool(x)``,
        ``max_unpool(x, indices)`` or ``upsample(x)``.

    Raises
    ------
    TypeError
        Not a spec.
    ValueError
        A parameter that cannot be read from the arrays is symbolic.

    Examples
    --------
    >>> import numpy as np
    >>> from symconv.spec import MaxPoolSpec
    >>> values, indices = lower(MaxPoolSpec(2, ndim=1))(np.array([[[1., 5, 2, 0, 3]]]), return_indices=True)
    >>> values, indices
    (array([[[5., 2.]]]), array([[[1, 2]]]))
    >>> lower(MaxPoolSpec(2, ndim=1)) is lower(MaxPoolSpec(2, ndim=1))
    True
    """
    if not isinstance(spec, _SPECS):
        raise TypeError(f"lower: expected a symconv spec, got {type(spec).__name__}")
    _check_cost(spec)
    return _lower(spec)


def _check_cost(spec: Any) -> None:
    """Refuse a spec whose lowering would plan more taps or stride phases than the limits.

    Examples
    --------
    >>> _check_cost(ConvSpec(10**9, ndim=1))
    Traceback (most recent call last):
    ...
    ValueError: lower: conv with kernel_size=(1000000000,) has 1000000000 taps; at most 4096 (MAX_TAPS) can be lowered
    """
    if isinstance(spec, UpsampleSpec):
        return
    kernel, stride = spec.kernel_size, spec.stride
    if not all(isinstance(v, int) for v in kernel + stride + spec.dilation):
        return                                            # symbolic: refused by the builders
    taps = prod(kernel)
    if taps > MAX_TAPS:
        raise ValueError(f"lower: {spec.op} with kernel_size={kernel} has {taps} taps; at most {MAX_TAPS} "
                         f"(MAX_TAPS) can be lowered")
    if isinstance(spec, ConvTransposeSpec):
        phases = prod(stride)
    else:
        phases = prod(len({index.polyphase(t * d, s)[0] for t in range(k)})
                      for k, s, d in zip(kernel, stride, spec.dilation))
    if phases > MAX_PHASES:
        raise ValueError(f"lower: {spec.op} with kernel_size={kernel}, stride={stride} is split into {phases} "
                         f"stride phases; at most {MAX_PHASES} (MAX_PHASES) can be lowered")


def module_source(spec: Any) -> str:
    """The text of the standalone module for ``spec`` (what ``symconv codegen`` writes)."""
    return lower(spec).source


@lru_cache(maxsize=512)
def _lower(spec: Any) -> Kernel:
    builder = _BUILDERS[type(spec)]
    module = builder(spec)
    source = render(module)
    name = module.exports[0]
    # Execute the same text: the helpers (identical for every kernel) are compiled once and
    # shared; the spec-specific remainder of the module is compiled here.
    specific = render(replace(module, helpers=()))
    filename = f"<symconv-kernel-{name}-{abs(hash(specific)) % 10 ** 12}>"
    code = compile(specific, filename, "exec")
    linecache.cache[filename] = (len(specific), None, specific.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"symconv_kernel_{name}"}
    namespace.update(_helper_namespace())
    exec(code, namespace)  # noqa: S102 - our own generated text, no user strings
    return Kernel(name, spec, source, namespace[name])


@lru_cache(maxsize=1)
def _helper_namespace() -> dict:
    """Every runtime helper compiled from its own source text (the text the modules contain)."""
    namespace: dict[str, Any] = {"np": _runtime.np}
    for function in _runtime.HELPERS:
        text = _helper_source(function)
        exec(compile(text, f"<symconv-runtime-{function.__name__}>", "exec"), namespace)  # noqa: S102
    return namespace


_BUILDERS: dict = {ConvSpec: _build_conv, ConvTransposeSpec: _build_conv_transpose, MaxPoolSpec: _build_max_pool,
             AvgPoolSpec: _build_avg_pool, MaxUnpoolSpec: _build_max_unpool, UpsampleSpec: _build_upsample}

