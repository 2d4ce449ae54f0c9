r"""Bilinear upsampling as a transposed convolution (family 12).

FCN's bilinear kernel (size 2f - f mod 2, stride f, padding ceil((f-1)/2)) upsamples by ``f``: the
transposed conv outputs ``f i`` (:data:`BILINEAR_SIZE`), each of its weights equals the interpolation
weight of PyTorch's ``align_corners=False`` linear upsampling away from the border
(:data:`BILINEAR_WEIGHTS_ODD`, :data:`BILINEAR_WEIGHTS_EVEN`), and the two differ only on a border band
(:data:`BILINEAR_AS_TRANSPOSE`, grid-checked). Outputs are evaluated at :math:`m = f q + e`
(:math:`0 \le e < f`), as in :mod:`symconv.proofs.pooling`.

Examples
--------
>>> from symconv.proofs import prove
>>> prove("bilinear_size", grid="quick").status
'proved'
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from .. import shapes
from ..transforms import bilinear_as_transpose, bilinear_border
from ..matrix import matrix_of, upsample_matrix
from ..symbols import i
from . import grid as G
from .decide import Range
from .pooling import e, f, n, q, u_
from .theorem_types import Grid, Theorem, step

__all__ = ["BIL_K", "BIL_P", "BIL_STATEMENT", "THEOREMS"]


# Deliberately written from the definition, independent of the library (issue 11):
# FCN's bilinear transposed conv, kernel 2f - f mod 2 and padding ceil((f-1)/2) (transforms.bilinear_as_transpose
# computes the same; the grid compares the two).
BIL_K = 2 * f - sp.Mod(f, 2)
BIL_P = sp.ceiling((f - 1) / 2)
BIL_SIZE = shapes.transpose_size_axis(i, BIL_K, f, BIL_P, BIL_P)


BILINEAR_SIZE = Theorem(
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
)


# The transposed conv's weight for input c at output m = f q + e is W(m + P - c f) with FCN's kernel
# W(j) = 1 - |j - centre|/f on 0 <= j <= K - 1 (centre f - 1 for odd f, f - 1/2 for even f; transforms.bilinear_kernel);
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


def _bil_weights_theorem(name: str, parity: int) -> Theorem:
    """The interior-weights lemma for f of one parity (1: odd, 0: even)."""
    nval = 2 * n + parity
    if parity == 1:
        phases = (({e: n + u_}, (Range(u_, 0, n),)), ({e: n - 1 - u_}, (Range(u_, 0, n - 1),)))
    else:
        phases = (({e: n + u_}, (Range(u_, 0, n - 1),)), ({e: n - 1 - u_}, (Range(u_, 0, n - 1),)))

    def proof() -> list:
        return [step(bil_weight(e + BIL_P + dl * f), interp_weight(cc), "cases",
                     "phase e >= n (x = q + ...) or e < n (x = q - 1 + ...)", cases=phases)
                for dl, cc in _BIL_PAIRS]

    return Theorem(
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
    )


def _bil_kernel_weight(cfg: dict):
    """transforms.bilinear_kernel's value at m + P - c f (0 outside), for q = 2."""
    from ..transforms import bilinear_kernel
    f_, e_, dl = cfg["f"], cfg["e"], cfg["delta"]
    # Deliberately written from the definition, independent of the library (issue 11): kernel size and padding.
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


BILINEAR_WEIGHTS_ODD = _bil_weights_theorem("bilinear_weights_odd", 1)
BILINEAR_WEIGHTS_EVEN = _bil_weights_theorem("bilinear_weights_even", 0)


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
    yv = np.random.default_rng(12345).integers(1, 10**6, math.prod(sizes)).astype(float).reshape(sizes)
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


BILINEAR_AS_TRANSPOSE = Theorem(
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
)


#: This module's theorems, in the catalogue's order (:mod:`symconv.proofs.catalogue`).
THEOREMS = (BILINEAR_SIZE, BILINEAR_WEIGHTS_ODD, BILINEAR_WEIGHTS_EVEN, BILINEAR_AS_TRANSPOSE)
