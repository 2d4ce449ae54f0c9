"""Tensor facts and the exact scalar arithmetic of network shape evaluation.

A :class:`TensorInfo` is a tensor's shape and, for the small tensors of a shape subgraph, its
values, as ints and SymPy expressions; a :class:`Constraint` is a condition a node needs.
The helpers keep arithmetic exact and expressions small: ONNX integer division truncates
(``floor`` when the numerator is known nonnegative, else an exact ``Max`` form), and
``floor``/``Max``/``Min`` of large arguments are built without SymPy's slow simplification.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np
import sympy as sp

from .. import shapes
from .decide import always
from .model import Node
from .spec_ops import rebuild

__all__ = ["TensorInfo", "Constraint", "Evaluation", "Unsupported", "SLICE_END", "as_int", "truncate", "trunc_div",
           "floor_expr", "ceiling_expr", "same_size", "product", "const_ints", "exact_value", "node_axes",
           "unsimplified"]

SLICE_END = 2 ** 62  # ONNX uses INT64_MAX (and INT64_MIN) as "to the end" in Slice


@dataclass(frozen=True)
class TensorInfo:
    """A tensor's shape (ints and SymPy expressions) and, when small and computed, its values."""

    shape: tuple
    value: tuple | None = None
    dtype: str = "float"


@dataclass(frozen=True)
class Constraint:
    """A condition on the input dims that node ``node`` needs to run.

    ``why`` is the reason as text, or a callable producing it (formatting large SymPy
    expressions is slow, and most constraints are never printed).
    """

    node: str
    op: str
    condition: Any
    why: Any
    kind: str  # positive | equal | fixed | range

    @property
    def reason(self) -> str:
        """Why the node needs the condition, in words."""
        return self.why() if callable(self.why) else self.why


@dataclass
class Evaluation:
    """Result of :func:`evaluate`: tensor name -> :class:`TensorInfo`, and the constraints."""

    tensors: dict
    constraints: list
    symbols: dict
    per_node: dict = None   # node name -> (node, output infos, constraints), for re-evaluation


class Unsupported(ValueError):
    """An op or an input the evaluator does not cover (reported with the node)."""


# --------------------------------------------------------------------------- exact scalar helpers


def as_int(x: Any) -> Any:
    """Plain ``int`` for integer constants, else the expression."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    x = sp.sympify(x)
    return int(x) if isinstance(x, sp.Integer) else x


def truncate(x: Any) -> Any:
    """Round toward zero (float -> int Cast)."""
    if isinstance(x, int):
        return x
    num, den = sp.fraction(sp.together(sp.sympify(x)))
    if not den.is_Integer:
        raise Unsupported(f"truncation of {x}")
    return trunc_div(num, int(den))


def trunc_div(a: Any, b: Any) -> Any:
    """``a / b`` rounded toward zero (ONNX integer Div), for a constant divisor ``b``."""
    if isinstance(a, sp.Integer):
        a = int(a)
    if isinstance(b, sp.Integer):
        b = int(b)
    if not isinstance(b, int) or b == 0:
        raise Unsupported(f"integer division by {b}")
    if isinstance(a, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b > 0) else -q
    if b < 0:
        return trunc_div(-a, -b)
    if b == 1:
        return a
    sign = always(sp.Ge(a, 0, evaluate=False))
    if sign is True:
        return as_int(floor_expr(a / sp.Integer(b)))
    if sign is False:
        return as_int(-floor_expr(-a / sp.Integer(b)))
    # trunc(a/b) = floor(max(a, 0)/b) - floor(max(-a, 0)/b): exact for every integer a, no Piecewise
    return as_int(floor_expr(unsimplified(sp.Max, a, 0) / b) - floor_expr(unsimplified(sp.Max, -a, 0) / b))


def floor_expr(x: Any) -> Any:
    return rebuild(sp.floor, sp.sympify(x))


def ceiling_expr(x: Any) -> Any:
    return rebuild(sp.ceiling, sp.sympify(x))


def same_size(a: Any, b: Any) -> bool:
    """Equal for every positive size: the proofs' equality checker (:func:`symconv.proofs.decide.is_zero`)
    on the difference, then Z3 under the sizes' positivity for what SymPy cannot show."""
    from ..proofs.decide import is_zero
    if a == b:
        return True
    diff = sp.expand(sp.sympify(a) - sp.sympify(b))
    return diff == 0 or is_zero(diff) or always(sp.Eq(diff, 0, evaluate=False)) is True


def product(values: Any) -> Any:
    return as_int(reduce(lambda a, b: a * b, values, sp.Integer(1)))


def const_ints(info: TensorInfo | None, node: Node, what: str) -> tuple | None:
    if info is None:
        return None
    if info.value is None:
        raise Unsupported(f"network: node {node.describe()}: {what} must be computable from constants and "
                           f"shapes, got a data-dependent tensor")
    return tuple(as_int(v) for v in info.value)


def exact_value(v: Any, dtype: str) -> Any:
    if dtype == "float":
        return shapes.exact_factor(float(v)) if isinstance(v, (float, np.floating)) else sp.sympify(v)
    if dtype == "bool":
        return bool(v)
    return as_int(v)



def node_axes(node: Node, ins: list, rank: int, position: int = 1) -> list:
    raw = node.attrs.get("axes")
    if raw is None and len(ins) > position and ins[position] is not None:
        raw = const_ints(ins[position], node, "axes")
    return [] if raw is None else [int(a) % rank for a in raw]




def unsimplified(func: Any, *args: Any) -> Any:
    """``Max``/``Min`` without SymPy's pairwise simplification (slow, and its evalf fails on floors)."""
    return as_int(rebuild(func, *[sp.sympify(a) for a in args]))
