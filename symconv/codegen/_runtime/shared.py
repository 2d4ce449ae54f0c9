"""Run-time helpers every family uses: output arrays, half precision, table caches, gather tables.

>>> _outer((np.arange(2), np.arange(3)), np.add)
array([[0, 1, 2],
       [1, 2, 3]])
"""
import numpy as np


def _output(owner, out, shape, dtype, name="out"):
    """``out`` when it is a C-contiguous array of ``shape`` and ``dtype`` (written in place), else a new one.

    >>> _output("f", None, (2,), np.float32).shape
    (2,)
    """
    if out is None:
        return np.empty(shape, dtype)
    shape = tuple(int(v) for v in shape)
    if not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != np.dtype(dtype) \
            or not out.flags.c_contiguous:
        got = (f"{type(out).__name__}" if not isinstance(out, np.ndarray) else
               f"shape {out.shape}, dtype {out.dtype}, C-contiguous={out.flags.c_contiguous}")
        raise ValueError(f"{owner}: {name} must be a C-contiguous array of shape {shape} and dtype "
                         f"{np.dtype(dtype)}, got {got}")
    return out


def _in_float32(function, owner, out, *arrays):
    """``function`` on float32 copies of half-precision ``arrays``, rounded once into float16.

    PyTorch accumulates float16 sums (convolutions, window sums, interpolation weights) in
    float32; summing in float16 overflows (8 x 8 windows of 10000) and loses ~4x the precision.

    >>> _in_float32(lambda x: x * 2, "f", None, np.ones(2, np.float16)).dtype
    dtype('float16')
    """
    result = function(*[None if a is None else np.asarray(a, np.float32) for a in arrays])
    out = _output(owner, out, result.shape, np.float16)
    np.copyto(out, result, casting="same_kind")
    return out


def _remember(tables, key, value, limit=64):
    """``tables[key] = value`` (a kernel's cache of small-path tables, emptied when full); returns ``value``."""
    if len(tables) >= limit:
        tables.clear()
    tables[key] = value
    return value


def _gather_index(reads, sizes, steps):
    """Gather table ``(taps, outputs)`` of flat positions in a plane of ``sizes``, and whether any read misses.

    ``reads[j][t, r]`` is the (numerator of the) position that output ``r`` reads through tap ``t``
    on axis ``j``: position ``reads // steps`` when divisible and inside ``[0, size)``. A read that
    misses on any axis gets the extra slot ``prod(sizes)`` (zero, or the pooling fill).

    >>> _gather_index((np.array([[-1, 1], [0, 2]]),), (2,), (1,))
    (array([[2, 1],
           [0, 2]]), True)
    """
    ndim = len(reads)
    total, valid, stride = 0, True, 1
    for j in range(ndim - 1, -1, -1):
        read = np.asarray(reads[j])
        position = read // steps[j]
        ok = (read % steps[j] == 0) & (position >= 0) & (position < sizes[j])
        shape = [1] * (2 * ndim)
        shape[j], shape[ndim + j] = read.shape
        total = total + (position * stride).reshape(shape)
        valid = valid & ok.reshape(shape)
        stride *= sizes[j]
    taps = 1
    for j in range(ndim):
        taps *= reads[j].shape[0]
    table = np.where(valid, total, stride).reshape(taps, -1).astype(np.intp)
    return table, bool((table == stride).any())


def _outer(parts, combine):
    """Combine per-axis 1-D arrays into an N-D grid (``np.add`` or ``np.multiply``)."""
    ndim = len(parts)
    total = None
    for j, part in enumerate(parts):
        shaped = np.asarray(part).reshape((-1,) + (1,) * (ndim - 1 - j))
        total = shaped if total is None else combine(total, shaped)
    return total
