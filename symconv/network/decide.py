"""Decide a condition on the input dims for *every* positive size, or say it depends on them.

SymPy decides what it can; otherwise the condition is scanned over small sizes (exact integer
arithmetic) and, only when every scanned size agrees, Z3 (:func:`symconv.smt.check_relation`)
is asked to prove it over all positive integers. Shape evaluation uses this to drop a clamp,
a truncation branch or an equality constraint that always holds, so shapes stay readable and
exactness never rests on sampling alone.

Examples
--------
>>> import sympy as sp
>>> H = sp.Symbol("H", integer=True, positive=True)
>>> always(sp.Ge(H - 2 * sp.floor(H / 2), 0))
True
>>> always(sp.Ge(sp.floor(H / 2), 1)) is None
True
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from .vectorize import NotVectorizable, evaluate_many

__all__ = ["always", "simplify_on"]

_SAMPLE = 48


def _sampled(cond: Any, symbols: tuple) -> np.ndarray | None:
    axis = np.arange(1, _SAMPLE + 1, dtype=np.int64)
    if len(symbols) > 2:
        return None
    grids = np.meshgrid(*([axis] * len(symbols)), indexing="ij") if symbols else []
    try:
        return np.asarray(evaluate_many(cond, dict(zip(symbols, grids))))
    except NotVectorizable:
        return None


def _proved(cond: Any, symbols: tuple, assume: Any = sp.true) -> bool:
    try:
        from ..smt import check_relation
    except ImportError:                                 # pragma: no cover
        return False
    assumptions = tuple(sp.Ge(s, 1) for s in symbols) + (() if assume is sp.true else (assume,))
    verdict = check_relation(cond, assumptions=assumptions, timeout_ms=1000)
    return verdict.status == "certified"


@lru_cache(maxsize=4096)
def always(cond: Any, assume: Any = sp.true) -> bool | None:
    """True if ``cond`` holds for every positive value of its symbols, False if for none, else None.

    With ``assume``, only the values where ``assume`` holds count.
    """
    if cond is sp.true or cond is True:
        return True
    if cond is sp.false or cond is False:
        return False
    symbols = tuple(sorted(cond.free_symbols | getattr(assume, "free_symbols", set()), key=str))
    truth = _sampled(cond, symbols)
    if truth is None:
        return None
    if assume is not sp.true:
        mask = _sampled(assume, symbols)
        if mask is None or not mask.any():
            return None
        truth = truth[mask]
    if truth.all() and _proved(cond, symbols, assume):
        return True
    if not truth.any() and _proved(sp.Not(cond), symbols, assume):
        return False
    return None


def simplify_on(expr: Any, assume: Any) -> Any:
    """``expr`` with every ``Max``/``Min``/``Piecewise`` whose branch is decided under ``assume`` resolved.

    Examples
    --------
    >>> H = sp.Symbol("H", integer=True, positive=True)
    >>> simplify_on(sp.Max(0, sp.floor(H / 2) - 1), sp.Ge(H, 4))
    floor(H/2) - 1
    """
    if not isinstance(expr, sp.Basic) or not expr.free_symbols:
        return expr
    if isinstance(expr, sp.Piecewise):
        for value, cond in expr.args:
            verdict = always(cond, assume)
            if verdict is True:
                return simplify_on(value, assume)
            if verdict is None:
                return expr
        return expr
    if isinstance(expr, (sp.Max, sp.Min)):
        args = [simplify_on(a, assume) for a in expr.args]
        better = sp.Ge if isinstance(expr, sp.Max) else sp.Le
        for a in args:
            if all(b is a or always(better(a, b), assume) is True for b in args):
                return a
        return type(expr)(*args)
    if expr.args and any(isinstance(a, sp.Basic) and a.has(sp.Max, sp.Min, sp.Piecewise) for a in expr.args):
        return expr.func(*[simplify_on(a, assume) for a in expr.args])
    return expr
