"""The catalogue: every theorem symconv proves, listed explicitly and in order.

The engine (:mod:`symconv.proofs.engine`) registers exactly these, in this order, the first time the
registry is read; importing a theorem module registers nothing. The order is the registration order,
which breaks ties in the topological order of :func:`symconv.proofs.theorems`. A new theorem module
lists its theorems in a ``THEOREMS`` tuple and is added here.

Examples
--------
>>> names = [thm.name for thm in catalogue()]
>>> names[0], len(names) == len(set(names))
('conv_matrix_entry', True)
"""
from __future__ import annotations

from . import bilinear, checkerboard, matrices, onnx_sizes, pooling, sizes

__all__ = ["catalogue"]


def catalogue() -> tuple:
    """Every theorem, module by module (matrices, sizes, ONNX sizes, pooling, bilinear, checkerboard)."""
    return (*matrices.THEOREMS, *sizes.THEOREMS, *onnx_sizes.THEOREMS, *pooling.THEOREMS, *bilinear.THEOREMS,
            *checkerboard.THEOREMS)
