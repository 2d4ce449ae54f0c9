"""Run-time helpers of interpolation: per-axis source maps and their separable application.

Source coordinates and the cubic kernel come from :mod:`symconv.index`
(:func:`~symconv.index.source_coordinate`, :func:`~symconv.index.cubic_near`,
:func:`~symconv.index.cubic_far`), evaluated here in floating point; the generated modules
contain their text.
"""
import numpy as np

from ...index import cubic_far, cubic_near, source_coordinate, step_rule


def _cubic(t):
    """Keys' cubic convolution weights of the four taps at distances 1+t, t, 1-t, 2-t (A = -3/4)."""
    a = -0.75
    return (cubic_far(t + 1, a), cubic_near(t, a), cubic_near(1 - t, a), cubic_far(2 - t, a))


def _axis_map(mode, in_size, out_size, scale, align_corners, vectorized=False):
    """Source taps of one interpolation axis: a list of (indices, weights) (weights None: nearest).

    The step from output to source coordinates is PyTorch's (``step_rule``): ``(in-1)/(out-1)``
    with ``align_corners``, else ``1/scale`` when a scale factor was given, else ``in/out``.
    ``vectorized`` reproduces the float32 rounding (and fast paths) of PyTorch's vectorized
    nearest kernels, which it uses for 2-D outputs with ``out_h + out_w <= 128``.
    """
    dst = np.arange(out_size, dtype=np.float64)
    inverse = None if scale is None else 1.0 / scale
    if mode in ("nearest", "nearest-exact"):
        if vectorized:
            step = step_rule(in_size, out_size, False, None if inverse is None else np.float32(inverse),
                             lambda a, b: np.float32(a) / np.float32(b))
            if mode == "nearest":
                if out_size == in_size:
                    return [(np.arange(in_size), None)]
                if out_size == 2 * in_size:
                    return [(np.arange(out_size) // 2, None)]
                src = np.floor(source_coordinate(dst.astype(np.float32), step, mode, False, 0.5))
            else:
                src = np.floor(source_coordinate(dst, np.float64(step), mode, False, 0.5).astype(np.float32))
        else:
            step = step_rule(in_size, out_size, False, inverse, np.true_divide)
            if mode == "nearest":
                src = np.floor(source_coordinate(dst, step, mode, False, 0.5).astype(np.float32))
            else:                 # PyTorch rounds the (clamped) linear coordinate plus 1/2 on this path
                src = np.floor((source_coordinate(dst, step, "linear", False, 0.5, np.maximum) + 0.5)
                               .astype(np.float32))
        return [(np.minimum(src.astype(np.intp), in_size - 1), None)]
    step = step_rule(in_size, out_size, align_corners, inverse, np.true_divide)
    if mode == "linear":
        if out_size == in_size:
            return [(np.arange(in_size), None)]
        real = source_coordinate(dst, step, mode, align_corners, 0.5, np.maximum)
        low = np.minimum(np.floor(real.astype(np.float32)).astype(np.intp), in_size - 1)
        lam = np.clip(real - low, 0, 1)
        return [(low, 1 - lam), (np.minimum(low + 1, in_size - 1), lam)]
    real = source_coordinate(dst, step, mode, align_corners, 0.5)
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
