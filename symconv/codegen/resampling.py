"""Lowering of interpolation (``F.interpolate``): separable per-axis source maps.

The maps are computed at run time by the helpers of :mod:`._runtime.resampling`, which
evaluate :func:`symconv.index.source_coordinate` and the cubic kernel of :mod:`symconv.index`
in floating point; linear ones run as one difference plus one pass per phase, on
cache-sized blocks of planes.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..index import MODE_FAMILY
from ..spec import UpsampleSpec
from . import _runtime, small
from .common import (_code, _doc, _half_precision, _helpers, _ints, _layout, _output_line, _pool_prologue,
                     _positive_output, _Sizes)
from .ir import Assign, Comment, Function, Line, Module, Return, expression, source_tuple


def _build_upsample(spec: UpsampleSpec) -> Module:
    if spec.size is not None:
        _ints(spec.op, size=spec.size)
    if spec.scale_factor is not None and any(isinstance(f, sp.Basic) and not f.is_Number for f in spec.scale_factor):
        raise ValueError(f"lower: upsample needs numeric scale_factor, got scale_factor={spec.scale_factor}")
    sizes = _Sizes(spec, spec.op)
    concrete = replace(spec, input_size=sizes.values)
    axes, ndim = sizes.axes, spec.ndim
    out_syms = tuple(sp.Symbol(f"out_{a}", integer=True) for a in axes)
    out_exprs = concrete.output_size
    body = _pool_prologue(spec, sizes)
    if MODE_FAMILY[spec.mode] != "nearest" and spec.mode != "nearest-exact":
        body.append(_half_precision("upsample", "x"))
    body.append(Comment("output size per axis: " + ("size" if spec.size is not None else "floor(i * scale_factor)")))
    body += [Assign(str(o), e) for o, e in zip(out_syms, out_exprs)]
    body += _positive_output(spec.op, out_syms, out_exprs, "the scale factor")
    setup = [Comment("source coordinates per axis (PyTorch's area_pixel_compute_scale and rounding)")]
    nearest = spec.mode in ("nearest", "nearest-exact")
    if nearest and ndim == 2:
        setup.append(Comment("PyTorch rounds in float32 on its vectorized 2-D path (out_h + out_w <= 128)"))
        setup.append(Line("vectorized = out_h + out_w <= 128"))
        flag = ", vectorized"
    else:
        flag = ""
    scales = spec.scale_factor if spec.scale_factor is not None else (None,) * ndim
    maps = [f"_axis_map(MODE, {i}, {o}, {None if f is None else float(f)!r}, ALIGN_CORNERS{flag})"
            for i, o, f in zip(sizes.symbols, out_syms, scales)]
    setup.append(Line("maps = " + source_tuple(maps)))
    if nearest:
        impulse = f"_resample(eye, maps, np.empty((1, 1) + {expression(out_syms)}, eye.dtype))"
        body += small.nearest_lines(spec.op, sizes.symbols, out_syms, setup, impulse)
    else:
        impulse = f"_resample(eye, maps, np.empty(({' * '.join(map(str, sizes.symbols))}, 1) + {expression(out_syms)}))"
        body += small.dense_lines(spec.op, sizes.symbols, out_syms, setup, impulse, "SMALL_INTERPOLATION")
    body += setup
    body.append(_output_line(spec.op, "(n_batch, channels) + " + expression(out_syms), "x.dtype"))
    body.append(Return("_resample(x, maps, out)"))
    constants = (Assign("MODE", MODE_FAMILY[spec.mode]), Assign("ALIGN_CORNERS", bool(spec.align_corners)))
    if nearest:
        constants = small.small_constants("SMALL_GATHER", small.SMALL_GATHER, "N * C * outputs") + constants
    else:
        constants = small.small_constants("SMALL_INTERPOLATION", small.SMALL_INTERPOLATION,
                                          "N * C * plane_in * plane_out") + constants
    layout = _layout(axes)
    shape_text = [f"x      : {layout}", f"returns: (N, C, {', '.join(str(o) for o in out_syms)}) where"]
    shape_text += [f"    {o} = {_code(e)}" for o, e in zip(out_syms, out_exprs)]
    formula = [f"mode = {spec.mode!r}, align_corners = {spec.align_corners}; separable per axis:",
               "nearest: src = min(floor(dst*r), i-1); nearest-exact: min(floor((dst+1/2)*r), i-1);",
               "linear: x = r*dst (align_corners) or max(r*(dst+1/2) - 1/2, 0),",
               "        weights 1-l, l at floor(x), floor(x)+1;",
               "bicubic: Keys kernel (A = -3/4) on taps floor(x)-1 .. floor(x)+2 clamped to the edge"]
    doc = _doc(f"upsample: {ndim}-D interpolation ({spec.mode}) lowered by symconv.", shape_text, formula, spec)
    fn = Function("upsample", ("x", "*", "out=None"),
                  f"{ndim}-D {spec.mode} interpolation of x {layout} (into ``out`` when given).", tuple(body))
    helpers = _helpers(_runtime._output, _runtime._in_float32, _runtime._remember, _runtime.cubic_near,
                       _runtime.cubic_far, _runtime._cubic, _runtime.step_rule, _runtime.source_coordinate,
                       _runtime._axis_map,
                       _runtime._periodic, _runtime._resample, _runtime._repeat_last, _runtime._resample_planes)
    return Module(doc, constants, (fn,), ("upsample",), helpers)

