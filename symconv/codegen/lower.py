r'''Lowering: a spec becomes the source of a standalone NumPy module, then a callable kernel.

``lower(spec)`` reads the spec's SymPy size expressions and the index relation
:math:`c = r s + t d - p_b` and prints them into a module that imports only NumPy:

* convolution: the input is copied once, channels last, onto a zero-padded grid split into
  stride phases (polyphase decomposition: tap ``t`` reads phase :math:`(t d) \bmod s` shifted
  by :math:`\lfloor t d / s \rfloor`), and the output is a sum of GEMMs over shifted row
  ranges of that flat buffer ("shifted GEMMs"), chunked so buffers stay in cache;
* transposed convolution: the same relation read backwards -- output phase
  :math:`\psi = (m + p_b) \bmod s` is a stride-1 correlation of the input with the taps
  :math:`t d \equiv \psi`, so no zeros are inserted and nothing is scattered;
* max pooling: the same stride phases (filled with -inf), so every tap is a unit-step view;
  one pass keeps a running maximum and, branch-free, the winning tap;
* average pooling, unpooling and interpolation: per-axis window sums, a scatter per plane,
  separable per-axis maps (linear ones as one difference plus one pass per phase, on
  cache-sized blocks of planes).

Sizes, slice bounds and tap offsets are printed from SymPy expressions, so a spec whose
``input_size`` is symbolic (or absent) gives a kernel generic in those sizes, and a concrete
spec gives a kernel that checks its input shape. The source is deterministic and the kernel
cached per spec.

Examples
--------
>>> import numpy as np
>>> from symconv.spec import ConvSpec
>>> kernel = lower(ConvSpec(3, padding=1, ndim=1))
>>> kernel(np.ones((1, 1, 4)), np.ones((1, 1, 3)))
array([[[2., 3., 3., 2.]]])
>>> print(kernel.source.splitlines()[0])
"""conv: 1-D convolution (cross-correlation) lowered by symconv.
'''
from __future__ import annotations

import inspect
import linecache
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import product
from math import prod
from typing import Any, Callable

import sympy as sp

from .. import shapes
from ..spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from . import _runtime, small
from .ir import Assign, Block, Comment, Function, Line, Module, Return, render

__all__ = ["Kernel", "lower", "module_source", "CHUNK_ELEMENTS", "IM2COL_LIMIT", "COLUMN_LIMIT",
           "STRIDED_IM2COL_PHASES",
           "CHANNELS_LAST_ROW_OFFSETS", "MAX_TAPS", "MAX_PHASES"]

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

#: Lowering plans every kernel tap and every stride phase separately (SymPy slice bounds for each),
#: so its cost grows with both; larger kernels are refused before any work starts. A 64x64 (2-D)
#: or 16x16x16 (3-D) kernel with 256 phases lowers in a few seconds.
MAX_TAPS = 4096
MAX_PHASES = 256

_AXES = {1: ("w",), 2: ("h", "w"), 3: ("d", "h", "w")}
_SPECS = (ConvSpec, ConvTransposeSpec, MaxPoolSpec, AvgPoolSpec, MaxUnpoolSpec, UpsampleSpec)


@dataclass(frozen=True)
class Kernel:
    """A lowered operator: call it like the generated function; ``source`` is the module text.

    Attributes
    ----------
    name : str
        The function's name (the operator: ``conv``, ``conv_transpose``, ...).
    spec : spec
        The spec it was lowered from.
    source : str
        The standalone module (imports only NumPy).
    """

    name: str
    spec: Any
    source: str = field(repr=False)
    function: Callable = field(repr=False, compare=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)


def lower(spec: Any) -> Kernel:
    """Lower a spec to a kernel: a NumPy function plus the source of its standalone module.

    Parameters
    ----------
    spec : ConvSpec, ConvTransposeSpec, MaxPoolSpec, AvgPoolSpec, MaxUnpoolSpec or UpsampleSpec
        Kernel size, stride, padding, dilation, groups, output padding, scale factors and
        sizes must be ints; ``input_size`` may be ints, integer symbols or absent (then the
        kernel is generic in the input size); channel counts may be symbols.

    Returns
    -------
    Kernel
        Callable as ``conv(x, weight, bias=None)``, ``conv_transpose(x, weight, bias=None)``,
        ``max_pool(x)`` (returns ``(values, indices)``), ``avg_pool(x)``,
        ``max_unpool(x, indices)`` or ``upsample(x)``.

    Raises
    ------
    TypeError
        Not a spec.
    ValueError
        A parameter that cannot be read from the arrays is symbolic.

    Examples
    --------
    >>> import numpy as np
    >>> from symconv.spec import MaxPoolSpec
    >>> values, indices = lower(MaxPoolSpec(2, ndim=1))(np.array([[[1., 5, 2, 0, 3]]]), return_indices=True)
    >>> values, indices
    (array([[[5., 2.]]]), array([[[1, 2]]]))
    >>> lower(MaxPoolSpec(2, ndim=1)) is lower(MaxPoolSpec(2, ndim=1))
    True
    """
    if not isinstance(spec, _SPECS):
        raise TypeError(f"lower: expected a symconv spec, got {type(spec).__name__}")
    _check_cost(spec)
    return _lower(spec)


def _check_cost(spec: Any) -> None:
    """Refuse a spec whose lowering would plan more taps or stride phases than the limits.

    Examples
    --------
    >>> _check_cost(ConvSpec(10**9, ndim=1))
    Traceback (most recent call last):
    ...
    ValueError: lower: conv with kernel_size=(1000000000,) has 1000000000 taps; at most 4096 (MAX_TAPS) can be lowered
    """
    if isinstance(spec, UpsampleSpec):
        return
    kernel, stride = spec.kernel_size, spec.stride
    if not all(isinstance(v, int) for v in kernel + stride + spec.dilation):
        return                                            # symbolic: refused by the builders
    taps = prod(kernel)
    if taps > MAX_TAPS:
        raise ValueError(f"lower: {spec.op} with kernel_size={kernel} has {taps} taps; at most {MAX_TAPS} "
                         f"(MAX_TAPS) can be lowered")
    if isinstance(spec, ConvTransposeSpec):
        phases = prod(stride)
    else:
        phases = prod(len({(t * d) % s for t in range(k)}) for k, s, d in zip(kernel, stride, spec.dilation))
    if phases > MAX_PHASES:
        raise ValueError(f"lower: {spec.op} with kernel_size={kernel}, stride={stride} is split into {phases} "
                         f"stride phases; at most {MAX_PHASES} (MAX_PHASES) can be lowered")


def module_source(spec: Any) -> str:
    """The text of the standalone module for ``spec`` (what ``symconv codegen`` writes)."""
    return lower(spec).source


@lru_cache(maxsize=512)
def _lower(spec: Any) -> Kernel:
    builder = _BUILDERS[type(spec)]
    module = builder(spec)
    source = render(module)
    name = module.exports[0]
    # Execute the same text: the helpers (identical for every kernel) are compiled once and
    # shared; the spec-specific remainder of the module is compiled here.
    specific = render(replace(module, helpers=()))
    filename = f"<symconv-kernel-{name}-{abs(hash(specific)) % 10 ** 12}>"
    code = compile(specific, filename, "exec")
    linecache.cache[filename] = (len(specific), None, specific.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"symconv_kernel_{name}"}
    namespace.update(_helper_namespace())
    exec(code, namespace)  # noqa: S102 - our own generated text, no user strings
    return Kernel(name, spec, source, namespace[name])


# --------------------------------------------------------------------------- shared pieces


@lru_cache(maxsize=None)
def _helper_source(function: Callable) -> str:
    return inspect.getsource(function)


@lru_cache(maxsize=1)
def _helper_namespace() -> dict:
    """Every runtime helper compiled from its own source text (the text the modules contain)."""
    namespace: dict[str, Any] = {"np": _runtime.np}
    for name in dir(_runtime):
        value = getattr(_runtime, name)
        if name.startswith("_") and inspect.isfunction(value) and value.__module__ == _runtime.__name__:
            exec(compile(_helper_source(value), f"<symconv-runtime-{name}>", "exec"), namespace)  # noqa: S102
    return namespace


def _helpers(*functions: Callable) -> tuple[str, ...]:
    return tuple(_helper_source(f) for f in functions)


def _ints(owner: str, **values: Any) -> None:
    for name, value in values.items():
        flat = value if isinstance(value, tuple) else (value,)
        for v in flat:
            if isinstance(v, tuple):
                _ints(owner, **{name: v})
            elif not isinstance(v, int):
                raise ValueError(f"lower: {owner} needs int {name} (it is not readable from the arrays), "
                                 f"got {name}={value}")


def _axes(ndim: int) -> tuple[str, ...]:
    return _AXES.get(ndim, tuple(str(j) for j in range(ndim)))


class _Sizes:
    """Canonical input-size symbols ``in_h``... and the runtime checks tying them to the spec."""

    def __init__(self, spec: Any, owner: str) -> None:
        ndim = spec.ndim
        self.axes = _axes(ndim)
        self.symbols = tuple(sp.Symbol(f"in_{a}", integer=True, positive=True) for a in self.axes)
        given = spec.input_size
        sizes, checks, first = [], [], {}
        for j in range(ndim):
            value = None if given is None else given[j]
            if value is None or isinstance(value, sp.Symbol):
                sizes.append(self.symbols[j])
                if value is not None and value in first:
                    checks.append((self.symbols[j], self.symbols[first[value]]))
                elif value is not None:
                    first[value] = j
            elif isinstance(value, int):
                sizes.append(value)
                checks.append((self.symbols[j], value))
            else:
                raise ValueError(f"lower: {owner} input_size must be ints or plain integer symbols, "
                                 f"got input_size={given}")
        self.values = tuple(sizes)
        self.checks = checks

    def names(self) -> str:
        return ", ".join(str(s) for s in self.symbols)

    def check_lines(self, owner: str, arg: str = "x") -> list:
        lines = []
        for sym, value in self.checks:
            lines.append(Block(f"if {sym} != {value}", (Line(
                f'raise ValueError(f"{owner}: {arg} has spatial size {{{arg}.shape[2:]}}, but this kernel '
                f'was lowered for {sym} = {value}")'),)))
        return lines


def _half_precision(function: str, args: str, dtype: str = "x.dtype") -> Block:
    """float16 runs in float32 and is rounded once, as PyTorch accumulates half precision."""
    return Block(f"if {dtype} == np.float16", (
        Comment("half precision accumulates in float32 (as PyTorch's), rounded once at the end"),
        Return(f'_in_float32({function}, "{function}", out, {args})'),))


def _rank_check(owner: str, arg: str, ndim: int, layout: str) -> Block:
    return Block(f"if {arg}.ndim != {ndim + 2}", (Line(
        f'raise ValueError(f"{owner}: {arg} must have {ndim + 2} dimensions {layout}, '
        f'got {arg}.shape={{{arg}.shape}}")'),))


def _layout(axes: tuple) -> str:
    return "(N, C, " + ", ".join(a.upper() for a in axes) + ")"


def _spec_text(spec: Any) -> str:
    return repr(spec)


def _doc(title: str, shapes_text: list[str], formula: list[str], spec: Any) -> str:
    lines = [title, "", "Shapes", "------"] + shapes_text + ["", "Formula", "-------"] + formula
    lines += ["", "Spec", "----", _spec_text(spec), "",
              "Generated by symconv (symconv.codegen.lower); imports only NumPy. Do not edit."]
    return "\n".join(lines)



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

def _refs(values: tuple, names: tuple) -> tuple:
    """Each value when it is a concrete int, else the symbol the generated code assigned it to."""
    return tuple(v if isinstance(v, int) else n for v, n in zip(values, names))


def _conv_output_lines(spec: Any, out_syms: tuple) -> list:
    """The convolutions' result dtype and output array (``out`` checked, or a new one)."""
    return [
        Line("dtype = np.result_type(x.dtype, weight.dtype)"),
        Line(f'out = _output("{spec.op}", out, (n_batch, out_c) + ' + _tuple(out_syms) + ", dtype)"),
        Block("if out.size == 0", (Return("out"),)),
    ]


def _positive_output(owner: str, out_syms: tuple, sizes: tuple, what: str) -> list:
    lines = []
    for sym, expr in zip(out_syms, sizes):
        if isinstance(expr, int):
            continue
        lines.append(Block(f"if {sym} < 1", (Line(
            f'raise ValueError(f"{owner}: {what} gives output size {sym}={{{sym}}} < 1 '
            f'for input size {{x.shape[2:]}}")'),)))
    return lines


# --------------------------------------------------------------------------- convolutions


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
    """Per axis, the most taps any stride phase has (taps t with the same (t*d) mod s)."""
    return tuple(max(Counter((t * dj) % sj for t in range(kj)).values()) for kj, sj, dj in zip(k, s, d))


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
        lines.append(Block(f"if in_c != {c_in}", (Line(
            f'raise ValueError(f"{owner}: x must have {c_in} channels (x.shape[1]), got x.shape={{x.shape}}")'),)))
    taps = ", ".join(str(k) for k in spec.kernel_size)
    if c_out is not None:
        lines.append(Assign("out_c", sp.Integer(c_out)))
    else:
        lines.append(Line(f"out_c = weight.shape[1] * {groups}" if transpose else "out_c = weight.shape[0]"))
    want = f"(in_c, {_per('out_c', groups)}, {taps})" if transpose else f"(out_c, {_per('in_c', groups)}, {taps})"
    divisible = f"in_c % {groups} or out_c % {groups} or " if groups != 1 else ""
    lines.append(Block(f"if {divisible}weight.shape != {want}", (Line(
        f'raise ValueError(f"{owner}: weight must have shape {{{want}}} for x.shape={{x.shape}} and '
        f'groups={groups}, got weight.shape={{weight.shape}}")'),)))
    lines.append(Block("if bias is not None", (
        Line("bias = np.asarray(bias)"),
        Block("if bias.shape != (out_c,)", (Line(
            f'raise ValueError(f"{owner}: bias must have shape ({{out_c}},), got bias.shape={{bias.shape}}")'),)),
    )))
    return lines, (c_in // groups if c_in is not None else None)


def _conv_prologue(spec: Any, sizes: _Sizes, transpose: bool) -> list:
    owner, ndim = spec.op, spec.ndim
    body: list = [Line("x = np.asarray(x)"), Line("weight = np.asarray(weight)"),
                  _half_precision(owner, "x, weight, bias", "np.result_type(x.dtype, weight.dtype)"),
                  _rank_check(owner, "x", ndim, _layout(sizes.axes)),
                  Line(f"n_batch, in_c, {sizes.names()} = x.shape")]
    body += sizes.check_lines(owner)
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
    grid = _tuple(grid_syms)
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

    body = _conv_prologue(spec, sizes, False)
    channel_lines, _ = _channels(spec, False)
    body += channel_lines
    body.append(Comment("output size per axis: floor((i + p_b + p_a - d(k-1) - 1)/s) + 1"))
    body += [Assign(str(o), e) for o, e in zip(out_syms, out_exprs)]
    body += _positive_output(spec.op, out_syms, out_exprs, "the kernel is larger than the padded input and")
    body += small.conv_lines(spec, axes, sizes.symbols, out_syms, _conv_output_lines(spec, out_syms), False)
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
    grid_syms = tuple(sp.Symbol(f"grid_{a}", integer=True) for a in axes)
    qmax = _grid_reach(k, s, d)
    grid_vals = tuple(o + q for o, q in zip(out_exprs, qmax))
    grid_refs = _refs(grid_vals, grid_syms)
    line_strides = _line_strides(grid_refs)
    axis_phases = [sorted({(t * dj) % sj for t in range(kj)}) for kj, dj, sj in zip(k, d, s)]
    phase_list = list(product(*axis_phases))
    phase_index = {p: n for n, p in enumerate(phase_list)}
    taps = []
    for flat, t in enumerate(product(*(range(kj) for kj in k))):
        phase = tuple((tj * dj) % sj for tj, dj, sj in zip(t, d, s))
        shifts = tuple((tj * dj) // sj for tj, dj, sj in zip(t, d, s))
        taps.append((flat, phase_index[phase], shifts))
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
    zeros = _tuple((0,) * ndim)
    ones = _tuple((1,) * ndim)
    body.append(Line(f"_correlate({engine['chunk']}, src, plan, weights, out, {grid_tuple}, {zeros}, "
                     f"{_tuple(out_syms)}, {ones}, {zeros}, None if bias is None else bias.astype(dtype), "
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
    for j, a in enumerate(sizes.axes):
        entries = []
        for t in range(k[j]):
            lo = max(0, -((t * d[j] - pads[j][0]) // s[j]))                   # ceil((p_b - t*d) / s), at least 0
            hi = _min(out_refs[j], shapes.floordiv(sizes.values[j] - 1 + pads[j][0] - t * d[j], s[j]) + 1)
            entries.append((sp.Integer(lo), hi, sp.Integer(lo * s[j] + t * d[j] - pads[j][0])))
        lines.append(Assign(f"taps_{a}", tuple(entries)))
    taps = ", ".join(f"taps_{a}" for a in sizes.axes) + ("," if spec.ndim == 1 else "")
    lines += _conv_output_lines(spec, out_syms) + [
        Line("bias = None if bias is None else bias.astype(dtype)"),
        Line(f"w3 = weight.reshape({spec.groups}, {_per('out_c', spec.groups)}, -1).astype(dtype)"),
        Return(f"_im2col_gemm(x, w3, out, bias, ({taps}), {_tuple(s)})"),
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
    grid_vals = tuple(q + _max(i, shapes.ceildiv(o + pb, sj))
                      for q, i, o, (pb, _), sj in zip(qmax, sizes.values, out_refs, pads, s))
    grid_refs = _refs(grid_vals, grid_syms)
    line_strides = _line_strides(grid_refs)
    _, c_in_g = _channels(spec, True)
    strategy = _strategy(c_in_g, g, prod(k) // max(1, prod(s)) or 1)
    phases_out = []
    for psi in product(*(range(sj) for sj in s)):
        taps = []
        for flat, t in enumerate(product(*(range(kj) for kj in k))):
            if all((tj * dj) % sj == pj for tj, dj, sj, pj in zip(t, d, s, psi)):
                taps.append((flat, 0, tuple(qj - (tj * dj) // sj for tj, dj, sj, qj in zip(t, d, s, qmax))))
        lo = tuple(max(0, -((pj - pb) // sj)) for pj, (pb, _), sj in zip(psi, pads, s))
        hi = tuple(shapes.floordiv(o - 1 + pb - pj, sj) + 1 for o, pj, (pb, _), sj in zip(out_refs, psi, pads, s))
        offset = tuple(pj - pb for pj, (pb, _) in zip(psi, pads))
        columns = _column_axes(_phase_taps(k, s, d), c_in_g, qmax, grid_vals, (spec.in_channels, spec.out_channels))
        phases_out.append((_plan(taps, strategy, ndim, line_strides, columns), lo, hi, offset))

    body = _conv_prologue(spec, sizes, True)
    channel_lines, _ = _channels(spec, True)
    body += channel_lines
    body.append(Comment("output size per axis: s(i-1) + d(k-1) + 1 - p_b - p_a + output_padding"))
    body += [Assign(str(o), e) for o, e in zip(out_syms, out_exprs)]
    body += _positive_output(spec.op, out_syms, out_exprs, "the padding")
    body += small.conv_lines(spec, axes, sizes.symbols, out_syms, _conv_output_lines(spec, out_syms), True)
    body.append(Comment("output m = v*s + psi - p_b (phase psi) sums taps with t*d = psi (mod s), reading\n"
                        "input v - (t*d)//s; the input sits on a grid shifted by max((t*d)//s)"))
    body += [Assign(str(gs), v) for gs, v in zip(grid_syms, grid_vals)]
    entries = ", ".join(f"({q}, {i}, 0, 1)" for q, i in zip(qmax, sizes.symbols))
    body.append(Line(f"phases = (({entries}{',' if ndim == 1 else ''}),)"))
    body.append(Comment(f"per output phase: ({strategy} plan, first grid row, end grid row, output offset)"))
    body.append(Assign("output_phases", tuple(phases_out)))
    grid_tuple = _tuple(grid_syms)
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
                 Line(f"_correlate({engine['chunk']}, src, plan, weights, out, {grid_tuple}, lo, hi, {_tuple(s)}, "
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


def _pool_prologue(spec: Any, sizes: _Sizes, extra_args: tuple = ()) -> list:
    owner, ndim = spec.op, spec.ndim
    body: list = [Line("x = np.asarray(x)"), _rank_check(owner, "x", ndim, _layout(sizes.axes))]
    body += [Line(f"n_batch, channels, {sizes.names()} = x.shape")]
    body += sizes.check_lines(owner)
    return body


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



def _phase_grid_lines(spec: Any, sizes: _Sizes, out_syms: tuple, grid_syms: tuple, qmax: tuple, grid_vals: tuple,
                      grid_refs: tuple, axis_phases: list, phase_list: list, note: str = "") -> list:
    """Lines that size the grid of stride phases and list, per axis and phase, which rows hold input.

    Shared by the convolutions and the pools: tap ``t`` reads phase ``(t*d) % s`` at shift ``(t*d)//s``.
    """
    axes, s, pads, ndim = sizes.axes, spec.stride, spec.padding, spec.ndim
    lines: list = [Comment("grid of stride phases: tap t reads phase (t*d) % s at shift (t*d)//s")]
    lines += [Assign(str(gs), o + q if not isinstance(v, int) else v)
              for gs, o, q, v in zip(grid_syms, out_syms, qmax, grid_vals)]
    lines.append(Comment("per axis and phase: (first grid row, row count, first input index, stride);\n"
                         "grid row q of phase f holds input c = q*s + f - p_b" + note))
    for j, a in enumerate(axes):
        entries = []
        for f in axis_phases[j]:
            first = max(0, -((f - pads[j][0]) // s[j]))
            last = _min(grid_refs[j], shapes.floordiv(sizes.values[j] - 1 + pads[j][0] - f, s[j]) + 1)
            entries.append((sp.Integer(first), last - first, sp.Integer(first * s[j] + f - pads[j][0]),
                            sp.Integer(s[j])))
        lines.append(Assign(f"rows_{a}", tuple(entries)))
    phase_refs = ", ".join("(" + ", ".join(f"rows_{a}[{axis_phases[j].index(p[j])}]" for j, a in enumerate(axes))
                           + ("," if ndim == 1 else "") + ")" for p in phase_list)
    lines.append(Line(f"phases = ({phase_refs}{',' if len(phase_list) == 1 else ''})"))
    return lines


def _grid_reach(k: tuple, s: tuple, d: tuple) -> tuple:
    """Per axis, the largest phase-grid shift a tap reaches: ``(k-1) d // s`` (tap ``t`` reads shift ``t d // s``)."""
    return tuple((kj - 1) * dj // sj for kj, dj, sj in zip(k, d, s))

def _tap_starts(spec: Any) -> tuple:
    return tuple(tuple(tj * dj for tj, dj in zip(t, spec.dilation))
                 for t in product(*(range(kj) for kj in spec.kernel_size)))


def _pool_phase_lines(spec: Any, sizes: _Sizes, out_syms: tuple, out_exprs: tuple) -> tuple[list, tuple, str]:
    """Lines describing the stride phases of the padded input (``phases``), the taps, the grid.

    Tap ``t`` reads padded offset ``t*d``, i.e. phase ``(t*d) % s`` at shift ``(t*d) // s``
    (the polyphase relation of the convolutions): every tap is a unit-step view of a phase.
    """
    axes, k, s, d, pads = sizes.axes, spec.kernel_size, spec.stride, spec.dilation, spec.padding
    ndim = spec.ndim
    grid_syms = tuple(sp.Symbol(f"grid_{a}", integer=True) for a in axes)
    qmax = _grid_reach(k, s, d)
    grid_vals = tuple(o + q for o, q in zip(out_exprs, qmax))
    grid_refs = _refs(grid_vals, grid_syms)
    axis_phases = [sorted({(t * dj) % sj for t in range(kj)}) for kj, dj, sj in zip(k, d, s)]
    phase_list = list(product(*axis_phases))
    phase_index = {p: n for n, p in enumerate(phase_list)}
    taps = tuple((phase_index[tuple((tj * dj) % sj for tj, dj, sj in zip(t, d, s))],
                  tuple((tj * dj) // sj for tj, dj, sj in zip(t, d, s)))
                 for t in product(*(range(kj) for kj in k)))
    lines = _phase_grid_lines(spec, sizes, out_syms, grid_syms, qmax, grid_vals, grid_refs, axis_phases,
                              phase_list, ", padding elsewhere")
    return lines, taps, _tuple(grid_syms)


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
        Return(f"_max_pool(x, fill, {grid}, phases, TAPS, {_tuple(out_syms)}, None, None, None, out)[0]"),)))
    body.append(Comment("switches: flat index in the unpadded plane, (r*s - p_b + t*d) per axis, row-major"))
    body.append(Assign("tap_offsets", offsets))
    for j, a in enumerate(axes):
        r = sp.Symbol(f"r_{a}", integer=True)
        body.append(Line(f"r_{a} = np.arange(out_{a}, dtype=np.int64)"))
        body.append(Assign(f"base_{a}", (r * spec.stride[j] - spec.padding[j][0]) * plane_strides[j], array=True))
    body.append(Line(f"base = _outer(({', '.join(f'base_{a}' for a in axes)}{',' if ndim == 1 else ''}), np.add)"))
    body += first_lines
    first = "first" if first_lines else "None"
    body.append(Return(f"_max_pool(x, fill, {grid}, phases, TAPS, {_tuple(out_syms)}, tap_offsets, base, "
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
                       _runtime._gather_max, _runtime._pool_phases,
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
        start = r * spec.stride[j] - spec.padding[j][0]
        dj = spec.dilation[j]
        c0 = start + dj * sp.ceiling(sp.Max(0, -start, evaluate=False) / dj) if dj > 1 \
            else sp.Max(start, 0, evaluate=False)
        lines.append(Assign(f"first_{a}", c0 * plane_strides[j], array=True))
    lines.append(Line(f"first = _outer(({', '.join(f'first_{a}' for a in axes)}{',' if len(axes) == 1 else ''}), "
                      f"np.add)"))
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
        start = r * spec.stride[j] - spec.padding[j][0]
        k, i = spec.kernel_size[j], sizes.symbols[j]
        if spec.count_include_pad:
            size = sp.Min(start + k, i + spec.padding[j][1], evaluate=False) - start
        else:
            size = sp.Min(start + k, i, evaluate=False) - sp.Max(start, 0, evaluate=False)
        divisor.append(Line(f"r_{a} = np.arange(out_{a})"))
        divisor.append(Assign(f"size_{a}", size, array=True))
    divisor.append(Line(f"divisor = _outer(({', '.join(f'size_{a}' for a in axes)}{',' if ndim == 1 else ''}), "
                        f"np.multiply)"))
    large = f"_avg_pool({{}}, KERNEL_SIZE, STRIDE, PADDING_BEFORE, {_tuple(out_syms)}, divisor{{}})"
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
                       _runtime._avg_pool, _runtime._window_sums)
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
             Block("if indices.shape != x.shape", (Line(
                 f'raise ValueError(f"{owner}: indices must have the shape of x {{x.shape}}, '
                 f'got indices.shape={{indices.shape}}")'),)),
             Block("if indices.dtype.kind not in 'iu'", (Line(
                 f'raise ValueError(f"{owner}: indices must be integers, got dtype {{indices.dtype}}")'),))]
    body.append(Comment("output size per axis: " + ("the pinned output_size" if spec.pinned_output_size
                                                    else "s(i-1) + k - p_b - p_a")))
    body += [Assign(str(o), e) for o, e in zip(out_syms, out_exprs)]
    if spec.pinned_output_size is not None:
        for o, dflt, sj in zip(out_syms, concrete.default_output_size, spec.stride):
            if isinstance(dflt, int):
                continue
            body.append(Assign(f"default_{o}", dflt))
            body.append(Block(f"if not default_{o} - {sj} < {o} < default_{o} + {sj}", (Line(
                f'raise ValueError(f"{owner}: output_size {o}={{{o}}} must lie strictly between '
                f'{{default_{o} - {sj}}} and {{default_{o} + {sj}}}")'),)))
    else:
        body += _positive_output(owner, out_syms, out_exprs, "the padding")
    body.append(Assign("plane", prod(out_syms)))
    body.append(Comment("as unsigned, a negative index is huge: one pass finds both kinds of bad index"))
    body.append(Block("if indices.size and indices.view(f'u{indices.itemsize}').max() >= plane", (Line(
        f'raise ValueError(f"{owner}: indices must lie in [0, {{plane}}) for output size {_fmt(out_syms)}, '
        f'got values in [{{indices.min()}}, {{indices.max()}}]")'),)))
    body.append(Line(f'out = _output("{owner}", out, (n_batch, channels) + {_tuple(out_syms)}, x.dtype)'))
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


def _fmt(syms: tuple) -> str:
    return "(" + ", ".join(f"{{{s}}}" for s in syms) + ("," if len(syms) == 1 else "") + ")"


_MAP_MODE = {"nearest": "nearest", "nearest-exact": "nearest-exact", "linear": "linear", "bilinear": "linear",
             "trilinear": "linear", "bicubic": "bicubic"}


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
    if _MAP_MODE[spec.mode] != "nearest" and spec.mode != "nearest-exact":
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
    maps = ", ".join(f"_axis_map(MODE, {i}, {o}, {None if f is None else float(f)!r}, ALIGN_CORNERS{flag})"
                     for i, o, f in zip(sizes.symbols, out_syms, scales))
    setup.append(Line(f"maps = ({maps}{',' if ndim == 1 else ''})"))
    if nearest:
        impulse = f"_resample(eye, maps, np.empty((1, 1) + {_tuple(out_syms)}, eye.dtype))"
        body += small.nearest_lines(spec.op, sizes.symbols, out_syms, setup, impulse)
    else:
        impulse = f"_resample(eye, maps, np.empty(({' * '.join(map(str, sizes.symbols))}, 1) + {_tuple(out_syms)}))"
        body += small.dense_lines(spec.op, sizes.symbols, out_syms, setup, impulse, "SMALL_INTERPOLATION")
    body += setup
    body.append(Line(f'out = _output("{spec.op}", out, (n_batch, channels) + {_tuple(out_syms)}, x.dtype)'))
    body.append(Return("_resample(x, maps, out)"))
    constants = (Assign("MODE", _MAP_MODE[spec.mode]), Assign("ALIGN_CORNERS", bool(spec.align_corners)))
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
    helpers = _helpers(_runtime._output, _runtime._in_float32, _runtime._remember, _runtime._cubic, _runtime._axis_map,
                       _runtime._periodic, _runtime._resample, _runtime._resample_planes)
    return Module(doc, constants, (fn,), ("upsample",), helpers)


def _per(name: str, groups: int) -> str:
    """``name // groups`` (just ``name`` for one group)."""
    return name if groups == 1 else f"{name} // {groups}"


def _line_strides(grid: tuple) -> tuple:
    """Rows between neighbours along each axis of a flattened grid (row-major)."""
    return tuple(prod(grid[j + 1:]) if j + 1 < len(grid) else 1 for j in range(len(grid)))


def _min(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    return sp.Min(a, b, evaluate=False)


def _max(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    return sp.Max(a, b, evaluate=False)


def _tuple(values: tuple) -> str:
    inner = ", ".join(str(v) for v in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"


def _code(expr: Any) -> str:
    from .printer import print_code
    return print_code(expr)


_BUILDERS: dict = {ConvSpec: _build_conv, ConvTransposeSpec: _build_conv_transpose, MaxPoolSpec: _build_max_pool,
             AvgPoolSpec: _build_avg_pool, MaxUnpoolSpec: _build_max_unpool, UpsampleSpec: _build_upsample}
