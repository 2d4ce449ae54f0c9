r"""Normal forms: canonical rewritings that make equal expressions look equal to SymPy.

SymPy alone does not see that

* :math:`s\lfloor x/s \rfloor + (x \bmod s) - x` is zero unless the floor is rewritten through ``Mod``
  (:func:`floor_to_mod`; ceilings first become floors, :func:`ceil_to_floor`);
* Kronecker deltas whose arguments are equal but written differently are the same
  (:func:`delta_normal` compares expanded argument differences);
* two nests of finite sums are the same up to exchange, linearity and the names of their summation
  variables (:func:`sum_normal`, :func:`alpha_canonical`);
* two relations are the same up to moving terms and positive factors (:func:`cond_normal`).

Each rewriting keeps the value of the expression (under the stated integer assumptions); the deciders
(:mod:`symconv.proofs.decide`) compare normal forms, the rules (:mod:`symconv.proofs.rules`) use them.

Examples
--------
>>> from symconv.symbols import i, s
>>> x = i - 3
>>> sp.simplify(s*sp.floor(x/s) + sp.Mod(x, s) - x) == 0
False
>>> sp.expand(floor_to_mod(s*sp.floor(x/s) + sp.Mod(x, s) - x))
0
"""
from __future__ import annotations

import itertools
from typing import Any

import sympy as sp

from .binding import fresh_symbol, rename_apart, symbol_names

__all__ = ["fraction_parts", "floor_to_mod", "ceil_to_floor", "delta_key", "delta_normal", "sum_normal",
           "alpha_canonical", "cond_normal"]


# --------------------------------------------------------------------------- floor and Mod


def fraction_parts(arg: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Numerator (expanded) and denominator of ``arg``, the sign moved to the numerator.

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> fraction_parts((i - 1)/(-s))
    (1 - i, s)
    """
    num, den = sp.fraction(sp.together(arg))
    if den.could_extract_minus_sign():
        num, den = -num, -den
    return sp.expand(num), den


def floor_to_mod(expr: Any) -> Any:
    r"""Rewrite :math:`\lfloor n/m \rfloor` as :math:`(n - (n \bmod m))/m` (integer :math:`n`, :math:`m > 0`).

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> floor_to_mod(sp.floor(i/s))
    (i - Mod(i, s))/s
    """
    expr = ceil_to_floor(sp.sympify(expr))

    def rewrite(f: sp.floor) -> Any:
        num, den = fraction_parts(f.args[0])
        if den == 1 or not (num.is_integer and den.is_integer and den.is_positive):
            return f
        return (num - sp.Mod(num, den)) / den

    return expr.replace(lambda e: isinstance(e, sp.floor), rewrite)


def ceil_to_floor(expr: Any) -> Any:
    r"""Rewrite :math:`\lceil n/m \rceil` as :math:`\lfloor (n + m - 1)/m \rfloor` (integer :math:`n`, :math:`m > 0`).

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> ceil_to_floor(sp.ceiling(i/s))
    floor((i + s - 1)/s)
    """
    def rewrite(f: sp.ceiling) -> Any:
        num, den = fraction_parts(f.args[0])
        if not (num.is_integer and den.is_integer and den.is_positive):
            return f
        return sp.floor((num + den - 1) / den)

    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.ceiling), rewrite)

# --------------------------------------------------------------------------- deltas and sums


def delta_key(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """The canonical difference of a Kronecker delta's arguments: expanded, content and nonzero
    factors removed, sign fixed."""
    diff = sp.expand(a - b)
    if diff.is_number:
        return diff
    diff = sp.factor_terms(diff)
    kept = [f for f in sp.Mul.make_args(diff) if not (f.is_number or f.is_nonzero)]
    diff = sp.expand(sp.Mul(*kept))
    if diff.could_extract_minus_sign():
        diff = -diff
    return diff


def delta_normal(expr: Any) -> Any:
    r"""Replace every :math:`\delta(a, b)` by :math:`\delta(D, 0)`, ``D`` the normalised difference.

    :math:`\delta(a, b) = \delta(a - b, 0)`; a nonzero factor (a number, or a symbol known to
    be nonzero such as the dilation ``d``) and the sign do not change whether ``D = 0``.

    Examples
    --------
    >>> from symconv.symbols import c, r, s, t, d, p
    >>> delta_normal(sp.KroneckerDelta(c, r*s + t*d - p)) == delta_normal(sp.KroneckerDelta(r*s - p + d*t - c, 0))
    True
    >>> m = sp.Symbol("m", integer=True)
    >>> delta_normal(sp.KroneckerDelta(d*m, d*t))
    KroneckerDelta(0, m - t)
    """
    expr = sp.sympify(expr)
    return expr.replace(lambda e: isinstance(e, sp.KroneckerDelta),
                        lambda e: sp.KroneckerDelta(delta_key(*e.args), 0))


def _flatten(expr: sp.Expr, taken: set[str] | None = None) -> tuple[sp.Expr, tuple]:
    """``Sum(Sum(f, L1), L2)`` -> ``(f, L1 + L2)`` ; factors multiplying a sum move inside.

    ``expr`` has its bound variables renamed apart (:func:`~symconv.proofs.binding.rename_apart`):
    a factor's summation variables that another factor binds too are renamed before the limits are
    merged, so no variable is captured.
    """
    if taken is None:
        taken = symbol_names(expr)
    if isinstance(expr, sp.Sum):
        inner, limits = _flatten(expr.function, taken)
        return inner, limits + tuple(expr.limits)
    if isinstance(expr, sp.Mul):
        coeff, limits = sp.Integer(1), ()
        for factor in expr.args:
            inner, lim = _flatten(factor, taken)
            bound = {lm[0] for lm in limits}
            clashes = {lm[0]: fresh_symbol(lm[0], taken) for lm in lim if lm[0] in bound}
            if clashes:
                inner = inner.xreplace(clashes)
                lim = tuple((clashes.get(v, v), sp.sympify(lo).xreplace(clashes), sp.sympify(hi).xreplace(clashes))
                            for v, lo, hi in lim)
            coeff, limits = coeff * inner, limits + lim
        return coeff, limits
    return expr, ()


def sum_normal(expr: Any) -> Any:
    """A canonical form for finite sums: nested sums flattened, factors moved inside, the
    summand expanded with deltas in normal form, independent limits sorted by variable.

    Sound for finite sums (exchange of finite sums, linearity); limits that depend on another
    summation variable keep their order.

    Examples
    --------
    >>> from symconv.symbols import r, c, i, o
    >>> x, y, C = sp.IndexedBase("x"), sp.IndexedBase("y"), sp.Function("C")
    >>> lhs = sp.Sum(y[r] * sp.Sum(C(r, c) * x[c], (c, 0, i - 1)), (r, 0, o - 1))
    >>> rhs = sp.Sum(x[c] * sp.Sum(C(r, c) * y[r], (r, 0, o - 1)), (c, 0, i - 1))
    >>> sum_normal(lhs) == sum_normal(rhs)
    True
    """
    expr = rename_apart(sp.sympify(expr))
    return _sum_normal(expr)


def _sum_normal(expr: Any) -> Any:
    if isinstance(expr, sp.Add):
        return sp.Add(*(_sum_normal(a) for a in expr.args))
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*((_sum_normal(v), c) for v, c in expr.args))
    summand, limits = _flatten(expr)
    summand = sp.expand(delta_normal(summand))
    if not limits:
        return summand
    variables = {lim[0] for lim in limits}
    independent = all(not (set().union(*(sp.sympify(b).free_symbols for b in lim[1:])) & variables)
                      for lim in limits)
    if independent:
        limits = tuple(sorted(limits, key=lambda lim: str(lim[0])))
    if isinstance(summand, sp.Add):
        return sp.Add(*(sp.Sum(term, *limits) for term in summand.args))
    return sp.Sum(summand, *limits)


def alpha_canonical(expr: Any) -> Any:
    """Sums renamed to canonical bound variables (the least renaming by printed form), so that sums
    differing only in the names of their summation variables compare equal.

    Examples
    --------
    >>> from symconv.symbols import t, c
    >>> x = sp.IndexedBase("x")
    >>> alpha_canonical(sp.Sum(x[t], (t, 0, 3))) == alpha_canonical(sp.Sum(x[c], (c, 0, 3)))
    True
    """
    expr = sp.sympify(expr)
    if isinstance(expr, sp.Add):
        return sp.Add(*(alpha_canonical(term) for term in expr.args))
    if not isinstance(expr, sp.Sum) or len(expr.limits) > 4:
        return expr
    variables = [lim[0] for lim in expr.limits]
    dependent = any(sp.sympify(b).has(*variables) for lim in expr.limits for b in lim[1:])
    best, best_key = expr, None
    for order in itertools.permutations(variables):
        mapping = {v: sp.Symbol(f"_sum{n}", **v.assumptions0) for n, v in enumerate(order)}
        limits = [(mapping[v], sp.sympify(lo).xreplace(mapping), sp.sympify(hi).xreplace(mapping))
                  for v, lo, hi in expr.limits]
        if not dependent:
            limits.sort(key=lambda lim: lim[0].name)
        candidate = sp.Sum(expr.function.xreplace(mapping), *limits)
        key = sp.srepr(candidate)
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    return best

# --------------------------------------------------------------------------- relations


def _strip_positive(diff: sp.Expr, keep_sign: bool) -> sp.Expr:
    """``diff`` expanded with its positive factors removed (``keep_sign``), or with every nonzero factor
    removed and the sign fixed (otherwise)."""
    diff = sp.expand(diff)
    if diff.is_number:
        return diff
    diff = sp.factor_terms(diff)
    test = (lambda f: f.is_positive) if keep_sign else (lambda f: f.is_nonzero)
    kept = [f for f in sp.Mul.make_args(diff) if not (f.is_number and f.is_positive or test(f))]
    if not keep_sign:
        kept = [f for f in kept if not f.is_number]
    out = sp.expand(sp.Mul(*kept))
    if not keep_sign and out.could_extract_minus_sign():
        out = -out
    return out


def cond_normal(cond: Any) -> Any:
    r"""Relations as ``D >= 0``, ``D > 0`` or ``Eq(D, 0)`` with ``D`` expanded and positive factors removed.

    Examples
    --------
    >>> from symconv.symbols import d, k, t
    >>> cond_normal(sp.Le(d*t, d*(k - 1))) == cond_normal(sp.Ge(k - 1, t))
    True
    """
    def norm(rel: Any) -> Any:
        if isinstance(rel, (sp.Ge, sp.Gt)):
            diff, op = rel.lhs - rel.rhs, type(rel)
        elif isinstance(rel, sp.Le):
            diff, op = rel.rhs - rel.lhs, sp.Ge
        elif isinstance(rel, sp.Lt):
            diff, op = rel.rhs - rel.lhs, sp.Gt
        elif isinstance(rel, (sp.Eq, sp.Ne)):
            return type(rel)(_strip_positive(rel.lhs - rel.rhs, False), 0)
        else:
            return rel
        diff = _strip_positive(diff, True)
        if op is sp.Gt and diff.is_integer:
            return sp.Ge(diff - 1, 0)
        return op(diff, 0)
    return sp.sympify(cond).replace(lambda e: isinstance(e, sp.core.relational.Relational), norm)
