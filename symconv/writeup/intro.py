r"""Sections: the introduction (the seed's story), the notation, and the bibliography.

The introduction tells the story the theorems prove: three ways of restoring resolution, the
convolution of the guide's worked example as a :math:`4 \times 16` matrix, and the transposed
convolution as the same matrix with the forward and backward passes swapped. Its road map lists
the theorems that make each step exact (only those the engine registers, so a renamed theorem never
leaves a dangling reference). The notation's formulas are printed by SymPy like every other.

Examples
--------
>>> "\\cite{dumoulin2016}" in introduction_section(["adjoint"])
True
>>> "\\begin{definition}" in notation_section()
True
"""
from __future__ import annotations

import sympy as sp

from .. import shapes
from ..matrix import conv_matrix
from ..symbols import a, c, d, i, k, o, p_a, p_b, r, s, t
from .examples import SEED
from .latex import render, spec_tex, tex
from .names import short_name
from .theorems import label_of

__all__ = ["introduction_section", "notation_section", "bibliography", "ROADMAP"]

#: The theorems the introduction's road map points to, with what each makes exact.
ROADMAP = (
    ("conv_matrix_entry", "the entries of $C$ for any size, stride, padding and dilation"),
    ("transpose_is_scatter", "that the scatter form of the transposed convolution has matrix $C^T$"),
    ("adjoint", r"adjointness, $\langle C x, y\rangle = \langle x, C^T y\rangle$"),
    ("swap_conv_gradient", "the swap: a convolution's input gradient is a transposed convolution"),
    ("swap_transpose_gradient", "and the other way round"),
    ("zero_insertion", "the guide's equivalent direct convolution, with the kernel flip it omits"),
    ("transpose_output_size", "the output size of the transposed convolution"),
    ("output_padding_restores", "that output padding restores the forward input size"),
    ("unpool_vs_gradient", "when unpooling with switches equals the transpose of pooling"),
    ("nearest_as_transpose", "nearest upsampling as a transposed convolution"),
    ("bilinear_as_transpose", "bilinear upsampling as a transposed convolution, up to a border band"),
    ("checkerboard_condition", "when the overlap of a transposed convolution is uneven (the checkerboard)"),
)


def introduction_section(registered: list[str]) -> str:
    """The introduction (template ``introduction``); ``registered`` are the engine's theorem names."""
    c_matrix = conv_matrix(SEED.input_size, SEED.kernel_size)
    items = [f"\\item \\cref{{{label_of(name)}}} ({short_name(name)}): {what};"
             for name, what in ROADMAP if name in registered]
    if items:
        items[-1] = items[-1][:-1] + "."
    roadmap = ("\\begin{itemize}\n" + "\n".join(items) + "\n\\end{itemize}") if items else ""
    return render("introduction", {
        "seed_spec": spec_tex(SEED),
        "c_shape": f"{tex(c_matrix.rows)} \\times {tex(c_matrix.cols)}",
        "general_conv": tex(sp.Eq(o, shapes.window_count_axis(i, k, s, p_b, p_a, d), evaluate=False)),
        "roadmap": roadmap,
    })


def notation_section() -> str:
    """The notation (template ``notation``): letters, floor, ceiling, remainder, delta, transpose."""
    x, y = sp.symbols("x y", integer=True)
    cmat = sp.MatrixSymbol("C", o, i)
    return render("notation", {
        "floor": tex(sp.floor(x)),
        "ceiling": tex(sp.ceiling(x)),
        "mod": tex(sp.Eq(sp.Mod(x, s), sp.Add(x, -s * sp.floor(x / s), evaluate=False), evaluate=False),
                   order="none"),
        "delta": tex(sp.Eq(sp.KroneckerDelta(x, y), sp.Piecewise((1, sp.Eq(x, y)), (0, True)), evaluate=False)),
        "transpose": tex(sp.Eq(sp.Indexed(sp.IndexedBase(r"\left(" + tex(cmat.T) + r"\right)"), c, r),
                               sp.Indexed(sp.IndexedBase("C"), r, c), evaluate=False)),
        "index_relation": tex(sp.Eq(c, sp.Add(r * s, t * d, -p_b, evaluate=False), evaluate=False), order="none"),
        "ranges": ", ".join(f"${tex(sp.Le(lo, sym, evaluate=False))}$" for lo, sym in ((1, i), (1, k), (1, s), (1, d)))
        + ", " + ", ".join(f"${tex(sp.Le(0, sym, evaluate=False))}$" for sym in (p_b, p_a, a)),
    })


def bibliography(keys: tuple[str, ...] | None = None) -> str:
    r"""The references (template ``bibliography``, a ``thebibliography``: no BibTeX step).

    ``keys`` keeps only those entries (a single-layer document lists only what it cites).

    Examples
    --------
    >>> bibliography(("odena2016",)).count("\\bibitem")
    1
    """
    source = render("bibliography", {})
    if keys is None:
        return source
    head, *items = source.split("\\bibitem{")
    kept = [item for item in items if item.split("}", 1)[0] in keys]
    tail = "\\end{thebibliography}"
    body = "\\bibitem{".join([head] + [item.replace(tail, "").rstrip() + "\n\n" for item in kept])
    return body.rstrip() + "\n" + tail + "\n"
