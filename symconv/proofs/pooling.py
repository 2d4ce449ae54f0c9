r"""Pooling, unpooling, upsampling and checkerboard theorems (families 10-13).

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

from functools import lru_cache
from math import gcd

import numpy as np
import sympy as sp

from .. import shapes
from ..derive import bilinear_as_transpose, bilinear_border, nearest_as_transpose
from ..matrix import matrix_of, pool_switch_matrix, pool_switches, unpool_matrix, upsample_matrix
from ..symbols import c, d, i, k, o, p_b, r, s
from . import grid as G
from .engine import Grid, Theorem, register, step
from .rules import Range

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
    xv = _distinct(int(np.prod(sizes))).reshape(sizes)
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
    xv = _distinct(int(np.prod(sizes))).reshape(sizes)
    out = _direct_maxpool(xv, G.axes_of(cfg)).ravel()
    return out, np.ones(out.shape)


register(Theorem(
    name="maxpool_switches",
    title="Max pooling with switches: y = P(x) x, P(x)[r, c] = delta(c, sigma(r)) selects each window's argmax",
    statement=sp.Eq(POOL_ROW, x[sw]),
    assumptions=(Range(sw, 0, i - 1),),
    proof=lambda: [step(POOL_ROW, x[sw], "delta-sum", "the switch lies in the input", var=c)],
    family=10, kind="lemma",
    grid=Grid("pooling configurations of the 1-D and 2-D grids (p <= k//2, every window meets the input), distinct input values; the model's "
              "pool_switch_matrix vs the max by definition", _pool_cfgs, _switch_pair, _switch_direct),
))

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
    n_in = int(np.prod(sizes))
    xv = _distinct(n_in).astype(float)
    pooled = _direct_maxpool(xv.reshape(sizes), G.axes_of(cfg))
    gv = G.probe(int(np.prod(pooled.shape)), 3).astype(float)
    base = pooled.ravel() @ gv
    bumped = xv[None, :] + 0.25 * np.eye(n_in)
    moved = _direct_maxpool(bumped.reshape((n_in,) + sizes), G.axes_of(cfg)).reshape(n_in, -1) @ gv
    return ((moved - base) * 4).round().astype(np.int64)


def _pt_g(cfg: dict) -> np.ndarray:
    _x, _sw, P = _pool_model(cfg)
    return (P.T @ G.probe(P.shape[0], 3)).astype(np.int64)


register(Theorem(
    name="maxpool_gradient",
    title="The gradient of max pooling is P(x)^T g: a scatter-ADD of g onto the switches (where the argmax "
          "is unique)",
    statement=sp.Eq(sp.Derivative(LOSS_POOL, x[m]), PT_G),
    assumptions=(Range(m, 0, i - 1),), proof=_maxgrad_proof, uses=("maxpool_switches",), family=10,
    grid=Grid("pooling configurations of the 1-D and 2-D grids; finite differences of the max by definition vs "
              "P(x)^T g", _pool_cfgs, _numeric_grad, _pt_g),
))

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


register(Theorem(
    name="pool_transpose_multiplicity",
    title="P^T P x = x * mu, mu_m = number of windows whose argmax is m (overlapping windows count twice)",
    statement=sp.Eq(PTP_X, x[m] * MULT),
    assumptions=(Range(sigma(r), 0, i - 1),), proof=_ptp_proof, uses=("maxpool_switches",), family=10,
    grid=Grid("pooling configurations of the 1-D and 2-D grids; the model's P^T P x vs x times the switch "
              "multiplicities", _pool_cfgs, _ptp_model, _ptp_count),
))


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


register(Theorem(
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
))


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


register(Theorem(
    name="nearest_as_transpose",
    title="Nearest upsampling by f = depthwise transposed conv with an all-ones f x ... x f kernel, stride f, "
          "padding 0 (output f i)",
    statement=sp.And(sp.Eq(NEAREST_SCATTER.xreplace(AT), y[q]), sp.Eq(NEAREST_DEF.xreplace(AT), y[q]),
                     sp.Eq(shapes.transpose_size_axis(i, f, f, 0, 0), f * i)),
    assumptions=(Range(e, 0, f - 1), Range(q, 0, i - 1)), proof=_nearest_proof, uses=("transpose_is_scatter",),
    family=11,
    grid=Grid("1-D i<=12, f<=4, channels 1 and 2; 2-D i<=7 per axis, f<=4; upsample_matrix vs derive's "
              "transposed conv matrix", _nearest_cfgs, _nearest_model, _nearest_transpose),
))

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
    xv = _distinct(int(np.prod(big))).reshape(big)
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
            @ G.probe(int(np.prod(G.as_tuple(cfg["i"]))), 9)).astype(np.int64)


register(Theorem(
    name="nearest_vs_unpool",
    title="Unpooling (k = s = f) puts y_q only at the switch of window q; nearest upsampling minus unpooling "
          "fills exactly the other f - 1 (f^N - 1) positions of each window with y_q",
    statement=sp.And(sp.Eq(UNPOOL_AT, y[q] * sp.KroneckerDelta(e, tau(q))),
                     sp.Eq(y[q] - UNPOOL_AT, y[q] * (1 - sp.KroneckerDelta(e, tau(q))))),
    assumptions=(Range(e, 0, f - 1), Range(q, 0, i - 1), Range(tau(r), 0, f - 1)),
    proof=_unpool_fill_proof, uses=("nearest_as_transpose", "maxpool_switches"), family=11,
    grid=Grid("1-D i<=12, 2-D i<=7 per axis, f<=4; nearest(y) - unpool(y) vs y on the non-switch positions",
              _fill_cfgs, _fill_lhs, _fill_rhs),
))


# --------------------------------------------------------------------------- family 12

BIL_K = 2 * f - sp.Mod(f, 2)
BIL_P = sp.ceiling((f - 1) / 2)
BIL_SIZE = shapes.transpose_size_axis(i, BIL_K, f, BIL_P, BIL_P)


register(Theorem(
    name="bilinear_size",
    title="The bilinear transposed conv (kernel 2f - f mod 2, stride f, padding ceil((f-1)/2)) outputs f i",
    statement=sp.Eq(BIL_SIZE, f * i),
    proof=lambda: [step(BIL_SIZE, f * i, "cases", "f even (f = 2n) or odd (f = 2n + 1)",
                        cases=(({f: 2 * n}, ()), ({f: 2 * n + 1}, ())))],
    family=12, kind="lemma",
    grid=Grid("f <= 8, i <= 12", lambda: [{"f": f_, "i": i_} for f_ in range(1, 9) for i_ in range(1, 13)],
              lambda cfg: bilinear_as_transpose(cfg["f"], ndim=1, input_size=cfg["i"])[0].output_size[0],
              lambda cfg: cfg["f"] * cfg["i"]),
    reference="Caffe BilinearFiller; FCN surgery.upsample_filt",
))


# The transposed conv's weight for input c at output m = f q + e is W(m + P - c f) with FCN's kernel
# W(j) = 1 - |j - centre|/f on 0 <= j <= K - 1 (centre f - 1 for odd f, f - 1/2 for even f; derive.bilinear_kernel);
# interpolation (align_corners=False) reads x = (m + 1/2)/f - 1/2, i0 = floor(x), lambda = x - i0 and gives
# input c the weight IW(c) = (1 - lambda) [c = i0] + lambda [c = i0 + 1] (inside the image: no clamping).
BIL_CENTRE = f - 1 + (1 - sp.Mod(f, 2)) / 2
D_ = sp.Symbol("D", integer=True, positive=True)


def bil_weight(j):
    """The kernel value W(j) (0 outside the kernel)."""
    return sp.Piecewise((1 - sp.Abs(j - BIL_CENTRE) / f, sp.And(sp.Ge(j, 0), sp.Le(j, BIL_K - 1))), (0, True))


BIL_X = q + (e + sp.Rational(1, 2)) / f - sp.Rational(1, 2)
BIL_I0 = sp.floor(BIL_X)
BIL_LAMBDA = BIL_X - BIL_I0


def interp_weight(cc):
    """Interpolation weight of input ``cc`` at output f q + e."""
    return (1 - BIL_LAMBDA) * sp.KroneckerDelta(cc, BIL_I0) + BIL_LAMBDA * sp.KroneckerDelta(cc, BIL_I0 + 1)


_BIL_PAIRS = ((0, q), (-1, q + 1), (1, q - 1), (D_, q - D_), (-D_, q + D_))    # (Delta, input c = q - Delta)
BIL_STATEMENT = sp.And(*(sp.Eq(bil_weight(e + BIL_P + dl * f), interp_weight(cc)) for dl, cc in _BIL_PAIRS))


def _bil_weights_theorem(name: str, parity: int) -> None:
    nval = 2 * n + parity
    if parity == 1:
        phases = (({e: n + u_}, (Range(u_, 0, n),)), ({e: n - 1 - u_}, (Range(u_, 0, n - 1),)))
    else:
        phases = (({e: n + u_}, (Range(u_, 0, n - 1),)), ({e: n - 1 - u_}, (Range(u_, 0, n - 1),)))

    def proof() -> list:
        return [step(bil_weight(e + BIL_P + dl * f), interp_weight(cc), "cases",
                     "phase e >= n (x = q + ...) or e < n (x = q - 1 + ...)", cases=phases)
                for dl, cc in _BIL_PAIRS]

    register(Theorem(
        name=name,
        title=f"Bilinear, {'odd' if parity else 'even'} f: the transposed conv's weight for input q - Delta at output "
              "f q + e equals the interpolation weight (Delta = 0, +-1, and 0 for |Delta| >= 2)",
        statement=BIL_STATEMENT, equalities=((f, nval),),
        assumptions=(Range(e, 0, f - 1), Range(n, lo=1 - parity), Range(D_, lo=2)),
        proof=proof, family=12, kind="lemma",
        grid=Grid("f <= 8 of this parity, q in [1, 4], e in [0, f-1], Delta in [-3, 3]",
                  lambda: [{"f": f_, "e": e_, "delta": dl} for f_ in range(1 + (1 - parity), 9, 2)
                           for e_ in range(f_) for dl in range(-3, 4)],
                  _bil_kernel_weight, _bil_interp_weight),
        reference="FCN surgery.upsample_filt; PyTorch upsample_linear1d (align_corners=False)",
    ))


def _bil_kernel_weight(cfg: dict):
    """derive.bilinear_kernel's value at m + P - c f (0 outside), for q = 2."""
    from ..derive import bilinear_kernel
    f_, e_, dl = cfg["f"], cfg["e"], cfg["delta"]
    size = 2 * f_ - f_ % 2
    j_ = e_ + (f_ - 1 + 1) // 2 + dl * f_
    return bilinear_kernel(size)[j_] if 0 <= j_ < size else 0


@lru_cache(maxsize=None)
def _linear_matrix(f_: int):
    return upsample_matrix(8, scale_factor=f_, mode="linear")


def _bil_interp_weight(cfg: dict):
    """upsample_matrix's (linear, align_corners=False) weight of input 2 - Delta at output 2 f + e."""
    f_, e_, dl = cfg["f"], cfg["e"], cfg["delta"]
    return _linear_matrix(f_)[2 * f_ + e_, 2 - dl]


_bil_weights_theorem("bilinear_weights_odd", 1)
_bil_weights_theorem("bilinear_weights_even", 0)


def _bil_cfgs() -> list:
    one = [{"i": i_, "f": f_} for f_ in range(1, 5) for i_ in range(1, 13)]
    two = [{"i": (ih, iw), "f": f_} for f_ in range(1, 5) for ih in range(1, 8) for iw in range(1, 8)]
    return sorted(one + two, key=lambda cfg: (sum(G.as_tuple(cfg["i"])) + cfg["f"], str(cfg)))


@lru_cache(maxsize=None)
def _bil_pieces(i_, f_: int) -> tuple:
    sizes = G.as_tuple(i_)
    ndim = len(sizes)
    mode = "linear" if ndim == 1 else "bilinear"
    U = upsample_matrix(i_, scale_factor=f_, mode=mode, format="numpy")
    spec, weight = bilinear_as_transpose(f_, ndim=ndim, input_size=i_)
    T = matrix_of(spec, weight.astype(float), "numpy")
    padded = tuple(v + 2 for v in sizes)
    spec_p, _ = bilinear_as_transpose(f_, ndim=ndim, input_size=padded)
    Tp = matrix_of(spec_p, weight.astype(float), "numpy")
    return U, T, Tp


@G.per_config
def _bil_lhs(cfg: dict) -> tuple:
    sizes = G.as_tuple(cfg["i"])
    f_ = cfg["f"]
    U, T, Tp = _bil_pieces(cfg["i"], f_)
    yv = np.random.default_rng(12345).integers(1, 10**6, int(np.prod(sizes))).astype(float).reshape(sizes)
    differ = np.abs((U - T) @ yv.ravel()) > 1e-9
    fixed = (Tp @ np.pad(yv, 1, mode="edge").ravel()).reshape(tuple(f_ * (v + 2) for v in sizes))
    fixed = fixed[tuple(slice(f_, f_ * (v + 1)) for v in sizes)].ravel()
    return differ.reshape(tuple(f_ * v for v in sizes)), bool(np.allclose(fixed, U @ yv.ravel(), atol=1e-9))


def _bil_rhs(cfg: dict) -> tuple:
    sizes = G.as_tuple(cfg["i"])
    f_ = cfg["f"]
    band = bilinear_border(f_)
    masks = []
    for v in sizes:
        pos = np.arange(f_ * v)
        masks.append((pos < band) | (pos >= f_ * v - band))
    band_mask = masks[0]
    for mk in masks[1:]:
        band_mask = band_mask[:, None] | mk[None, :]
    if all(v == 1 for v in sizes):     # a single input sample: interpolation is constant, so is the conv inside
        pass
    return band_mask, True


register(Theorem(
    name="bilinear_as_transpose",
    title="Bilinear upsampling by f (align_corners=False) = depthwise transposed conv with FCN's bilinear kernel "
          "(size 2f - f mod 2, stride f, padding ceil((f-1)/2)) except on a border band of floor(f/2) outputs at "
          "each end of every axis; replicate-padding the input by 1 and cropping f outputs per side removes it",
    statement=sp.Eq(sp.Symbol("w_border"), sp.floor(f / 2), evaluate=False),
    uses=("bilinear_size", "bilinear_weights_odd", "bilinear_weights_even"), family=12,
    reason="the interior weights are proved (bilinear_weights_odd/even: every conv weight equals the interpolation "
           "weight when no clamping occurs); that the outputs differ exactly on the floor(f/2)-wide band (a statement "
           "about generic inputs, where clamping changes the value) and the replicate-pad fix are grid-checked only",
    grid=Grid("1-D i<=12 (mode linear), 2-D i<=7 per axis (bilinear), f<=4; generic input: the positions where "
              "upsample_matrix and the transposed conv differ are exactly the band, and the replicate-pad fix "
              "agrees everywhere", _bil_cfgs, _bil_lhs, _bil_rhs),
))


# --------------------------------------------------------------------------- family 13

i_t = sp.Symbol("i'", integer=True, positive=True)
OVERLAP = sp.Sum(sp.Sum(sp.KroneckerDelta(m, r * s + t * d - p_b), (r, 0, i_t - 1)), (t, 0, k - 1))
INNER = sp.Sum(sp.KroneckerDelta(m, r * s + t * d - p_b), (r, 0, i_t - 1))
PHASE = sp.Piecewise((1, sp.Eq(sp.Mod(m + p_b - t * d, s), 0)), (0, True))
N_OF = sp.Sum(PHASE, (t, 0, k - 1))


def _periodic_proof() -> list:
    from .rules import guarded_delta_sum
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
    o_ = (cfg["i"] + cfg["p_b"] + cfg["p_a"] - cfg["d"] * (cfg["k"] - 1) - 1) // cfg["s"] + 1
    return range(cfg["d"] * (cfg["k"] - 1) - cfg["p_b"], cfg["s"] * (o_ - 1) - cfg["p_b"] + 1)


@G.per_config
def _periodic_lhs(cfg: dict) -> list:
    cnt = _overlap(cfg)
    inner = [v for v in _interior(cfg) if 0 <= v < len(cnt)]
    return [int(cnt[v + cfg["s"]] - cnt[v]) for v in inner if v + cfg["s"] in inner]


register(Theorem(
    name="checkerboard_periodic",
    title="Checkerboard: in the interior the number of (input, tap) pairs writing output m of a transposed conv "
          "is N(m) = #{t : s | m + p_b - t d}, periodic in m with period s",
    statement=sp.And(sp.Eq(OVERLAP, N_OF), sp.Eq(N_OF.xreplace({m: m + s}), N_OF)),
    assumptions=(Range(m, d * (k - 1) - p_b, s * (i_t - 1) - p_b),),
    proof=_periodic_proof, uses=("transpose_is_scatter",), family=13,
    grid=Grid(G.GRID_1D + "; overlap = nonzeros per row of the model's transposed matrix; differences N(m+s) - "
              "N(m) over the interior", _overlap_cfgs, _periodic_lhs, lambda cfg: [0] * len(_periodic_lhs(cfg))),
    reference="Odena, Dumoulin & Olah, Deconvolution and Checkerboard Artifacts",
))


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


register(Theorem(
    name="checkerboard_uniform",
    title="Checkerboard (d = 1): if s divides k, every interior output is written by exactly k/s (input, tap) "
          "pairs",
    statement=sp.Eq(N_ONE, n),
    assumptions=(Range(n, lo=1),),
    proof=_uniform_proof, uses=("checkerboard_periodic",), family=13,
    grid=Grid(G.GRID_1D + " with d = 1, s | k and an interior of at least s outputs; the model's overlap counts",
              _uniform_d1_cfgs, _interior_values, lambda cfg: [cfg["k"] // cfg["s"]]),
    reference="Odena, Dumoulin & Olah, Deconvolution and Checkerboard Artifacts",
))


register(Theorem(
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
))
