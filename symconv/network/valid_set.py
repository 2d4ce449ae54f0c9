r"""The exact set of input sizes a network accepts, as one simplified condition.

Every constraint is a condition on the input dims built from floors, ceilings, ``Mod``,
``Max``/``Min`` and relations with rational coefficients. Such a condition on one dim
:math:`x` is *eventually periodic*: a ``floor`` of an argument with slope :math:`c` and
quasi-period :math:`T` has quasi-period :math:`\operatorname{lcm}(T, \operatorname{den} c)`
(:func:`~symconv.network.vectorize.quasi_period`), so beyond some threshold whether
:math:`x` is valid depends only on :math:`x \bmod P`. :func:`solve_dim` scans every
:math:`x` up to well past the threshold with exact integer arithmetic, reads off the smallest
valid size, the period and the residues, writes the set as bounds and congruences
(``(H >= 32) & Eq(Mod(H, 32), 0)``), and :func:`valid_set` asks Z3 (:mod:`symconv.smt`) to
prove the condition equivalent to the conjunction of all constraints over *all* integers.

Examples
--------
>>> import sympy as sp
>>> H = sp.Symbol("H", integer=True, positive=True)
>>> five_pools = sp.floor(H / 32)
>>> solve_dim([sp.Ge(five_pools, 1), sp.Eq(32 * five_pools, H)], H).condition
(H >= 32) & Eq(Mod(H, 32), 0)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .vectorize import NotVectorizable, evaluate_many, quasi_period

__all__ = ["DimSet", "ValidSet", "solve_dim", "valid_set", "prove_equivalent"]

_MAX_SCAN = 1 << 17
_MAX_LISTED = 8


@dataclass(frozen=True)
class DimSet:
    """The valid values of one dim: its condition and how it was found."""

    symbol: Any
    condition: Any
    smallest: int | None
    period: int
    threshold: int
    scanned: int


@dataclass
class ValidSet:
    """The valid-set condition over all input dims, with its proof status."""

    condition: Any
    dims: dict = field(default_factory=dict)
    coupled: list = field(default_factory=list)
    proof: dict = field(default_factory=dict)


def _scan(conditions: list, x: Any, upto: int) -> np.ndarray:
    values = np.arange(1, upto + 1, dtype=np.int64)
    ok = np.ones(upto, dtype=bool)
    for cond in conditions:
        ok &= evaluate_many(cond, {x: values})
    return ok


def _stable_from(ok: np.ndarray, period: int) -> int:
    """Smallest index from which ok[i] == ok[i + period] for every later i."""
    mismatch = np.nonzero(ok[:-period] != ok[period:])[0]
    return 0 if mismatch.size == 0 else int(mismatch[-1]) + 1


def _smallest_period(residues: set, period: int) -> int:
    for q in sorted(d for d in range(1, period + 1) if period % d == 0):
        if all((r + q) % period in residues for r in residues):
            return q
    return period


def _ranges(values: list) -> list:
    out: list = []
    for v in values:
        if out and out[-1][1] == v - 1:
            out[-1][1] = v
        else:
            out.append([v, v])
    return out


def _finite_condition(x: Any, values: list) -> Any:
    if not values:
        return sp.false
    parts = []
    for lo, hi in _ranges(values):
        parts.append(sp.Eq(x, lo) if lo == hi else sp.And(sp.Ge(x, lo), sp.Le(x, hi)))
    return sp.Or(*parts)


def _residue_condition(x: Any, residues: list, q: int) -> Any:
    if q == 1 or len(residues) == q:
        return sp.true
    if len(residues) > q // 2 + 1:
        return sp.And(*[sp.Ne(sp.Mod(x, q), r) for r in range(q) if r not in residues])
    return sp.Or(*[sp.Eq(sp.Mod(x, q), r) for r in residues])


def _build(x: Any, ok: np.ndarray, start: int, period: int) -> tuple[Any, int]:
    """Condition for the scanned truth vector ``ok`` (x = index + 1), periodic from ``start``."""
    valid = [int(i) + 1 for i in np.nonzero(ok)[0]]
    window = range(start, start + period)
    residues = {(i + 1) % period for i in window if ok[i]}
    if not residues:
        return _finite_condition(x, valid), period
    q = _smallest_period(residues, period)
    small = sorted({r % q for r in residues})
    base = _residue_condition(x, small, q)
    lo = valid[0]
    values = np.arange(1, ok.size + 1)
    guess = (values >= lo) & np.isin(values % q, small)
    extra = [int(v) for v in values[ok & ~guess]]
    missing = [int(v) for v in values[guess & ~ok]]
    if len(extra) + len(missing) > _MAX_LISTED:        # an irregular start: list it, then the periodic part
        threshold = start + 1
        head = [v for v in valid if v < threshold]
        tail = sp.And(sp.Ge(x, threshold), base)
        return sp.Or(_finite_condition(x, head), tail), q
    condition = sp.And(sp.Ge(x, lo) if lo > 1 else sp.true, base, *[sp.Ne(x, v) for v in missing])
    if extra:
        condition = sp.Or(condition, *[sp.Eq(x, v) for v in extra])
    return condition, q


def solve_dim(conditions: list, x: Any) -> DimSet:
    """The exact set of positive ``x`` satisfying every condition (each over ``x`` alone).

    Parameters
    ----------
    conditions : list of sympy Boolean
    x : sympy.Symbol

    Returns
    -------
    DimSet

    Examples
    --------
    >>> H = sp.Symbol("H", integer=True, positive=True)
    >>> solve_dim([sp.Ge(sp.floor((H - 4) / 2) + 1, 1), sp.Eq(2 * sp.floor(H / 2), H)], H).condition
    (H >= 4) & Eq(Mod(H, 2), 0)
    """
    period = 1
    for cond in conditions:
        t = quasi_period(cond, x)
        period = math.lcm(period, t if t else 64)
    upto = max(512, 16 * period)
    while True:
        ok = _scan(conditions, x, upto)
        start = _stable_from(ok, period) if period < upto else upto
        if upto - start >= 4 * period or upto >= _MAX_SCAN:
            break
        upto *= 2
    condition, q = _build(x, ok, min(start, upto - period), period)
    smallest = int(np.argmax(ok)) + 1 if ok.any() else None
    return DimSet(x, condition, smallest, q, start + 1, upto)


def prove_equivalent(condition: Any, conjunction: Any, symbols: list) -> dict:
    """Z3's verdict on ``condition <=> conjunction`` for positive integer dims."""
    try:
        from ..smt import check_relation
    except ImportError:                                 # pragma: no cover - before the prover lands
        return {"status": "unverified", "reason": "symconv.smt is not available"}
    statement = sp.Equivalent(condition, conjunction)
    verdict = check_relation(statement, assumptions=tuple(sp.Ge(s, 1) for s in symbols), timeout_ms=2000)
    out = {"status": verdict.status}
    if verdict.reason:
        out["reason"] = verdict.reason
    if verdict.counterexample:
        out["counterexample"] = dict(verdict.counterexample)
    return out


def valid_set(conditions: list, symbols: list, prove: bool = True) -> ValidSet:
    """The condition on all dims under which every condition holds, simplified per dim.

    Conditions over one dim are solved exactly by :func:`solve_dim`; conditions coupling
    several dims are kept as they are (they are exact, only not rewritten).
    """
    conditions = [c for c in conditions if c is not sp.true]
    if any(c is sp.false for c in conditions):
        return ValidSet(sp.false, proof={"status": "certified", "reason": "a constraint is false for every size"})
    by_dim: dict = {s: [] for s in symbols}
    coupled: list = []
    for cond in conditions:
        free = cond.free_symbols
        if len(free) == 1 and next(iter(free)) in by_dim:
            by_dim[next(iter(free))].append(cond)
        else:
            coupled.append(cond)
    dims, parts = {}, []
    for s, own in by_dim.items():
        if not own:
            continue
        try:
            dims[s] = solve_dim(own, s)
            parts.append(dims[s].condition)
        except NotVectorizable:
            coupled.extend(own)
    condition = sp.And(*parts, *coupled)
    result = ValidSet(condition, dims, coupled)
    if prove:
        result.proof = prove_equivalent(condition, sp.And(*conditions), symbols)
    return result
