r"""The fixed examples the derivations and figures share (one place, so text and pictures agree).

* the seed: Dumoulin & Visin's worked example, a 3x3 kernel on a 4x4 input, stride 1, no
  padding (relationship 1), whose matrix :math:`C` is 4x16;
* a 4x4 integer image for the resolution-restoring comparison, chosen so every 2x2
  max-pooling window has a single maximum.

Examples
--------
>>> SEED.output_size
(2, 2)
>>> symbol_grid("x", 1, 2)
Matrix([[x_{0,0}, x_{0,1}]])
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..spec import ConvSpec, MaxPoolSpec

__all__ = ["SEED", "EXAMPLE_IMAGE", "POOL", "symbol_grid", "vec", "unvec"]

#: The guide's worked example: 2-D, i = 4, k = 3, s = 1, p = 0.
SEED = ConvSpec((3, 3), input_size=(4, 4))

#: A 4x4 image for pooling, unpooling and upsampling (distinct window maxima).
EXAMPLE_IMAGE = np.array([[1, 5, 2, 0],
                          [3, 4, 7, 1],
                          [0, 2, 3, 6],
                          [8, 1, 5, 4]], dtype=np.int64)

#: 2x2 max pooling with stride 2 on the 4x4 example.
POOL = MaxPoolSpec((2, 2), input_size=(4, 4))


def symbol_grid(name: str, rows: int, cols: int) -> sp.Matrix:
    """A matrix of symbols ``name_{r,c}`` (the naming :func:`symconv.matrix.weight_symbols` uses).

    Examples
    --------
    >>> symbol_grid("w", 2, 2)
    Matrix([
    [w_{0,0}, w_{0,1}],
    [w_{1,0}, w_{1,1}]])
    """
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}_{{{r},{c}}}"))


def vec(matrix: sp.MatrixBase) -> sp.Matrix:
    """Row-major flattening to a column, as the operator matrices index their inputs.

    Examples
    --------
    >>> vec(sp.Matrix([[1, 2], [3, 4]])).T
    Matrix([[1, 2, 3, 4]])
    """
    return sp.Matrix(matrix).reshape(matrix.rows * matrix.cols, 1)


def unvec(column: sp.MatrixBase, rows: int, cols: int) -> sp.Matrix:
    """Inverse of :func:`vec`.

    Examples
    --------
    >>> unvec(sp.Matrix([1, 2, 3, 4]), 2, 2)
    Matrix([
    [1, 2],
    [3, 4]])
    """
    return sp.Matrix(column).reshape(rows, cols)
