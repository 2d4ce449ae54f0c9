r"""Decide a condition on the input dims for every relevant size, or say it depends on them.

The condition is scanned over many sizes (exact integer arithmetic) and, only when every
scanned size agrees, Z3 (:func:`symconv.smt.check_relation`) proves it over *all* positive
integers. Shape evaluation uses this to drop a clamp, a truncation branch, an equality or a
positivity constraint that always holds, so shapes stay small and readable.

While a network is evaluated, the sizes that count are those where every constraint found so
far holds (:class:`Assumptions`, installed with :func:`assuming`). This keeps the result
exact: at an input where all earlier constraints hold, the simplified expressions equal the
raw ones; at any other input the network already fails at an earlier node, so the
conjunction of all constraints is unchanged.

Examples
--------
>>> import sympy as sp
>>> H = sp.Symbol("H", integer=True, positive=True)
>>> always(sp.Ge(H - 2 * sp.floor(H / 2), 0))
True
>>> always(sp.Ge(sp.floor(H / 2), 1)) is None
True
>>> with assuming(Assumptions()) as facts:
...     facts.add(sp.Ge(H, 4))
...     always(sp.Ge(sp.floor(H / 2), 1))
True
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import sympy as sp

from .vectorize import NotVectorizable, evaluate_many

__all__ = ["always", "simplify_on", "Assumptions", "assuming"]

_LINE = 1024      # sizes scanned for one dim
_GRID = 48        # per axis, for two dims
_PROOFS: dict = {}
_CURRENT: list = [None]


class Assumptions:
    """Constraints known to hold: per-dim truth masks for scanning, conditions for Z3."""

    def __init__(self) -> None:
        self.masks: dict = {}
        self.conditions: dict = {}

    def add(self, cond: Any) -> None:
        free = cond.free_symbols
        if len(free) != 1:
            return                       # coupled constraints only shrink the set further: ignored (sound)
        x = next(iter(free))
        try:
            truth = evaluate_many(cond, {x: np.arange(1, _LINE + 1, dtype=np.int64)})
        except NotVectorizable:
            return
        self.masks[x] = self.masks.get(x, np.ones(_LINE, dtype=bool)) & truth
        self.conditions.setdefault(x, []).append(cond)

    def mask(self, x: Any) -> np.ndarray:
        return self.masks.get(x, np.ones(_LINE, dtype=bool))

    def about(self, symbols: tuple) -> tuple:
        return tuple(c for s in symbols for c in self.conditions.get(s, ()))


@contextmanager
def assuming(facts: Assumptions) -> Iterator[Assumptions]:
    """Make :func:`always` count only the sizes where ``facts`` hold."""
    previous = _CURRENT[0]
    _CURRENT[0] = facts
    try:
        yield facts
    finally:
        _CURRENT[0] = previous


def _sampled(cond: Any, symbols: tuple, facts: Assumptions | None, assume: Any) -> np.ndarray | None:
    if len(symbols) > 2:
        return None
    n = _LINE if len(symbols) == 1 else _GRID
    axis = np.arange(1, n + 1, dtype=np.int64)
    grids = np.meshgrid(*([axis] * len(symbols)), indexing="ij") if symbols else []
    env = dict(zip(symbols, grids))
    try:
        truth = np.asarray(evaluate_many(cond, env))
        mask = np.ones(truth.shape, dtype=bool)
        if facts is not None:
            for j, s in enumerate(symbols):
                m = facts.mask(s)[:n]
                mask &= m.reshape([-1 if k == j else 1 for k in range(len(symbols))])
        if assume is not sp.true:
            mask &= np.asarray(evaluate_many(assume, env))
    except NotVectorizable:
        return None
    return truth[mask]


def _proved(cond: Any, symbols: tuple, assumptions: tuple) -> bool:
    key = (cond, assumptions)
    if key not in _PROOFS:
        try:
            from ..smt import check_relation
        except ImportError:                             # pragma: no cover
            return False
        basic = tuple(sp.Ge(s, 1) for s in symbols)
        verdict = check_relation(cond, assumptions=basic + assumptions, timeout_ms=1000)
        if len(_PROOFS) > 20000:
            _PROOFS.clear()
        _PROOFS[key] = verdict.status == "certified"
    return _PROOFS[key]


def always(cond: Any, assume: Any = sp.true) -> bool | None:
    """True if ``cond`` holds at every relevant size, False if at none, else None.

    Relevant sizes: positive values of the symbols where ``assume`` and the installed
    :class:`Assumptions` (if any) hold.
    """
    if cond is sp.true or cond is True:
        return True
    if cond is sp.false or cond is False:
        return False
    facts = _CURRENT[0]
    symbols = tuple(sorted(cond.free_symbols | getattr(assume, "free_symbols", set()), key=str))
    truth = _sampled(cond, symbols, facts, assume)
    if truth is None or truth.size == 0:
        return None
    extra = (() if facts is None else facts.about(symbols)) + (() if assume is sp.true else (assume,))
    if truth.all() and _proved(cond, symbols, extra):
        return True
    if not truth.any() and _proved(sp.Not(cond), symbols, extra):
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
            if all(b is a or always(better(a, b, evaluate=False), assume) is True for b in args):
                return a
        return type(expr)(*args)
    if expr.args and any(isinstance(a, sp.Basic) and a.has(sp.Max, sp.Min, sp.Piecewise) for a in expr.args):
        return expr.func(*[simplify_on(a, assume) for a in expr.args])
    return expr
