r"""Section: three ways of restoring resolution on the seed's 4x4 example, as matrices.

Max pooling (2x2, stride 2) takes the 4x4 image :data:`~symconv.writeup.examples.EXAMPLE_IMAGE`
to 2x2; the section brings it back with (i) nearest and bilinear interpolation, (ii)
max-unpooling with the pooling switches, (iii) transposed convolutions, and checks with SymPy the
identities that relate them: nearest = transposed conv with an all-ones kernel, unpooling =
:math:`P(x)^T`, every non-zero of :math:`P(x)^T` lies in the support of the nearest matrix, and
bilinear = transposed conv with FCN's kernel away from a border band.

Examples
--------
>>> m = restore_matrices()
>>> m["unpool"] == m["P"].T and m["nearest"] == m["nearest_tconv"]
True
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..matrix import (matrix_of, pool_switch_matrix, pool_switches, unpool_matrix,
                      upsample_matrix)
from ..transforms import bilinear_as_transpose, bilinear_border, nearest_as_transpose
from .examples import EXAMPLE_IMAGE, POOL, unvec, vec
from .latex import render, spec_tex, tex
from .seed import require

__all__ = ["restore_matrices", "restore_section", "FACTOR"]

#: The upsampling factor that undoes the 2x2 pooling.
FACTOR = 2


def restore_matrices() -> dict:
    """Every matrix and map of the comparison, as SymPy matrices (exact rationals).

    Examples
    --------
    >>> m = restore_matrices()
    >>> m["P"].shape, m["nearest"].shape, m["pooled"].tolist()
    ((4, 16), (16, 4), [[5, 7], [8, 6]])
    """
    x = sp.Matrix(EXAMPLE_IMAGE.tolist())
    kernel = POOL.kernel_size
    switches = pool_switches(EXAMPLE_IMAGE, kernel)
    p = sp.Matrix(pool_switch_matrix(EXAMPLE_IMAGE, kernel))
    pooled = unvec(p * vec(x), *POOL.output_size)
    unpool = sp.Matrix(unpool_matrix(switches, POOL.input_size))
    nearest = sp.Matrix(upsample_matrix(POOL.output_size, scale_factor=FACTOR, mode="nearest"))
    bilinear = sp.Matrix(upsample_matrix(POOL.output_size, scale_factor=FACTOR, mode="bilinear"))
    n_spec, n_weight = nearest_as_transpose(FACTOR, ndim=2, input_size=POOL.output_size)
    b_spec, b_weight = bilinear_as_transpose(FACTOR, ndim=2, input_size=POOL.output_size)
    n_tconv = sp.Matrix(matrix_of(n_spec, n_weight))
    b_tconv = sp.Matrix(matrix_of(b_spec, b_weight))
    shape = POOL.input_size
    return {
        "x": x, "switches": switches, "P": p, "pooled": pooled, "unpool": unpool,
        "nearest": nearest, "bilinear": bilinear, "nearest_tconv": n_tconv, "bilinear_tconv": b_tconv,
        "nearest_spec": n_spec, "bilinear_spec": b_spec,
        "bilinear_kernel": sp.Matrix(np.asarray(b_weight)[0, 0].tolist()),
        "unpooled": unvec(unpool * vec(pooled), *shape),
        "nearest_map": unvec(nearest * vec(pooled), *shape),
        "bilinear_map": unvec(bilinear * vec(pooled), *shape),
        "bilinear_tconv_map": unvec(b_tconv * vec(pooled), *shape),
    }


def _band(shape: tuple, width: int) -> sp.Matrix:
    """1 on the border band of the given width of a 2-D map, 0 inside (the flattened mask)."""
    rows, cols = shape
    return sp.Matrix([[int(min(r, c, rows - 1 - r, cols - 1 - c) < width) for c in range(cols)]
                      for r in range(rows)])


def restore_section(figure_unpool: str = "", figure_bilinear: str = "") -> str:
    """The LaTeX of the resolution-restoring section (template ``restore``)."""
    m = restore_matrices()
    require(m["unpool"] == m["P"].T, "that max-unpooling with the switches equals P(x)^T")
    require(m["nearest"] == m["nearest_tconv"], "that nearest upsampling equals the all-ones transposed conv")
    support = all(m["nearest"][r, c] != 0 for r in range(m["P"].cols) for c in range(m["P"].rows)
                  if m["P"].T[r, c] != 0)
    require(support, "that every non-zero of P(x)^T lies in the support of the nearest-upsampling matrix")
    width = bilinear_border(FACTOR)
    band = vec(_band(POOL.input_size, width))
    diff = m["bilinear"] - m["bilinear_tconv"]
    rows_differ = [r for r in range(diff.rows) if any(diff[r, c] != 0 for c in range(diff.cols))]
    require(all(band[r] == 1 for r in rows_differ), "that bilinear and its transposed conv agree off the border band")

    sym = {name: sp.MatrixSymbol(name, *shape) for name, shape in
           (("N", m["nearest"].shape), ("B", m["bilinear"].shape), ("U", m["unpool"].shape))}
    p_sym = sp.MatrixSymbol("P", *m["P"].shape)
    t_ones = sp.MatrixSymbol(r"T_{\mathbf{1}}", *m["nearest"].shape)
    t_bil = sp.MatrixSymbol(r"T_{\mathrm{bil}}", *m["bilinear"].shape)
    values = {
        "pool_spec": spec_tex(POOL),
        "x": tex(m["x"]),
        "pooled": tex(m["pooled"]),
        "switches": tex(sp.Matrix(m["switches"].tolist())),
        "p_matrix": tex(sp.Eq(p_sym, m["P"], evaluate=False)),
        "unpool_matrix": tex(sp.Eq(sym["U"], m["unpool"], evaluate=False)),
        "nearest_matrix": tex(sp.Eq(sym["N"], m["nearest"], evaluate=False)),
        "bilinear_matrix": tex(sp.Eq(sym["B"], m["bilinear"], evaluate=False)),
        "unpooled": tex(m["unpooled"]),
        "nearest_map": tex(m["nearest_map"]),
        "bilinear_map": tex(m["bilinear_map"]),
        "nearest_spec": spec_tex(m["nearest_spec"]),
        "bilinear_spec": spec_tex(m["bilinear_spec"]),
        "bilinear_kernel": tex(m["bilinear_kernel"]),
        "identity_unpool": tex(sp.Eq(sym["U"], p_sym.T, evaluate=False)),
        "identity_nearest": tex(sp.Eq(sym["N"], t_ones, evaluate=False)),
        "difference": tex(sp.Eq(sp.MatAdd(sym["B"], -t_bil, evaluate=False), diff, evaluate=False)),
        "bilinear_tconv_map": tex(m["bilinear_tconv_map"]),
        "border": tex(width),
        "figure_unpool": figure_unpool,
        "figure_bilinear": figure_bilinear,
    }
    return render("restore", values)
