"""Analyse a network: shapes, the exact valid input sizes, the binding constraints and fixes.

:func:`analyze_network` evaluates every tensor's shape (:mod:`.shape_eval`), solves the
valid-set condition (:mod:`.valid_set`), keeps the constraints that actually remove input
sizes, explains invalid sizes by the first node that fails, and proposes fixes
(:mod:`.fixes`), each verified by analysing the changed network again.

Examples
--------
>>> from symconv.network.model import load_dag
>>> net = load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
...     {"name": "down", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
...     {"name": "up", "op": "conv_transpose", "inputs": ["down"], "kernel_size": 2, "stride": 2},
...     {"name": "cat", "op": "concat", "inputs": ["x", "up"]}]})
>>> result = analyze_network(net)
>>> result.valid.condition
(H >= 2) & Eq(Mod(H, 2), 0)
>>> [(c.node, c.kind) for c in result.constraints]
[('down', 'positive'), ('cat', 'equal')]
>>> result.invalid_examples("H", 1)
[(3, "cat: Concat needs equal sizes on axis 2: 'x' has H, 'up' has 2*floor(H/2)")]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .decide import simplify_on
from .model import Network
from .shape_eval import Constraint, Evaluation, evaluate
from .valid_set import ValidSet, valid_set
from .vectorize import NotVectorizable, evaluate_many

__all__ = ["NetworkAnalysis", "analyze_network", "binding_constraints", "SCAN"]

#: Input sizes scanned to pick binding constraints and explain invalid sizes.
SCAN = 1024


@dataclass
class NetworkAnalysis:
    """Everything :func:`analyze_network` found."""

    network: Network
    evaluation: Evaluation
    valid: ValidSet
    constraints: list
    fixes: dict = field(default_factory=dict)
    shapes: dict = field(default_factory=dict)
    valid_with_fixes: str | None = None

    @property
    def symbols(self) -> dict:
        return self.evaluation.symbols

    def failing(self, dim: str, size: int) -> Constraint | None:
        """The first constraint (in node order) over ``dim`` alone that fails at ``size``."""
        x = self.symbols[dim]
        for c in self.evaluation.constraints:
            if c.condition.free_symbols == {x}:
                try:
                    if not bool(evaluate_many(c.condition, {x: np.array([size])})[0]):
                        return c
                except NotVectorizable:
                    continue
        return None

    def smallest(self, dim: str) -> int | None:
        """The smallest valid size of ``dim`` (None if no size is valid)."""
        found = self.valid.dims.get(self.symbols[dim])
        if found is None:
            return None if self.valid.condition is sp.false else 1
        return found.smallest

    def invalid_examples(self, dim: str, count: int = 5) -> list:
        """The first ``count`` invalid sizes of ``dim`` from its smallest valid size, with reasons."""
        x = self.symbols[dim]
        start = self.smallest(dim) or 1
        own = self.valid.dims.get(x)
        if own is None or own.condition is sp.true:
            return []
        condition = own.condition
        values = np.arange(start, start + SCAN, dtype=np.int64)
        ok = evaluate_many(condition, {x: values})
        out = []
        for v in values[~ok][:count]:
            c = self.failing(dim, int(v))
            out.append((int(v), f"{c.node}: {c.reason}" if c else "coupled with another dim"))
        return out


def _failure_masks(constraints: list, symbols: dict) -> dict:
    values = np.arange(1, SCAN + 1, dtype=np.int64)
    masks = {}
    for index, c in enumerate(constraints):
        free = c.condition.free_symbols
        if len(free) != 1:
            continue
        x = next(iter(free))
        try:
            masks[index] = (x, ~evaluate_many(c.condition, {x: values}))
        except NotVectorizable:
            continue
    return masks


def binding_constraints(constraints: list, symbols: dict) -> list:
    """The constraints that remove input sizes, without redundant repeats.

    A positivity constraint is kept when the sizes it rejects are not a subset of the sizes
    another positivity constraint on the same dim rejects (the deepest layer binds; equal
    sets keep the first node). Any other constraint is kept when it rejects a size every
    positivity constraint accepts. Constraints over several dims are always kept.
    """
    masks = _failure_masks(constraints, symbols)
    positive = {i: m for i, m in masks.items() if constraints[i].kind == "positive" and m[1].any()}
    all_positive = {}
    for x, fail in positive.values():
        all_positive[x] = all_positive.get(x, np.zeros_like(fail)) | fail
    kept = []
    for index, c in enumerate(constraints):
        if c.condition is sp.false:
            kept.append(c)
            continue
        if index not in masks:
            kept.append(c)
            continue
        x, fail = masks[index]
        if not fail.any():
            continue
        if c.kind != "positive":
            if (fail & ~all_positive.get(x, np.zeros_like(fail))).any():
                kept.append(c)
            continue
        dominated = any(j != index and y == x and not (fail & ~other).any() and
                        ((other & ~fail).any() or j < index)
                        for j, (y, other) in positive.items())
        if not dominated:
            kept.append(c)
    return kept


def _shapes_on_valid(result: Evaluation, valid: ValidSet) -> dict:
    """Every data tensor's shape, its ``Max``/``Min``/``Piecewise`` resolved on the valid sizes.

    Exact for every valid input (the only inputs where shapes exist); the raw expressions,
    exact for every input, stay in ``evaluation.tensors``.
    """
    out = {}
    for name, info in result.tensors.items():
        if info.value is not None:
            continue
        dims = []
        for d in info.shape:
            if isinstance(d, sp.Basic) and d.has(sp.Max, sp.Min, sp.Piecewise):
                parts = [valid.dims[x].condition for x in d.free_symbols if x in valid.dims]
                d = simplify_on(d, sp.And(*parts))
            dims.append(d)
        out[name] = tuple(dims)
    return out


def analyze_network(net: Network, fixes: bool = True, prove: bool = True) -> NetworkAnalysis:
    """Shapes, the valid-set condition, binding constraints and verified fixes of ``net``.

    Parameters
    ----------
    net : Network
    fixes : bool
        Look for a fix of every binding equality/range constraint (re-analyses the network
        once per candidate).
    prove : bool
        Ask Z3 to prove the valid-set condition equivalent to the conjunction of constraints.

    Returns
    -------
    NetworkAnalysis
    """
    result = evaluate(net)
    symbols = list(result.symbols.values())
    conditions = [c.condition for c in result.constraints]
    valid = valid_set(conditions, symbols, prove=prove)
    constraints = binding_constraints(result.constraints, result.symbols)
    analysis = NetworkAnalysis(net, result, valid, constraints, shapes=_shapes_on_valid(result, valid))
    if fixes:
        from .fixes import find_fixes, valid_with_all
        analysis.fixes = find_fixes(analysis)
        analysis.valid_with_fixes = valid_with_all(analysis)
    return analysis
