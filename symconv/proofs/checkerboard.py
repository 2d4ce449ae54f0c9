r"""Checkerboard artifacts of transposed convolutions: how many (input, tap) pairs write each output (family 13).

In the interior the count :math:`N(m) = \#\{t : s \mid m + p_b - t d\}` is periodic with period ``s``
(:data:`CHECKERBOARD_PERIODIC`), uniform (``k/s``) when ``s`` divides ``k`` and ``d = 1``
(:data:`CHECKERBOARD_UNIFORM`); the converse and the dilated case are grid-checked
(:data:`CHECKERBOARD_CONDITION`).

Examples
--------
>>> from symconv.proofs import prove
>>> prove("checkerboard_uniform", grid="quick").status
'proved'
"""
from __future__ import annotations

from math import gcd

import numpy as np
import sympy as sp

from ..symbols import d, k, p_b, r, s
from . import grid as G
from .decide import Range
from .pooling import m, n, t
from .theorem_types import Grid, Theorem, step

__all__ = ["OVERLAP", "N_OF", "N_ONE", "THEOREMS"]


i_t = sp.Symbol("i'", integer=True, positive=True)
OVERLAP = sp.Sum(sp.Sum(sp.KroneckerDelta(m, r * s + t * d - p_b), (r, 0, i_t - 1)), (t, 0, k - 1))
INNER = sp.Sum(sp.KroneckerDelta(m, r * s + t * d - p_b), (r, 0, i_t - 1))
PHASE = sp.Piecewise((1, sp.Eq(sp.Mod(m + p_b - t * d, s), 0)), (0, True))
N_OF = sp.Sum(PHASE, (t, 0, k - 1))


def _periodic_proof() -> list:
    from .sum_rules import guarded_delta_sum
    guarded = guarded_delta_sum(INNER)
    return [
        step(OVERLAP, sp.Sum(guarded, (t, 0, k - 1)), "guarded-delta-sum",
             "input r writes m through tap t iff s | (m + p_b - t d)"),
        step(sp.Sum(guarded, (t, 0, k - 1)), N_OF, "resolve", "in the interior every tap's source is in range"),
        step(N_OF.xreplace({m: m + s}), N_OF, "algebra", "(m + s + p_b - t d) mod s = (m + p_b - t d) mod s"),
    ]


def _overlap_cfgs() -> list:
    return list(G.relation_configs(1))


def _overlap(cfg: dict) -> np.ndarray:
    return (G.conv_T(cfg) != 0).sum(axis=1)


def _interior(cfg: dict) -> range:
    # Deliberately written from the definition, independent of the library (issue 11): the window count.
    o_ = (cfg["i"] + cfg["p_b"] + cfg["p_a"] - cfg["d"] * (cfg["k"] - 1) - 1) // cfg["s"] + 1
    return range(cfg["d"] * (cfg["k"] - 1) - cfg["p_b"], cfg["s"] * (o_ - 1) - cfg["p_b"] + 1)


@G.per_config
def _periodic_lhs(cfg: dict) -> list:
    cnt = _overlap(cfg)
    inner = [v for v in _interior(cfg) if 0 <= v < len(cnt)]
    return [int(cnt[v + cfg["s"]] - cnt[v]) for v in inner if v + cfg["s"] in inner]


CHECKERBOARD_PERIODIC = Theorem(
    name="checkerboard_periodic",
    title="Checkerboard: in the interior the number of (input, tap) pairs writing output m of a transposed conv "
          "is N(m) = #{t : s | m + p_b - t d}, periodic in m with period s",
    statement=sp.And(sp.Eq(OVERLAP, N_OF), sp.Eq(N_OF.xreplace({m: m + s}), N_OF)),
    assumptions=(Range(m, d * (k - 1) - p_b, s * (i_t - 1) - p_b),),
    proof=_periodic_proof, uses=("transpose_is_scatter",), family=13,
    grid=Grid(G.GRID_1D + "; overlap = nonzeros per row of the model's transposed matrix; differences N(m+s) - "
              "N(m) over the interior", _overlap_cfgs, _periodic_lhs, lambda cfg: [0] * len(_periodic_lhs(cfg))),
    reference="Odena, Dumoulin & Olah, Deconvolution and Checkerboard Artifacts",
)


def _uniform_cfgs() -> list:
    return [cfg for cfg in G.relation_configs(1) if len(_interior(cfg)) >= cfg["s"]]


@G.per_config
def _constant(cfg: dict) -> bool:
    cnt = _overlap(cfg)
    vals = {int(cnt[v]) for v in _interior(cfg) if 0 <= v < len(cnt)}
    return len(vals) == 1


u_, v_ = sp.symbols("u v", integer=True, nonnegative=True)
N_ONE = N_OF.xreplace({d: 1, k: s * n})


def _uniform_proof() -> list:
    split = sp.Sum(sp.Piecewise((1, sp.Eq(sp.Mod(m + p_b - s * u_ - v_, s), 0)), (0, True)), (v_, 0, s - 1),
                   (u_, 0, n - 1))
    summed = n * sp.Sum(sp.Piecewise((1, sp.Eq(sp.Mod(m + p_b - v_, s), 0)), (0, True)), (v_, 0, s - 1))
    delta = n * sp.Sum(sp.KroneckerDelta(v_, sp.Mod(m + p_b, s)), (v_, 0, s - 1))
    return [
        step(N_ONE, split, "split-range", "t = s u + v", modulus=s, outer=u_, inner=v_),
        step(split, summed, "delta-sum", "s u drops out of the residue; n equal terms", var=u_),
        step(summed, delta, "mod-indicator", "one residue v in [0, s-1]", var=v_, modulus=s),
        step(delta, n, "delta-sum", "0 <= (m + p_b) mod s <= s - 1", var=v_),
    ]


def _uniform_d1_cfgs() -> list:
    return [cfg for cfg in _uniform_cfgs() if cfg["d"] == 1 and cfg["k"] % cfg["s"] == 0]


@G.per_config
def _interior_values(cfg: dict) -> list:
    cnt = _overlap(cfg)
    return sorted({int(cnt[v]) for v in _interior(cfg) if 0 <= v < len(cnt)})


CHECKERBOARD_UNIFORM = Theorem(
    name="checkerboard_uniform",
    title="Checkerboard (d = 1): if s divides k, every interior output is written by exactly k/s (input, tap) "
          "pairs",
    statement=sp.Eq(N_ONE, n),
    assumptions=(Range(n, lo=1),),
    proof=_uniform_proof, uses=("checkerboard_periodic",), family=13,
    grid=Grid(G.GRID_1D + " with d = 1, s | k and an interior of at least s outputs; the model's overlap counts",
              _uniform_d1_cfgs, _interior_values, lambda cfg: [cfg["k"] // cfg["s"]]),
    reference="Odena, Dumoulin & Olah, Deconvolution and Checkerboard Artifacts",
)


CHECKERBOARD_CONDITION = Theorem(
    name="checkerboard_condition",
    title="Checkerboard: the interior overlap is constant iff s divides k (d = 1); with dilation iff s divides k "
          "and gcd(d, s) = 1",
    statement=sp.Eq(sp.Symbol("N_constant"), sp.And(sp.Eq(sp.Mod(k, s), 0), sp.Eq(sp.Function("gcd")(d, s), 1)),
                    evaluate=False),
    uses=("checkerboard_uniform",), family=13,
    reason="the 'only if' direction compares the counts of two residue classes over a partial period "
           "(k = s n + kappa), and for d > 1 needs a modular inverse of d; the engine's rules do not cover them "
           "yet (the 'if' direction for d = 1 is checkerboard_uniform)",
    grid=Grid(G.GRID_1D + " with an interior of at least s outputs; constancy of the model's overlap counts",
              _uniform_cfgs, _constant, lambda cfg: cfg["k"] % cfg["s"] == 0 and gcd(cfg["d"], cfg["s"]) == 1),
    reference="Odena, Dumoulin & Olah, Deconvolution and Checkerboard Artifacts",
)


#: This module's theorems, in the catalogue's order (:mod:`symconv.proofs.catalogue`).
THEOREMS = (CHECKERBOARD_PERIODIC, CHECKERBOARD_UNIFORM, CHECKERBOARD_CONDITION)
