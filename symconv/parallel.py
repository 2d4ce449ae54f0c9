"""Run one lowered kernel on slices of its batch (or channel) axis, on a few threads at once.

The generated kernels are single-threaded NumPy (their modules import only NumPy). NumPy
releases the GIL inside its loops and BLAS calls, so slices of one call run concurrently on
threads of this process, each writing its own slice of a preallocated output (the kernels'
``out=`` argument): no result is copied twice. Slicing the batch axis is exact for every
operator; slicing the channel axis only for the plane-wise ones (pooling, unpooling,
interpolation), which the caller says with ``planewise``.

Kernels whose work is BLAS GEMMs (the convolutions) would otherwise fight over OpenBLAS's own
threads; for those (``blas=True``) BLAS is limited to one thread per call for the duration,
through `threadpoolctl <https://github.com/joblib/threadpoolctl>`_, so that each thread runs its
GEMMs and its memory passes on one core. Without threadpoolctl such calls run unsplit.

>>> import numpy as np
>>> double = lambda x, *, out: np.multiply(x, 2, out=out)
>>> run(double, (np.ones((4, 3)),), (), np.empty((4, 3)), min_elements=1)[:, 0]
array([2., 2., 2., 2.])
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


#: Threads one numeric call uses (1: run every kernel inline on the calling thread).
THREADS = max(1, min(_available_cores(), 16))

#: Calls producing fewer output elements than this run inline: the thread hand-off costs
#: tens of microseconds.
MIN_ELEMENTS = 1 << 16

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """The shared worker pool, grown to ``workers``; a forked child (whose copy of the pool has
    no threads) gets a pool of its own."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid() or _pool._max_workers < workers:  # noqa: SLF001
            # a smaller old pool is left running: a caller may hold it between lookup and submit
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="symconv")
            _pool_pid = os.getpid()
        return _pool


# ----------------------------------------------------------------- BLAS limited to one thread
_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None
_controller: Any = None


def _blas_controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries, or None without threadpoolctl."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a declared dependency
            _controller = False
        else:
            _controller = ThreadpoolController()
    return _controller or None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread while any caller is inside (re-entrant and thread-safe)."""
    global _blas_users, _blas_limiter
    controller = _blas_controller()
    with _blas_lock:
        if _blas_users == 0 and controller is not None:
            _blas_limiter = controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limiter is not None:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


# ----------------------------------------------------------------- splitting one call
def _parts(out: Any, sliced: tuple, planewise: bool, blas: bool, min_elements: int) -> tuple[int, int]:
    """(axis, number of slices) for one call; 1 slice means run inline."""
    first = out[0] if isinstance(out, tuple) else out
    if THREADS < 2 or first.size < min_elements or (blas and _blas_controller() is None):
        return 0, 1
    x = sliced[0]
    if x.shape[0] >= 2:
        return 0, min(THREADS, x.shape[0])
    if planewise and x.ndim > 1 and x.shape[1] >= 2:
        return 1, min(THREADS, x.shape[1])
    return 0, 1


def _slice(value: Any, axis: int, start: int, stop: int) -> Any:
    if isinstance(value, tuple):
        return tuple(_slice(v, axis, start, stop) for v in value)
    return value[start:stop] if axis == 0 else value[:, start:stop]


def run(kernel: Callable, sliced: tuple, fixed: tuple, out: Any, *, planewise: bool = False, blas: bool = False,
        min_elements: int | None = None, **options: Any) -> Any:
    """``kernel(*sliced, *fixed, out=out, **options)``, split into slices of the batch axis.

    Parameters
    ----------
    kernel : callable
        A lowered kernel taking ``out=`` (C-contiguous, written in place).
    sliced : tuple of arrays
        Arguments sliced with the output (``x``; also ``indices`` for unpooling).
    fixed : tuple
        Arguments passed whole (``weight``, ``bias``).
    out : array or tuple of arrays
        The preallocated result, C-contiguous; sliced like ``sliced``.
    planewise : bool
        Channels are independent planes, so a batch of one may be split by channel.
    blas : bool
        The kernel's work is GEMMs: split only when BLAS can be limited to one thread.
    min_elements : int, optional
        Run inline below this many output elements (default :data:`MIN_ELEMENTS`).

    Returns
    -------
    ``out``
    """
    axis, parts = _parts(out, sliced, planewise, blas, MIN_ELEMENTS if min_elements is None else min_elements)
    if parts == 1:
        kernel(*sliced, *fixed, out=out, **options)
        return out
    length = sliced[0].shape[axis]
    bounds = [length * j // parts for j in range(parts + 1)]

    def call(j: int) -> None:
        lo, hi = bounds[j], bounds[j + 1]
        kernel(*(_slice(a, axis, lo, hi) for a in sliced), *fixed, out=_slice(out, axis, lo, hi), **options)

    context = single_threaded_blas() if blas else contextlib.nullcontext()
    with context:
        futures = [_executor(parts - 1).submit(call, j) for j in range(1, parts)]
        try:
            call(0)
        finally:
            errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return out

