r"""The small-problem paths of the generated kernels: one array operation over a cached table.

A tiny call spends its time in Python (slices, loops over taps and blocks), not in arithmetic.
Below a size printed into each kernel (measured crossovers, see the constants), the kernel
instead reads a table cached in the module's ``TABLES`` dict per input size and does a few
NumPy calls:

* convolutions: a gather table ``(taps, outputs)`` of flat input positions (the index relation
  :math:`c = r s + t d - p_b` for conv; :math:`v = (m + p_b - t d) / s` when divisible for the
  transposed conv), then ``x[:, :, table]`` and one batched GEMM (im2col);
* max pooling: the same window table, one gather and one ``max`` (``argmax`` for switches);
* average pooling and linear/cubic interpolation: the dense matrix of the operator, computed
  once as its response to unit impulses (the large path applied to the identity), then one GEMM;
* nearest interpolation: the source position of every output, one ``take``.

The per-axis coordinates are printed from the spec's relation like every other expression;
the large paths stay as they were and decide above the crossover.
"""
from __future__ import annotations

from math import prod
from typing import Any

import sympy as sp

from . import _runtime
from .common import _output_line, _relations
from .ir import Assign, Block, Comment, Line, Return, call, expression

__all__ = ["SMALL_COLUMNS", "SMALL_WINDOWS", "SMALL_GATHER", "SMALL_DENSE", "SMALL_INTERPOLATION", "TABLE_ENTRIES",
           "small_constants", "conv_lines",
           "window_lines", "dense_lines", "nearest_lines", "HELPERS"]

# Crossovers measured on this 2-core machine (float32, one thread, N = 1, 8-16 channels), as
# work at which the small path stops being faster than the blocked path:
#: Convolutions gather their im2col columns through a table when ``N * C_in * taps * outputs``
#: is at most this (conv 8->16 k3 p1 and its transpose break even at ~1.7e5).
SMALL_COLUMNS = 2 ** 17
#: Max pooling gathers whole windows when ``N * C * taps * outputs`` is at most this
#: (k3 s2 p1 with switches: 410 vs 490 us at 3.7e4, 860 vs 630 us at 8.3e4).
SMALL_WINDOWS = 2 ** 16
#: Nearest interpolation gathers when ``N * C * outputs`` is at most this (x2: 30 vs 78 us at
#: 1.6e4, 108 vs 81 us at 3.7e4).
SMALL_GATHER = 2 ** 15
#: Average pooling multiplies by its dense matrix when ``N * C * plane_in * plane_out`` is at
#: most this (k2: 33 vs 122 us at 2.6e5, 71 vs 68 us at 1.3e6) ...
SMALL_DENSE = 2 ** 20
#: ... and linear/cubic interpolation when it is at most this (bilinear x2: 247 vs 443 us at
#: 4.2e6, 1430 vs 550 us at 2.1e7) ...
SMALL_INTERPOLATION = 2 ** 22
#: Every small path also needs its table to hold at most this many entries (taps * outputs,
#: or plane_in * plane_out): 512 kB a table at most, for the few cached per kernel.
TABLE_ENTRIES = 2 ** 16

#: Runtime helpers the small paths call.
HELPERS = (_runtime._remember, _runtime._gather_index)


def small_constants(name: str, value: int, what: str) -> tuple:
    """The module constants of a small path: its crossover, the table bound and the table cache."""
    return (Comment(f"small problems ({what} <= {name}, the measured crossover) read a table of at most\n"
                    "TABLE_ENTRIES entries, cached here per input size, and run a few array operations"),
            Assign(name, sp.Integer(value)), Assign("TABLE_ENTRIES", sp.Integer(TABLE_ENTRIES)), Line("TABLES = {}"))


def _read_lines(axes: tuple, kernel_size: tuple, out_syms: tuple, relation: Any) -> list:
    """Per axis ``read_a[t, r]``: the position output ``r`` reads through tap ``t`` (printed relation)."""
    lines = []
    for j, a in enumerate(axes):
        r, t = sp.Symbol(f"r_{a}", integer=True), sp.Symbol(f"t_{a}", integer=True)
        lines += [Line(f"r_{a} = np.arange({out_syms[j]})"),
                  Line(f"t_{a} = np.arange({kernel_size[j]})[:, None]"),
                  Assign(f"read_{a}", relation(j, r, t), array=True)]
    return lines


def _reads(axes: tuple) -> str:
    return "(" + ", ".join(f"read_{a}" for a in axes) + ("," if len(axes) == 1 else "") + ")"


def _table_block(key: str, build: list, value: str) -> list:
    return [Line(f"table = TABLES.get({key})"),
            Block("if table is None", tuple(build) + (Line(f"table = _remember(TABLES, {key}, {value})"),))]


def conv_lines(spec: Any, axes: tuple, sizes: tuple, out_syms: tuple, output_lines: list, transpose: bool) -> list:
    """The convolutions' small path: gathered columns and one batched GEMM, before the blocked paths."""
    k, s, d, pads, g = spec.kernel_size, spec.stride, spec.dilation, spec.padding, spec.groups
    taps = prod(k)
    rels = _relations(spec)
    if transpose:
        def relation(j: int, m: Any, t: Any) -> Any:        # input v = (m + p_b - t d) / s when divisible
            return rels[j].scaled_reader(m, t)
        steps = s
        c_in_g = "in_c" if g == 1 else f"in_c // {g}"
        c_out_g = "out_c" if g == 1 else f"out_c // {g}"
        weights = (f"w3 = weight.reshape({g}, {c_in_g}, {c_out_g}, {taps}).transpose(0, 2, 1, 3)"
                   f".reshape({g}, {c_out_g}, -1).astype(dtype, copy=False)")
        note = "input v = (m + p_b - t*d) / s where divisible and inside [0, i)"
    else:
        def relation(j: int, r: Any, t: Any) -> Any:        # input c = r s + t d - p_b
            return rels[j].input_index(r, t)
        steps = (1,) * len(k)
        weights = f"w3 = weight.reshape({g}, {'out_c' if g == 1 else f'out_c // {g}'}, -1).astype(dtype, copy=False)"
        note = "input c = r*s + t*d - p_b inside [0, i)"
    outputs = " * ".join(str(o) for o in out_syms)
    build = [Comment(f"gather table (taps, outputs): {note}; else the zero slot")]
    build += _read_lines(axes, k, out_syms, relation)
    body = _table_block("x.shape[2:]", build, call("_gather_index", _reads(axes), sizes, steps))
    body += output_lines + [Line(weights),
                            Return("_gather_gemm(x.astype(dtype, copy=False), w3, table, out, "
                                   "None if bias is None else bias.astype(dtype, copy=False))")]
    return [Block(f"if n_batch * in_c * {taps} * {outputs} <= SMALL_COLUMNS and {taps} * {outputs} <= TABLE_ENTRIES",
                  tuple(body))]


def window_lines(spec: Any, axes: tuple, sizes: tuple, out_syms: tuple, first_lines: list, first: str) -> list:
    """Max pooling's small path: one gather of whole windows, a ``max`` (and an ``argmax``)."""
    k, rels = spec.kernel_size, _relations(spec)

    def relation(j: int, r: Any, t: Any) -> Any:
        return rels[j].input_index(r, t)

    build = [Comment("window table (taps, outputs): input r*s + t*d - p_b inside [0, i), else the fill slot")]
    build += _read_lines(axes, k, out_syms, relation) + first_lines
    value = (f"_window_table(_gather_index({_reads(axes)}, {expression(sizes)}, {expression((1,) * len(k))}), {first}, "
             f"{expression(out_syms)})")
    body = _table_block("x.shape[2:]", build, value)
    body.append(Return(call("_gather_max", "x", "table", "fill", out_syms, "out", "return_indices")))
    outputs = " * ".join(str(o) for o in out_syms)
    return [Block(f"if n_batch * channels * {prod(k)} * {outputs} <= SMALL_WINDOWS and "
                  f"{prod(k)} * {outputs} <= TABLE_ENTRIES", tuple(body))]


def dense_lines(owner: str, sizes: tuple, out_syms: tuple, setup: list, impulse: str, limit: str) -> list:
    """A linear plane-wise operator's small path: its dense matrix (``impulse(eye)``), one GEMM.

    ``setup`` are the large path's lines that ``impulse`` reads (run once, when the table is built).
    """
    plane, outputs = " * ".join(str(v) for v in sizes), " * ".join(str(o) for o in out_syms)
    build = list(setup) + [
        Comment("the operator's matrix: its response to the unit impulses (the large path on the identity)"),
        Line(f"eye = np.eye({plane}).reshape(({plane}, 1) + x.shape[2:])")]
    body = [Line("key = x.shape[2:] + (x.dtype.char,)")]
    body += _table_block("key", build, f"{impulse}.reshape({plane}, -1).astype(x.dtype)")
    shape = ", ".join(("n_batch", "channels") + tuple(str(o) for o in out_syms))
    body += [Block("if out is None", (Return(f"np.dot(x.reshape(-1, {plane}), table).reshape({shape})"),)),
             Line("out = " + call("_output", f'"{owner}"', "out", "x.shape[:2] + " + expression(out_syms), "x.dtype")),
             Line(f"np.dot(x.reshape(-1, {plane}), table, out=out.reshape(-1, {outputs}))"),
             Return("out")]
    return [Block(f"if n_batch * channels * {plane} * {outputs} <= {limit} and "
                  f"{plane} * {outputs} <= TABLE_ENTRIES", tuple(body))]


def nearest_lines(owner: str, sizes: tuple, out_syms: tuple, setup: list, impulse: str) -> list:
    """Nearest interpolation's small path: the source of every output (``impulse(positions)``), one take."""
    plane, outputs = " * ".join(str(v) for v in sizes), " * ".join(str(o) for o in out_syms)
    build = list(setup) + [
        Comment("the source position of every output: the large path applied to the positions"),
        Line(f"eye = np.arange({plane}).reshape((1, 1) + x.shape[2:])")]
    body = _table_block("x.shape[2:]", build, f"{impulse}.reshape(-1)")
    body += [_output_line(owner, "x.shape[:2] + " + expression(out_syms), "x.dtype"),
             Line(f"np.take(x.reshape(-1, {plane}), table, axis=1, out=out.reshape(-1, {outputs}))"),
             Return("out")]
    return [Block(f"if n_batch * channels * {outputs} <= SMALL_GATHER", tuple(body))]
