r"""Size theorems: conv output size (family 1) with Dumoulin & Visin's 15 relationships, transposed
sizes and the round trip (family 5), pooling with ``ceil_mode`` (family 9).

All statements read :mod:`symconv.shapes` (``window_count_axis``, ``transpose_size_axis``,
``lost_remainder_axis``) and :mod:`symconv.transforms` (the zero-insertion form); the proofs show that
those library expressions satisfy the defining properties, and the special cases are substitutions
into the general forms.

Examples
--------
>>> from symconv.proofs import prove
>>> [prove(f"dv_rel_{n:02d}").status for n in (1, 14, 15)]
['proved', 'proved', 'proved']
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import sympy as sp

from .. import shapes
from ..transforms import as_direct_conv
from ..spec import ConvTransposeSpec, MaxPoolSpec
from ..symbols import a, d, i, k, p, p_a, p_b, s
from . import grid as G
from .decide import Range
from .rules import library_function
from .theorem_types import Grid, Theorem, step

__all__ = ["CONV", "TRANS", "DIRECT", "L", "n", "i_t", "THEOREMS"]

#: Auxiliary integers: ``n`` (a quotient or half kernel), ``i_t`` the transposed layer's input, ``j`` an offset.
n = sp.Symbol("n", integer=True, nonnegative=True)
i_t = sp.Symbol("i'", integer=True, positive=True)
j = sp.Symbol("j", integer=True, nonnegative=True)

# The general forms, written literally from their definitions (Dumoulin & Visin Rel. 15 with
# asymmetric padding; PyTorch's ConvTransposeNd size; zero insertion with padding d(k-1) - p) -- never
# read from symconv.shapes or symconv.transforms: ``library_sizes`` is the theorem that those compute them.


def window_count(size, pad_before, pad_after, stride):
    """The number of windows of span d(k-1)+1 placed every ``stride`` on the padded input (literal)."""
    return sp.floor((size + pad_before + pad_after - (d * (k - 1) + 1)) / stride) + 1


L = i + p_b + p_a - (d * (k - 1) + 1)
CONV = window_count(i, p_b, p_a, s)
TRANS = s * (i_t - 1) + d * (k - 1) + 1 - p_b - p_a + a
#: the transposed conv as a direct conv: zero-inserted input of size s(i'-1)+1, padding d(k-1)-p_b before and
#: d(k-1)-p_a+a after, stride 1
DIRECT = window_count(s * (i_t - 1) + 1, d * (k - 1) - p_b, d * (k - 1) - p_a + a, 1)

FITS = Range(i, lo=d * (k - 1) + 1 - p_b - p_a)          # the kernel fits the padded input
PAD_LE = (Range(p_b, hi=d * (k - 1)), Range(p_a, hi=d * (k - 1)))      # every window meets the input
A_LT_S = Range(a, hi=s - 1)


# --------------------------------------------------------------------------- grids


def _conv_grid(lhs, rhs, configs=G.conv_configs, description=G.GRID_1D) -> Grid:
    return Grid(description, configs, lhs, rhs)


def _count(cfg: dict) -> int:
    return G.count_windows(cfg["i"], cfg["k"], cfg["s"], cfg["d"], cfg["p_b"], cfg["p_a"])


def _model_conv_size(cfg: dict) -> int:
    return shapes.window_count_axis(cfg["i"], cfg["k"], cfg["s"], cfg["p_b"], cfg["p_a"], cfg["d"])


@lru_cache(maxsize=None)
def _transposed_cfgs_cached() -> tuple:
    return tuple(_transposed_cfgs_build())


def _transposed_cfgs() -> list:
    """Transposed layers by their own input ``i`` (key ``i``), every valid output padding."""
    return list(_transposed_cfgs_cached())


def _transposed_cfgs_build() -> list:
    """Transposed layers by their own input ``i`` (key ``i``), every valid output padding."""
    out = []
    for ax in G.conv_axes():
        i_, k_, s_, d_, pb, pa = ax
        for a_ in range(max(s_, d_)):
            if shapes.transpose_size_axis(i_, k_, s_, pb, pa, d_, a_) >= 1:
                out.append({"i": i_, "k": k_, "s": s_, "d": d_, "p_b": pb, "p_a": pa, "a": a_})
    return out


def _model_transpose_size(cfg: dict) -> int:
    return shapes.transpose_size_axis(cfg["i"], cfg["k"], cfg["s"], cfg["p_b"], cfg["p_a"], cfg["d"], cfg["a"])


def _scatter(cfg: dict) -> int:
    return G.scatter_length(cfg["i"], cfg["k"], cfg["s"], cfg["d"], cfg["p_b"], cfg["p_a"], cfg["a"])


# --------------------------------------------------------------------------- family 1


def _conv_size_proof() -> list:
    F = sp.floor(L / s)
    return [
        step(s * (CONV - 1), s * F, "algebra", "o - 1 is the quotient"),
        step(s * F, L - sp.Mod(L, s), "floor-mod", "division with remainder"),
        step(L - sp.Mod(L, s), L, "bound", "a remainder is >= 0", rel="<="),
        step(s * CONV, L - sp.Mod(L, s) + s, "floor-mod", "division with remainder"),
        step(L - sp.Mod(L, s) + s, L, "bound", "a remainder is < s", rel=">"),
    ]


CONV_OUTPUT_SIZE = Theorem(
    name="conv_output_size",
    title=r"Conv output size: the windows r = 0..o-1 are exactly those with r s <= i + p_b + p_a - d(k-1) - 1",
    statement=sp.And(sp.Le(s * (CONV - 1), L), sp.Gt(s * CONV, L)),
    assumptions=(FITS,),
    proof=_conv_size_proof,
    grid=_conv_grid(_count, _model_conv_size),
    family=1, kind="lemma",
    reference="Dumoulin & Visin Rel. 15 with asymmetric padding; PyTorch _conv_output_size",
)


def _special(name: str, rel: int, title: str, general, formula, equalities: dict, uses: tuple,
             extra_ranges: tuple = (), grid: Grid | None = None) -> Theorem:
    """A special case of Dumoulin & Visin: the general size forms with the case's values substituted."""
    eqs = tuple(equalities.items())

    def proof() -> list:
        out = []
        for gen, target in zip(general, formula):
            subbed = sp.sympify(gen).xreplace(dict(eqs))
            out.append(step(gen, subbed, "substitute", "the special case's values"))
            out.append(step(subbed, target, "algebra", "simplify"))
        return out

    statement = sp.And(*(sp.Eq(g, f, evaluate=False) for g, f in zip(general, formula)))
    return Theorem(name=name, title=f"D&V Rel. {rel}: {title}", statement=statement,
                   assumptions=extra_ranges, equalities=eqs, proof=proof, uses=uses, family=1,
                   grid=grid, reference=f"Dumoulin & Visin, relationship {rel}")


def _special_grid(conditions, formula_fn) -> Grid:
    """The 1-D grid restricted to a special case; lhs the model's size, rhs the paper's formula."""
    def configs() -> list:
        return [c for c in G.conv_configs() if conditions(c)]
    return Grid(G.GRID_1D + " (restricted to the special case)", configs, _model_conv_size, formula_fn)


def _special_t_grid(conditions, formula_fn) -> Grid:
    def configs() -> list:
        return [c for c in _transposed_cfgs() if conditions(c)]
    return Grid(G.GRID_1D + " transposed (restricted to the special case)", configs, _model_transpose_size,
                formula_fn, bind=_bind_transposed)


def _bind_transposed(cfg: dict) -> dict:
    """A transposed layer's own input size is the statements' ``i'``."""
    return {**cfg, i_t.name: cfg["i"]}


_unit = dict(d=1)
_CONV_SPECIALS = [
    (1, "no zero padding, unit strides", i - k + 1, {s: 1, p_b: 0, p_a: 0, d: 1},
     lambda c: c["s"] == 1 and c["p_b"] == c["p_a"] == 0 and c["d"] == 1, lambda c: c["i"] - c["k"] + 1),
    (2, "zero padding, unit strides", i - k + 2 * p + 1, {s: 1, p_b: p, p_a: p, d: 1},
     lambda c: c["s"] == 1 and c["p_b"] == c["p_a"] and c["d"] == 1, lambda c: c["i"] - c["k"] + 2 * c["p_b"] + 1),
    (3, "half (same) padding, k = 2n+1", i, {s: 1, k: 2 * n + 1, p_b: n, p_a: n, d: 1},
     lambda c: c["s"] == 1 and c["k"] % 2 == 1 and c["p_b"] == c["p_a"] == c["k"] // 2 and c["d"] == 1,
     lambda c: c["i"]),
    (4, "full padding", i + (k - 1), {s: 1, p_b: k - 1, p_a: k - 1, d: 1},
     lambda c: c["s"] == 1 and c["p_b"] == c["p_a"] == c["k"] - 1 and c["d"] == 1, lambda c: c["i"] + c["k"] - 1),
    (5, "no padding, non-unit strides", sp.floor((i - k) / s) + 1, {p_b: 0, p_a: 0, d: 1},
     lambda c: c["p_b"] == c["p_a"] == 0 and c["d"] == 1, lambda c: (c["i"] - c["k"]) // c["s"] + 1),
    (6, "zero padding, non-unit strides", sp.floor((i + 2 * p - k) / s) + 1, {p_b: p, p_a: p, d: 1},
     lambda c: c["p_b"] == c["p_a"] and c["d"] == 1, lambda c: (c["i"] + 2 * c["p_b"] - c["k"]) // c["s"] + 1),
    (15, "dilated convolution", sp.floor((i + 2 * p - k - (k - 1) * (d - 1)) / s) + 1, {p_b: p, p_a: p},
     lambda c: c["p_b"] == c["p_a"],
     lambda c: (c["i"] + 2 * c["p_b"] - c["k"] - (c["k"] - 1) * (c["d"] - 1)) // c["s"] + 1),
]
#: D&V Rel. 1-6 and 15, in that order
DV_CONV_SPECIALS = tuple(_special(f"dv_rel_{rel:02d}", rel, title, (CONV,), (formula,), eqs, ("conv_output_size",),
                                  grid=_special_grid(cond, fn))
                         for rel, title, formula, eqs, cond, fn in _CONV_SPECIALS)

# Rel. 7: pooling (any pooling function) -- the window count in floor mode, no padding.


def _pool_model(c: dict) -> int:
    return MaxPoolSpec(c["k"], c["s"], 0, 1, input_size=c["i"]).output_size[0]


DV_REL_07 = _special("dv_rel_07", 7, "pooling, o = floor((i - k)/s) + 1 (the general window count with p = 0, d = 1)",
         (CONV,), (sp.floor((i - k) / s) + 1,), {p_b: 0, p_a: 0, d: 1}, ("conv_output_size",),
         grid=Grid(G.GRID_1D + " (p = 0, d = 1); lhs the pooling spec's size", lambda: [
             c for c in G.conv_configs() if c["p_b"] == c["p_a"] == 0 and c["d"] == 1],
             _pool_model, lambda c: (c["i"] - c["k"]) // c["s"] + 1))

# Rel. 8-14: transposed convolutions -- the size formula and the equivalent direct conv's size.
_T_SPECIALS = [
    (8, "transposed, no padding, unit strides: o' = i' + (k - 1)", i_t + (k - 1), {s: 1, p_b: 0, p_a: 0, d: 1, a: 0},
     lambda c: c["s"] == 1 and c["p_b"] == c["p_a"] == 0 and c["d"] == 1 and c["a"] == 0,
     lambda c: c["i"] + c["k"] - 1),
    (9, "transposed, zero padding, unit strides: o' = i' + (k - 1) - 2p", i_t + (k - 1) - 2 * p,
     {s: 1, p_b: p, p_a: p, d: 1, a: 0},
     lambda c: c["s"] == 1 and c["p_b"] == c["p_a"] and c["d"] == 1 and c["a"] == 0,
     lambda c: c["i"] + c["k"] - 1 - 2 * c["p_b"]),
    (10, "transposed, half padding: o' = i'", i_t, {s: 1, k: 2 * n + 1, p_b: n, p_a: n, d: 1, a: 0},
     lambda c: c["s"] == 1 and c["k"] % 2 == 1 and c["p_b"] == c["p_a"] == c["k"] // 2 and c["d"] == 1
     and c["a"] == 0, lambda c: c["i"]),
    (11, "transposed, full padding: o' = i' - (k - 1)", i_t - (k - 1), {s: 1, p_b: k - 1, p_a: k - 1, d: 1, a: 0},
     lambda c: c["s"] == 1 and c["p_b"] == c["p_a"] == c["k"] - 1 and c["d"] == 1 and c["a"] == 0,
     lambda c: c["i"] - c["k"] + 1),
    (12, "transposed, no padding, non-unit strides: o' = s(i' - 1) + k", s * (i_t - 1) + k,
     {p_b: 0, p_a: 0, d: 1, a: 0},
     lambda c: c["p_b"] == c["p_a"] == 0 and c["d"] == 1 and c["a"] == 0, lambda c: c["s"] * (c["i"] - 1) + c["k"]),
    (13, "transposed, padding and strides: o' = s(i' - 1) + k - 2p", s * (i_t - 1) + k - 2 * p,
     {p_b: p, p_a: p, d: 1, a: 0},
     lambda c: c["p_b"] == c["p_a"] and c["d"] == 1 and c["a"] == 0,
     lambda c: c["s"] * (c["i"] - 1) + c["k"] - 2 * c["p_b"]),
    (14, "transposed, general case: o' = s(i' - 1) + a + k - 2p", s * (i_t - 1) + a + k - 2 * p,
     {p_b: p, p_a: p, d: 1},
     lambda c: c["p_b"] == c["p_a"] and c["d"] == 1,
     lambda c: c["s"] * (c["i"] - 1) + c["a"] + c["k"] - 2 * c["p_b"]),
]
#: D&V Rel. 8-14
DV_TRANSPOSED_SPECIALS = tuple(
    _special(f"dv_rel_{rel:02d}", rel, title, (TRANS, DIRECT), (formula, formula), eqs,
             ("transpose_output_size",), grid=_special_t_grid(cond, fn))
    for rel, title, formula, eqs, cond, fn in _T_SPECIALS)


# --------------------------------------------------------------------------- family 5


def _transpose_size_proof() -> list:
    back = window_count(TRANS, p_b, p_a, s)
    inner = sp.floor((s * (i_t - 1) + a) / s) + 1
    return [
        step(DIRECT, TRANS, "algebra", "stride 1: the direct conv's floor is exact"),
        step(back, inner, "algebra", "substitute o' into the conv size"),
        step(inner, i_t, "floor-value", "0 <= a <= s - 1", term=sp.floor((s * (i_t - 1) + a) / s), value=i_t - 1),
    ]


TRANSPOSE_OUTPUT_SIZE = Theorem(
    name="transpose_output_size",
    title="Transposed conv size o' = s(i'-1) + d(k-1) + 1 - p_b - p_a + a: the zero-insertion conv has it, "
          "and the conv maps it back to i' when a < s",
    statement=sp.And(sp.Eq(DIRECT, TRANS), sp.Eq(window_count(TRANS, p_b, p_a, s), i_t)),
    assumptions=(A_LT_S,),
    proof=_transpose_size_proof,
    grid=Grid("1-D transposed layers by their own input: i<=12, k<=5, s<=4, d<=3, 0<=p<=d(k-1), a<max(s,d); "
              "lhs the scatter's brute-force length", _transposed_cfgs, _scatter, _model_transpose_size,
              bind=_bind_transposed),
    family=5, kind="lemma", reference="Dumoulin & Visin Rel. 14 with dilation; PyTorch ConvTransposeNd",
)


def _round_trip_value() -> sp.Expr:
    return TRANS.xreplace({i_t: CONV, a: 0})


def _round_trip_proof() -> list:
    F = sp.floor(L / s)
    mid = s * F + (d * (k - 1) + 1) - p_b - p_a
    return [
        step(_round_trip_value(), mid, "algebra", "substitute o = floor(L/s) + 1"),
        step(mid, L - sp.Mod(L, s) + (d * (k - 1) + 1) - p_b - p_a, "floor-mod", "division with remainder"),
        step(L - sp.Mod(L, s) + (d * (k - 1) + 1) - p_b - p_a, i - sp.Mod(L, s), "algebra", "collect"),
    ]


def _round_trip_model(c: dict) -> int:
    o = _model_conv_size(c)
    return shapes.transpose_size_axis(o, c["k"], c["s"], c["p_b"], c["p_a"], c["d"], 0)


ROUND_TRIP = Theorem(
    name="round_trip",
    title="transposed(conv(i)) = i - ((i + p_b + p_a - d(k-1) - 1) mod s)",
    statement=sp.Eq(_round_trip_value(), i - sp.Mod(L, s), evaluate=False),
    assumptions=(FITS,), proof=_round_trip_proof, uses=("conv_output_size", "transpose_output_size"), family=5,
    grid=_conv_grid(_round_trip_model, lambda c: c["i"] - (c["i"] + c["p_b"] + c["p_a"] - c["d"] * (c["k"] - 1) - 1)
                    % c["s"]),
)


def _restores_value() -> sp.Expr:
    return TRANS.xreplace({i_t: CONV, a: sp.Mod(L, s)})


def _restores_proof() -> list:
    return [
        step(_restores_value(), _round_trip_value() + sp.Mod(L, s), "algebra", "output padding adds a"),
        step(_round_trip_value() + sp.Mod(L, s), i, "floor-mod", "round trip, then the remainders cancel"),
    ]


def _restores_model(c: dict) -> int:
    """The size a transposed layer with transforms.transpose_of's default output padding produces."""
    o = _model_conv_size(c)
    rem = shapes.lost_remainder_axis(c["i"], c["k"], c["s"], c["p_b"], c["p_a"], c["d"])
    return shapes.transpose_size_axis(o, c["k"], c["s"], c["p_b"], c["p_a"], c["d"], rem)


OUTPUT_PADDING_RESTORES = Theorem(
    name="output_padding_restores",
    title="output_padding a = (i + p_b + p_a - d(k-1) - 1) mod s restores i exactly",
    statement=sp.Eq(_restores_value(), i, evaluate=False),
    assumptions=(FITS,), proof=_restores_proof, uses=("round_trip",), family=5,
    grid=_conv_grid(_restores_model, lambda c: c["i"]),
)

_I0 = s * n + (d * (k - 1) + 1) - p_b - p_a       # the smallest input with o = n + 1


def _ambiguity_proof() -> list:
    at = CONV.xreplace({i: _I0 + j})
    below = CONV.xreplace({i: _I0 - 1})
    above = CONV.xreplace({i: _I0 + s})
    return [
        step(at, sp.floor((s * n + j) / s) + 1, "algebra", "L = s n + j"),
        step(sp.floor((s * n + j) / s) + 1, n + 1, "floor-value", "0 <= j <= s - 1",
             term=sp.floor((s * n + j) / s), value=n),
        step(below, sp.floor((s * n - 1) / s) + 1, "algebra", "L = s n - 1"),
        step(sp.floor((s * n - 1) / s) + 1, n, "floor-value", "n >= 1", term=sp.floor((s * n - 1) / s), value=n - 1),
        step(above, n + 2, "algebra", "L = s (n + 1)"),
    ]


def _ambiguity_cfgs() -> list:
    """Configurations whose output o >= 2 has all its preimages among the sizes >= 1."""
    out = []
    for c in G.conv_configs():
        o = _model_conv_size(c)
        smallest = c["s"] * (o - 1) + c["d"] * (c["k"] - 1) + 1 - c["p_b"] - c["p_a"]
        if o >= 2 and smallest >= 2:
            out.append(c)
    return out


def _ambiguity_model(c: dict) -> int:
    """How many input sizes in [1, 60] give this configuration's output size."""
    o = _model_conv_size(c)
    return sum(count == o for count in _window_counts(c["k"], c["s"], c["p_b"], c["p_a"], c["d"]))


@lru_cache(maxsize=None)
def _window_counts(k_: int, s_: int, pb: int, pa: int, d_: int) -> tuple:
    """The library's output size for every input size in [1, 60] the kernel fits (shared by the
    configurations that differ only in ``i``: up to 12 of them)."""
    return tuple(shapes.window_count_axis(x, k_, s_, pb, pa, d_) for x in range(max(1, d_ * (k_ - 1) + 1 - pb - pa), 61))


SIZE_AMBIGUITY = Theorem(
    name="size_ambiguity",
    title="exactly s input sizes share one conv output size o = n + 1 >= 2 (why output_padding exists)",
    statement=sp.And(sp.Eq(CONV.xreplace({i: _I0 + j}), n + 1), sp.Eq(CONV.xreplace({i: _I0 - 1}), n),
                     sp.Eq(CONV.xreplace({i: _I0 + s}), n + 2)),
    assumptions=(Range(j, 0, s - 1), Range(n, lo=1)), proof=_ambiguity_proof, uses=("conv_output_size",),
    family=5, grid=Grid(G.GRID_1D + "; outputs o >= 2 whose preimages are all >= 1; lhs counts sizes 1..60",
                        _ambiguity_cfgs, _ambiguity_model, lambda c: c["s"]),
)


# --------------------------------------------------------------------------- family 9

R0 = sp.floor((L + s - 1) / s)
#: PyTorch's ceil-mode count (pooling_output_shape_pad_lr), literally: round the count up, then drop the last
#: window if it would start in the right padding
CEIL = sp.Piecewise((sp.ceiling(L / s), sp.Ge(s * sp.ceiling(L / s), i + p_b)), (sp.ceiling(L / s) + 1, True))


def _ceil_proof() -> list:
    return [
        step(R0, sp.ceiling(L / s), "floor-mod", "ceil(x/s) = floor((x + s - 1)/s)"),
        step(s * (R0 - 1), L - 1 - sp.Mod(L - 1, s), "floor-mod", "division with remainder"),
        step(L - 1 - sp.Mod(L - 1, s), L - 1, "bound", "a remainder is >= 0", rel="<="),
        step(L - 1, i + p_b, "bound", "p_a <= d(k-1)", rel="<"),
    ]


#: Ceil mode places a first window (clipped) while the kernel outruns the padded input by < s.
CEIL_FITS = Range(i, lo=d * (k - 1) + 1 - p_b - p_a - s + 1)


def _pool_cfgs() -> list:
    """The 1-D grid with p <= k//2, plus the configurations only ceil mode accepts."""
    fitting = [c for c in G.conv_configs() if max(c["p_b"], c["p_a"]) <= c["k"] // 2]
    outrun = [dict(i=i_, k=k_, s=s_, d=d_, p_b=pb, p_a=pa)
              for i_, k_, s_, d_ in itertools.product(range(1, 13), range(1, 6), range(2, 5), range(1, 4))
              for pb, pa in itertools.product(range(k_ // 2 + 1), repeat=2)
              if shapes.window_fits(i_, k_, pb, pa, d_, s_, True) and not shapes.window_fits(i_, k_, pb, pa, d_)]
    return fitting + outrun


def _ceil_count(c: dict) -> int:
    return G.count_windows(c["i"], c["k"], c["s"], c["d"], c["p_b"], c["p_a"], ceil_mode=True)


def _ceil_model(c: dict) -> int:
    return MaxPoolSpec(c["k"], c["s"], ((c["p_b"], c["p_a"]),), c["d"], ceil_mode=True,
                       input_size=c["i"]).output_size[0]


POOL_CEIL_MODE = Theorem(
    name="pool_ceil_mode",
    title="Pooling with ceil_mode: o = ceil(L/s) + 1, dropping at most one last window (the one starting in "
          "the right padding)",
    statement=sp.And(sp.Eq(R0, sp.ceiling(L / s)), sp.Lt(s * (R0 - 1), i + p_b)),
    assumptions=(CEIL_FITS, Range(p_a, hi=d * (k - 1))), proof=_ceil_proof, uses=("conv_output_size",), family=9,
    grid=Grid(G.GRID_1D + " with PyTorch's pooling padding p <= k//2, plus the kernels that outrun the padded "
              "input by less than s; lhs brute-force window count",
              _pool_cfgs, _ceil_count, _ceil_model),
    reference="PyTorch pooling_output_shape_pad_lr",
)

# --------------------------------------------------------------------------- the library computes the definitions

WINDOW_COUNT = library_function("window_count_axis", shapes.window_count_axis)
CEIL_COUNT = library_function("window_count_axis_ceil",
                              lambda *args: shapes.window_count_axis(*args, ceil_mode=True))
TRANSPOSE_SIZE = library_function("transpose_size_axis", shapes.transpose_size_axis)
LOST_REMAINDER = library_function("lost_remainder_axis", shapes.lost_remainder_axis)


def _direct_size(i_, k_, s_, pb, pa, d_, a_):
    direct = as_direct_conv(ConvTransposeSpec(k_, s_, ((pb, pa),), a_, d_, input_size=i_))
    return shapes.window_count_axis(direct.stretched_size[0], k_, 1, *direct.padding[0], d_)


DIRECT_SIZE = library_function("as_direct_conv_size", _direct_size)

_LIBRARY_SIDES = (
    (WINDOW_COUNT(i, k, s, p_b, p_a, d), CONV),
    (CEIL_COUNT(i, k, s, p_b, p_a, d), CEIL),
    (TRANSPOSE_SIZE(i_t, k, s, p_b, p_a, d, a), TRANS),
    (LOST_REMAINDER(i, k, s, p_b, p_a, d), sp.Mod(L, s)),
    (DIRECT_SIZE(i_t, k, s, p_b, p_a, d, a), DIRECT),
)


def _library_cfgs() -> list:
    return [c for c in _transposed_cfgs() if max(c["p_b"], c["p_a"]) <= c["k"] // 2]


def _library_lhs(c: dict) -> tuple:
    args = (c["i"], c["k"], c["s"], c["p_b"], c["p_a"], c["d"])
    return (shapes.window_count_axis(*args), shapes.window_count_axis(*args, ceil_mode=True),
            shapes.transpose_size_axis(*args, c["a"]), shapes.lost_remainder_axis(*args), _direct_size(*args, c["a"]))


def _library_rhs(c: dict) -> tuple:
    args = (c["i"], c["k"], c["s"], c["d"], c["p_b"], c["p_a"])
    count = G.count_windows(*args)
    span = c["d"] * (c["k"] - 1) + 1
    return (count, G.count_windows(*args, ceil_mode=True), G.scatter_length(*args, c["a"]),
            (c["i"] + c["p_b"] + c["p_a"] - span) % c["s"], G.scatter_length(*args, c["a"]))


LIBRARY_SIZES = Theorem(
    name="library_sizes",
    title="symconv.shapes and symconv.transforms compute the defined sizes: window count (floor and ceil mode), "
          "transposed size, lost remainder, and the zero-insertion conv's size",
    statement=sp.And(*(sp.Eq(lib, literal) for lib, literal in _LIBRARY_SIDES)),
    assumptions=(FITS, Range(p_a, hi=d * (k - 1)), Range(p_b, hi=d * (k - 1))),
    proof=lambda: [step(lib, literal, "library", "the library's expression") for lib, literal in _LIBRARY_SIDES],
    family=1, kind="lemma",
    grid=Grid(G.GRID_1D + " with p <= k//2 and every output padding; lhs the library at ints, rhs brute-force "
              "window counts and scatter lengths", _library_cfgs, _library_lhs, _library_rhs),
    reference="PyTorch _ConvNd / pooling_output_shape_pad_lr / ConvTransposeNd",
)


#: This module's theorems, in the catalogue's order (:mod:`symconv.proofs.catalogue`).
THEOREMS = (CONV_OUTPUT_SIZE, *DV_CONV_SPECIALS, DV_REL_07, *DV_TRANSPOSED_SPECIALS, TRANSPOSE_OUTPUT_SIZE, ROUND_TRIP,
            OUTPUT_PADDING_RESTORES, SIZE_AMBIGUITY, POOL_CEIL_MODE, LIBRARY_SIZES)
