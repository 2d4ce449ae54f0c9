r"""Section: the seed's worked example (2-D, i = 4, k = 3, s = 1, p = 0) written out in full.

Every identity the section states is checked here with SymPy before the text is written;
a failed check raises ``RuntimeError``, so a wrong document is never produced.

Examples
--------
>>> body = seed_section()
>>> "\\label{eq:seed-C}" in body and "w_{2,2}" in body
True
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import Transpose

from ..matrix import conv_matrix, conv_transpose_matrix
from ..spec import ConvTransposeSpec
from .equivalent import equivalent_padding, flipped_weights
from .examples import SEED, symbol_grid, unvec, vec
from .latex import matrix_tex, render, spec_tex, tex

__all__ = ["seed_section", "seed_matrices", "require"]


def require(condition: bool, what: str) -> None:
    """Refuse to write a document whose identity SymPy did not confirm."""
    if not condition:
        raise RuntimeError(f"symconv derive: SymPy could not confirm {what}; refusing to write the document")


def seed_matrices() -> dict:
    """The seed's matrices: ``C`` (4x16), ``CT`` (16x4, scatter-built), weights, input, outputs.

    Examples
    --------
    >>> m = seed_matrices()
    >>> m["C"].shape, m["CT"].shape, m["y"].shape
    ((4, 16), (16, 4), (2, 2))
    """
    (i0, i1), (k0, k1) = SEED.input_size, SEED.kernel_size
    (o0, o1) = SEED.output_size
    c = sp.Matrix(conv_matrix(SEED.input_size, SEED.kernel_size))
    ct = sp.Matrix(conv_transpose_matrix(SEED.output_size, SEED.kernel_size))
    x = symbol_grid("x", i0, i1)
    w = symbol_grid("w", k0, k1)
    y = unvec((c * vec(x)).expand(), o0, o1)
    u = symbol_grid("u", o0, o1)
    z = unvec((ct * vec(u)).expand(), i0, i1)
    return {"C": c, "CT": ct, "x": x, "w": w, "y": y, "u": u, "z": z}


def vec_symbol(name: str, matrix: sp.MatrixBase) -> sp.MatrixSymbol:
    r"""A column symbol printed :math:`\operatorname{vec}(name)` with the size of ``vec(matrix)``."""
    return sp.MatrixSymbol(r"\operatorname{vec}(" + name + ")", matrix.rows * matrix.cols, 1)


def _xcorr() -> tuple[sp.Expr, sp.Expr]:
    """The cross-correlation entry :math:`y_{r,c} = \\sum_{a,b} w_{a,b} x_{r+a,c+b}` and its summands."""
    w, x, y = sp.IndexedBase("w"), sp.IndexedBase("x"), sp.IndexedBase("y")
    r, c = sp.symbols("r c", integer=True, nonnegative=True)
    a, b = sp.symbols("a b", integer=True, nonnegative=True)
    (k0, k1) = SEED.kernel_size
    total = sp.Sum(w[a, b] * x[r + a, c + b], (a, 0, k0 - 1), (b, 0, k1 - 1))
    return sp.Eq(y[r, c], total), total


def _indexed_to_symbols(expr: sp.Expr) -> sp.Expr:
    """Replace ``x[i, j]`` (Indexed) by the symbol ``x_{i,j}`` used in the matrices."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed),
                        lambda e: sp.Symbol(f"{e.base}_{{{','.join(str(v) for v in e.indices)}}}"))


def seed_section(figure_matrix: str = "") -> str:
    """The LaTeX of the worked-example section (template ``seed``).

    Parameters
    ----------
    figure_matrix : str
        The rendered figure environment for the seed matrix picture (layout, from the caller).
    """
    m = seed_matrices()
    c, ct, x, w, y, u, z = (m[key] for key in ("C", "CT", "x", "w", "y", "u", "z"))
    require(ct == c.T, "that the scatter-built transposed matrix equals C^T")

    eq, total = _xcorr()
    r, cc = eq.lhs.indices
    for (row, col), value in zip([(a, b) for a in range(y.rows) for b in range(y.cols)], y):
        direct = _indexed_to_symbols(total.subs({r: row, cc: col}).doit())
        require(sp.expand(direct - value) == 0, f"the cross-correlation sum for y[{row},{col}]")

    y_names = symbol_grid("y", y.rows, y.cols)
    y_entries = " \\\\\n".join(tex(sp.Eq(name, value)) + f" \\label{{eq:seed-y{row}{col}}}"
                               for (row, col), name, value in
                               zip([(a, b) for a in range(y.rows) for b in range(y.cols)], y_names, y))

    tspec = ConvTransposeSpec(SEED.kernel_size, input_size=SEED.output_size)
    pads = equivalent_padding(tspec)
    (pb0, pa0), (pb1, pa1) = pads
    require(pb0 == pa0 == pb1 == pa1, "symmetric padding of the seed's transposed convolution")
    u_padded = sp.zeros(u.rows + pb0 + pa0, u.cols + pb1 + pa1)
    u_padded[pb0:pb0 + u.rows, pb1:pb1 + u.cols] = u
    w_flip = sp.Matrix(flipped_weights(SEED.kernel_size).tolist())
    direct = conv_matrix(u_padded.shape, SEED.kernel_size, weight=w_flip.tolist())
    z_direct = unvec((sp.Matrix(direct) * vec(u_padded)).expand(), *SEED.input_size)
    require(z_direct == z, "that the padded convolution with the flipped kernel equals C^T vec(u)")

    ct_sym, vec_fn = sp.MatrixSymbol("C", c.rows, c.cols).T, sp.Function("vec")
    d_sym = sp.MatrixSymbol(r"D_{\bar{w}}", direct.rows, direct.cols)
    identity = tex(sp.Eq(ct_sym * vec_symbol("u", u), d_sym * vec_symbol(r"\tilde{u}", u_padded), evaluate=False))

    values = {
        "spec": spec_tex(SEED),
        "x": tex(x),
        "w": tex(w),
        "vecx": tex(sp.Eq(vec_fn(sp.MatrixSymbol("x", x.rows, x.cols)),
                          Transpose(sp.ImmutableMatrix(vec(x).T)), evaluate=False)),
        "c_shape": f"${tex(c.rows)} \\times {tex(c.cols)}$",
        "ct_shape": f"${tex(ct.rows)} \\times {tex(ct.cols)}$",
        "c_matrix": tex(sp.Eq(sp.MatrixSymbol("C", c.rows, c.cols), c, evaluate=False)),
        "ct_matrix": tex(sp.Eq(sp.MatrixSymbol("C", c.rows, c.cols).T, ct, evaluate=False)),
        "figure_matrix": figure_matrix,
        "y_grid": tex(sp.Eq(sp.MatrixSymbol("y", y.rows, y.cols), y_names, evaluate=False)),
        "y_entries": y_entries,
        "y_general": tex(eq),
        "z_ct": tex(sp.Eq(sp.MatrixSymbol("z", z.rows, z.cols), z, evaluate=False)),
        "pad": tex(pb0),
        "u_padded": matrix_tex(u_padded),
        "w_flipped": tex(w_flip),
        "identity": identity,
    }
    return render("seed", values)
