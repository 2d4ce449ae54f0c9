"""Exact vectorised evaluation of size expressions and conditions over many integer inputs.

Shape expressions are built from integers, rationals, symbols, ``floor``, ``ceiling``,
``Mod``, ``Max``, ``Min``, ``Piecewise`` and relations. :func:`evaluate_many` evaluates one
over NumPy integer arrays *exactly*: a rational-valued intermediate is an ``int64`` numerator
array over one positive integer denominator, so ``floor`` is integer floor division and no
float ever rounds. It is how the analysis scans thousands of input sizes at once.

Examples
--------
>>> import numpy as np, sympy as sp
>>> H = sp.Symbol("H", integer=True, positive=True)
>>> evaluate_many(sp.floor((H - 3) / 2) + 1, {H: np.arange(1, 8)})
array([0, 0, 1, 1, 2, 2, 3])
>>> evaluate_many(sp.Eq(sp.Mod(H, 4), 0) & (H >= 8), {H: np.arange(1, 13)})
array([False, False, False, False, False, False, False,  True, False,
       False, False,  True])
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["evaluate_many", "quasi_period", "NotVectorizable"]


class NotVectorizable(ValueError):
    """An expression outside the supported integer/rational grammar."""


def _lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


def _common(x: tuple, y: tuple) -> tuple:
    (nx, dx), (ny, dy) = x, y
    den = _lcm(dx, dy)
    return nx * (den // dx), ny * (den // dy), den


def _value(expr: Any, env: dict, shape: tuple) -> tuple:
    """(numerator array, denominator) of a numeric expression."""
    if isinstance(expr, (sp.Integer, int)):
        return np.full(shape, int(expr), dtype=np.int64), 1
    if isinstance(expr, sp.Rational):
        return np.full(shape, int(expr.p), dtype=np.int64), int(expr.q)
    if isinstance(expr, sp.Symbol):
        if expr not in env:
            raise NotVectorizable(f"no values for symbol {expr}")
        return np.broadcast_to(np.asarray(env[expr], dtype=np.int64), shape), 1
    if isinstance(expr, sp.Add):
        num, den = _value(expr.args[0], env, shape)
        for arg in expr.args[1:]:
            a, b, den = _common((num, den), _value(arg, env, shape))
            num = a + b
        return num, den
    if isinstance(expr, sp.Mul):
        num, den = np.ones(shape, dtype=np.int64), 1
        for arg in expr.args:
            n, d = _value(arg, env, shape)
            num, den = num * n, den * d
        return num, den
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and int(expr.exp) >= 0:
        num, den = _value(expr.base, env, shape)
        e = int(expr.exp)
        return num ** e, den ** e
    if isinstance(expr, sp.floor):
        num, den = _value(expr.args[0], env, shape)
        return num // den, 1
    if isinstance(expr, sp.ceiling):
        num, den = _value(expr.args[0], env, shape)
        return -((-num) // den), 1
    if isinstance(expr, sp.Mod):
        a, m = expr.args
        if not m.is_Number or m == 0:
            raise NotVectorizable(f"Mod by a non-constant {m}")
        num, den = _value(a, env, shape)
        m = sp.Rational(m)
        q = (num * m.q) // (den * m.p)                   # floor(a / m)
        n2, d2, den2 = _common((num, den), (q * m.p, m.q))
        return n2 - d2, den2
    if isinstance(expr, (sp.Max, sp.Min)):
        num, den = _value(expr.args[0], env, shape)
        pick = np.maximum if isinstance(expr, sp.Max) else np.minimum
        for arg in expr.args[1:]:
            a, b, den = _common((num, den), _value(arg, env, shape))
            num = pick(a, b)
        return num, den
    if isinstance(expr, sp.Abs):
        num, den = _value(expr.args[0], env, shape)
        return np.abs(num), den
    if isinstance(expr, sp.Piecewise):
        return _piecewise(expr, env, shape)
    raise NotVectorizable(f"cannot evaluate {type(expr).__name__} {expr}")


def _piecewise(expr: Any, env: dict, shape: tuple) -> tuple:
    values, masks = [], []
    for value, cond in expr.args:
        values.append(_value(value, env, shape))
        masks.append(_truth(cond, env, shape))
    den = 1
    for _, d in values:
        den = _lcm(den, d)
    nums = [n * (den // d) for n, d in values]
    taken = np.zeros(shape, dtype=bool)
    out = np.zeros(shape, dtype=np.int64)
    for num, mask in zip(nums, masks):
        use = mask & ~taken
        out = np.where(use, num, out)
        taken |= use
    return out, den


_RELATIONS = {sp.Eq: np.equal, sp.Ne: np.not_equal, sp.Ge: np.greater_equal, sp.Gt: np.greater,
              sp.Le: np.less_equal, sp.Lt: np.less}


def _truth(cond: Any, env: dict, shape: tuple) -> np.ndarray:
    if cond is sp.true or cond is True:
        return np.ones(shape, dtype=bool)
    if cond is sp.false or cond is False:
        return np.zeros(shape, dtype=bool)
    for kind, compare in _RELATIONS.items():
        if isinstance(cond, kind):
            a, b, _ = _common(_value(cond.lhs, env, shape), _value(cond.rhs, env, shape))
            return compare(a, b)
    if isinstance(cond, sp.And):
        return np.logical_and.reduce([_truth(a, env, shape) for a in cond.args])
    if isinstance(cond, sp.Or):
        return np.logical_or.reduce([_truth(a, env, shape) for a in cond.args])
    if isinstance(cond, sp.Not):
        return ~_truth(cond.args[0], env, shape)
    if isinstance(cond, sp.ITE):
        return np.where(_truth(cond.args[0], env, shape), _truth(cond.args[1], env, shape),
                        _truth(cond.args[2], env, shape))
    raise NotVectorizable(f"cannot evaluate condition {cond}")


def evaluate_many(expr: Any, env: dict) -> np.ndarray:
    """Evaluate ``expr`` (numeric, integer-valued, or a condition) at every point of ``env``.

    Parameters
    ----------
    expr : sympy expression or Boolean
    env : dict
        Symbol -> integer array (all broadcastable to one shape).

    Returns
    -------
    numpy.ndarray
        ``bool`` for conditions, ``int64`` for integer expressions.

    Raises
    ------
    NotVectorizable
        An expression outside the grammar, or a non-integer numeric value.
    """
    shape = np.broadcast_shapes(*(np.shape(v) for v in env.values())) if env else ()
    if isinstance(expr, (sp.logic.boolalg.Boolean, bool)) or isinstance(expr, sp.core.relational.Relational):
        return _truth(expr, env, shape)
    num, den = _value(sp.sympify(expr), env, shape)
    if den != 1:
        if np.any(num % den):
            raise NotVectorizable(f"{expr} is not an integer everywhere")
        num = num // den
    return num


# --------------------------------------------------------------------------- quasi-periods


def quasi_period(expr: Any, symbol: sp.Symbol) -> int | None:
    """A T with e(x + T) = e(x) + c*T for large x (c the slope), or None if none is known.

    ``floor`` of an argument with slope c and period T has period lcm(T, denominator(c));
    a relation or a ``Max``/``Min`` of parts with different slopes becomes eventually
    periodic, which the analysis detects numerically beyond a threshold.

    Examples
    --------
    >>> H = sp.Symbol("H", integer=True, positive=True)
    >>> quasi_period(sp.Eq(4 * sp.floor(sp.floor(H / 2) / 2), H), H)
    4
    """
    found = _slope_period(sp.sympify(expr), symbol)
    return None if found is None else found[1]


def _slope_period(e: Any, x: sp.Symbol) -> tuple | None:
    if e.is_Number or x not in e.free_symbols:
        return sp.Integer(0), 1
    if e == x:
        return sp.Integer(1), 1
    if isinstance(e, sp.Mul):
        consts = [a for a in e.args if x not in a.free_symbols]
        rest = [a for a in e.args if x in a.free_symbols]
        if len(rest) != 1 or not all(c.is_Number for c in consts):
            return None
        inner = _slope_period(rest[0], x)
        return None if inner is None else (inner[0] * sp.Mul(*consts), inner[1])
    parts = [_slope_period(a, x) for a in _children(e)]
    if any(p is None for p in parts):
        return None
    period = 1
    for _, t in parts:
        period = _lcm(period, t)
    if isinstance(e, sp.Add):
        return sp.Add(*[c for c, _ in parts]), period
    if isinstance(e, (sp.floor, sp.ceiling)):
        c = parts[0][0]
        return c, _lcm(period, int(sp.Rational(c).q))
    if isinstance(e, sp.Mod):
        m = e.args[1]
        if not m.is_Number:
            return None
        c = parts[0][0]
        return sp.Integer(0), _lcm(period, int(sp.Rational(c / m).q))
    if isinstance(e, (sp.Max, sp.Min)):
        slopes = [c for c, _ in parts]
        return (max(slopes) if isinstance(e, sp.Max) else min(slopes)), period
    return sp.Integer(0) if not isinstance(e, sp.Piecewise) else parts[0][0], period


def _children(e: Any) -> list:
    if isinstance(e, sp.Piecewise):
        return [part for pair in e.args for part in pair if not isinstance(part, (bool,)) and part is not sp.true]
    if isinstance(e, (sp.And, sp.Or, sp.Not, sp.ITE)):
        return list(e.args)
    if isinstance(e, sp.core.relational.Relational):
        return [e.lhs - e.rhs]
    return list(e.args)
