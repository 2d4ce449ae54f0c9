"""Run-time helpers of the convolutions: the flat phase buffer and its shifted GEMMs, direct im2col.

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
