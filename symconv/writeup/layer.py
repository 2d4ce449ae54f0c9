r"""A derivation specialised to one transposed-convolution layer (``symconv derive conv_transpose``).

Shapes (the general formula, evaluated), the matrix for a small input, its zero-insertion
equivalent and its checkerboard overlap pattern -- as a standalone document or a fragment to
``\input``. Every identity stated is checked by SymPy first.

Examples
--------
>>> body = layer_fragment(4, 2, 1, i=3)
>>> "\\label{eq:layer-matrix}" in body
True
>>> layer_document(4, 2, 1, i=3).startswith("% Generated")
True
"""
from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from .. import graphs, shapes
from ..matrix import conv_matrix, matrix_of
from ..spec import ConvTransposeSpec
from ..symbols import a as a_sym, d as d_sym, k as k_sym, p_a, p_b, s as s_sym
from ..transforms import as_direct_conv
from .equivalent import equivalent_matrix, flipped_weights, insertion_matrix
from .latex import elide, matrix_tex, render, spec_tex, tex
from .seed import require

__all__ = ["layer_spec", "layer_fragment", "layer_document", "MAX_ENTRIES"]

#: Largest symbolic matrix (rows x columns) the document builds and checks.
MAX_ENTRIES = 20_000

_i_t = sp.Symbol("i'", integer=True, positive=True)
_o_t = sp.Symbol("o'", integer=True, positive=True)


def layer_spec(k: int, s: int, p: Any = 0, i: int = 3, d: int = 1, output_padding: int = 0,
               dims: int = 1) -> ConvTransposeSpec:
    """The transposed layer the document is about (validated by :class:`ConvTransposeSpec`).

    Raises
    ------
    ValueError
        ``dims`` outside 1..3, an invalid layer, or a matrix too large to write out.

    Examples
    --------
    >>> layer_spec(4, 2, 1, i=3).output_size
    (6,)
    >>> layer_spec(3, 1, dims=4)
    Traceback (most recent call last):
    ...
    ValueError: derive conv_transpose: dims must be 1, 2 or 3, got dims=4
    """
    if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= 3:
        raise ValueError(f"derive conv_transpose: dims must be 1, 2 or 3, got dims={dims!r}")
    padding = tuple([p] * dims) if dims > 1 else p
    spec = ConvTransposeSpec((k,) * dims, s, padding, output_padding, d, input_size=(i,) * dims, ndim=dims)
    entries = int(np.prod(spec.output_size)) * int(np.prod(spec.input_size))
    if entries > MAX_ENTRIES:
        raise ValueError(f"derive conv_transpose: the {dims}-D matrix for i={i}, k={k}, s={s}, d={d} has {entries} "
                         f"entries (more than {MAX_ENTRIES}); choose a smaller i, k, s or d (the document shows a "
                         f"small example)")
    return spec


def _kernel_tex(kernel_size: tuple) -> str:
    """The flipped symbolic kernel: a row in 1-D, a matrix in 2-D, its size beyond."""
    w = flipped_weights(kernel_size)
    if w.ndim == 1:
        return tex(sp.Matrix([w.tolist()]))
    if w.ndim == 2:
        return tex(sp.Matrix(w.tolist()))
    return tex(sp.Tuple(*kernel_size))


def _citations(cite: bool) -> dict:
    """``\\cite`` commands for a standalone document; none in a fragment (its host has its own bibliography)."""
    keys = {"cite_guide": "dumoulin2016", "cite_frameworks": "pytorch,onnx", "cite_checkerboard": "odena2016"}
    return {name: (f"~\\cite{{{key}}}" if cite else "") for name, key in keys.items()}


def layer_fragment(k: int, s: int, p: Any = 0, i: int = 3, d: int = 1, output_padding: int = 0,
                   dims: int = 1, cite: bool = False) -> str:
    """The body (a ``\\section``) of the layer derivation (template ``layer_body``).

    ``cite`` adds ``\\cite`` commands (the standalone document carries the bibliography).
    """
    spec = layer_spec(k, s, p, i, d, output_padding, dims)
    (pb, pa), a_val = spec.padding[0], spec.output_padding[0]
    general = shapes.transpose_size_axis(_i_t, k_sym, s_sym, p_b, p_a, d_sym, a_sym)
    values_map = {k_sym: k, s_sym: s, p_b: pb, p_a: pa, d_sym: d, a_sym: a_val}
    specialised = general.subs(values_map)
    o_val = spec.output_size[0]
    require(specialised.subs(_i_t, i) == o_val, "the evaluated output-size formula")

    forward = spec.forward()
    lost = shapes.lost_remainder_axis(o_val, k, s, pb, pa, d)
    weights_t = matrix_of(spec)
    t = sp.Matrix(weights_t)
    if all(av < sv for av, sv in zip(spec.output_padding, spec.stride)):
        c = sp.Matrix(conv_matrix(spec.output_size, spec.kernel_size, spec.stride, spec.padding, spec.dilation))
        require(t == c.T, "that the scatter-built matrix equals the transpose of the forward conv's matrix")
        transpose_note = "equals"
    else:
        transpose_note = "is not"
    direct = as_direct_conv(spec)
    z = insertion_matrix(spec)
    eq = equivalent_matrix(spec)
    require(eq == t, "that the zero-insertion form with the flipped kernel equals the transposed conv's matrix")
    d_shape = (eq.rows, z.rows)

    axis = ConvTransposeSpec(k, s, spec.padding[0], a_val, d, input_size=i)   # one axis of this very layer
    counts = [int(v) for v in graphs.overlap_counts(axis)[0]]        # T·1 with ones: the output nodes' in-degrees
    phases = list(graphs.overlap_pattern(k, s, pb, d))                 # by output position m mod s, as `analyze`
    (low, high), = graphs.interior(axis)
    require(len(counts) == axis.output_size[0] and all(counts[m] == phases[m % s] for m in range(low, high)),
            "that T·1 has one entry per output and its interior entries follow the per-phase pattern")
    block = sp.Matrix(phases) * sp.Matrix(phases).T
    even = len(set(phases)) == 1
    t_sym = sp.MatrixSymbol("T", t.rows, t.cols)
    values = {
        "title": f"$k = {tex(k)}$, $s = {tex(s)}$, $p = {tex(sp.Tuple(pb, pa)) if pb != pa else tex(pb)}$"
                 + (f", $d = {tex(d)}$" if d != 1 else "") + (f", $a = {tex(a_val)}$" if a_val else ""),
        "spec": spec_tex(spec),
        "forward": spec_tex(forward),
        "general": tex(sp.Eq(_o_t, general, evaluate=False)),
        "specialised": tex(sp.Eq(_o_t, sp.Subs(general, tuple(values_map), tuple(values_map.values())),
                                 evaluate=False)),
        "specialised_value": tex(specialised),
        "at_i": tex(sp.Eq(sp.Subs(_o_t, _i_t, i), o_val, evaluate=False)),
        "lost": tex(sp.Eq(a_sym, lost, evaluate=False)),
        "i": tex(i),
        "t_shape": f"${tex(t.rows)} \\times {tex(t.cols)}$",
        "matrix": tex(sp.Eq(t_sym, elide(t, 14, 12), evaluate=False)),
        "transpose_note": transpose_note,
        "stretched": tex(sp.Tuple(*direct.stretched_size)) if dims > 1 else tex(direct.stretched_size[0]),
        "direct_padding": tex(sp.Tuple(*direct.padding[0])),
        "kernel": _kernel_tex(spec.kernel_size),
        "z_shape": f"${tex(z.rows)} \\times {tex(z.cols)}$",
        "z": tex(sp.Eq(sp.MatrixSymbol("Z", z.rows, z.cols).T, elide(z.T, 8, 14), evaluate=False)),
        "d_shape": f"${tex(d_shape[0])} \\times {tex(d_shape[1])}$",
        "identity": tex(sp.Eq(t_sym, sp.MatMul(sp.MatrixSymbol(r"D_{\bar{w}}", *d_shape),
                                               sp.MatrixSymbol("Z", z.rows, z.cols)), evaluate=False)),
        "counts": matrix_tex(sp.Matrix([counts]), 3, 16),
        "phases": tex(sp.Matrix([phases])),
        "block": tex(block),
        "evenness": "uniform: $k$ is divisible by $s$" if even else
        "uneven: some phases receive more contributions than others, the checkerboard",
        **_citations(cite),
    }
    return render("layer_body", values)


def layer_document(k: int, s: int, p: Any = 0, i: int = 3, d: int = 1, output_padding: int = 0,
                   dims: int = 1) -> str:
    """A standalone LaTeX document of the layer derivation (template ``layer``)."""
    from .intro import bibliography
    body = layer_fragment(k, s, p, i, d, output_padding, dims, cite=True)
    return render("layer", {"preamble": render("preamble", {}), "body": body,
                            "bibliography": bibliography(("dumoulin2016", "odena2016", "onnx", "pytorch"))})
