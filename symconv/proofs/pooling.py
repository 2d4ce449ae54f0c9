r"""Pooling, unpooling and nearest-upsampling theorems (families 10-11); bilinear upsampling is in
:mod:`symconv.proofs.bilinear`, checkerboard overlaps in :mod:`symconv.proofs.checkerboard`.

Max pooling is written with its switches :math:`\sigma(r)` (the argmax of window ``r``):
:math:`P(x)[r, c] = \delta(c, \sigma(r))`. Nearest upsampling and unpooling by a factor ``f`` are
evaluated at :math:`m = f q + e` (:math:`0 \le e < f`): the quotient picks the window, the remainder
the position inside it.

Examples
--------
>>> from symconv.proofs import prove
>>> prove("nearest_as_transpose", grid="quick").status
'proved'
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from .. import shapes
from ..transforms import nearest_as_transpose
from ..matrix import matrix_of, pool_switch_matrix, pool_switches, unpool_matrix, upsample_matrix
from ..symbols import c, i, o, r
from . import grid as G
from .decide import Range
from .theorem_types import Grid, Theorem, step

u_ = sp.Symbol("u", integer=True, nonnegative=True)

x, y, g = (sp.IndexedBase(name) for name in "xyg")
m, q, e, n = sp.symbols("m q e n", integer=True, nonnegative=True)
f = sp.Symbol("f", integer=True, positive=True)
t = sp.Symbol("t", integer=True, nonnegative=True)
sigma = sp.Function("sigma", integer=True, nonnegative=True)     # switch of window r (flat input position)
tau = sp.Function("tau", integer=True, nonnegative=True)         # switch offset inside window r (0..f-1)
sw = sp.Symbol("sigma_r", integer=True, nonnegative=True)


def _distinct(n_: int) -> np.ndarray:
    """Distinct integers (a fixed permutation-like sequence) so that every window has one argmax."""
    return ((np.arange(n_, dtype=np.int64) * 7919 + 13) % 1009).astype(np.int64)


def _meets_input(axis: tuple) -> bool:
    """PyTorch's pooling padding (p <= k//2) and every window reads at least one input element."""
    i_, k_, s_, d_, pb, pa = axis
    if max(pb, pa) > k_ // 2:
        return False
    # Deliberately written from the definition, independent of the library (issue 11): the window count.
    o_ = (i_ + pb + pa - d_ * (k_ - 1) - 1) // s_ + 1
    return all(any(0 <= rr * s_ + tt * d_ - pb < i_ for tt in range(k_)) for rr in range(o_))


@lru_cache(maxsize=None)
def _pool_cfgs_cached() -> tuple:
    return tuple(cfg for cfg in list(G.relation_configs(1)) + list(G.relation_configs(2))
                 if all(_meets_input(ax) for ax in G.axes_of(cfg)))


def _pool_cfgs() -> list:
    return list(_pool_cfgs_cached())


@G.per_config
def _pool_model(cfg: dict) -> tuple:
    """Distinct input x, its switches and the model's P(x) (cached per configuration)."""
    sizes, kk, ss, pads, dd = _pool_args(cfg)
    xv = _distinct(math.prod(sizes)).reshape(sizes)
    sw_ = pool_switches(xv, kk, ss, pads, dd)
    P = pool_switch_matrix(xv, kk, ss, pads, dd, format="numpy").astype(np.int64)
    return xv, sw_, P


def _pool_args(cfg: dict) -> tuple:
    axes = G.axes_of(cfg)
    sizes = tuple(ax[0] for ax in axes)
    return sizes, tuple(ax[1] for ax in axes), tuple(ax[2] for ax in axes), tuple((ax[4], ax[5]) for ax in axes), \
        tuple(ax[3] for ax in axes)


def _direct_maxpool(xv: np.ndarray, axes: tuple) -> np.ndarray:
    """Max pooling by its definition (gather with -inf padding); ``xv`` may carry a leading batch axis."""
    gathered, shape = G.gather(np.asarray(xv).astype(float), axes, fill=-np.inf)     # (batch, o, k)
    return gathered.max(axis=-1).reshape(shape)


# --------------------------------------------------------------------------- family 10

POOL_ROW = sp.Sum(sp.KroneckerDelta(c, sw) * x[c], (c, 0, i - 1))


def _switch_pair(cfg: dict) -> tuple:
    xv, _sw, P = _pool_model(cfg)
    return P @ xv.ravel(), P.sum(axis=1)


@G.per_config
def _switch_direct(cfg: dict) -> tuple:
    sizes = _pool_args(cfg)[0]
    xv = _distinct(math.prod(sizes)).reshape(sizes)
    out = _direct_maxpool(xv, G.axes_of(cfg)).ravel()
    return out, np.ones(out.shape)


MAXPOOL_SWITCHES = Theorem(
    name="maxpool_switches",
    title="Max pooling with switches: y = P(x) x, P(x)[r, c] = delta(c, sigma(r)) selects each window's argmax",
    statement=sp.Eq(POOL_ROW, x[sw]),
    assumptions=(Range(sw, 0, i - 1),),
    proof=lambda: [step(POOL_ROW, x[sw], "delta-sum", "the switch lies in the input", var=c)],
    family=10, kind="lemma",
    grid=Grid("pooling configurations of the 1-D and 2-D grids (p <= k//2, every window meets the input), distinct input values; the model's "
              "pool_switch_matrix vs the max by definition", _pool_cfgs, _switch_pair, _switch_direct),
)

LOSS_POOL = sp.Sum(g[r] * sp.Sum(sp.KroneckerDelta(c, sigma(r)) * x[c], (c, 0, i - 1)), (r, 0, o - 1))
PT_G = sp.Sum(sp.KroneckerDelta(m, sigma(r)) * g[r], (r, 0, o - 1))


def _maxgrad_proof() -> list:
    d1 = sp.Sum(g[r] * sp.Sum(sp.KroneckerDelta(c, sigma(r)) * sp.KroneckerDelta(c, m), (c, 0, i - 1)), (r, 0, o - 1))
    return [
        step(sp.Derivative(LOSS_POOL, x[m]), d1, "differentiate", "the switches are locally constant", wrt=x[m]),
        step(d1, PT_G, "delta-sum", "0 <= m <= i - 1", var=c),
    ]


@G.per_config
def _numeric_grad(cfg: dict) -> np.ndarray:
    """Gradient of g . maxpool(x) by exact finite differences (distinct integer x, step 1/4)."""
    sizes = _pool_args(cfg)[0]
    n_in = math.prod(sizes)
    xv = _distinct(n_in).astype(float)
    pooled = _direct_maxpool(xv.reshape(sizes), G.axes_of(cfg))
    gv = G.probe(math.prod(pooled.shape), 3).astype(float)
    base = pooled.ravel() @ gv
    bumped = xv[None, :] + 0.25 * np.eye(n_in)
    moved = _direct_maxpool(bumped.reshape((n_in,) + sizes), G.axes_of(cfg)).reshape(n_in, -1) @ gv
    return ((moved - base) * 4).round().astype(np.int64)


def _pt_g(cfg: dict) -> np.ndarray:
    _x, _sw, P = _pool_model(cfg)
    return (P.T @ G.probe(P.shape[0], 3)).astype(np.int64)


MAXPOOL_GRADIENT = Theorem(
    name="maxpool_gradient",
    title="The gradient of max pooling is P(x)^T g: a scatter-ADD of g onto the switches (where the argmax "
          "is unique)",
    statement=sp.Eq(sp.Derivative(LOSS_POOL, x[m]), PT_G),
    assumptions=(Range(m, 0, i - 1),), proof=_maxgrad_proof, uses=("maxpool_switches",), family=10,
    grid=Grid("pooling configurations of the 1-D and 2-D grids; finite differences of the max by definition vs "
              "P(x)^T g", _pool_cfgs, _numeric_grad, _pt_g),
)

PTP_X = sp.Sum(sp.KroneckerDelta(m, sigma(r)) * sp.Sum(sp.KroneckerDelta(c, sigma(r)) * x[c], (c, 0, i - 1)),
               (r, 0, o - 1))
MULT = sp.Sum(sp.KroneckerDelta(m, sigma(r)), (r, 0, o - 1))


def _ptp_proof() -> list:
    s1 = sp.Sum(sp.KroneckerDelta(m, sigma(r)) * x[sigma(r)], (r, 0, o - 1))
    s2 = sp.Sum(sp.KroneckerDelta(m, sigma(r)) * x[m], (r, 0, o - 1))
    return [
        step(PTP_X, s1, "delta-sum", "sigma(r) lies in the input", var=c),
        step(s1, s2, "delta-substitute", "the delta forces sigma(r) = m", old=sigma(r), new=m),
        step(s2, x[m] * MULT, "sum-exchange", "x_m does not depend on r"),
    ]


def _ptp_model(cfg: dict) -> np.ndarray:
    xv, _sw, P = _pool_model(cfg)
    return (P.T @ P @ xv.ravel()).astype(np.int64)


def _ptp_count(cfg: dict) -> np.ndarray:
    xv, sw_, _P = _pool_model(cfg)
    sw_ = sw_.ravel()
    return xv.ravel() * np.bincount(sw_, minlength=xv.size)


POOL_TRANSPOSE_MULTIPLICITY = Theorem(
    name="pool_transpose_multiplicity",
    title="P^T P x = x * mu, mu_m = number of windows whose argmax is m (overlapping windows count twice)",
    statement=sp.Eq(PTP_X, x[m] * MULT),
    assumptions=(Range(sigma(r), 0, i - 1),), proof=_ptp_proof, uses=("maxpool_switches",), family=10,
    grid=Grid("pooling configurations of the 1-D and 2-D grids; the model's P^T P x vs x times the switch "
              "multiplicities", _pool_cfgs, _ptp_model, _ptp_count),
)


def _unpool_lhs(cfg: dict) -> tuple:
    xv, sw_, P = _pool_model(cfg)
    U = unpool_matrix(sw_, xv.shape, format="numpy").astype(np.int64)
    gv = G.probe(P.shape[0], 1)
    return U @ P @ xv.ravel(), bool(np.array_equal(U, P.T)), P.T @ gv - U @ gv


def _unpool_rhs(cfg: dict) -> tuple:
    sizes, kk, ss, pads, dd = _pool_args(cfg)
    xv, sw_, _P = _pool_model(cfg)
    sw_ = sw_.ravel().tolist()
    gv = G.probe(len(sw_), 1)
    hit = np.zeros(xv.size, dtype=bool)
    hit[sw_] = True
    injective = len(set(sw_)) == len(sw_)
    non_overlap = all(kj <= sj and dj == 1 for kj, sj, dj in zip(kk, ss, dd))
    diff = np.zeros(xv.size, dtype=np.int64)
    for target in set(sw_):
        writers = [rr for rr, tt in enumerate(sw_) if tt == target]
        diff[target] = sum(gv[rr] for rr in writers) - gv[writers[-1]]       # add minus last-write-wins
    return xv.ravel() * hit, injective or non_overlap, diff


UNPOOL_VS_GRADIENT = Theorem(
    name="unpool_vs_gradient",
    title="unpool(pool(x)) keeps each window's max at its argmax, zeros elsewhere; unpooling U is a scatter-"
          "ASSIGN, so P^T g - U g = (sum of the colliding g) - (the last one): U = P^T exactly when no two "
          "windows share an argmax, e.g. non-overlapping windows (k <= s, d = 1)",
    statement=sp.Eq(sp.Symbol("U") * sp.Symbol("P") * x[m], x[m] * sp.Piecewise((1, sp.Gt(MULT, 0)), (0, True)),
                    evaluate=False),
    family=10, uses=("maxpool_switches", "maxpool_gradient"),
    reason="unpooling is a scatter-assign (the last write wins): an order-dependent operation on the switch "
           "list with no closed form among the engine's rules; the exact relation is checked on the grid",
    grid=Grid("pooling configurations of the 1-D and 2-D grids; the model's unpool_matrix and pool_switch_matrix",
              _pool_cfgs, _unpool_lhs, _unpool_rhs),
)


# --------------------------------------------------------------------------- family 11

AT = {m: f * q + e}
NEAREST_SCATTER = sp.Sum(sp.Sum(y[r] * sp.KroneckerDelta(m, r * f + t), (t, 0, f - 1)), (r, 0, i - 1))
NEAREST_DEF = y[sp.floor(m / f)]


def _nearest_proof() -> list:
    at = NEAREST_SCATTER.xreplace(AT)
    split = sp.Sum(sp.Sum(y[r] * sp.KroneckerDelta(q, r) * sp.KroneckerDelta(e, t), (t, 0, f - 1)), (r, 0, i - 1))
    summed_t = sp.Sum(y[r] * sp.KroneckerDelta(q, r), (r, 0, i - 1))
    size = shapes.transpose_size_axis(i, f, f, 0, 0)
    return [
        step(at, split, "delta-digits", "m = f q + e against r f + t, both remainders in [0, f-1]",
             f=f, pairs=(((q, e), (r, t)),)),
        step(split, summed_t, "delta-sum", "0 <= e <= f - 1", var=t),
        step(summed_t, y[q], "delta-sum", "0 <= q <= i - 1", var=r),
        step(NEAREST_DEF.xreplace(AT), y[q], "floor-value", "floor((f q + e)/f) = q",
             term=sp.floor((f * q + e) / f), value=q),
        step(size, f * i, "algebra", "f (i - 1) + f - 0"),
    ]


def _nearest_cfgs() -> list:
    one = [{"i": i_, "f": f_, "C": ch} for f_ in range(1, 5) for i_ in range(1, 13) for ch in (1, 2)]
    two = [{"i": (ih, iw), "f": f_, "C": 1} for f_ in range(1, 5) for ih in range(1, 8) for iw in range(1, 8)]
    return sorted(one + two, key=lambda cfg: (sum(G.as_tuple(cfg["i"])) + cfg["f"], str(cfg)))


def _nearest_model(cfg: dict) -> np.ndarray:
    U = upsample_matrix(cfg["i"], scale_factor=cfg["f"], mode="nearest", format="numpy")
    return np.kron(np.eye(cfg["C"]), U)


def _nearest_transpose(cfg: dict) -> np.ndarray:
    ndim = len(G.as_tuple(cfg["i"]))
    spec, weight = nearest_as_transpose(cfg["f"], cfg["C"], ndim, input_size=cfg["i"])
    return matrix_of(spec, weight, "numpy")


NEAREST_AS_TRANSPOSE = Theorem(
    name="nearest_as_transpose",
    title="Nearest upsampling by f = depthwise transposed conv with an all-ones f x ... x f kernel, stride f, "
          "padding 0 (output f i)",
    statement=sp.And(sp.Eq(NEAREST_SCATTER.xreplace(AT), y[q]), sp.Eq(NEAREST_DEF.xreplace(AT), y[q]),
                     sp.Eq(shapes.transpose_size_axis(i, f, f, 0, 0), f * i)),
    assumptions=(Range(e, 0, f - 1), Range(q, 0, i - 1)), proof=_nearest_proof, uses=("transpose_is_scatter",),
    family=11,
    grid=Grid("1-D i<=12, f<=4, channels 1 and 2; 2-D i<=7 per axis, f<=4; upsample_matrix vs transforms' "
              "transposed conv matrix", _nearest_cfgs, _nearest_model, _nearest_transpose),
)

UNPOOL_AT = sp.Sum(y[r] * sp.KroneckerDelta(f * q + e, r * f + tau(r)), (r, 0, i - 1))


def _unpool_fill_proof() -> list:
    split = sp.Sum(y[r] * sp.KroneckerDelta(q, r) * sp.KroneckerDelta(e, tau(r)), (r, 0, i - 1))
    return [
        step(UNPOOL_AT, split, "delta-digits", "the switch offset tau(r) lies in [0, f-1]",
             f=f, pairs=(((q, e), (r, tau(r))),)),
        step(split, y[q] * sp.KroneckerDelta(e, tau(q)), "delta-sum", "0 <= q <= i - 1", var=r),
        step(y[q] - UNPOOL_AT, y[q] * (1 - sp.KroneckerDelta(e, tau(q))), "use", "nearest(y) at f q + e is y_q",
             eq=(UNPOOL_AT, y[q] * sp.KroneckerDelta(e, tau(q)))),
    ]


def _fill_cfgs() -> list:
    return [cfg for cfg in _nearest_cfgs() if cfg["C"] == 1]


def _switches_for(cfg: dict) -> tuple:
    sizes = G.as_tuple(cfg["i"])
    big = tuple(cfg["f"] * v for v in sizes)
    xv = _distinct(math.prod(big)).reshape(big)
    return big, pool_switches(xv, cfg["f"] if len(sizes) == 1 else (cfg["f"],) * len(sizes))


@G.per_config
def _fill_lhs(cfg: dict) -> np.ndarray:
    big, sw_ = _switches_for(cfg)
    yv = G.probe(sw_.size, 9)
    nearest = upsample_matrix(cfg["i"], scale_factor=cfg["f"], mode="nearest", format="numpy") @ yv
    return (nearest - unpool_matrix(sw_, big, format="numpy") @ yv).astype(np.int64)


@G.per_config
def _fill_rhs(cfg: dict) -> np.ndarray:
    big, sw_ = _switches_for(cfg)
    yv = G.probe(sw_.size, 9)
    nearest = upsample_matrix(cfg["i"], scale_factor=cfg["f"], mode="nearest", format="numpy") @ yv
    keep = np.ones(nearest.shape, dtype=bool)
    keep[sw_.ravel()] = False
    return np.where(keep, nearest, 0).astype(np.int64)


def unpool_side(cfg: dict) -> np.ndarray:
    """Max-unpooling (switches of a max pooling with k = s = f) applied to the test vector."""
    big, sw_ = _switches_for(cfg)
    return (unpool_matrix(sw_, big, format="numpy") @ G.probe(sw_.size, 9)).astype(np.int64)


def nearest_side(cfg: dict) -> np.ndarray:
    """Nearest upsampling by f applied to the test vector."""
    return (upsample_matrix(cfg["i"], scale_factor=cfg["f"], mode="nearest", format="numpy")
            @ G.probe(math.prod(G.as_tuple(cfg["i"])), 9)).astype(np.int64)


NEAREST_VS_UNPOOL = Theorem(
    name="nearest_vs_unpool",
    title="Unpooling (k = s = f) puts y_q only at the switch of window q; nearest upsampling minus unpooling "
          "fills exactly the other f - 1 (f^N - 1) positions of each window with y_q",
    statement=sp.And(sp.Eq(UNPOOL_AT, y[q] * sp.KroneckerDelta(e, tau(q))),
                     sp.Eq(y[q] - UNPOOL_AT, y[q] * (1 - sp.KroneckerDelta(e, tau(q))))),
    assumptions=(Range(e, 0, f - 1), Range(q, 0, i - 1), Range(tau(r), 0, f - 1)),
    proof=_unpool_fill_proof, uses=("nearest_as_transpose", "maxpool_switches"), family=11,
    grid=Grid("1-D i<=12, 2-D i<=7 per axis, f<=4; nearest(y) - unpool(y) vs y on the non-switch positions",
              _fill_cfgs, _fill_lhs, _fill_rhs),
)


#: This module's theorems, in the catalogue's order (:mod:`symconv.proofs.catalogue`).
THEOREMS = (MAXPOOL_SWITCHES, MAXPOOL_GRADIENT, POOL_TRANSPOSE_MULTIPLICITY, UNPOOL_VS_GRADIENT, NEAREST_AS_TRANSPOSE,
            NEAREST_VS_UNPOOL)
