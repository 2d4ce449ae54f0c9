r"""Evaluate a theorem's statement itself on the grid's concrete configurations, exactly.

The grid's two callables compare independent brute-force definitions; this module checks the
*statement*: every free symbol is bound from the configuration (by name, or solved from the
theorem's defining equalities such as :math:`p_b = p` or :math:`k = 2n + 1`), the assumptions are
evaluated (a configuration outside them is skipped) and the statement must evaluate to ``True``.
Arithmetic is exact: values are :class:`fractions.Fraction`, so ``floor``, ``Mod`` and comparisons
are those of the rationals, never of floats.

Examples
--------
>>> import sympy as sp
>>> from symconv.symbols import i, k, s
>>> check = statement_checker(sp.Eq(sp.floor((i - k)/s), sp.ceiling((i - k)/s)), (), ())
>>> check({"i": 7, "k": 3, "s": 2})          # (7 - 3)/2 is an integer
True
>>> check({"i": 6, "k": 3, "s": 2})
False
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

import sympy as sp

__all__ = ["statement_checker", "NOT_BOUND"]

#: Returned by a checker when a configuration does not bind every symbol of the statement, or lies
#: outside the assumptions.
NOT_BOUND = None


def _kronecker(a: Any, b: Any) -> int:
    return 1 if a == b else 0


_MODULES = [{"floor": math.floor, "ceiling": math.ceil, "KroneckerDelta": _kronecker, "Min": min, "Max": max,
             "Abs": abs, "Mod": lambda a, b: a % b}, "math"]


def _compile(expr: Any, symbols: list) -> Callable:
    return sp.lambdify(symbols, expr, modules=_MODULES)


def statement_checker(statement: Any, assumptions: tuple, equalities: tuple,
                      bind: Callable[[dict], dict] | None = None) -> Callable[[dict], bool | None]:
    """A function ``cfg -> True / False / None`` evaluating ``statement`` on a configuration.

    ``cfg`` maps names (the paper's letters) to ints; ``bind`` may add or rename values (e.g. the
    transposed layer's ``i'``). Symbols fixed by ``equalities`` ``(symbol, expr)`` are solved for when
    ``expr`` has a single unbound symbol. ``None`` when a symbol stays unbound or an assumption fails.
    """
    statement = sp.sympify(statement)
    relations = [sp.sympify(rel) for rel in assumptions] + [sp.Eq(sym, value) for sym, value in equalities]
    symbols = sorted(statement.free_symbols | set().union(*(rel.free_symbols for rel in relations)),
                     key=lambda x: x.name)
    names = [x.name for x in symbols]
    solvers = []
    for sym, value in equalities:
        value = sp.sympify(value)
        unknown = sorted(value.free_symbols, key=lambda x: x.name)
        if len(unknown) == 1:
            solution = sp.solve(sp.Eq(value, sym), unknown[0])
            if len(solution) == 1:
                solvers.append((unknown[0].name, _compile(solution[0], [sym]), sym.name))
    try:
        check_statement = _compile(statement, symbols)
        check_assumptions = [_compile(rel, symbols) for rel in relations]
    except (TypeError, ValueError, NameError, SyntaxError):      # not printable as Python: never evaluated
        return lambda cfg: NOT_BOUND

    def run(cfg: dict) -> bool | None:
        values = {key: Fraction(v) for key, v in (bind(cfg) if bind else cfg).items() if isinstance(v, int)}
        for unknown, solve, known in solvers:
            if unknown not in values and known in values:
                values[unknown] = Fraction(solve(values[known]))
        if any(name not in values for name in names):
            return NOT_BOUND
        for sym in symbols:                          # the symbols' own assumptions
            value = values[sym.name]
            if (sym.is_integer and value.denominator != 1 or sym.is_positive and value <= 0
                    or sym.is_nonnegative and value < 0):
                return NOT_BOUND
        args = [values[name] for name in names]
        try:
            if not all(bool(fn(*args)) for fn in check_assumptions):
                return NOT_BOUND
            return bool(check_statement(*args))
        except (ZeroDivisionError, TypeError, ValueError):
            return NOT_BOUND

    return run
