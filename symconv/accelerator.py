r"""Optional compiled kernels (`Numba <https://numba.pydata.org>`_) for what NumPy does badly.

A depthwise convolution (``groups == in_channels``: each output plane reads one input plane)
has no GEMM to hand to BLAS: NumPy needs one multiply and one add pass over the whole tensor
per tap, or many tiny batched products, and either way it streams every plane through memory
several times. One fused loop instead copies an input plane into a zero-padded buffer (split
into stride phases) that stays in the L1/L2 cache and accumulates the taps, four per pass,
in flat unit-stride runs over that buffer.

Everything here is optional. :func:`depthwise_kernel` returns None when Numba is not
importable, when ``SYMCONV_ACCELERATOR=none`` is set in the environment (read when
:mod:`symconv.numeric` is imported; its module attribute ``ACCELERATOR`` switches at run time)
or for a dtype other than float32/float64; :mod:`symconv.numeric` then runs the generated
NumPy kernel, which stays the reference path. The generated modules of :mod:`symconv.codegen`
never use this module: they import only NumPy.

Numba compiles the loop once per dtype, on the first accelerated call (measured 1.7-2.6 s), and
caches the machine code on disk (Numba's order: ``NUMBA_CACHE_DIR`` when set, else ``__pycache__``
next to this file, else the user's cache directory, so a read-only site-packages install still
caches); a later process's first call then costs ~0.5 s (Numba's import and the cache load). When
no cache directory is writable it compiles in memory, once per process, with a warning.

Examples
--------
>>> import numpy as np
>>> from symconv.spec import ConvSpec
>>> spec = ConvSpec((3,), padding=1, in_channels=2, out_channels=2, groups=2, input_size=(4,))
>>> x, w = np.ones((1, 2, 4)), np.ones((2, 1, 3))
>>> out = np.empty((1, 2, 4))
>>> _ = depthwise_planes(*plane_arguments(spec, x, w, None, out))      # the loop, uncompiled
>>> out[0]
array([[2., 3., 3., 2.],
       [2., 3., 3., 2.]])
"""
from __future__ import annotations

import functools
import os
import warnings
from typing import Any, Callable

import numpy as np

__all__ = ["ENVIRONMENT", "mode_from_environment", "available", "depthwise_kernel", "depthwise_planes",
           "plane_arguments"]

#: The environment variable that switches the accelerator off (``none``, ``off``, ``0``) or on (``auto``).
ENVIRONMENT = "SYMCONV_ACCELERATOR"

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def mode_from_environment() -> str:
    """``"none"`` when :data:`ENVIRONMENT` says off (``none``, ``off``, ``0``, ``false``), else ``"auto"``.

    >>> mode_from_environment() in ("auto", "none")
    True
    """
    value = os.environ.get(ENVIRONMENT, "auto").strip().lower()
    return "none" if value in ("none", "off", "0", "false", "no") else "auto"


def depthwise_planes(x: np.ndarray, w: np.ndarray, b: np.ndarray, out: np.ndarray, geometry: np.ndarray,
                     taps: np.ndarray) -> np.ndarray:
    """Depthwise convolution plane by plane (the loop Numba compiles; plain Python runs it too, slowly).

    ``x`` is ``(N * C_in, D, H, W)``, ``w`` ``(C_out, T)`` (the taps flattened), ``b``
    ``(C_out,)`` and ``out`` ``(N * C_out, OD, OH, OW)``, all C-contiguous; output plane
    ``p = n * C_out + o`` reads input plane ``n * C_in + o // (C_out / C_in)``. ``geometry``
    holds (int64) ``C_in, C_out``, the stride and leading padding (depth, height, width) and the
    phase-plane sizes ``GD, GH, GW``; ``taps`` is ``(2, T)``: each tap's stride phase and flat
    offset (:func:`plane_arguments`).

    The padded input plane is stored split into its stride phases (padded position ``c`` on an
    axis of stride ``s`` goes to phase ``c % s`` at ``c // s``), so that every tap reads one
    phase plane at unit stride: output ``(a, r, j)`` accumulates ``w[t] * phase[f_t][(a, r, j) +
    shift_t]``. On the phase grid (row pitch ``GW``, slab ``GH * GW``) that is one flat run per
    tap over all outputs (the columns past ``OW`` are computed and dropped), four taps per pass
    (added in tap order, as one tap per pass would). Returns ``out``.
    """
    c_in, c_out = geometry[0], geometry[1]
    sd, sh, sw = geometry[2], geometry[3], geometry[4]
    pd, ph, pw = geometry[5], geometry[6], geometry[7]
    grid_d, grid_h, grid_w = geometry[8], geometry[9], geometry[10]
    multiplier = c_out // c_in
    n_taps = w.shape[1]
    in_d, in_h, in_w = x.shape[1], x.shape[2], x.shape[3]
    out_d, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    slab = grid_h * grid_w
    span = (out_d - 1) * slab + (out_h - 1) * grid_w + out_w
    phases = np.zeros((sd * sh * sw, grid_d * slab), x.dtype)
    acc = np.empty(span, out.dtype)
    filled = -1
    for p in range(out.shape[0]):
        n = p // c_out
        o = p - n * c_out
        q = n * c_in + o // multiplier
        if q != filled:                          # input plane q into the phase planes' interiors
            for a in range(in_d):
                for r in range(in_h):
                    source = x[q, a, r]
                    row = (((a + pd) % sd) * sh + (r + ph) % sh) * sw
                    start = ((a + pd) // sd) * slab + ((r + ph) // sh) * grid_w
                    for f in range(sw):
                        first = (f - pw) % sw                # first column of phase f
                        line = phases[row + f, start + (first + pw) // sw:]
                        if sw == 1:
                            for j in range(in_w):
                                line[j] = source[j]
                        else:
                            for j in range((in_w - first + sw - 1) // sw):
                                line[j] = source[first + j * sw]
            filled = q
        bias = b[o]
        for g in range(span):
            acc[g] = bias
        t = 0
        while t + 4 <= n_taps:
            w0, w1, w2, w3 = w[o, t], w[o, t + 1], w[o, t + 2], w[o, t + 3]
            r0 = phases[taps[0, t], taps[1, t]:]
            r1 = phases[taps[0, t + 1], taps[1, t + 1]:]
            r2 = phases[taps[0, t + 2], taps[1, t + 2]:]
            r3 = phases[taps[0, t + 3], taps[1, t + 3]:]
            for g in range(span):
                acc[g] = (((acc[g] + w0 * r0[g]) + w1 * r1[g]) + w2 * r2[g]) + w3 * r3[g]
            t += 4
        while t < n_taps:
            w0 = w[o, t]
            r0 = phases[taps[0, t], taps[1, t]:]
            for g in range(span):
                acc[g] += w0 * r0[g]
            t += 1
        for a in range(out_d):
            for r in range(out_h):
                line = acc[a * slab + r * grid_w:]
                target = out[p, a, r]
                for j in range(out_w):
                    target[j] = line[j]
    return out


def plane_arguments(spec: Any, x: np.ndarray, weight: np.ndarray, bias: Any, out: np.ndarray) -> tuple:
    """The arguments of :func:`depthwise_planes` for ``spec`` (a depthwise :class:`~symconv.spec.ConvSpec`
    with int sizes) on ``x`` (N, C_in, *i) into ``out`` (N, C_out, *o), C-contiguous: every array viewed
    as 3-D planes (1-D and 2-D get unit leading axes)."""
    return _arguments(_layout(spec), x, weight, bias, out)


def _layout(spec: Any) -> tuple:
    """``(input plane, output plane, C_out, geometry, taps)`` of a depthwise spec, each plane 3-D."""
    lead = (1,) * (3 - spec.ndim)
    kernel = lead + tuple(int(k) for k in spec.kernel_size)
    stride = lead + tuple(int(s) for s in spec.stride)
    dilation = lead + tuple(int(d) for d in spec.dilation)
    before = (0,) * len(lead) + tuple(int(p[0]) for p in spec.padding)
    size = lead + tuple(int(i) for i in spec.input_size)
    outs = lead + tuple(int(o) for o in spec.output_size)
    # per axis, phase planes of (padded extent) / stride rounded up: they hold the input after its
    # leading padding and every read (output o, tap t reads o + (t d) // s of phase (t d) % s)
    grid = tuple(max(-(-(size[j] + before[j]) // stride[j]), outs[j] + (kernel[j] - 1) * dilation[j] // stride[j])
                 for j in range(3))
    reach = [[(t * dilation[j] % stride[j], t * dilation[j] // stride[j]) for t in range(kernel[j])]
             for j in range(3)]
    taps = np.array([((f_d * stride[1] + f_h) * stride[2] + f_w, (u_d * grid[1] + u_h) * grid[2] + u_w)
                     for f_d, u_d in reach[0] for f_h, u_h in reach[1] for f_w, u_w in reach[2]], np.int64).T
    c_in, c_out = int(spec.in_channels), int(spec.out_channels)
    geometry = np.array((c_in, c_out) + stride + before + grid, np.int64)
    return size, outs, c_out, geometry, np.ascontiguousarray(taps)


def _arguments(layout: tuple, x: np.ndarray, weight: np.ndarray, bias: Any, out: np.ndarray) -> tuple:
    size, outs, c_out, geometry, taps = layout
    b = np.zeros(c_out, x.dtype) if bias is None else np.ascontiguousarray(bias, x.dtype)
    return (np.ascontiguousarray(x).reshape((-1,) + size), np.ascontiguousarray(weight, x.dtype).reshape(c_out, -1),
            b, out.reshape((-1,) + outs), geometry, taps)


@functools.lru_cache(maxsize=None)
def _compiled() -> Callable | None:
    """:func:`depthwise_planes` compiled by Numba (lazily, disk-cached when a cache directory is
    writable), or None when Numba is not importable."""
    try:
        import numba
    except ImportError:
        return None
    options = dict(nogil=True, fastmath=False, boundscheck=False, error_model="numpy")
    try:
        return numba.njit(cache=True, **options)(depthwise_planes)
    except RuntimeError:            # no writable cache directory (read-only install, no home): in memory
        warnings.warn("symconv.accelerator: no writable Numba cache directory; compiling in memory "
                      "(set NUMBA_CACHE_DIR to keep the compiled kernels)", RuntimeWarning, stacklevel=2)
        return numba.njit(**options)(depthwise_planes)


def available() -> bool:
    """Whether Numba is importable (the accelerator can be used when the mode is ``"auto"``).

    >>> available() in (True, False)
    True
    """
    return _compiled() is not None


#: Depthwise convolutions whose channel multiplier (C_out / C_in) times taps exceeds this run the
#: NumPy kernel, whose GEMM then has enough rows to win. Measured (float32, one thread, ms NumPy /
#: compiled): 1 -> 64 channels k7 s2 on 8x224^2 (64 x 49 = 3136): 13.9 / 17.0; 1 -> 32 k5 on 64x28^2
#: (800): 5.1 / 3.1; 1 -> 64 k3 on 8x224^2 (576): 30.4 / 24.3; 4 -> 64 k3 (144): 4.4 / 0.93.
DEPTHWISE_MAX_MULTIPLIED_TAPS = 1024


def is_depthwise(spec: Any) -> bool:
    """Whether ``spec`` is a depthwise convolution with int sizes (one input channel per group) that the
    compiled loop runs faster than the NumPy kernel (:data:`DEPTHWISE_MAX_MULTIPLIED_TAPS`)."""
    if not (isinstance(spec.groups, int) and isinstance(spec.in_channels, int) and spec.groups == spec.in_channels
            and isinstance(spec.out_channels, int) and spec.input_size is not None
            and all(isinstance(v, int) for v in spec.input_size)):
        return False
    taps = 1
    for k in spec.kernel_size:
        taps *= int(k)
    return spec.out_channels // spec.in_channels * taps <= DEPTHWISE_MAX_MULTIPLIED_TAPS


def depthwise_kernel(spec: Any, dtype: Any, owner: str = "conv") -> Callable | None:
    """A kernel ``(x, weight, bias=None, *, out=None)`` for the depthwise ``spec`` (as the lowered
    one), running the compiled loop; None when Numba is missing, ``dtype`` is not float32/float64
    or ``spec`` is not depthwise. The caller has validated the shapes (the plan key holds them)."""
    if np.dtype(dtype) not in _DTYPES or not is_depthwise(spec):
        return None
    planes = _compiled()
    if planes is None:
        return None
    layout = _layout(spec)
    c_out = layout[2]
    out_size = tuple(int(v) for v in spec.output_size)

    def kernel(x: np.ndarray, weight: np.ndarray, bias: Any = None, *, out: Any = None) -> np.ndarray:
        if bias is not None and np.shape(bias) != (c_out,):
            raise ValueError(f"{owner}: bias must have shape ({c_out},), got bias.shape={np.shape(bias)}")
        if out is None:
            out = np.empty((x.shape[0], c_out) + out_size, x.dtype)
        elif not out.flags.c_contiguous:
            raise ValueError(f"{owner}: out must be C-contiguous")
        planes(*_arguments(layout, x, weight, bias, out))
        return out

    kernel.accelerated = True          # type: ignore[attr-defined]  # read by benchmarks/bench_kernels.py
    return kernel
