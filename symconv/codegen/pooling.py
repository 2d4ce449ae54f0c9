"""Lowering of pooling: max pooling (stride phases, switches), average pooling, max unpooling.

* max pooling: the padded input split into stride phases (filled with -inf), so every tap is
  a unit-step view; one pass keeps a running maximum and, branch-free, the winning tap;
* average pooling: per-axis window sums over the taps' output ranges, divided by the
  window sizes; unpooling: a scatter per plane.
"""
from __future__ import annotations

from dataclasses import replace
from itertools import product
from math import prod
from typing import Any

import sympy as sp

from ..spec import AvgPoolSpec, MaxPoolSpec, MaxUnpoolSpec
from . import _runtime, small
from .common import (_code, _doc, _half_precision, _helpers, _ints, _layout, _outer_line, _output_line, _phase_grid,
                     _phase_grid_lines, _pool_prologue, _positive_output, _relations, _Sizes)
from .ir import Assign, Block, Check, Comment, Function, Line, Module, Return, call, expression, placeholders


def _pool_common(spec: Any, fn_name: str) -> tuple:
    _ints(spec.op, kernel_size=spec.kernel_size, stride=spec.stride, padding=spec.padding,
          dilation=spec.dilation)
    sizes = _Sizes(spec, spec.op)
    concrete = replace(spec, input_size=sizes.values)
    out_syms = tuple(sp.Symbol(f"out_{a}", integer=True) for a in sizes.axes)
    out_exprs = concrete.output_size
    body = _pool_prologue(spec, sizes)
    body.append(Comment("output size per axis: floor((i + p_b + p_a - d(k-1) - 1 [+ s - 1 in ceil mode])/s) + 1"
                        + (";\nceil mode drops a last window starting in the right padding" if spec.ceil_mode else "")))
    body += [Assign(str(o), e) for o, e in zip(out_syms, out_exprs)]
    body += _positive_output(spec.op, out_syms, out_exprs, "the kernel is larger than the padded input and")
    return sizes, out_syms, out_exprs, body


def _tap_starts(spec: Any) -> tuple:
    return tuple(tuple(tj * dj for tj, dj in zip(t, spec.dilation))
                 for t in product(*(range(kj) for kj in spec.kernel_size)))


def _pool_phase_lines(spec: Any, sizes: _Sizes, out_syms: tuple, out_exprs: tuple) -> tuple[list, tuple, str]:
    """Lines describing the stride phases of the padded input (``phases``), the taps, the grid.

    Tap ``t`` reads padded offset ``t*d``, i.e. phase ``(t*d) % s`` at shift ``(t*d) // s``
    (:func:`symconv.index.polyphase`, as the convolutions): every tap is a unit-step view of a phase.
    """
    grid_syms, qmax, grid_vals, grid_refs, axis_phases, phase_list, taps = _phase_grid(spec, sizes, out_exprs)
    lines = _phase_grid_lines(spec, sizes, out_syms, grid_syms, qmax, grid_vals, grid_refs, axis_phases,
                              phase_list, ", padding elsewhere")
    return lines, taps, expression(grid_syms)


def _build_max_pool(spec: MaxPoolSpec) -> Module:
    sizes, out_syms, out_exprs, body = _pool_common(spec, "max_pool")
    axes, ndim = sizes.axes, spec.ndim
    fill = "np.iinfo(x.dtype).min if x.dtype.kind in 'iu' else -np.inf"
    body.append(Line(f"fill = {fill}"))
    plane_strides = _plane_strides(sizes)
    first_lines = _first_lines(spec, axes, plane_strides)
    body += small.window_lines(spec, axes, sizes.symbols, out_syms, first_lines, "first" if first_lines else "None")
    phase_lines, taps, grid = _pool_phase_lines(spec, sizes, out_syms, out_exprs)
    body += phase_lines
    offsets = tuple(sum((st * ps for st, ps in zip(start, plane_strides)), sp.Integer(0))
                    for start in _tap_starts(spec))
    body.append(Block("if not return_indices", (
        Return(call("_max_pool", "x", "fill", grid, "phases", "TAPS", out_syms, "None", "None", "None", "out")
               + "[0]"),)))
    body.append(Comment("switches: flat index in the unpadded plane, (r*s - p_b + t*d) per axis, row-major"))
    body.append(Assign("tap_offsets", offsets))
    for j, a in enumerate(axes):
        r = sp.Symbol(f"r_{a}", integer=True)
        body.append(Line(f"r_{a} = np.arange(out_{a}, dtype=np.int64)"))
        body.append(Assign(f"base_{a}", _relations(spec)[j].input_index(r, 0) * plane_strides[j], array=True))
    body.append(_outer_line("base", [f"base_{a}" for a in axes], "np.add"))
    body += first_lines
    first = "first" if first_lines else "None"
    body.append(Return(f"_max_pool(x, fill, {grid}, phases, TAPS, {expression(out_syms)}, tap_offsets, base, "
                           f"{first}, out)"))
    constants = small.small_constants("SMALL_WINDOWS", small.SMALL_WINDOWS, "N * C * taps * outputs") + (
        Comment("window taps (row-major): (stride phase, shift per axis) of offset t*d in the padded input"),
        Assign("TAPS", taps),)
    layout = _layout(axes)
    shape_text = [f"x      : {layout}", f"returns: (N, C, {', '.join(str(o) for o in out_syms)}) where"]
    shape_text += [f"    {o} = {_code(e)}" for o, e in zip(out_syms, out_exprs)]
    shape_text += ["and, with return_indices=True, also int64 switches of the same shape (PyTorch's per-plane",
                   "flat indices into the unpadded input)."]
    formula = ["out[n, c, r] = max over taps t of x[n, c, r*s + t*d - p_b] (padding is -inf and never wins;",
               "the first maximum in scan order wins; NaN wins)",
               f"k = {spec.kernel_size}, s = {spec.stride}, d = {spec.dilation}, (p_b, p_a) = {spec.padding}, "
               f"ceil_mode = {spec.ceil_mode}"]
    doc = _doc(f"max_pool: {ndim}-D max pooling lowered by symconv.", shape_text, formula, spec)
    fn = Function("max_pool", ("x", "return_indices=False", "*", "out=None"),
                  f"{ndim}-D max pooling of x {layout}; returns values, or (values, indices).\n\n"
                  "``out`` (values, or (values, indices)) receives the result when given.", tuple(body))
    helpers = _helpers(_runtime._output, _runtime._outer, *small.HELPERS, _runtime._window_table,
                       _runtime._gather_max, _runtime._last_nan, _runtime._pool_phases,
                       _runtime._max_pool, _runtime._max_pool_block)
    return Module(doc, constants, (fn,), ("max_pool",), helpers)


def _plane_strides(sizes: _Sizes) -> tuple:
    """Elements between neighbours along each axis of an unpadded input plane (row-major)."""
    ndim = len(sizes.symbols)
    return tuple(prod(sizes.symbols[j + 1:]) if j + 1 < ndim else sp.Integer(1) for j in range(ndim))


def _first_lines(spec: MaxPoolSpec, axes: tuple, plane_strides: tuple) -> list:
    """``first``: PyTorch's initial switch per window, the first tap at coordinates >= 0 (left padding only)."""
    if not any(pb for pb, _ in spec.padding):
        return []
    lines: list = [Comment("where only padding is seen, PyTorch reports the first tap at coordinates >= 0")]
    for j, a in enumerate(axes):
        r = sp.Symbol(f"r_{a}", integer=True)
        start = _relations(spec)[j].input_index(r, 0)            # tap 0's read
        dj = spec.dilation[j]
        c0 = start + dj * sp.ceiling(sp.Max(0, -start, evaluate=False) / dj) if dj > 1 \
            else sp.Max(start, 0, evaluate=False)
        lines.append(Assign(f"first_{a}", c0 * plane_strides[j], array=True))
    lines.append(_outer_line("first", [f"first_{a}" for a in axes], "np.add"))
    return lines


def _build_avg_pool(spec: AvgPoolSpec) -> Module:
    sizes, out_syms, out_exprs, body = _pool_common(spec, "avg_pool")
    axes, ndim = sizes.axes, spec.ndim
    body.append(Line("x = x if x.dtype.kind == 'f' else x.astype(np.float64)"))
    body.append(_half_precision("avg_pool", "x"))
    divisor = [Comment("window sizes per axis: " + ("clipped to [-p_b, i + p_a)" if spec.count_include_pad
                                                     else "number of in-bounds elements"))]
    for j, a in enumerate(axes):
        r = sp.Symbol(f"r_{a}", integer=True)
        start = _relations(spec)[j].input_index(r, 0)            # tap 0's read
        k, i = spec.kernel_size[j], sizes.symbols[j]
        if spec.count_include_pad:
            size = sp.Min(start + k, i + spec.padding[j][1], evaluate=False) - start
        else:
            size = sp.Min(start + k, i, evaluate=False) - sp.Max(start, 0, evaluate=False)
        divisor.append(Line(f"r_{a} = np.arange(out_{a})"))
        divisor.append(Assign(f"size_{a}", size, array=True))
    divisor.append(_outer_line("divisor", [f"size_{a}" for a in axes], "np.multiply"))
    large = f"_avg_pool({{}}, KERNEL_SIZE, STRIDE, PADDING_BEFORE, {expression(out_syms)}, divisor{{}})"
    body += small.dense_lines("avg_pool", sizes.symbols, out_syms, divisor, large.format("eye", ""), "SMALL_DENSE")
    body += divisor
    body.append(Return(large.format("x", ", out")))
    constants = (Assign("KERNEL_SIZE", spec.kernel_size), Assign("STRIDE", spec.stride),
                 Assign("PADDING_BEFORE", tuple(pb for pb, _ in spec.padding)))
    layout = _layout(axes)
    shape_text = [f"x      : {layout}", f"returns: (N, C, {', '.join(str(o) for o in out_syms)}) where"]
    shape_text += [f"    {o} = {_code(e)}" for o, e in zip(out_syms, out_exprs)]
    formula = ["out[n, c, r] = sum over taps t of x[n, c, r*s + t - p_b] / window size (zero padding)",
               f"k = {spec.kernel_size}, s = {spec.stride}, (p_b, p_a) = {spec.padding}, ceil_mode = {spec.ceil_mode}, "
               f"count_include_pad = {spec.count_include_pad}"]
    doc = _doc(f"avg_pool: {ndim}-D average pooling lowered by symconv.", shape_text, formula, spec)
    fn = Function("avg_pool", ("x", "*", "out=None"), f"{ndim}-D average pooling of x {layout} (into ``out`` "
                  "when given).", tuple(body))
    constants = small.small_constants("SMALL_DENSE", small.SMALL_DENSE, "N * C * plane_in * plane_out") + constants
    helpers = _helpers(_runtime._output, _runtime._in_float32, _runtime._remember, _runtime._outer,
                       _runtime._avg_pool, _runtime.tap_window, _runtime._window_sums)
    return Module(doc, constants, (fn,), ("avg_pool",), helpers)


def _build_max_unpool(spec: MaxUnpoolSpec) -> Module:
    _ints(spec.op, kernel_size=spec.kernel_size, stride=spec.stride, padding=spec.padding)
    if spec.pinned_output_size is not None:
        _ints(spec.op, output_size=spec.pinned_output_size)
    sizes = _Sizes(spec, spec.op)
    concrete = replace(spec, input_size=sizes.values)
    axes, ndim, owner = sizes.axes, spec.ndim, spec.op
    out_syms = tuple(sp.Symbol(f"out_{a}", integer=True) for a in axes)
    out_exprs = concrete.output_size
    body = _pool_prologue(spec, sizes)
    body += [Line("indices = np.asarray(indices)"),
             Check("indices.shape != x.shape",
                   f"{owner}: indices must have the shape of x {{x.shape}}, got indices.shape={{indices.shape}}"),
             Check("indices.dtype.kind not in 'iu'", f"{owner}: indices must be integers, got dtype {{indices.dtype}}")]
    body.append(Comment("output size per axis: " + ("the pinned output_size" if spec.pinned_output_size
                                                    else "s(i-1) + k - p_b - p_a")))
    body += [Assign(str(o), e) for o, e in zip(out_syms, out_exprs)]
    if spec.pinned_output_size is not None:
        for o, dflt, sj in zip(out_syms, concrete.default_output_size, spec.stride):
            if isinstance(dflt, int):
                continue
            body.append(Assign(f"default_{o}", dflt))
            body.append(Check(f"not default_{o} - {sj} < {o} < default_{o} + {sj}",
                              f"{owner}: output_size {o}={{{o}}} must lie strictly between "
                              f"{{default_{o} - {sj}}} and {{default_{o} + {sj}}}"))
    else:
        body += _positive_output(owner, out_syms, out_exprs, "the padding")
    body.append(Assign("plane", prod(out_syms)))
    body.append(Comment("as unsigned, a negative index is huge: one pass finds both kinds of bad index"))
    body.append(Check("indices.size and indices.view(f'u{indices.itemsize}').max() >= plane",
                      f"{owner}: indices must lie in [0, {{plane}}) for output size {placeholders(out_syms)}, "
                      f"got values in [{{indices.min()}}, {{indices.max()}}]"))
    body.append(_output_line(owner, "(n_batch, channels) + " + expression(out_syms), "x.dtype"))
    body.append(Return("_unpool(x, indices, out)"))
    layout = _layout(axes)
    shape_text = [f"x, indices : {layout} (indices: flat positions inside one output plane)",
                  f"returns    : (N, C, {', '.join(str(o) for o in out_syms)}) where"]
    shape_text += [f"    {o} = {_code(e)}" for o, e in zip(out_syms, out_exprs)]
    formula = ["out[n, c].flat[indices[n, c, r]] = x[n, c, r] (scatter-assign: the last write wins), zeros elsewhere",
               f"k = {spec.kernel_size}, s = {spec.stride}, (p_b, p_a) = {spec.padding}"]
    doc = _doc(f"max_unpool: {ndim}-D max unpooling lowered by symconv.", shape_text, formula, spec)
    fn = Function("max_unpool", ("x", "indices", "*", "out=None"),
                  f"{ndim}-D max unpooling of x {layout} at indices (into ``out`` when given).", tuple(body))
    return Module(doc, (), (fn,), ("max_unpool",), _helpers(_runtime._output, _runtime._unpool))
