r"""Lowering of the convolutions: conv (shifted GEMMs over stride phases, or direct im2col) and its transpose.

* convolution: the input is copied once, channels last, onto a zero-padded grid split into
  stride phases (polyphase decomposition, :func:`symconv.index.polyphase`: tap ``t`` reads
  phase :math:`(t d) \bmod s` shifted by :math:`\lfloor t d / s \rfloor`), and the output is
  a sum of GEMMs over shifted row ranges of that flat buffer ("shifted GEMMs"), chunked so
  buffers stay in cache; small-channel convolutions gather columns straight from the input;
* transposed convolution: the same relation read backwards -- output phase
  :math:`\psi = (m + p_b) \bmod s` is a stride-1 correlation of the input with the taps
  :math:`t d \equiv \psi`, so no zeros are inserted and nothing is scattered.

Tap ranges come from :func:`symconv.index.tap_window`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import product
from math import prod
from typing import Any

import sympy as sp

from .. import index
from ..spec import ConvSpec, ConvTransposeSpec
from . import _runtime, small
from .common import (_code, _doc, _grid_reach, _half_precision, _helpers, _ints, _layout, _max, _min, _output_line,
                     _phase_grid, _phase_grid_lines, _polyphase, _positive_output, _rank_check, _refs, _relations,
                     _Sizes)
from .ir import Assign, Block, Check, Comment, Function, Line, Module, Return, call, expression, source_tuple


#: Rows per chunk are chosen so a chunk of the flat buffer holds about this many elements.
CHUNK_ELEMENTS = 2 ** 18
#: Gather all taps into one channels-first GEMM (im2col per chunk) when ``taps * in_channels/groups``
#: is at most this; depthwise convolutions and these small-channel ones run channels first.
IM2COL_LIMIT = 256


#: Larger convolutions gather the taps of the trailing axes into GEMM columns, up to this many.
COLUMN_LIMIT = 1024
#: Strided convolutions with at least this many stride phases gather all taps too (up to
#: ``COLUMN_LIMIT`` columns): split into phases, each GEMM would see only a few taps' channels
#: (measured, one thread: 3-D 32->32 k3 s2 20.7 ms vs 28.3 ms; 2-D 64->128 k3 s2 24.1 vs 26.4 ms).
STRIDED_IM2COL_PHASES = 4


#: A ``rows`` plan with more GEMMs per chunk than this (row offsets: 9 for a 3x3x3 kernel) runs
#: channels last, where BLAS's long M absorbs the accumulations better (measured: 3-D k3 32->32
#: 39 ms channels last vs 45 ms first; 2-D k3/k5/k7 and 1-D k5 5-20 % faster channels first).
CHANNELS_LAST_ROW_OFFSETS = 8


def _conv_module(name: str, title: str, weight_layout: str, spec: Any, axes: Any, engine: dict, out_syms: Any,
                 out_exprs: Any, formula: list, body: list, headline: str) -> Module:
    """Assemble a convolution-like module: docstring (shapes, formula, spec), constants, one function."""
    layout = _layout(axes)
    shape_text = [f"x      : {layout} with C = {spec.in_channels}",
                  f"weight : {tuple(spec.weight_shape)} {weight_layout}",
                  "bias   : (C_out,) or None",
                  f"returns: (N, C_out, {', '.join(str(o) for o in out_syms)}) where"]
    shape_text += [f"    {o} = {_code(e)}" for o, e in zip(out_syms, out_exprs)]
    doc = _doc(headline, shape_text, formula, spec)
    fn_doc = (f"{title} with the spec's parameters baked in.\n\n"
              f"x: {layout}; weight: {tuple(spec.weight_shape)}; bias: (C_out,) or None.")
    constants = small.small_constants("SMALL_COLUMNS", small.SMALL_COLUMNS, "N * C_in * taps * outputs") + (
        Comment("tuning: elements of the flat buffer per chunk"), Assign("CHUNK_ELEMENTS", CHUNK_ELEMENTS))
    fn = Function(name, ("x", "weight", "bias=None", "*", "out=None"), fn_doc + "\nout: written in place when given.",
                  tuple(body))
    helpers = engine["helpers"][:1] + list(small.HELPERS) + [_runtime._gather_gemm] + engine["helpers"][1:]
    return Module(doc, constants, (fn,), (name,), _helpers(*helpers))


def _conv_output_lines(spec: Any, out_syms: tuple) -> list:
    """The convolutions' output array (``out`` checked, or a new one of the prologue's ``dtype``)."""
    return [
        _output_line(spec.op, "(n_batch, out_c) + " + expression(out_syms), "dtype"),
        Block("if out.size == 0", (Return("out"),)),
    ]


def _plan(taps: list, strategy: str, ndim: int, line_strides: tuple, column_axes: int = 1) -> tuple:
    """GEMM plan from taps ``(flat index, phase index, per-axis shifts)``.

    * ``im2col``: one group gathering every tap as a column block;
    * ``rows``: per phase, the shifts of the last ``column_axes`` axes become columns (one
      shared gather) and the leading axes' shifts become row offsets (one GEMM each);
    * ``depthwise``: as ``rows`` with the last axis's taps as columns (per-channel products).
    """
    def offset(shifts: tuple) -> Any:
        return sum((q * stride for q, stride in zip(shifts, line_strides)), sp.Integer(0))

    if strategy == "depthwise":
        column_axes = 1
    if strategy == "im2col":
        return ((tuple((phase, offset(q)) for _, phase, q in taps), (sp.Integer(0),),
                 (tuple(flat for flat, _, _ in taps),)),) if taps else ()
    groups = []
    lead_axes = ndim - column_axes
    for phase in sorted({p for _, p, _ in taps}):
        members = [(flat, q) for flat, p, q in taps if p == phase]
        col_keys = sorted({q[lead_axes:] for _, q in members})
        lead_keys = sorted({q[:lead_axes] for _, q in members})
        table = {q: flat for flat, q in members}
        columns = tuple((phase, offset((0,) * lead_axes + key)) for key in col_keys)
        rows = tuple(offset(key + (0,) * column_axes) for key in lead_keys)
        tap_rows = tuple(tuple(table.get(lead + key, -1) for key in col_keys) for lead in lead_keys)
        groups.append((columns, rows, tap_rows))
    return tuple(groups)


def _phase_taps(k: tuple, s: tuple, d: tuple) -> tuple:
    """Per axis, the most taps any stride phase has (taps t with the same phase, :func:`symconv.index.polyphase`)."""
    return tuple(max(Counter(index.polyphase(t * dj, sj)[0] for t in range(kj)).values())
                 for kj, sj, dj in zip(k, s, d))


def _column_axes(kernel_size: tuple, c_in_g: Any, shifts: tuple = (), grid: tuple = (),
                 channels: tuple = ()) -> int:
    """How many trailing axes' taps a ``rows`` plan gathers into GEMM columns.

    The fewest axes whose leading row offsets stay within half a chunk (so a gathered column
    block is reused by every row offset at little extra copying), as long as the columns
    ``K = taps * c_in_g`` stay within ``COLUMN_LIMIT``; concrete sizes only, else 1.
    """
    ndim = len(kernel_size)
    if not isinstance(c_in_g, int) or not all(isinstance(v, int) for v in tuple(grid) + tuple(channels)):
        return 1
    chunk = max(16, CHUNK_ELEMENTS // max(channels))
    fits = [c for c in range(1, ndim + 1) if prod(kernel_size[ndim - c:]) * c_in_g <= COLUMN_LIMIT] or [1]
    for c in fits:
        reach = sum(q * prod(grid[j + 1:]) for j, q in enumerate(shifts[:ndim - c]))
        if 2 * reach <= chunk:
            return c
    return fits[-1]


def _row_offsets(strategy: str, plans: tuple) -> int:
    """The most GEMMs per chunk (row offsets of one entry) in ``rows`` plans; 1 otherwise."""
    if strategy != "rows":
        return 1
    return max([len(entry[1]) for plan in plans for entry in plan] + [1])


def _strategy(c_in_g: Any, groups: Any, n_taps: int) -> str:
    if isinstance(c_in_g, int) and c_in_g == 1 and isinstance(groups, int) and groups > 1:
        return "depthwise"
    if isinstance(c_in_g, int) and c_in_g * n_taps <= IM2COL_LIMIT:
        return "im2col"
    return "rows"


def _channels(spec: Any, transpose: bool) -> tuple[list, Any]:
    """Channel and weight checks; returns the lines and ``c_in / groups`` (int or None)."""
    groups, owner = spec.groups, spec.op
    c_in = spec.in_channels if isinstance(spec.in_channels, int) else None
    c_out = spec.out_channels if isinstance(spec.out_channels, int) else None
    lines: list = []
    if c_in is not None:
        lines.append(Check(f"in_c != {c_in}",
                           f"{owner}: x must have {c_in} channels (x.shape[1]), got x.shape={{x.shape}}"))
    taps = ", ".join(str(k) for k in spec.kernel_size)
    if c_out is not None:
        lines.append(Assign("out_c", sp.Integer(c_out)))
    else:
        lines.append(Line(f"out_c = weight.shape[1] * {groups}" if transpose else "out_c = weight.shape[0]"))
    want = f"(in_c, {_per('out_c', groups)}, {taps})" if transpose else f"(out_c, {_per('in_c', groups)}, {taps})"
    divisible = f"in_c % {groups} or out_c % {groups} or " if groups != 1 else ""
    lines.append(Check(f"{divisible}weight.shape != {want}", f"{owner}: weight must have shape {{{want}}} for "
                       f"x.shape={{x.shape}} and groups={groups}, got weight.shape={{weight.shape}}"))
    lines.append(Block("if bias is not None", (
        Line("bias = np.asarray(bias)"),
        Check("bias.shape != (out_c,)", f"{owner}: bias must have shape ({{out_c}},), got bias.shape={{bias.shape}}"),
    )))
    return lines, (c_in // groups if c_in is not None else None)


def _conv_prologue(spec: Any, sizes: _Sizes, transpose: bool) -> list:
    owner, ndim = spec.op, spec.ndim
    body: list = [Line("x = np.asarray(x)"), Line("weight = np.asarray(weight)"),
                  Line("dtype = x.dtype if x.dtype == weight.dtype and x.dtype.isnative else "
                       "np.result_type(x.dtype, weight.dtype)"),
                  _half_precision(owner, "x, weight, bias", "dtype"),
                  _rank_check(owner, "x", ndim, _layout(sizes.axes)),
                  Line(f"n_batch, in_c, {sizes.names()} = x.shape")]
    body += sizes.check_lines(owner)
    return body


def _conv_head(spec: Any, sizes: _Sizes, transpose: bool, out_syms: tuple, out_exprs: tuple, size_rule: str,
               too_small: str) -> list:
    """The lines both convolutions start with: checks, output sizes (``size_rule``), the small path."""
    body = _conv_prologue(spec, sizes, transpose) + _channels(spec, transpose)[0]
    body.append(Comment("output size per axis: " + size_rule))
    body += [Assign(str(o), e) for o, e in zip(out_syms, out_exprs)]
    body += _positive_output(spec.op, out_syms, out_exprs, too_small)
    body += small.conv_lines(spec, sizes.axes, sizes.symbols, out_syms, _conv_output_lines(spec, out_syms), transpose)
    return body


def _engine(spec: Any, strategy: str, transpose: bool, n_phases: int, grid_syms: tuple, extra: str,
            row_offsets: int = 1) -> dict:
    """The lines shared by both convolutions: buffer, fill, weights, chunk function, helpers.

    Plans run channels first -- BLAS sees ``W (C_out, K) @ columns (K, rows)``, the input is
    copied without a transpose and the result lands in ``out``'s layout -- except ``rows`` plans
    with more than :data:`CHANNELS_LAST_ROW_OFFSETS` GEMMs per chunk (``row_offsets``), which
    run channels last (``(rows, K) @ (K, C_out)``).
    """
    g = spec.groups
    taps = prod(spec.kernel_size)
    channels_last = strategy == "rows" and row_offsets > CHANNELS_LAST_ROW_OFFSETS
    rows = f"n_batch * {' * '.join(str(x) for x in grid_syms)} + extra"
    shape = f"({n_phases}, {rows}, {g}, {_per('in_c', g)})" if channels_last else f"({n_phases}, in_c, {rows})"
    grid = expression(grid_syms)
    lines = [Line(extra), Line(f"src = np.zeros({shape}, dtype)"),
             Line(f"_fill(src, x, {grid}, phases, extra{'' if channels_last else ', channels_last=False'})")]
    if transpose:
        lines.append(Line(f"w4 = weight.reshape({g}, {_per('in_c', g)}, {_per('out_c', g)}, {taps}).astype(dtype)"))
    else:
        lines.append(Line(f"w4 = weight.reshape({g}, {_per('out_c', g)}, {_per('in_c', g)}, {taps})"
                          f".transpose(0, 2, 1, 3).astype(dtype)"))
    if channels_last:
        prepare, chunk = "_gemm_weights(w4, plan)", "_gemm_chunk"
        helpers = [_runtime._gemm_weights, _runtime._gemm_chunk]
    else:
        prepare = "[np.ascontiguousarray(w.swapaxes(2, 3)) for w in _gemm_weights(w4, plan)]"
        chunk = "_gemm_chunk_cf"
        helpers = [_runtime._gemm_weights, _runtime._gemm_chunk_cf]
    return dict(lines=lines, prepare=prepare, chunk=chunk, layout="" if channels_last else ", False",
                helpers=[_runtime._output, _runtime._in_float32, _runtime._fill, _runtime._reach,
                         _runtime._correlate] + helpers,
                text=("channels-last" if channels_last else "channels-first"))


def _conv_checks(spec: Any) -> None:
    _ints(spec.op, kernel_size=spec.kernel_size, stride=spec.stride, padding=spec.padding,
          dilation=spec.dilation, groups=spec.groups)
    if isinstance(spec, ConvTransposeSpec):
        _ints(spec.op, output_padding=spec.output_padding)


def _build_conv(spec: ConvSpec) -> Module:
    _conv_checks(spec)
    sizes = _Sizes(spec, spec.op)
    concrete = replace(spec, input_size=sizes.values)
    ndim, axes = spec.ndim, sizes.axes
    k, s, d, pads, g = spec.kernel_size, spec.stride, spec.dilation, spec.padding, spec.groups
    out_syms = tuple(sp.Symbol(f"out_{a}", integer=True) for a in axes)
    out_exprs = concrete.output_size
    _, c_in_g = _channels(spec, False)
    strategy = _strategy(c_in_g, g, prod(k))
    if (strategy == "rows" and prod(s) >= STRIDED_IM2COL_PHASES and isinstance(c_in_g, int)
            and c_in_g * prod(k) <= COLUMN_LIMIT):     # channels unknown (None) at generation time: rows
        strategy = "im2col"

    body = _conv_head(spec, sizes, False, out_syms, out_exprs, "floor((i + p_b + p_a - d(k-1) - 1)/s) + 1",
                      "the kernel is larger than the padded input and")
    formula = ["out[n, o, r] = bias[o] + sum_{c, t} weight[o, c, t] * x[n, g*C_in/groups + c, r*s + t*d - p_b]",
               "(per axis; zero outside the input; g = o // (C_out/groups))",
               f"s = {s}, d = {d}, (p_b, p_a) = {pads}, groups = {g}"]
    if strategy == "im2col":
        body += _direct_im2col_lines(spec, sizes, out_syms, out_exprs)
        formula.append("Evaluated as one GEMM per block of output lines over columns gathered from x "
                       "in output coordinates (im2col without a padded copy).")
        engine = dict(helpers=[_runtime._output, _runtime._in_float32, _runtime._im2col_gemm])
        return _conv_module("conv", f"{ndim}-D convolution", "(C_out, C_in/groups, *kernel_size)", spec, axes,
                            engine, out_syms, out_exprs, formula, body,
                            f"conv: {ndim}-D convolution (cross-correlation) lowered by symconv.")

    # the phase grid and the plan of shifted GEMMs
    grid_syms, qmax, grid_vals, grid_refs, axis_phases, phase_list, tap_phases = _phase_grid(spec, sizes, out_exprs)
    line_strides = _line_strides(grid_refs)
    taps = [(flat, phase, shifts) for flat, (phase, shifts) in enumerate(tap_phases)]
    columns = _column_axes(_phase_taps(k, s, d), c_in_g, qmax, grid_vals, (spec.in_channels, spec.out_channels))
    plan = _plan(taps, strategy, ndim, line_strides, columns)
    body += _phase_grid_lines(spec, sizes, out_syms, grid_syms, qmax, grid_vals, grid_refs, axis_phases,
                              phase_list)
    body.append(Comment(f"{strategy} plan: (columns (phase, row offset), row offsets, taps)"))
    body.append(Assign("plan", plan))
    grid_tuple = "(" + ", ".join(str(gs) for gs in grid_syms) + ("," if ndim == 1 else "") + ")"
    engine = _engine(spec, strategy, False, len(phase_list), grid_syms, "extra = _reach(plan)",
                     _row_offsets(strategy, (plan,)))
    body += _conv_output_lines(spec, out_syms)
    body += engine["lines"]
    body.append(Line(f"weights = {engine['prepare']}"))
    body.append(Line("chunk_rows = max(16, CHUNK_ELEMENTS // max(in_c, out_c))"))
    zeros = expression((0,) * ndim)
    ones = expression((1,) * ndim)
    body.append(Line(f"_correlate({engine['chunk']}, src, plan, weights, out, {grid_tuple}, {zeros}, "
                     f"{expression(out_syms)}, {ones}, {zeros}, None if bias is None else bias.astype(dtype), "
                     f"chunk_rows{engine['layout']})"))
    body.append(Return("out"))
    formula.append(f"Evaluated as {strategy} shifted GEMMs over a flat {engine['text']} buffer split into "
                   f"{len(phase_list)} stride phase(s).")
    return _conv_module("conv", f"{ndim}-D convolution", "(C_out, C_in/groups, *kernel_size)", spec, axes, engine,
                        out_syms, out_exprs, formula, body,
                        f"conv: {ndim}-D convolution (cross-correlation) lowered by symconv.")


def _direct_im2col_lines(spec: ConvSpec, sizes: _Sizes, out_syms: tuple, out_exprs: tuple) -> list:
    """Lines of the small-channel convolution: per axis and tap, which outputs read which inputs."""
    k, s, d, pads = spec.kernel_size, spec.stride, spec.dilation, spec.padding
    out_refs = _refs(out_exprs, out_syms)
    lines: list = [Comment("per axis and tap t: (first output, end output, first input); output r reads input\n"
                           "r*s + t*d - p_b, inside [0, i) for lo <= r < hi")]
    for j, (a, rel) in enumerate(zip(sizes.axes, _relations(spec))):
        entries = []
        for t in range(k[j]):
            first, end = index.tap_window(sizes.values[j], t * d[j], s[j], pads[j][0])
            lo, hi = max(0, first), _min(out_refs[j], end)
            entries.append((sp.Integer(lo), hi, sp.Integer(rel.input_index(lo, t))))
        lines.append(Assign(f"taps_{a}", tuple(entries)))
    taps = source_tuple(f"taps_{a}" for a in sizes.axes)
    lines += _conv_output_lines(spec, out_syms) + [
        Line("bias = None if bias is None else bias.astype(dtype)"),
        Line(f"w3 = weight.reshape({spec.groups}, {_per('out_c', spec.groups)}, -1).astype(dtype)"),
        Return(call("_im2col_gemm", "x", "w3", "out", "bias", taps, s)),
    ]
    return lines


def _build_conv_transpose(spec: ConvTransposeSpec) -> Module:
    _conv_checks(spec)
    if spec.pinned_output_size is not None and spec.input_size is None:
        raise ValueError("lower: conv_transpose with output_size needs input_size (use output_padding instead)")
    sizes = _Sizes(spec, spec.op)
    base = replace(spec, pinned_output_size=None) if spec.pinned_output_size is not None else spec
    concrete = replace(base, input_size=sizes.values)
    ndim, axes = spec.ndim, sizes.axes
    k, s, d, pads, g = spec.kernel_size, spec.stride, spec.dilation, spec.padding, spec.groups
    out_syms = tuple(sp.Symbol(f"out_{a}", integer=True) for a in axes)
    grid_syms = tuple(sp.Symbol(f"grid_{a}", integer=True) for a in axes)
    out_exprs = concrete.output_size
    qmax = _grid_reach(k, s, d)
    out_refs = _refs(out_exprs, out_syms)
    # grid rows: the input, or the rows output phase 0 needs (the most of any phase), past the largest shift
    grid_vals = tuple(q + _max(i, index.tap_window(o, 0, sj, pb)[1])
                      for q, i, o, (pb, _), sj in zip(qmax, sizes.values, out_refs, pads, s))
    grid_refs = _refs(grid_vals, grid_syms)
    line_strides = _line_strides(grid_refs)
    _, c_in_g = _channels(spec, True)
    strategy = _strategy(c_in_g, g, prod(k) // max(1, prod(s)) or 1)
    phases_out = []
    _, tap_phases = _polyphase(spec)
    for psi in product(*(range(sj) for sj in s)):
        # output m = v*s + psi - p_b: grid rows v of output phase psi, and the taps t*d = psi (mod s)
        taps = [(flat, 0, tuple(qj - shift for qj, shift in zip(qmax, shifts)))
                for flat, (phase, shifts) in enumerate(tap_phases) if phase == psi]
        windows = [index.tap_window(o, pj, sj, pb) for o, pj, (pb, _), sj in zip(out_refs, psi, pads, s)]
        lo = tuple(max(0, first) for first, _ in windows)
        hi = tuple(end for _, end in windows)
        offset = tuple(index.read_position(0, pj, sj, pb) for pj, (pb, _), sj in zip(psi, pads, s))
        columns = _column_axes(_phase_taps(k, s, d), c_in_g, qmax, grid_vals, (spec.in_channels, spec.out_channels))
        phases_out.append((_plan(taps, strategy, ndim, line_strides, columns), lo, hi, offset))

    body = _conv_head(spec, sizes, True, out_syms, out_exprs, "s(i-1) + d(k-1) + 1 - p_b - p_a + output_padding",
                      "the padding")
    body.append(Comment("output m = v*s + psi - p_b (phase psi) sums taps with t*d = psi (mod s), reading\n"
                        "input v - (t*d)//s; the input sits on a grid shifted by max((t*d)//s)"))
    body += [Assign(str(gs), v) for gs, v in zip(grid_syms, grid_vals)]
    entries = ", ".join(f"({q}, {i}, 0, 1)" for q, i in zip(qmax, sizes.symbols))
    body.append(Line(f"phases = (({entries}{',' if ndim == 1 else ''}),)"))
    body.append(Comment(f"per output phase: ({strategy} plan, first grid row, end grid row, output offset)"))
    body.append(Assign("output_phases", tuple(phases_out)))
    grid_tuple = expression(grid_syms)
    line = " * ".join(str(x) for x in grid_syms[1:]) or "1"
    engine = _engine(spec, strategy, True, 1, grid_syms,
                     f"extra = max(_reach(plan) + lo[0] * {line} for plan, lo, _, _ in output_phases)",
                     _row_offsets(strategy, tuple(p for p, _, _, _ in phases_out)))
    body += _conv_output_lines(spec, out_syms)
    body += engine["lines"]
    body += [Line("chunk_rows = max(16, CHUNK_ELEMENTS // max(in_c, out_c))"),
             Line("bias = None if bias is None else bias.astype(dtype)"),
             Block("for plan, lo, hi, offset in output_phases", (
                 Line(f"weights = {engine['prepare']} if plan else []"),
                 Line(f"_correlate({engine['chunk']}, src, plan, weights, out, {grid_tuple}, lo, hi, {expression(s)}, "
                      f"offset, bias, chunk_rows{engine['layout']})"),)),
             Return("out")]
    formula = ["out[n, o, m] = bias[o] + sum over (c, v, t) with m = v*s + t*d - p_b of weight[c, o_g, t] * x[n, c, v]",
               "(per axis; the transpose of conv's matrix; c ranges over the group of o)",
               f"s = {s}, d = {d}, (p_b, p_a) = {pads}, output_padding = {concrete.output_padding}, groups = {g}",
               f"Evaluated per output phase (polyphase, {prod(s)} phase(s)) as {strategy} shifted GEMMs "
               f"({engine['text']})."]
    return _conv_module("conv_transpose", f"{ndim}-D transposed convolution", "(C_in, C_out/groups, *kernel_size)",
                        spec, axes, engine, out_syms, out_exprs, formula, body,
                        f"conv_transpose: {ndim}-D transposed convolution lowered by symconv.")


def _per(name: str, groups: int) -> str:
    """``name // groups`` (just ``name`` for one group)."""
    return name if groups == 1 else f"{name} // {groups}"


def _line_strides(grid: tuple) -> tuple:
    """Rows between neighbours along each axis of a flattened grid (row-major)."""
    return tuple(prod(grid[j + 1:]) if j + 1 < len(grid) else 1 for j in range(len(grid)))

