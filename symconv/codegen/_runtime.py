"""Helper functions copied verbatim into generated kernel modules.

Every function here imports only NumPy and reads no symconv state: :func:`lower` pastes the
source of the helpers a kernel needs (``inspect.getsource``) into the generated module, so the
module runs where only NumPy is installed. The spec-specific parts -- sizes, slice bounds, tap
tables -- are printed by the lowering from SymPy expressions; these helpers only execute them.

Layout conventions: a *flat buffer* ``src`` has shape ``(n_phases, rows, groups, c_group)``:
the input in channels-last order, zero-padded onto a grid and split into stride phases, with
the batch and grid axes flattened into ``rows``. A tap reading grid position ``q + shift``
then reads row ``r + offset`` for a constant ``offset``, so a convolution is a sum of GEMMs
over shifted row ranges ("shifted GEMMs").

Examples
--------
>>> import numpy as np
>>> x = np.arange(6.0).reshape(1, 1, 6)
>>> src = np.zeros((1, 8, 1, 1))
>>> _fill(src, x, (7,), (((1, 6, 0, 1),),), 1)
>>> src[0, :, 0, 0]
array([0., 0., 1., 2., 3., 4., 5., 0.])
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


def _gather_gemm(x, w3, table, out, bias):
    """Convolution of a small problem: ``x``'s columns gathered through ``table``, one batched GEMM.

    ``table = (index, misses)`` from :func:`_gather_index`; ``w3`` is ``(groups, C_out/groups,
    C_in/groups * taps)``, ``out`` ``(N, C_out, *o)`` (written in place).
    """
    index, misses = table
    n_batch, channels = x.shape[0], x.shape[1]
    flat = x.reshape(n_batch * channels, -1)
    if misses:
        padded = np.zeros((flat.shape[0], flat.shape[1] + 1), x.dtype)
        padded[:, :-1] = flat
        flat = padded
    groups, c_out_g, k_g = w3.shape
    columns = flat.take(index, axis=1)                             # (N * C_in, taps, outputs)
    if n_batch == 1 and groups == 1:                               # one plain GEMM (np.dot: least overhead)
        np.dot(w3[0], columns.reshape(k_g, -1), out=out.reshape(c_out_g, -1))
    else:
        np.matmul(w3, columns.reshape(n_batch, groups, k_g, -1), out=out.reshape(n_batch, groups, c_out_g, -1))
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * (out.ndim - 2))
    return out


def _window_table(gathered, first, out_size):
    """The table of :func:`_gather_max`: ``_gather_index``'s ``(index, misses)``, plus the switch of
    every (tap, output) -- the input position, or ``first`` (PyTorch's initial switch) where the
    tap reads padding -- and the output positions ``0 .. outputs-1``."""
    index, misses = gathered
    plane = 1
    for size in out_size:
        plane *= size
    switches = index
    if misses and first is not None:
        switches = np.where(index == index.max(), np.broadcast_to(first, tuple(out_size)).reshape(1, -1), index)
    return index, misses, switches.astype(np.int64), np.arange(plane)


def _gather_max(x, table, fill, out_size, out, return_indices):
    """Max pooling of a small problem: whole windows gathered through ``table``, one ``max``.

    Ties go to the first tap; NaN wins and, as in PyTorch's loop, the last NaN's index is
    reported. A window whose winner is the fill slot (only padding and -inf seen) reports
    PyTorch's initial index (the table's switches).
    """
    index, misses, switches, columns = table
    planes = x.shape[0] * x.shape[1]
    flat = x.reshape(planes, -1)
    if misses:
        padded = np.empty((planes, flat.shape[1] + 1), x.dtype)
        padded[:, :-1] = flat
        padded[:, -1] = fill
        flat = padded
    windows = flat.take(index, axis=1)                             # (planes, taps, outputs)
    values_out, indices_out = out if isinstance(out, tuple) else (out, None)
    values = _output("max_pool", values_out, x.shape[:2] + tuple(out_size), x.dtype)
    np.maximum.reduce(windows, axis=1, out=values.reshape(planes, -1))
    if not return_indices:
        return values
    indices = _output("max_pool", indices_out, values.shape, np.int64, "out[1]")
    tap = windows.argmax(axis=1)
    total = np.add.reduce(values.reshape(-1)) if windows.dtype.kind == "f" else 0
    if total != total:                              # a NaN (or inf - inf: then nothing changes below)
        nan = np.isnan(values.reshape(planes, -1))
        last = index.shape[0] - 1 - np.argmax(np.isnan(windows[:, ::-1]), axis=1)
        tap = np.where(nan, last, tap)
    tap *= columns.size                                            # flat (tap, output) positions
    tap += columns
    switches.reshape(-1).take(tap, out=indices.reshape(planes, -1))
    return values, indices


def _fill(src, x, grid, phases, extra, channels_last=True):
    """Copy ``x`` (N, C, *i) into the zeroed flat buffer ``src``, phase by phase.

    ``phases[f][j] = (first, count, start, step)``: grid positions ``first .. first+count-1``
    of phase ``f`` on axis ``j`` receive input positions ``start, start+step, ...``. The buffer
    is ``(phases, rows, groups, c_group)`` channels last, or ``(phases, C, rows)`` channels first.
    """
    n_batch, channels = x.shape[0], x.shape[1]
    ndim = len(grid)
    if channels_last:
        rows = src.shape[1] - extra
        body = src[:, :rows].reshape((src.shape[0], n_batch) + tuple(grid) + (channels,))
        order = (0,) + tuple(range(2, ndim + 2)) + (1,)
        lead = (slice(None),)
    else:
        rows = src.shape[2] - extra
        body = src[:, :, :rows].reshape((src.shape[0], channels, n_batch) + tuple(grid))
        order = (1, 0) + tuple(range(2, ndim + 2))
        lead = (slice(None), slice(None))
    for f, axes in enumerate(phases):
        if min(max(count, 0) for _, count, _, _ in axes) == 0:
            continue
        target = (f,) + lead + tuple(slice(first, first + count) for first, count, _, _ in axes)
        source = (slice(None), slice(None)) + tuple(slice(start, start + count * step, step)
                                                     for _, count, start, step in axes)
        body[target] = x[source].transpose(order)


def _reach(plan):
    """Largest row offset (column offset plus row offset) a plan reads past a chunk's start."""
    reach = 0
    for columns, row_offsets, _ in plan:
        for _, column_offset in columns:
            reach = max(reach, column_offset + max(row_offsets))
    return reach


def _gemm_weights(w4, plan):
    """Per group of the plan, weights as ``(n_row_offsets, groups, n_columns * c_in_g, c_out_g)``.

    ``w4`` has shape ``(groups, c_in_g, c_out_g, taps)``; tap ``-1`` in a plan is a zero tap.
    """
    groups, c_in_g, c_out_g, _ = w4.shape
    padded = np.concatenate([w4, np.zeros(w4.shape[:3] + (1,), w4.dtype)], axis=3)
    out = []
    for columns, _, taps in plan:
        picked = padded[:, :, :, np.asarray(taps, dtype=np.intp)]      # (g, ci, co, rows, cols)
        picked = picked.transpose(3, 0, 4, 1, 2)                          # (rows, g, cols, ci, co)
        out.append(np.ascontiguousarray(picked.reshape(len(taps), groups, len(columns) * c_in_g, c_out_g)))
    return out


def _gemm_chunk(src, base, m, plan, weights, scratch, acc, tmp):
    """``acc[:m] = sum of shifted GEMMs`` for the rows ``base .. base+m-1`` of the grid."""
    if not plan:
        acc[:m] = 0
        return
    groups, c_in_g = src.shape[2], src.shape[3]
    c_out_g = weights[0].shape[-1]
    out = acc[:m].reshape(m, groups, c_out_g).transpose(1, 0, 2)
    part = tmp[:m].reshape(m, groups, c_out_g).transpose(1, 0, 2)
    first = True
    for (columns, row_offsets, _), w in zip(plan, weights):
        span = m + max(row_offsets)
        if len(columns) == 1:
            phase, offset = columns[0]
            cols = src[phase, base + offset:base + offset + span].transpose(1, 0, 2)
        else:
            buf = scratch[:span * groups * len(columns) * c_in_g].reshape(span, groups, len(columns), c_in_g)
            for j, (phase, offset) in enumerate(columns):
                buf[:, :, j] = src[phase, base + offset:base + offset + span]
            cols = buf.reshape(span, groups, len(columns) * c_in_g).transpose(1, 0, 2)
        for l, row in enumerate(row_offsets):
            if first:
                np.matmul(cols[:, row:row + m], w[l], out=out)
                first = False
            else:
                np.matmul(cols[:, row:row + m], w[l], out=part)
                out += part


def _gemm_chunk_cf(src, base, m, plan, weights, scratch, acc, tmp, block=2048):
    """Channels-first ``acc[:, :m] = sum of W @ shifted columns`` (``src`` is ``(phases, C, rows)``).

    Per plan group the column taps' shifted rows are copied side by side into ``scratch`` (a
    single column is read in place); each row offset is then one product per group,
    ``(groups, C_out/groups, K) @ (groups, K, block)``, straight into ``acc`` or added to it, in
    blocks of ``block`` columns (BLAS is fastest on moderate N). A depthwise 3x3 kernel thus
    costs 3 copies, 3 batched products and 2 additions per chunk.
    """
    if not plan:
        acc[:, :m] = 0
        return
    groups, c_out_g = weights[0].shape[1], weights[0].shape[2]
    c_in_g = src.shape[1] // groups
    out = acc[:, :m].reshape(groups, c_out_g, m)
    part = tmp[:, :m].reshape(groups, c_out_g, m)
    first = True
    for (columns, row_offsets, _), w in zip(plan, weights):
        span = m + max(row_offsets)
        if len(columns) == 1:
            phase, offset = columns[0]
            cols = src[phase, :, base + offset:base + offset + span].reshape(groups, c_in_g, span)
        else:
            gathered = scratch[:groups * len(columns) * c_in_g * span].reshape(groups, len(columns), c_in_g, span)
            for j, (phase, offset) in enumerate(columns):
                gathered[:, j] = src[phase, :, base + offset:base + offset + span].reshape(groups, c_in_g, span)
            cols = gathered.reshape(groups, len(columns) * c_in_g, span)
        for l, row in enumerate(row_offsets):
            for start in range(0, m, block):
                stop = min(m, start + block)
                if first:
                    np.matmul(w[l], cols[:, :, row + start:row + stop], out=out[:, :, start:stop])
                else:
                    np.matmul(w[l], cols[:, :, row + start:row + stop], out=part[:, :, start:stop])
                    out[:, :, start:stop] += part[:, :, start:stop]
            first = False


def _correlate(chunk, src, plan, weights, out, grid, lo, hi, step, offset, bias, chunk_rows, channels_last=True,
               scratch_elements=2 ** 18):
    """Run ``chunk`` over the grid and write the box ``lo <= q < hi`` into ``out``.

    Grid position ``q`` (per axis) lands on output position ``q * step + offset``. Chunks are
    whole samples when a sample's grid fits in ``chunk_rows`` rows, else runs of lines along
    the first spatial axis; each chunk is written straight into ``out`` (channels first).
    """
    n_batch, channels = out.shape[0], out.shape[1]
    ndim = len(grid)
    count = [hi[j] - lo[j] for j in range(ndim)]
    if n_batch == 0 or min(count) <= 0:
        return
    c_in = src.shape[2] * src.shape[3] if channels_last else src.shape[1]
    widest = max([c_in * len(p[0]) for p in plan if len(p[0]) > 1] + [0])
    if widest:                                   # bound the gathered columns (memory, cache)
        chunk_rows = min(chunk_rows, max(64, scratch_elements // widest))
    line = 1
    for size in grid[1:]:
        line *= size
    plane = grid[0] * line
    if plane <= chunk_rows:
        samples, lines = max(1, chunk_rows // plane), count[0]
        samples = -(-n_batch // -(-n_batch // samples))          # balanced: equal chunks
    else:
        samples, lines = 1, max(1, chunk_rows // line)
        lines = -(-count[0] // -(-count[0] // lines))
    rows = samples * plane if lines == count[0] else lines * line
    acc = np.empty((rows, channels) if channels_last else (channels, rows), out.dtype)
    tmp = np.empty_like(acc)
    row_reach = max([max(p[1]) for p in plan if isinstance(p[0], tuple)] + [0])
    scratch = np.empty((rows + row_reach) * widest, src.dtype) if widest else None
    inner = tuple(slice(lo[j], hi[j]) for j in range(1, ndim))
    placed = tuple(slice(lo[j] * step[j] + offset[j], lo[j] * step[j] + offset[j] + count[j] * step[j], step[j])
                   for j in range(1, ndim))
    order = (0, ndim + 1) + tuple(range(1, ndim + 1))
    for n0 in range(0, n_batch, samples):
        n1 = min(n_batch, n0 + samples)
        for a in range(lo[0], hi[0], lines):
            b = min(hi[0], a + lines)
            span = grid[0] if lines == count[0] else b - a
            m = (n1 - n0) * span * line
            chunk(src, n0 * plane + a * line, m, plan, weights, scratch, acc, tmp)
            if channels_last:
                if bias is not None:
                    acc[:m] += bias
                box = acc[:m].reshape((n1 - n0, span) + tuple(grid[1:]) + (channels,))
                box = box[(slice(None), slice(0, b - a)) + inner].transpose(order)
            else:
                if bias is not None:
                    acc[:, :m] += bias[:, None]
                box = acc[:, :m].reshape((channels, n1 - n0, span) + tuple(grid[1:]))
                box = box[(slice(None), slice(None), slice(0, b - a)) + inner].swapaxes(0, 1)
            first = a * step[0] + offset[0]
            out[(slice(n0, n1), slice(None), slice(first, first + (b - a) * step[0], step[0])) + placed] = box


def _im2col_gemm(x, w3, out, bias, axis_taps, stride, block_elements=2 ** 19, gemm_columns=2048):
    """``out[n, g, :, r] = w3[g] @ columns[g, :, r]``: per group, one GEMM over gathered columns.

    ``columns[c*T + t, r] = x[n, c, r*s + t*d - p_b]`` (``T`` taps, zero where that reads
    padding) is gathered straight from ``x`` in output coordinates, a block of lines of the
    first output axis at a time, and each block's GEMMs write their rows of ``out`` directly:
    no padded copy of ``x`` and no cropping of ``out``. ``w3`` is ``(groups, C_out/groups,
    C_in/groups * T)``: one batched product serves every group.
    ``axis_taps[j][t_j] = (lo, hi, first)``: on axis ``j``, tap ``t_j`` feeds outputs
    ``lo .. hi-1`` from inputs ``first, first + s, ...``.
    """
    n_batch, c_in = x.shape[0], x.shape[1]
    groups, c_out_g, k_g = w3.shape
    c_out, out_size = out.shape[1], out.shape[2:]
    taps = [()]
    for axis in axis_taps:
        taps = [t + (tj,) for t in taps for tj in range(len(axis))]
    line = 1
    for size in out_size[1:]:
        line *= size
    lines = max(1, min(out_size[0], block_elements // max(1, c_in * len(taps) * line)))
    columns = np.empty((c_in, len(taps), lines) + tuple(out_size[1:]), out.dtype)
    flat_out = out.reshape(n_batch, groups, c_out_g, -1)
    for a in range(0, out_size[0], lines):
        b = min(out_size[0], a + lines)
        copies = []                                # per tap: (strips to zero, target box, source box)
        for q, t in enumerate(taps):
            dst = columns[:, q, :b - a]
            zero, box, src = [], [slice(None)], [slice(None)]
            for j, tj in enumerate(t):
                lo, hi, first = axis_taps[j][tj]
                if j == 0:
                    lo, hi, first = max(lo, a), min(hi, b), first + (max(lo, a) - lo) * stride[0]
                    lo, hi = lo - a, hi - a
                size = dst.shape[1 + j]
                if hi <= lo:
                    lo = hi = 0
                lead = (slice(None),) * (1 + j)
                if lo > 0:
                    zero.append(lead + (slice(0, lo),))
                if hi < size:
                    zero.append(lead + (slice(hi, size),))
                box.append(slice(lo, hi))
                src.append(slice(first, first + (hi - lo - 1) * stride[j] + 1, stride[j]) if hi > lo else slice(0, 0))
            copies.append((dst, zero, tuple(box), tuple(src)))
        for n in range(n_batch):
            sample = x[n]
            for dst, zero, box, src in copies:
                for strip in zero:
                    dst[strip] = 0
                dst[box] = sample[src]
            target = flat_out[n, :, :, a * line:b * line]
            gathered = columns[:, :, :b - a].reshape(groups, k_g, -1)
            for c0 in range(0, target.shape[-1], gemm_columns):     # BLAS is fastest on moderate N
                np.matmul(w3, gathered[:, :, c0:c0 + gemm_columns], out=target[:, :, c0:c0 + gemm_columns])
            if bias is not None:
                target += bias.reshape(groups, c_out_g, 1)
    return out


def _outer(parts, combine):
    """Combine per-axis 1-D arrays into an N-D grid (``np.add`` or ``np.multiply``)."""
    ndim = len(parts)
    total = None
    for j, part in enumerate(parts):
        shaped = np.asarray(part).reshape((-1,) + (1,) * (ndim - 1 - j))
        total = shaped if total is None else combine(total, shaped)
    return total


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
            first = max(0, -((t - p_b) // s))               # ceil((p_b - t) / s)
            last = min(o, (i - 1 + p_b - t) // s + 1)
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


def _cubic(t):
    """Keys' cubic convolution weights of the four taps at distances 1+t, t, 1-t, 2-t (A = -3/4)."""
    a = -0.75

    def near(z):
        return ((a + 2) * z - (a + 3)) * z * z + 1

    def far(z):
        return ((a * z - 5 * a) * z + 8 * a) * z - 4 * a

    return (far(t + 1), near(t), near(1 - t), far(2 - t))


def _axis_map(mode, in_size, out_size, scale, align_corners, vectorized=False):
    """Source taps of one interpolation axis: a list of (indices, weights) (weights None: nearest).

    The step from output to source coordinates is PyTorch's: ``(in-1)/(out-1)`` with
    ``align_corners``, else ``1/scale`` when a scale factor was given, else ``in/out``.
    ``vectorized`` reproduces the float32 rounding (and fast paths) of PyTorch's vectorized
    nearest kernels, which it uses for 2-D outputs with ``out_h + out_w <= 128``.
    """
    dst = np.arange(out_size, dtype=np.float64)
    if mode in ("nearest", "nearest-exact"):
        if vectorized:
            step = np.float32(1.0 / scale) if scale is not None else np.float32(in_size) / np.float32(out_size)
            if mode == "nearest":
                if out_size == in_size:
                    return [(np.arange(in_size), None)]
                if out_size == 2 * in_size:
                    return [(np.arange(out_size) // 2, None)]
                src = np.floor(dst.astype(np.float32) * step)
            else:
                src = np.floor(((dst + 0.5) * np.float64(step)).astype(np.float32))
        else:
            step = 1.0 / scale if scale is not None else in_size / out_size
            if mode == "nearest":
                src = np.floor((dst * step).astype(np.float32))
            else:
                src = np.floor((np.maximum(step * (dst + 0.5) - 0.5, 0) + 0.5).astype(np.float32))
        return [(np.minimum(src.astype(np.intp), in_size - 1), None)]
    if align_corners:
        step = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None else in_size / out_size
    if mode == "linear":
        if out_size == in_size:
            return [(np.arange(in_size), None)]
        real = step * dst if align_corners else np.maximum(step * (dst + 0.5) - 0.5, 0)
        low = np.minimum(np.floor(real.astype(np.float32)).astype(np.intp), in_size - 1)
        lam = np.clip(real - low, 0, 1)
        return [(low, 1 - lam), (np.minimum(low + 1, in_size - 1), lam)]
    real = step * dst if align_corners else step * (dst + 0.5) - 0.5
    low = np.floor(real.astype(np.float32)).astype(np.intp)
    weights = _cubic(real - low)
    return [(np.clip(low + offset, 0, in_size - 1), w) for offset, w in zip((-1, 0, 1, 2), weights)]


def _periodic(taps, in_size):
    """``(factor, [(shift, weights)...] per phase)`` when an axis map repeats with period ``factor``.

    Output ``j * factor + phase`` then reads ``edge_padded[j + shift + tap]`` for taps 0, 1 (the
    input padded by one edge sample on each side, which reproduces the clamping), so a phase is
    two shifted slices and no gather. None when the map is not of that form (checked on a probe).
    """
    out_size = len(taps[0][0])
    factor = out_size // in_size
    if len(taps) != 2 or factor < 1 or factor * in_size != out_size or in_size < 3:
        return None
    (low, w0), (_, w1) = taps
    middle = (in_size // 2) * factor
    phases = [(int(low[middle + f]) - in_size // 2, float(w0[middle + f]), float(w1[middle + f]))
              for f in range(factor)]
    probe = np.sin(np.arange(in_size) * 1.7 + 0.3)
    exact = sum(probe[index] * weight for index, weight in taps)
    padded = np.concatenate([probe[:1], probe, probe[-1:]])
    fast = np.empty(out_size)
    for f, (shift, a, b) in enumerate(phases):
        if shift < -1 or shift > 0:
            return None
        fast[f::factor] = a * padded[shift + 1:shift + 1 + in_size] + b * padded[shift + 2:shift + 2 + in_size]
    if not np.allclose(fast, exact, rtol=0, atol=1e-12) or any(abs(a + b - 1) > 1e-12 for _, a, b in phases):
        return None
    return factor, phases


def _resample(x, maps, out, block_elements=2 ** 18):
    """Apply per-axis tap maps separably into ``out`` (see :func:`_resample_planes`).

    Weighted maps run on blocks of (n, c) planes of about ``block_elements`` output elements,
    so the per-axis intermediates stay in cache and only the input read and the output write
    go to memory; nearest maps (copies only) run on all planes at once.
    """
    periodic = [_periodic(taps, x.shape[2 + j]) if len(taps) == 2 else None for j, taps in enumerate(maps)]
    out_size = tuple(len(taps[0][0]) for taps in maps)
    planes = x.shape[0] * x.shape[1]
    plane = 1
    for size in out_size:
        plane *= size
    per = max(1, block_elements // max(plane, 1))
    if all(taps[0][1] is None for taps in maps):     # nearest: repeats and broadcasts, no arithmetic
        per = max(1, planes)
    flat_in = x.reshape((planes, 1) + x.shape[2:])
    flat_out = out.reshape((planes, 1) + out_size)
    for p0 in range(0, planes, per):
        _resample_planes(flat_in[p0:p0 + per], maps, periodic, flat_out[p0:p0 + per])
    return out


def _repeat_last(x, factor, out):
    """``out[..., j] = x[..., j // factor]``: each element repeated ``factor`` times along the last axis.

    When ``factor`` copies of an element fill a 2-, 4- or 8-byte word, one integer multiply
    writes them all: ``u * (1 + 2**b + 2**(2b) + ...)`` places ``factor`` copies of the
    ``b``-bit pattern ``u`` side by side (they do not overlap, so nothing carries).
    """
    width = x.itemsize * factor
    if width in (2, 4, 8) and x.itemsize < width:
        word = np.dtype(f"u{width}")
        ones = sum(1 << (8 * x.itemsize * m) for m in range(factor))
        np.multiply(x.view(f"u{x.itemsize}"), word.type(ones), out=out.view(word), casting="unsafe")
    else:
        out[...] = np.repeat(x, factor, axis=-1)


def _resample_planes(x, maps, periodic, target):
    """Apply per-axis tap maps separably, last axis first; the last pass writes into ``target``.

    Integer nearest factors become repeats and broadcasts; periodic linear maps (``periodic[j]``
    from :func:`_periodic`) become one difference and one pass per phase; anything else
    gathers with ``np.take``.
    """
    steps = [j for j in range(len(maps) - 1, -1, -1)
             if not (len(maps[j]) == 1 and np.array_equal(maps[j][0][0], np.arange(x.shape[2 + j])))]
    if not steps:
        np.copyto(target, x)
        return target
    for j in steps:
        taps, axis = maps[j], 2 + j
        size = x.shape[axis]
        index, weight = taps[0]
        shape = x.shape[:axis] + (len(index),) + x.shape[axis + 1:]
        dest = target if j == steps[-1] else np.empty(shape, x.dtype)
        if len(taps) == 1 and weight is None:
            factor = len(index) // size if size else 0
            if factor and factor * size == len(index) and np.array_equal(index, np.arange(len(index)) // factor):
                if axis == x.ndim - 1:
                    _repeat_last(x, factor, dest)
                else:
                    dest.reshape(x.shape[:axis] + (size, factor) + x.shape[axis + 1:])[...] = np.expand_dims(x, axis + 1)
                x = dest
                continue
        if periodic[j] is not None:
            factor, phases = periodic[j]
            # a*x[j] + b*x[j+1] = x[j] + b*(x[j+1] - x[j]) = x[j+1] - a*(x[j+1] - x[j])  (a + b = 1):
            # one difference per axis, scaled once per distinct weight, then one pass per phase
            if axis == x.ndim - 1 and x.flags.c_contiguous:
                # the last axis as one flat run: long loops; the difference across the end of a
                # line is garbage, and exactly those outputs are the edge samples rewritten below
                flat = x.reshape(-1)
                low, high, out = flat[:-1], flat[1:], dest.reshape(-1, factor)

                def phase_views(f, shift):
                    phase_out = out[:, f]
                    edge = slice(0, None, size) if shift < 0 else slice(size - 1, None, size)
                    return phase_out, (slice(1, None) if shift < 0 else slice(0, -1)), phase_out[edge], flat[edge]
            else:
                lead = (slice(None),) * axis
                low, high = x[lead + (slice(0, size - 1),)], x[lead + (slice(1, size),)]
                out = dest.reshape(x.shape[:axis] + (size, factor) + x.shape[axis + 1:])

                def phase_views(f, shift):
                    phase_out = out[lead + (slice(None), f)]
                    edge = lead + ((slice(0, 1),) if shift < 0 else (slice(size - 1, size),))
                    inner = lead + ((slice(1, size),) if shift < 0 else (slice(0, size - 1),))
                    return phase_out, inner, phase_out[edge], x[edge]
            diff = np.subtract(high, low)
            scaled = {}
            shared = [w for w in phases[0][1:] if all(w in (a, b) for _, a, b in phases)]
            if shared:                        # e.g. x2: weights (1/4, 3/4) and (3/4, 1/4) share 1/4
                scaled[shared[0]] = np.multiply(diff, x.dtype.type(shared[0]), out=diff)
            for f, (shift, a, b) in enumerate(phases):
                target_f, inner, edge_out, edge_in = phase_views(f, shift)
                if b in scaled or a not in scaled:
                    if b not in scaled:
                        scaled[b] = np.multiply(diff, x.dtype.type(b))
                    np.add(low, scaled[b], out=target_f[inner])
                else:
                    np.subtract(high, scaled[a], out=target_f[inner])
                np.copyto(edge_out, edge_in)      # outside, the edge sample stands in: (a + b) x = x
            del diff, scaled
            x = dest
            continue
        weight_shape = (-1,) + (1,) * (x.ndim - 1 - axis)
        for n_tap, (index, weight) in enumerate(taps):
            picked = np.take(x, index, axis=axis, out=dest if n_tap == 0 else None, mode="clip")
            if weight is not None:
                picked *= np.asarray(weight, x.dtype).reshape(weight_shape)
            if n_tap:
                dest += picked
        x = dest
    return target
