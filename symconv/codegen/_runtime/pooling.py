"""Run-time helpers of pooling: max pooling over stride phases (with switches), window sums, unpooling.

The tap ranges of the window sums come from :func:`symconv.index.tap_window`, whose text the
generated modules contain too.
"""
import numpy as np

from ...index import tap_window
from .shared import _output


def _window_table(gathered, first, out_size):
    """The table of :func:`_gather_max`, windows along the last axis: ``_gather_index``'s index
    transposed to ``(outputs, taps)``, its ``misses``, the switch of every (output, tap) flat -- the
    input position, or ``first`` (PyTorch's initial switch) where the tap reads padding -- and the
    flat position ``output * taps`` where each output's window starts."""
    index, misses = gathered
    taps = index.shape[0]
    switches = index
    if misses and first is not None:
        switches = np.where(index == index.max(), np.broadcast_to(first, tuple(out_size)).reshape(1, -1), index)
    starts = np.arange(index.shape[1], dtype=np.intp) * taps
    return (np.ascontiguousarray(index.T), misses, np.ascontiguousarray(switches.T, dtype=np.int64).reshape(-1),
            starts)


def _gather_max(x, table, fill, out_size, out, return_indices):
    """Max pooling of a small problem: whole windows gathered through ``table``, one ``max``.

    Ties go to the first tap; NaN wins and, as in PyTorch's loop, the last NaN's index is
    reported. A window whose winner is the fill slot (only padding and -inf seen) reports
    PyTorch's initial index (the table's switches).
    """
    index, misses, switches, starts = table
    planes = x.shape[0] * x.shape[1]
    flat = x.reshape(planes, -1)
    if misses:
        padded = np.empty((planes, flat.shape[1] + 1), x.dtype)
        padded[:, :-1] = flat
        padded[:, -1] = fill
        flat = padded
    windows = flat.take(index, axis=1)                             # (planes, outputs, taps)
    shape = x.shape[:2] + tuple(out_size)
    if out is None and return_indices:                             # the common call: no output arrays to fill
        tap = windows.argmax(axis=2)                               # the first maximum (or the first NaN)
        tap += starts                                              # flat (output, tap) positions in a plane
        if planes == 1:
            values = windows.reshape(-1).take(tap)                 # the winners' values: one take
        else:
            values = np.maximum.reduce(windows, axis=2)
        tap = _last_nan(windows, values, tap, starts)
        return values.reshape(shape), switches.take(tap).reshape(shape)
    values_out, indices_out = out if isinstance(out, tuple) else (out, None)
    values = np.empty(shape, x.dtype) if values_out is None else _output("max_pool", values_out, shape, x.dtype)
    if not return_indices:
        np.maximum.reduce(windows, axis=2, out=values.reshape(planes, -1))
        return values
    indices = np.empty(shape, np.int64) if indices_out is None else _output("max_pool", indices_out, shape, np.int64,
                                                                           "out[1]")
    tap = windows.argmax(axis=2)                                   # the first maximum (or the first NaN)
    tap += starts                                                  # flat (output, tap) positions in a plane
    if planes == 1:                                                # the winners' values: one take
        windows.reshape(-1).take(tap.reshape(-1), out=values.reshape(-1))
    else:
        np.maximum.reduce(windows, axis=2, out=values.reshape(planes, -1))
    tap = _last_nan(windows, values, tap, starts)
    switches.take(tap, out=indices.reshape(planes, -1))
    return values, indices


def _last_nan(windows, values, tap, starts):
    """``tap`` (flat winner positions) with every NaN window's winner moved to its last NaN, as
    PyTorch's loop (``val > max || isnan(val)``) reports; ``tap`` itself when no value is NaN."""
    if windows.dtype.kind != "f":
        return tap
    flat_values = values.reshape(-1)
    squares = np.dot(flat_values, flat_values)                     # NaN exactly when a value is NaN
    if squares == squares:
        return tap
    nan = np.isnan(values.reshape(tap.shape))
    last = windows.shape[2] - 1 - np.argmax(np.isnan(windows[:, :, ::-1]), axis=2)
    return np.where(nan, last + starts, tap)


def _pool_phases(x, fill, grid, phases):
    """Split ``x`` (N, C, *i) into stride phases on the padded grid, one array (N, C, *grid) each.

    ``phases[f][j] = (first, count, start, step)`` as in :func:`_fill`: grid positions
    ``first .. first+count-1`` of phase ``f`` on axis ``j`` hold input positions ``start,
    start+step, ...``; the other positions (padding) hold ``fill``. A tap at padded offset
    ``t*d`` then reads phase ``(t*d) % s`` at the contiguous shift ``(t*d) // s``. A phase
    without padding is a strided view of ``x`` (no copy).
    """
    n_batch, channels = x.shape[0], x.shape[1]
    buffers = []
    for axes in phases:
        counts = tuple(max(count, 0) for _, count, _, _ in axes)
        covered = all(first == 0 and count == size for (first, _, _, _), count, size in zip(axes, counts, grid))
        source = (slice(None), slice(None)) + tuple(slice(start, start + count * step, step)
                                                     for (_, _, start, step), count in zip(axes, counts))
        if covered:                  # no padding in this phase: a strided view of x, no copy
            buffers.append(x[source])
            continue
        buf = np.empty((n_batch, channels) + tuple(grid), x.dtype)
        if min(counts) == 0:
            buf.fill(fill)
        else:
            for j, ((first, _, _, _), count) in enumerate(zip(axes, counts)):    # the padding strips
                lead = (slice(None),) * (2 + j)
                buf[lead + (slice(0, first),)] = fill
                buf[lead + (slice(first + count, None),)] = fill
            target = (slice(None), slice(None)) + tuple(slice(first, first + count)
                                                         for (first, _, _, _), count in zip(axes, counts))
            buf[target] = x[source]
        buffers.append(buf)
    return buffers


def _max_pool(x, fill, grid, phases, taps, out_size, tap_offsets, base, first=None, out=None,
              block_elements=2 ** 19):
    """Maximum over the taps and the flat input index of the winner (first maximum wins; NaN wins).

    Runs :func:`_max_pool_block` on blocks of (n, c) planes of about ``block_elements``
    input elements, so the phases and the running maximum stay in cache. ``out`` receives the
    values, or ``(values, indices)``.
    """
    planes = x.shape[0] * x.shape[1]
    plane = 1
    for size in x.shape[2:]:
        plane *= size
    per = max(1, block_elements // max(plane, 1))
    values_out, indices_out = out if isinstance(out, tuple) else (out, None)
    values = _output("max_pool", values_out, x.shape[:2] + tuple(out_size), x.dtype)
    indices = None if base is None else _output("max_pool", indices_out, values.shape, np.int64, "out[1]")
    flat_x = x.reshape((planes, 1) + x.shape[2:])
    flat_values = values.reshape((planes, 1) + tuple(out_size))
    flat_indices = None if base is None else indices.reshape(flat_values.shape)
    for p0 in range(0, planes, per):
        _max_pool_block(flat_x[p0:p0 + per], fill, grid, phases, taps, out_size, tap_offsets, base, first,
                        flat_values[p0:p0 + per], None if base is None else flat_indices[p0:p0 + per])
    return values, indices


def _max_pool_block(x, fill, grid, phases, taps, out_size, tap_offsets, base, first, best, indices):
    """Max pooling of the planes ``x`` into ``best`` (and ``indices`` unless ``base`` is None).

    ``x`` is split into stride phases by :func:`_pool_phases` (``fill``, ``grid``, ``phases``);
    ``taps[t] = (phase, shifts)``: tap ``t`` reads that phase shifted by ``shifts``, a view
    with unit steps. One pass over the taps keeps a running
    ``np.maximum`` (which propagates NaN) and, branch-free, the last tap that was strictly
    greater than the running maximum (so the first maximum in scan order wins). Windows
    whose maximum is NaN then take the last NaN tap (PyTorch's ``val > max || isnan(val)``).
    Where no tap beats tap 0 the index is ``first`` when given: PyTorch's initial answer, the
    first tap at coordinates >= 0 on every axis (tap 0 itself unless it lies in the padding).
    """
    buffers = _pool_phases(x, fill, grid, phases)
    views = []
    for phase, shifts in taps:
        index = (slice(None), slice(None)) + tuple(slice(q, q + size) for q, size in zip(shifts, out_size))
        views.append(buffers[phase][index])
    np.copyto(best, views[0])
    if base is None:
        for view in views[1:]:
            np.maximum(best, view, out=best)
        return
    kind = np.int8 if len(views) <= 127 else np.intp
    winner = np.zeros(best.shape, kind)
    mask = np.empty(best.shape, bool)
    claim = np.empty(best.shape, kind)
    for tap in range(1, len(views)):
        np.greater(views[tap], best, out=mask)
        np.maximum(best, views[tap], out=best)
        np.multiply(mask, kind(tap), out=claim)
        np.maximum(winner, claim, out=winner)
    if best.dtype.kind in "fc":
        nan = np.isnan(best)
        if nan.any():
            for tap, view in enumerate(views):
                np.copyto(winner, tap, where=nan & np.isnan(view))
    np.take(np.asarray(tap_offsets, np.int64), winner, out=indices, mode="clip")   # winner is in range
    indices += base
    if first is not None:
        # only windows whose tap 0 lies in the padding differ: fix those plane positions alone
        plane = int(np.prod(out_size))
        spots = np.flatnonzero(np.broadcast_to(first != base + tap_offsets[0], tuple(out_size)))
        if spots.size:
            flat = indices.reshape(-1, plane)
            picked = flat[:, spots]
            np.copyto(picked, np.broadcast_to(first, tuple(out_size)).reshape(plane)[spots],
                      where=winner.reshape(-1, plane)[:, spots] == 0)
            flat[:, spots] = picked


def _avg_pool(x, kernel_size, stride, padding, out_size, divisor, out=None, block_elements=2 ** 18):
    """Window sums (:func:`_window_sums`) divided by the window sizes ``divisor``.

    Blocks of (n, c) planes of about ``block_elements`` input elements keep the per-axis
    sums in cache, so only the input read and the output write go to memory.
    """
    planes = x.shape[0] * x.shape[1]
    plane = 1
    for size in x.shape[2:]:
        plane *= size
    per = max(1, block_elements // max(plane, 1))
    divisor = divisor.astype(x.dtype)
    out = _output("avg_pool", out, x.shape[:2] + tuple(out_size), x.dtype)
    flat_in = x.reshape((planes, 1) + x.shape[2:])
    flat_out = out.reshape((planes, 1) + tuple(out_size))
    for p0 in range(0, planes, per):
        sums = _window_sums(flat_in[p0:p0 + per], kernel_size, stride, padding, out_size)
        np.divide(sums, divisor, out=flat_out[p0:p0 + per])
    return out


def _window_sums(x, kernel_size, stride, padding, out_size):
    """Window sums of zero-padded ``x``, separably axis by axis.

    No padded copy: on each axis, tap ``t`` adds input ``r*s + t - p_b`` to the outputs ``r``
    whose position lies inside the input (the relation solved for ``r``); padding adds zero.
    """
    total = x
    for axis in range(len(out_size) - 1, -1, -1):
        k, s, p_b, o = kernel_size[axis], stride[axis], padding[axis], out_size[axis]
        i = total.shape[2 + axis]
        lead = (slice(None),) * (2 + axis)
        summed = np.zeros(total.shape[:2 + axis] + (o,) + total.shape[3 + axis:], total.dtype)
        for t in range(k):
            first, last = tap_window(i, t, s, p_b)          # outputs whose tap t reads inside (symconv.index)
            first, last = max(0, first), min(o, last)
            if last > first:
                start = first * s + t - p_b
                summed[lead + (slice(first, last),)] += total[lead + (slice(start, start + (last - first) * s, s),)]
        total = summed
    return total


def _unpool(x, indices, out):
    """Scatter-assign each value to its flat position in its (n, c) plane of ``out``; zeros elsewhere.

    Large planes are zeroed and scattered one by one (no int64 array of global positions);
    many small planes at once with global positions ``p * plane + index``.
    """
    planes = x.shape[0] * x.shape[1]
    rows = out.reshape(planes, -1)
    plane = rows.shape[1]
    if plane >= 4096:                 # zero a plane just before its scatter: the writes hit cache
        for row, where, values in zip(rows, indices.reshape(planes, -1), x.reshape(planes, -1)):
            row.fill(0)
            row[where] = values
        return out
    out.fill(0)
    flat = indices.reshape(planes, -1) + (np.arange(planes, dtype=np.int64) * plane)[:, None]
    rows.reshape(-1)[flat.ravel()] = x.reshape(-1)
    return out
