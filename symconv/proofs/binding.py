r"""Bound variables of finite sums: renaming apart and the ranges a summation variable has.

A summation variable is *bound*: :math:`\sum_{t=0}^{k-1} x_t` does not depend on ``t``, and the
range :math:`0 \le t \le k-1` holds only inside that sum. The normal forms and the rules
(:mod:`symconv.proofs.normal_forms`, :mod:`symconv.proofs.sum_rules`) flatten, merge and exchange sums
and use summation ranges to decide conditions, which is sound only when

* no bound variable has the name of a free symbol (else ``t * Sum(x[t], (t, 0, k-1))`` would be
  flattened into ``Sum(t*x[t], ...)``, and the range of the bound ``c`` in
  ``KroneckerDelta(c, 5) * Sum(x[c], (c, 0, 2))`` would leak onto the free ``c``);
* no sum binds a variable that an enclosing sum binds (shadowing);
* two sums multiplied together bind different variables before they are merged.

:func:`rename_apart` establishes the first two (renaming only where there is a clash, so that
expressions without clashes are unchanged) and :func:`fresh_symbol` gives the deterministic new
names; :func:`binder_contexts` lists, for a variable, the ranges each of its binding sums gives it.

Examples
--------
>>> import sympy as sp
>>> t, k = sp.symbols("t k", integer=True)
>>> x = sp.IndexedBase("x")
>>> rename_apart(t * sp.Sum(x[t], (t, 0, k - 1)))
t*Sum(x[t_1], (t_1, 0, k - 1))
>>> rename_apart(sp.Sum(x[t], (t, 0, k - 1)))          # no clash: unchanged
Sum(x[t], (t, 0, k - 1))
"""
from __future__ import annotations

from typing import Any, Iterable

import sympy as sp

__all__ = ["rename_apart", "fresh_symbol", "symbol_names", "binder_ranges", "bound_variables"]


def symbol_names(*exprs: Any) -> set[str]:
    """Names of every symbol (free or bound) and indexed base occurring in ``exprs``."""
    names: set[str] = set()
    for expr in exprs:
        expr = sp.sympify(expr)
        names |= {sym.name for sym in expr.atoms(sp.Symbol)}
        names |= {str(base.label) for base in expr.atoms(sp.IndexedBase)}
    return names


def fresh_symbol(var: sp.Symbol, taken: set[str]) -> sp.Symbol:
    """A symbol with ``var``'s assumptions and the first name ``var_1``, ``var_2`` ... not in ``taken``
    (which is updated)."""
    n = 1
    while f"{var.name}_{n}" in taken:
        n += 1
    name = f"{var.name}_{n}"
    taken.add(name)
    return sp.Symbol(name, **var.assumptions0)


def rename_apart(expr: Any, avoid: Iterable[str] = ()) -> Any:
    """Rename summation variables that clash with a free symbol of ``expr``, a name in ``avoid``, or a
    variable bound by an enclosing sum. Deterministic; an expression without clashes is returned as is.

    Examples
    --------
    >>> import sympy as sp
    >>> c = sp.Symbol("c", integer=True)
    >>> x = sp.IndexedBase("x")
    >>> rename_apart(sp.KroneckerDelta(c, 5) * sp.Sum(x[c], (c, 0, 2)))
    KroneckerDelta(5, c)*Sum(x[c_1], (c_1, 0, 2))
    """
    expr = sp.sympify(expr)
    if not expr.has(sp.Sum):
        return expr
    free = {sym.name for sym in expr.free_symbols}
    clash = free | set(avoid)
    taken = clash | symbol_names(expr)

    def walk(e: Any, env: dict, scope: frozenset) -> Any:
        if isinstance(e, sp.Symbol):
            return env.get(e, e)
        if isinstance(e, sp.Sum):
            limits_out = []
            inner_env, inner_scope = dict(env), scope
            for var, lo, hi in reversed(e.limits):          # outermost limit first
                lo, hi = walk(lo, inner_env, inner_scope), walk(hi, inner_env, inner_scope)
                new = var
                if var.name in clash or var.name in inner_scope:
                    new = fresh_symbol(var, taken)
                inner_env[var] = new
                inner_scope = inner_scope | {new.name}
                limits_out.append((new, lo, hi))
            body = walk(e.function, inner_env, inner_scope)
            return sp.Sum(body, *reversed(limits_out))
        if not e.args or not e.has(sp.Sum) and not (env and e.has(*env)):
            return e
        return e.func(*(walk(arg, env, scope) for arg in e.args))

    return walk(expr, {}, frozenset())


def binder_ranges(expr: Any, var: sp.Symbol) -> list[tuple]:
    """For each sum of ``expr`` that binds ``var``: the limits in force at that binding (its own and
    those of the enclosing sums, outermost first), as ``(symbol, lo, hi)`` triples.

    Examples
    --------
    >>> import sympy as sp
    >>> t, k = sp.symbols("t k", integer=True)
    >>> x = sp.IndexedBase("x")
    >>> binder_ranges(sp.Sum(x[t], (t, 0, k - 1)), t)
    [((t, 0, k - 1),)]
    """
    out: list = []

    def walk(e: Any, enclosing: tuple) -> None:
        if isinstance(e, sp.Sum):
            limits = enclosing
            for lim in reversed(e.limits):
                limits = limits + (tuple(lim),)
                if lim[0] == var:
                    out.append(limits)
            walk(e.function, limits)
            return
        for arg in e.args:
            walk(arg, enclosing)

    walk(sp.sympify(expr), ())
    return out


def bound_variables(expr: Any) -> tuple:
    """The summation variables of an expression (deltas on them are left to the sum rules).

    Examples
    --------
    >>> import sympy as sp
    >>> t, k = sp.symbols("t k", integer=True)
    >>> bound_variables(k * sp.Sum(sp.IndexedBase("x")[t], (t, 0, k - 1)))
    (t,)
    """
    return tuple({v for total in sp.sympify(expr).atoms(sp.Sum) for v in total.variables})
