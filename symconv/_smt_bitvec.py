r"""Exact bit-vector form of a bounded integer query (the bounded fallback of :mod:`symconv.smt`).

Given Z3 integer constraints and a box (every variable in ``[lo, hi]``), an interval analysis
bounds every integer subterm -- partial products of a product included -- and the constraints are
rewritten over signed bit-vectors one sign bit wider than the largest bound needs. No term can
overflow at that width, so bit-vector arithmetic coincides with integer arithmetic on the box and
the two queries have the same models. Z3's integer ``div``/``mod`` are Euclidean (remainder in
``[0, |b|)``); they are rebuilt from the truncating ``bvsdiv``/``bvsrem``.

Examples
--------
>>> import z3
>>> n, m = z3.Ints("n m")
>>> constraints, width = lower([n / m == -3], {"n": (-8, 7), "m": (-8, 7)})
>>> width
6
>>> def holds_at(nv, mv):
...     solver = z3.Solver()
...     solver.add(*constraints, z3.BitVec("n", width) == nv, z3.BitVec("m", width) == mv)
...     return solver.check() == z3.sat
>>> holds_at(-7, 3), holds_at(-7, 2), holds_at(7, -2)   # -7 = 3*(-3) + 2;  -7 div 2 = -4;  7 div -2 = -3
(True, False, True)
"""
from __future__ import annotations

from typing import Any

import z3

__all__ = ["lower", "BitVecTooWide"]


class BitVecTooWide(ValueError):
    """The interval analysis needs more bits than allowed (or meets a term it does not know)."""


_INT_OPS = {z3.Z3_OP_ADD, z3.Z3_OP_SUB, z3.Z3_OP_UMINUS, z3.Z3_OP_MUL, z3.Z3_OP_IDIV, z3.Z3_OP_MOD}
_BOOL_OPS = {z3.Z3_OP_AND: z3.And, z3.Z3_OP_OR: z3.Or, z3.Z3_OP_NOT: z3.Not, z3.Z3_OP_IMPLIES: z3.Implies,
             z3.Z3_OP_XOR: z3.Xor}
_COMPARISONS = {z3.Z3_OP_LE: lambda a, b: a <= b, z3.Z3_OP_LT: lambda a, b: a < b,
                z3.Z3_OP_GE: lambda a, b: a >= b, z3.Z3_OP_GT: lambda a, b: a > b,
                z3.Z3_OP_EQ: lambda a, b: a == b, z3.Z3_OP_DISTINCT: lambda a, b: a != b}


def _product(x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int]:
    corners = [x[0] * y[0], x[0] * y[1], x[1] * y[0], x[1] * y[1]]
    return min(corners), max(corners)


class _Intervals:
    """Bounds of every integer subterm; ``peak`` is the largest magnitude any of them reaches."""

    def __init__(self, bounds: dict[str, tuple[int, int]]):
        self.bounds = bounds
        self.memo: dict[int, tuple[int, int]] = {}
        self.peak = 1

    def note(self, lo: int, hi: int) -> tuple[int, int]:
        self.peak = max(self.peak, abs(lo), abs(hi))
        return lo, hi

    def of(self, e: Any) -> tuple[int, int]:
        key = e.get_id()
        if key not in self.memo:
            self.memo[key] = self._compute(e)
        return self.memo[key]

    def visit(self, e: Any) -> None:
        """Bound every integer subterm of a Boolean or integer term."""
        if z3.is_int(e):
            self.of(e)
        elif z3.is_bool(e):
            for child in e.children():
                self.visit(child)
        else:
            raise BitVecTooWide(f"term of sort {e.sort()} ({e})")

    def _compute(self, e: Any) -> tuple[int, int]:
        if z3.is_int_value(e):
            v = e.as_long()
            return self.note(v, v)
        kind = e.decl().kind()
        if kind == z3.Z3_OP_UNINTERPRETED and e.num_args() == 0:
            if str(e) not in self.bounds:
                raise BitVecTooWide(f"unbounded variable {e}")
            return self.note(*self.bounds[str(e)])
        if kind == z3.Z3_OP_ITE:
            self.visit(e.arg(0))
            (a, b), (c, d) = self.of(e.arg(1)), self.of(e.arg(2))
            return self.note(min(a, c), max(b, d))
        if kind not in _INT_OPS:
            raise BitVecTooWide(f"integer term {e.decl().name()} ({e})")
        args = [self.of(x) for x in e.children()]
        if kind == z3.Z3_OP_ADD:
            return self.note(sum(a for a, _ in args), sum(b for _, b in args))
        if kind == z3.Z3_OP_SUB:
            return self.note(args[0][0] - sum(b for _, b in args[1:]), args[0][1] - sum(a for a, _ in args[1:]))
        if kind == z3.Z3_OP_UMINUS:
            return self.note(-args[0][1], -args[0][0])
        if kind == z3.Z3_OP_MUL:
            acc = args[0]
            for x in args[1:]:
                acc = self.note(*_product(acc, x))
            return acc
        top = max(abs(v) for pair in args for v in pair) + 1       # Euclidean div and mod: |q| <= |a|, 0 <= r < |b|
        return self.note(-top, top)


class _Lowering:
    def __init__(self, width: int, bounds: dict[str, tuple[int, int]], ctx: z3.Context):
        self.width, self.bounds, self.ctx = width, bounds, ctx
        self.memo: dict[int, Any] = {}
        self.variables: dict[str, Any] = {}

    def __call__(self, e: Any) -> Any:
        key = e.get_id()
        if key not in self.memo:
            self.memo[key] = self._lower(e)
        return self.memo[key]

    def _lower(self, e: Any) -> Any:
        if z3.is_int_value(e):
            return z3.BitVecVal(e.as_long(), self.width, self.ctx)
        if z3.is_true(e) or z3.is_false(e):
            return e
        kind = e.decl().kind()
        if kind == z3.Z3_OP_UNINTERPRETED and e.num_args() == 0 and z3.is_int(e):
            var = z3.BitVec(str(e), self.width, self.ctx)
            self.variables[str(e)] = var
            return var
        args = [self(x) for x in e.children()]
        if kind in _BOOL_OPS:
            return _BOOL_OPS[kind](*args)
        if kind in _COMPARISONS:
            return _COMPARISONS[kind](*args) if len(args) == 2 else z3.Distinct(*args)
        if kind == z3.Z3_OP_ITE:
            return z3.If(*args)
        if kind == z3.Z3_OP_ADD:
            return sum(args[1:], args[0])
        if kind == z3.Z3_OP_SUB:
            return args[0] - sum(args[2:], args[1])
        if kind == z3.Z3_OP_UMINUS:
            return -args[0]
        if kind == z3.Z3_OP_MUL:
            out = args[0]
            for x in args[1:]:
                out = out * x
            return out
        if kind in (z3.Z3_OP_IDIV, z3.Z3_OP_MOD):
            return self._euclid(kind, *args)
        raise BitVecTooWide(f"term {e.decl().name()} ({e})")

    def _euclid(self, kind: int, a: Any, b: Any) -> Any:
        """Euclidean ``a div b`` / ``a mod b`` from truncating division (remainder made >= 0)."""
        q, r = a / b, z3.SRem(a, b)                    # z3py's / on bit-vectors is bvsdiv
        zero = z3.BitVecVal(0, self.width, self.ctx)
        if kind == z3.Z3_OP_MOD:
            return z3.If(r < zero, r + z3.If(b > zero, b, -b), r)
        return z3.If(r < zero, z3.If(b > zero, q - 1, q + 1), q)


def lower(constraints: list, bounds: dict[str, tuple[int, int]], max_width: int = 512) -> tuple[list, int]:
    """The constraints over signed bit-vectors wide enough that nothing overflows on the box, and that
    width; every variable is bounded by ``bounds`` (name -> (lo, hi)) in the result.

    Raises
    ------
    BitVecTooWide
        When the width would exceed ``max_width``, or a term is neither Boolean nor integer
        arithmetic with ``div``, ``mod`` and ``If``.
    """
    if not constraints:
        return [], 1
    intervals = _Intervals(bounds)
    for c in constraints:
        intervals.visit(c)
    width = intervals.peak.bit_length() + 2
    if width > max_width:
        raise BitVecTooWide(f"needs {width} bits (more than {max_width})")
    ctx = constraints[0].ctx
    lowering = _Lowering(width, bounds, ctx)
    out = [lowering(c) for c in constraints]
    for name, var in lowering.variables.items():
        lo, hi = bounds[name]
        out += [var >= z3.BitVecVal(lo, width, ctx), var <= z3.BitVecVal(hi, width, ctx)]
    return out, width
