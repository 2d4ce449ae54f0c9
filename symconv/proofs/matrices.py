r"""Matrix theorems: conv as a matrix (2), adjointness and the scatter definition (3), the
forward/backward swap (4), zero insertion (6), dilated kernels (7), N-D Kronecker structure and
channel groups (8).

Entries are stated for symbolic sizes with the core model's index formulas
(:func:`symconv.index.entry_delta_sum` and :func:`symconv.index.entry_formula`); the zero-padded input is
:math:`\tilde x_m = \sum_c \delta(m, c + p_b)\, x_c`, a zero-inserted one :math:`u_m = \sum_r \delta(m, r s)\, y_r`.

Examples
--------
>>> from symconv.proofs import prove
>>> prove("adjoint", grid="quick").status
'proved'
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from .. import shapes
from ..transforms import as_direct_conv, dilated_kernel, flip_kernel, transpose_of, undilated, zero_insert
from ..index import entry_delta_sum, entry_formula
from ..matrix import matrix_of
from ..spec import ConvSpec, ConvTransposeSpec
from ..symbols import a, c, d, i, k, o, p_a, p_b, r, s
from . import grid as G
from .decide import Range
from .theorem_types import Grid, Theorem, step

__all__ = ["ENTRY", "DELTA_ENTRY", "CONV_DEF", "SCATTER", "THEOREMS"]

x, y, g, w = (sp.IndexedBase(name) for name in "xygw")
j = sp.Symbol("j", integer=True, nonnegative=True)
tau = sp.Symbol("tau", integer=True, nonnegative=True)
m = sp.Symbol("m", integer=True, nonnegative=True)

SPEC = ConvSpec(k, stride=s, padding=((p_b, p_a),), dilation=d)
DELTA_ENTRY = entry_delta_sum(SPEC, r=(r,), c=(c,), weight=w)
t = DELTA_ENTRY.limits[0][0]
ENTRY = entry_formula(SPEC, r=(r,), c=(c,), weight=w)

#: The convolution by definition (cross-correlation of the zero-padded input), output r.
CONV_DEF = sp.Sum(w[t] * sp.Sum(sp.KroneckerDelta(r * s + t * d, c + p_b) * x[c], (c, 0, i - 1)), (t, 0, k - 1))
#: The transposed convolution by its scatter definition: input r adds w_t y_r to output r s + t d - p_b.
SCATTER = sp.Sum(sp.Sum(w[t] * y[r] * sp.KroneckerDelta(c, r * s + t * d - p_b), (t, 0, k - 1)), (r, 0, o - 1))
# Inside sums the entry is used in its delta form: SymPy's piecewise_fold pulls a Piecewise out of an
# inner Sum even when its condition mentions the inner summation variable (a SymPy bug), so a
# Piecewise entry never appears inside nested sums; conv_matrix_entry ties the two forms.
CX = sp.Sum(DELTA_ENTRY * x[c], (c, 0, i - 1))              # (C x)_r
CTY = sp.Sum(DELTA_ENTRY * y[r], (r, 0, o - 1))             # (C^T y)_c


# --------------------------------------------------------------------------- grid helpers


def _both() -> list:
    return list(G.relation_configs(1)) + list(G.relation_configs(2))


@lru_cache(maxsize=None)
def _entry_fn():
    (value, cond), _ = ENTRY.args
    rr, cc = sp.symbols("rr cc", integer=True)
    args = (rr, cc, k, s, d, p_b)
    cond_fn = sp.lambdify(args, cond.xreplace({r: rr, c: cc}), "numpy")
    tap_fn = sp.lambdify(args, sp.expand(value.indices[0] * d).xreplace({r: rr, c: cc}), "numpy")
    return cond_fn, tap_fn


_BLOCK = 48     # rows/columns of the cached evaluation of the entry formula (the grids need <= 36)


@lru_cache(maxsize=None)
def _entry_block(k_: int, s_: int, d_: int, pb: int, rows: int, cols: int) -> np.ndarray:
    """The entry formula (lambdified) at every ``0 <= r < rows``, ``0 <= c < cols``: the tap ``t`` of
    ``C[r, c]``, or -1 where the entry is 0. It depends on ``(r, c, k, s, d, p_b)`` only."""
    cond_fn, tap_fn = _entry_fn()
    rr, cc = np.arange(rows)[:, None], np.arange(cols)[None, :]
    ok = np.broadcast_to(np.asarray(cond_fn(rr, cc, k_, s_, d_, pb), dtype=bool), (rows, cols))
    tap = np.where(ok, np.broadcast_to(np.asarray(tap_fn(rr, cc, k_, s_, d_, pb)), (rows, cols)) // d_, -1)
    tap.setflags(write=False)
    return tap


def _entry_taps(axis: tuple) -> np.ndarray:
    """One axis of the entry formula: the ``(o, i)`` block of :func:`_entry_block`."""
    i_, k_, s_, d_, pb, pa = axis
    # Deliberately written from the definition, independent of the library (issue 11): the window count.
    o_ = (i_ + pb + pa - d_ * (k_ - 1) - 1) // s_ + 1
    size = max(_BLOCK, o_, i_)
    return _entry_block(k_, s_, d_, pb, size, size)[:o_, :i_]


def _entry_matrix(cfg: dict) -> np.ndarray:
    """The matrix evaluated from the statement's entry formula (lambdified), Kronecker over axes."""
    axes = G.axes_of(cfg)
    axes_taps = [(_entry_taps(ax), ax[1]) for ax in axes]
    weight = G.weight_of(tuple(kk for _, kk in axes_taps))
    if len(axes_taps) == 1:
        tap = axes_taps[0][0]
        return np.where(tap >= 0, weight.ravel()[np.maximum(tap, 0)], 0)
    flat, valid = np.zeros((1, 1), dtype=np.int64), np.ones((1, 1), dtype=bool)
    for tap, kk in axes_taps:
        flat = (flat[:, None, :, None] * kk + np.maximum(tap, 0)[None, :, None, :])
        valid = valid[:, None, :, None] & (tap >= 0)[None, :, None, :]
        flat = flat.reshape(flat.shape[0] * flat.shape[1], -1)
        valid = valid.reshape(flat.shape)
    return np.where(valid, weight.ravel()[flat], 0)


@G.per_config
def _model_and_apply(cfg: dict) -> tuple:
    C = G.conv_C(cfg)
    xv = G.probe(C.shape[1])
    return C, C @ xv


@G.per_config
def _formula_and_direct(cfg: dict) -> tuple:
    """The entry formula's matrix, and the direct definition applied to x (via its Jacobian: the
    definition applied to every unit input)."""
    J = G.jacobian(cfg)
    return _entry_matrix(cfg), J @ G.probe(J.shape[1])


# --------------------------------------------------------------------------- family 2


def _conv_matrix_proof() -> list:
    exchanged = sp.Sum(x[c] * sp.Sum(w[t] * sp.KroneckerDelta(r * s + t * d, c + p_b), (t, 0, k - 1)), (c, 0, i - 1))
    return [
        step(DELTA_ENTRY, ENTRY, "guarded-delta-sum", "the tap t = (c + p_b - r s)/d exists iff d | q and 0 <= q <= d(k-1)"),
        step(CONV_DEF, exchanged, "sum-exchange", "finite sums commute"),
        step(exchanged, CX, "delta-normal", "delta(rs + td, c + p_b) = delta(c, rs + td - p_b)"),
    ]


CONV_MATRIX_ENTRY = Theorem(
    name="conv_matrix_entry",
    title="Conv as a matrix: y = C x with C[r, c] = w_{(c + p_b - r s)/d} iff d | (c + p_b - r s) and "
          "0 <= c + p_b - r s <= d(k-1), else 0",
    statement=sp.And(sp.Eq(DELTA_ENTRY, ENTRY), sp.Eq(CONV_DEF, CX)),
    proof=_conv_matrix_proof, family=2, kind="lemma",
    grid=Grid(G.GRID_1D + "; " + G.GRID_2D + "; the model's C and C x vs the lambdified entry formula and the "
              "direct gather definition", _both, _model_and_apply, _formula_and_direct,
              prepare=G.prewarm_models),
    reference="Dumoulin & Visin, 'Convolution as a matrix operation'",
)


# --------------------------------------------------------------------------- family 3

ADJ_LHS = sp.Sum(y[r] * CX, (r, 0, o - 1))
ADJ_RHS = sp.Sum(x[c] * CTY, (c, 0, i - 1))


@G.per_config
def _adjoint_pair(cfg: dict) -> tuple:
    C, T = G.conv_C(cfg), G.conv_T(cfg)
    xv, yv = G.probe(C.shape[1]), G.probe(C.shape[0], 5)
    return int((C @ xv) @ yv), int(xv @ (T @ yv))


ADJOINT = Theorem(
    name="adjoint",
    title="Adjointness <C x, y> = <x, C^T y>, C^T y computed by the transposed conv",
    statement=sp.Eq(ADJ_LHS, ADJ_RHS),
    proof=lambda: [step(ADJ_LHS, ADJ_RHS, "sum-exchange", "finite sums commute")],
    uses=("conv_matrix_entry", "transpose_is_scatter"), family=3,
    grid=Grid(G.GRID_1D + "; " + G.GRID_2D + "; transposed layer with the restoring output padding",
              _both, lambda cfg: _adjoint_pair(cfg)[0], lambda cfg: _adjoint_pair(cfg)[1], prepare=G.prewarm_models),
)


def _scatter_proof() -> list:
    return [step(SCATTER, CTY, "sum-exchange", "collect the taps of each input: the column c of C")]


TRANSPOSE_IS_SCATTER = Theorem(
    name="transpose_is_scatter",
    title="The scatter definition of the transposed conv has matrix exactly C^T",
    statement=sp.Eq(SCATTER, CTY),
    proof=_scatter_proof, uses=("conv_matrix_entry",), family=3, kind="lemma",
    grid=Grid(G.GRID_1D + "; " + G.GRID_2D + "; conv_transpose_matrix (scatter) vs conv_matrix(...).T",
              _both, G.conv_T, lambda cfg: G.conv_C(cfg).T, prepare=G.prewarm_models),
)


# --------------------------------------------------------------------------- family 4

LOSS_X = sp.Sum(g[r] * CX, (r, 0, o - 1))
LOSS_Y = sp.Sum(g[c] * CTY, (c, 0, i - 1))


def _swap_conv_proof() -> list:
    d1 = sp.Sum(g[r] * sp.Sum(DELTA_ENTRY * sp.KroneckerDelta(c, j), (c, 0, i - 1)), (r, 0, o - 1))
    d2 = sp.Sum(g[r] * DELTA_ENTRY.xreplace({c: j}), (r, 0, o - 1))
    return [
        step(sp.Derivative(LOSS_X, x[j]), d1, "differentiate", "d x_c / d x_j = delta(c, j)", wrt=x[j]),
        step(d1, d2, "delta-sum", "0 <= j <= i - 1", var=c),
        step(d2, SCATTER.xreplace({y: g, c: j}), "sum-exchange", "the scatter of g: (C^T g)_j"),
    ]


@G.per_config
def _grad_pair(cfg: dict) -> tuple:
    J = G.jacobian(cfg)
    gv = G.probe(J.shape[0], 2)
    return J.T @ gv, G.conv_T(cfg) @ gv


SWAP_CONV_GRADIENT = Theorem(
    name="swap_conv_gradient",
    title="The gradient of a conv layer w.r.t. its input is the transposed conv of the upstream gradient",
    statement=sp.Eq(sp.Derivative(LOSS_X, x[j]), SCATTER.xreplace({y: g, c: j})),
    assumptions=(Range(j, 0, i - 1),), proof=_swap_conv_proof, uses=("conv_matrix_entry", "transpose_is_scatter"),
    family=4,
    grid=Grid(G.GRID_1D + "; " + G.GRID_2D + "; gradient = Jacobian of the direct definition applied to g",
              _both, lambda cfg: _grad_pair(cfg)[0], lambda cfg: _grad_pair(cfg)[1], prepare=G.prewarm_models),
)


def _swap_transpose_proof() -> list:
    d1 = sp.Sum(g[c] * sp.Sum(DELTA_ENTRY * sp.KroneckerDelta(r, j), (r, 0, o - 1)), (c, 0, i - 1))
    d2 = sp.Sum(g[c] * DELTA_ENTRY.xreplace({r: j}), (c, 0, i - 1))
    return [
        step(sp.Derivative(LOSS_Y, y[j]), d1, "differentiate", "d y_r / d y_j = delta(r, j)", wrt=y[j]),
        step(d1, d2, "delta-sum", "0 <= j <= o - 1", var=r),
        step(d2, CONV_DEF.xreplace({x: g, r: j}), "use", "y = C x (the conv of g at j)", eq=(CONV_DEF, CX),
             inst={x: g, r: j}),
    ]


@G.per_config
def _grad_t_pair(cfg: dict) -> tuple:
    T = G.conv_T(cfg)
    gv = G.probe(T.shape[0], 4)
    # the gradient of g . (T y) w.r.t. y is T^T g (the scatter applied to every unit input e_j is column
    # j of T: its Jacobian is T itself); the direct definition of the conv applied to g is that
    # definition's Jacobian (built once per configuration) times g
    return T.T @ gv, G.jacobian(cfg) @ gv


SWAP_TRANSPOSE_GRADIENT = Theorem(
    name="swap_transpose_gradient",
    title="The gradient of a transposed conv layer is the conv of the upstream gradient",
    statement=sp.Eq(sp.Derivative(LOSS_Y, y[j]), CONV_DEF.xreplace({x: g, r: j})),
    assumptions=(Range(j, 0, o - 1),), proof=_swap_transpose_proof, uses=("conv_matrix_entry",), family=4,
    grid=Grid(G.GRID_1D + "; " + G.GRID_2D + "; gradient of the scatter layer vs the direct conv of g",
              _both, lambda cfg: _grad_t_pair(cfg)[0], lambda cfg: _grad_t_pair(cfg)[1],
              prepare=G.prewarm_models),
)


# --------------------------------------------------------------------------- family 6

_T_SYM = ConvTransposeSpec(k, s, ((p_b, p_a),), a, d)
PAD_B = as_direct_conv(_T_SYM).padding[0][0]                      # d(k-1) - p_b
DIRECT_DEF = sp.Sum(w[k - 1 - tau] * sp.Sum(sp.KroneckerDelta(c + tau * d - PAD_B, r * s) * y[r], (r, 0, o - 1)),
                    (tau, 0, k - 1))


def _zero_insertion_proof() -> list:
    s1 = sp.Sum(w[t] * sp.Sum(sp.KroneckerDelta(c + (k - 1 - t) * d - PAD_B, r * s) * y[r], (r, 0, o - 1)),
                (t, 0, k - 1))
    s2 = sp.Sum(w[t] * sp.Sum(sp.KroneckerDelta(c, r * s + t * d - p_b) * y[r], (r, 0, o - 1)), (t, 0, k - 1))
    return [
        step(DIRECT_DEF, s1, "reindex", "flip: tau = k - 1 - t", old=tau, new=t, old_of_new=k - 1 - t),
        step(s1, s2, "delta-normal", "c + (k-1-t)d - (d(k-1) - p_b) - r s = c - (r s + t d - p_b)"),
        step(s2, SCATTER, "sum-exchange", "finite sums commute"),
    ]


@G.per_config
def _direct_side(cfg: dict) -> np.ndarray:
    """transforms' recipe run by the direct (gather) definition: zero-insert, pad, flipped kernel, stride 1."""
    cfg = G.restoring(cfg)
    tspec = G.tspec_of(cfg)
    dc = as_direct_conv(tspec)
    weight = flip_kernel(G.weight_of(tspec.kernel_size), ndim=tspec.ndim)
    yv = G.probe(math.prod(tspec.input_size), 6).reshape(tspec.input_size)
    u = zero_insert(yv, dc.stretch)
    axes = tuple((n, kk, 1, dd, pb, pa) for n, kk, dd, (pb, pa) in zip(u.shape, dc.kernel_size, dc.dilation, dc.padding))
    return G.direct_conv(u, weight, axes).ravel()


@G.per_config
def _scatter_side(cfg: dict) -> np.ndarray:
    T = G.conv_T(cfg)
    return T @ G.probe(T.shape[1], 6)


ZERO_INSERTION = Theorem(
    name="zero_insertion",
    title="Transposed conv = stride-1 conv (same dilation) of the input with s-1 zeros inserted, padded by "
          "d(k-1)-p_b and d(k-1)-p_a+a, with the flipped kernel",
    statement=sp.Eq(DIRECT_DEF, SCATTER),
    proof=_zero_insertion_proof, uses=("transpose_is_scatter", "transpose_output_size"), family=6,
    grid=Grid(G.GRID_1D + "; " + G.GRID_2D + "; transforms.as_direct_conv run by the direct definition vs the model's "
              "conv_transpose_matrix (restoring output padding)", _both, _direct_side, _scatter_side,
              prepare=G.prewarm_models),
    reference="Dumoulin & Visin Rel. 12-14 (with the kernel flip they omit)",
)


# --------------------------------------------------------------------------- family 7

jj = sp.Symbol("q", integer=True, nonnegative=True)
UNDILATED_DEF = sp.Sum(sp.Sum(w[t] * sp.KroneckerDelta(jj, t * d), (t, 0, k - 1))
                       * sp.Sum(sp.KroneckerDelta(r * s + jj, c + p_b) * x[c], (c, 0, i - 1)), (jj, 0, d * (k - 1)))
UNDILATED_SIZE = shapes.window_count_axis(i, shapes.effective_kernel(k, d), s, p_b, p_a, 1)


def _dilated_proof() -> list:
    nested = sp.Sum(w[t] * sp.Sum(sp.Sum(sp.KroneckerDelta(jj, t * d) * sp.KroneckerDelta(r * s + jj, c + p_b) * x[c],
                                         (jj, 0, d * (k - 1))), (c, 0, i - 1)), (t, 0, k - 1))
    return [
        step(UNDILATED_DEF, nested, "sum-exchange", "finite sums commute"),
        step(nested, CONV_DEF, "delta-sum", "q = t d lies in [0, d(k-1)]", var=jj),
        step(UNDILATED_SIZE, SPEC.with_input(i).output_size[0], "algebra", "same span d(k-1)+1"),
    ]


@G.per_config
def _undilated_side(cfg: dict) -> np.ndarray:
    """transforms.undilated + dilated_kernel run by the direct definition (dilation 1)."""
    spec = undilated(G.spec_of(cfg))
    xv = G.probe(math.prod(spec.input_size), 8)
    kernel = dilated_kernel(G.weight_of(G.spec_of(cfg).kernel_size), G.spec_of(cfg).dilation)
    axes = tuple((n, kk, ss, 1, pb, pa) for n, kk, ss, (pb, pa) in
                 zip(spec.input_size, spec.kernel_size, spec.stride, spec.padding))
    return G.direct_conv(xv.reshape(spec.input_size), kernel, axes).ravel()


@G.per_config
def _dilated_model(cfg: dict) -> np.ndarray:
    C = G.conv_C(cfg)
    return C @ G.probe(C.shape[1], 8)


DILATED_KERNEL = Theorem(
    name="dilated_kernel",
    title="Dilated conv = conv with the zero-inserted kernel of size d(k-1)+1",
    statement=sp.And(sp.Eq(UNDILATED_DEF, CONV_DEF), sp.Eq(UNDILATED_SIZE, SPEC.with_input(i).output_size[0])),
    proof=_dilated_proof, uses=("conv_matrix_entry",), family=7,
    grid=Grid(G.GRID_1D + " and " + G.GRID_2D + " with d > 1 on some axis; transforms.undilated + dilated_kernel "
              "by the direct definition vs the model's dilated C", lambda: [cfg for cfg in _both()
                                                                         if max(G.as_tuple(cfg["d"])) > 1],
              _undilated_side, _dilated_model),
    reference="Dumoulin & Visin Rel. 15",
)


# --------------------------------------------------------------------------- the entry relation, quantifier-free

#: The offset q = c + p_b - r s of input c in output r's window, and the guard the entry formula uses (written
#: literally): a tap reads c exactly when d divides q and 0 <= q <= d(k - 1).
#: The statement is over any integer q (fewer unknowns for Z3: the products r s only shift q); the entry
#: formula instantiates it at q = c + p_b - r s.
Q_OFFSET = sp.Symbol("q", integer=True)
ENTRY_GUARD = sp.And(sp.Eq(sp.Mod(Q_OFFSET, d), 0), sp.Ge(Q_OFFSET, 0), sp.Le(Q_OFFSET, d * (k - 1)))
t_any = sp.Symbol("t", integer=True)
TAP = sp.floor(Q_OFFSET / d)


def _reads(tap):
    """Tap ``tap`` of the kernel reads offset q: q = t d with 0 <= t <= k - 1 (c = r s + t d - p_b)."""
    return sp.And(sp.Eq(Q_OFFSET, tap * d), sp.Ge(tap, 0), sp.Le(tap, k - 1))


def _relation_lhs(cfg: dict) -> np.ndarray:
    """Where the model's C has an entry, and which tap (weights 1..k): -1 where it is 0."""
    return G.conv_C(cfg).astype(np.int64) - 1


def _relation_rhs(cfg: dict) -> np.ndarray:
    """The guard evaluated by brute force over every tap t (the definition c = r s + t d - p_b)."""
    (i_, k_, s_, d_, pb, pa), = G.axes_of(cfg)
    o_ = G.count_windows(i_, k_, s_, d_, pb, pa)
    out = np.full((o_, i_), -1, dtype=np.int64)
    for rr in range(o_):
        for tt in range(k_):
            cc = rr * s_ + tt * d_ - pb
            if 0 <= cc < i_:
                out[rr, cc] = tt
    return out


ENTRY_RELATION = Theorem(
    name="entry_relation",
    title="The entry relation, quantifier-free: some tap t in [0, k-1] has c = r s + t d - p_b exactly when "
          "d | q and 0 <= q <= d(k-1) for q = c + p_b - r s, and then t = floor(q/d)",
    statement=sp.And(sp.Implies(_reads(t_any), ENTRY_GUARD), sp.Implies(ENTRY_GUARD, _reads(TAP))),
    proof=None, family=2, kind="lemma",
    reason="no step proof; nonlinear in r s and t d, so Z3 answers within a bounded box (see smt)",
    grid=Grid(G.GRID_1D + "; lhs the tap of each nonzero entry of the model's C, rhs the definition by brute force "
              "over the taps", lambda: list(G.relation_configs(1)), _relation_lhs, _relation_rhs),
    reference="Dumoulin & Visin, Sec. 2; the divisibility guard SymPy's delta summation drops",
)


# --------------------------------------------------------------------------- family 8

r1, r2, c1, c2 = sp.symbols("r_0 r_1 c_0 c_1", integer=True, nonnegative=True)
k1, k2, s1, s2, d1, d2 = sp.symbols("k_0 k_1 s_0 s_1 d_0 d_1", integer=True, positive=True)
pb1, pb2 = sp.symbols("p_b0 p_b1", integer=True, nonnegative=True)
SPEC2 = ConvSpec((k1, k2), (s1, s2), ((pb1, 0), (pb2, 0)), (d1, d2))
ENTRY2 = entry_delta_sum(SPEC2, r=(r1, r2), c=(c1, c2), weight=w)
t1, t2 = (lim[0] for lim in ENTRY2.limits)
SEL1 = sp.KroneckerDelta(c1, r1 * s1 + t1 * d1 - pb1)
SEL2 = sp.KroneckerDelta(c2, r2 * s2 + t2 * d2 - pb2)
KRON = sp.Sum(w[t1, t2] * SEL1 * SEL2, (t1, 0, k1 - 1), (t2, 0, k2 - 1))
#: the sum of Kronecker products of the transposed selections S_j(t)^T[c, r] (row index first), at ((c1,c2),(r1,r2))
KRON_T = sp.Sum(w[t1, t2] * sp.KroneckerDelta(r1 * s1 + t1 * d1 - pb1, c1) * sp.KroneckerDelta(r2 * s2 + t2 * d2 - pb2, c2),
                (t1, 0, k1 - 1), (t2, 0, k2 - 1))


@G.per_config
def _kron_side(cfg: dict) -> tuple:
    """sum over taps of w_t kron(S_0(t0), S_1(t1)), from the 1-D model matrices (weights 1..k)."""
    axes = G.axes_of(cfg)
    mats = [G.conv_C(dict(zip(("i", "k", "s", "d", "p_b", "p_a"), ax))) for ax in axes]
    weight = G.weight_of(tuple(ax[1] for ax in axes))
    # S_j(t)[r, c] = [C_j[r, c] = t + 1]; kron(A, B)[(r0, r1), (c0, c1)] = A[r0, c0] B[r1, c1] (row-major)
    sel = [(M[None] == np.arange(1, kk + 1)[:, None, None]).astype(np.int64) for M, kk in zip(mats, weight.shape)]
    if len(sel) == 2:
        (o0, i0), (o1, i1) = mats[0].shape, mats[1].shape
        total = np.einsum("ab,arc,bsd->rscd", weight, sel[0], sel[1]).reshape(o0 * o1, i0 * i1)
        return total, total.T
    total = 0
    for taps in np.ndindex(*weight.shape):
        term = sel[0][taps[0]]
        for S, tp in zip(sel[1:], taps[1:]):
            term = np.kron(term, S[tp])
        total = total + weight[taps] * term
    return total, total.T


#: The 2-D convolution's entry by definition (written literally, not from the library): output (r_0, r_1)
#: reads input (c_0, c_1) through tap (t_0, t_1) iff both coordinates match.
DEF2 = sp.Sum(sp.Piecewise((w[t1, t2], sp.And(sp.Eq(c1 + pb1, r1 * s1 + t1 * d1), sp.Eq(c2 + pb2, r2 * s2 + t2 * d2))),
                           (0, True)), (t1, 0, k1 - 1), (t2, 0, k2 - 1))

ND_KRONECKER = Theorem(
    name="nd_kronecker",
    title="N-D: C is the sum over kernel taps of w_t times Kronecker products of 1-D selection matrices, and "
          "C^T the same sum of Kronecker products of the transposed selections",
    statement=sp.And(sp.Eq(DEF2, KRON), sp.Eq(DEF2, KRON_T)),
    proof=None, uses=("conv_matrix_entry",), family=8,
    reason="the factorisation of the 2-D index condition into a product of 1-D deltas (the Kronecker structure) "
           "rests on the grid: the rules have no Piecewise-to-delta step; the entry form itself is "
           "conv_matrix_entry",
    grid=Grid(G.GRID_2D + "; the 2-D model C and transposed matrix vs Kronecker products of the 1-D model's "
              "selection matrices", lambda: list(G.relation_configs(2)),
              lambda cfg: (G.conv_C(cfg), G.conv_T(cfg)), _kron_side),
)

# channels and groups: output channel oc = gr*(C_out/G) + al reads input channel ic = gr*(C_in/G) + be
C_in, C_out, Gr = sp.symbols("C_in C_out G", integer=True, positive=True)
gr, al, be = sp.symbols("g alpha beta", integer=True, nonnegative=True)
C_in_t, C_out_t = sp.symbols("C_in' C_out'", integer=True, positive=True)   # the transposed layer's channels
W = sp.IndexedBase("W")
#: forward layer: weight W[oc, be, t] (layout (C_out, C_in/G, k)), entry between (oc, r) and (ic, c)
FWD_BLOCK = W[gr * (C_out / Gr) + al, (gr * (C_in / Gr) + be) - gr * (C_in / Gr), t]
#: transposed layer (input channels C_in' = C_out, outputs C_out' = C_in): input channel gr*(C_in'/G) + al
#: feeds output channel gr*(C_out'/G) + be through W'[in, out - gr*(C_out'/G), t] (layout (C_in', C_out'/G, k))
T_BLOCK = W[gr * (C_in_t / Gr) + al, (gr * (C_out_t / Gr) + be) - gr * (C_out_t / Gr), t]


def _groups_proof() -> list:
    subbed = T_BLOCK.xreplace({C_in_t: C_out, C_out_t: C_in})
    return [
        step(T_BLOCK, subbed, "substitute", "the transposed layer swaps the channel counts"),
        step(subbed, FWD_BLOCK, "algebra", "the same tensor, indexed (C_in', C_out'/G, k) = (C_out, C_in/G, k)"),
    ]


_CHANNELS = ((2, 4, 2), (3, 3, 3), (4, 2, 1), (2, 6, 2))     # (C_in, C_out, groups) of the forward conv


def _group_cfgs() -> list:
    first = [cfg for cfg in G.relation_configs(1) if cfg["i"] <= 7 and cfg["k"] <= 3 and cfg["s"] <= 3 and cfg["d"] <= 2]
    return [dict(cfg, channels=ch) for cfg in first for ch in _CHANNELS]


def _group_weight(cfg: dict) -> np.ndarray:
    cin, cout, groups = cfg["channels"]
    return np.arange(1, cout * (cin // groups) * cfg["k"] + 1).reshape(cout, cin // groups, cfg["k"])


def _group_lhs(cfg: dict) -> np.ndarray:
    cin, cout, groups = cfg["channels"]
    spec = ConvSpec(cfg["k"], cfg["s"], ((cfg["p_b"], cfg["p_a"]),), cfg["d"], cin, cout, groups, input_size=cfg["i"])
    return matrix_of(transpose_of(spec), _group_weight(cfg), "numpy")


def _group_rhs(cfg: dict) -> np.ndarray:
    """C^T assembled from single-channel blocks: block (oc, ic) = C(w[oc, ic local]) when in one group."""
    cin, cout, groups = cfg["channels"]
    weight = _group_weight(cfg)
    base = {kk: v for kk, v in cfg.items() if kk != "channels"}
    single = G.conv_C(base)                           # the model's single-channel C with weights 1..k
    selections = np.stack([(single == tap + 1).astype(np.int64) for tap in range(cfg["k"])])   # C = sum_t w_t S_t
    o_, i_ = single.shape
    # every block sum_t w[oc, ic local, t] S_t at once: shape (cout, cin/groups, o, i)
    blocks = np.tensordot(weight, selections, 1)
    full = np.zeros((cout * o_, cin * i_), dtype=np.int64)
    for oc in range(cout):
        grp = oc // (cout // groups)
        for be_ in range(cin // groups):
            ic = grp * (cin // groups) + be_
            full[oc * o_:(oc + 1) * o_, ic * i_:(ic + 1) * i_] = blocks[oc, be_]
    return full.T


CHANNEL_GROUPS = Theorem(
    name="channel_groups",
    title="Channels/groups: C is block-diagonal over groups with single-channel blocks C(w[oc, ic_local]); the "
          "transposed layer's weight is the same tensor indexed (C_in, C_out/groups, k...)",
    statement=sp.Eq(T_BLOCK, FWD_BLOCK),
    equalities=((C_in_t, C_out), (C_out_t, C_in)),
    proof=_groups_proof, uses=("transpose_is_scatter",), family=8,
    grid=Grid("1-D i<=7, k<=3, s<=3, d<=2, all paddings, times (C_in, C_out, G) in " + str(_CHANNELS)
              + "; transposed layer from transforms.transpose_of (model, with channels) vs C^T assembled from the "
              "model's single-channel selection matrices", _group_cfgs,
              _group_lhs, _group_rhs),
)


#: This module's theorems, in the catalogue's order (:mod:`symconv.proofs.catalogue`).
THEOREMS = (CONV_MATRIX_ENTRY, ADJOINT, TRANSPOSE_IS_SCATTER, SWAP_CONV_GRADIENT, SWAP_TRANSPOSE_GRADIENT, ZERO_INSERTION,
            DILATED_KERNEL, ENTRY_RELATION, ND_KRONECKER, CHANNEL_GROUPS)
