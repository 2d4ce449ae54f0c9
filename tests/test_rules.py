"""Each verified rewrite rule of the proof engine, checked on its own (incl. hypothesis)."""
from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.proofs.decide import EMPTY, Context, Range, is_zero, prove_holds, prove_nonneg, resolve, same
from symconv.proofs.normal_forms import ceil_to_floor, delta_normal, floor_to_mod, sum_normal
from symconv.proofs.rules import check_step
from symconv.proofs.sum_rules import guarded_delta_sum, reindex
from symconv.symbols import c, d, i, k, p_b, r, s, t

w, x, y = sp.IndexedBase("w"), sp.IndexedBase("x"), sp.IndexedBase("y")
n_, m_ = sp.symbols("n m", integer=True)
SMALL = settings(max_examples=60, deadline=None)


# --------------------------------------------------------------------------- floor / Mod


def test_simplify_alone_fails_floor_mod_rule_succeeds():
    e = i + 2 * p_b - k
    expr = s * sp.floor(e / s) + sp.Mod(e, s) - e
    assert sp.simplify(expr) != 0
    assert is_zero(expr)
    assert check_step("floor-mod", s * sp.floor(e / s) + sp.Mod(e, s), e, EMPTY) is None
    assert check_step("floor-mod", s * sp.floor(e / s), e, EMPTY) is not None


@SMALL
@given(st.integers(-50, 50), st.integers(1, 9))
def test_floor_to_mod_numerically(num, den):
    rewritten = floor_to_mod(sp.floor(n_ / s)).subs({n_: num, s: den})
    assert rewritten == num // den
    assert ceil_to_floor(sp.ceiling(n_ / s)).subs({n_: num, s: den}) == -((-num) // den)


def test_floor_value_rule_checks_its_bounds():
    j = sp.Symbol("j", integer=True, nonnegative=True)
    ctx = Context((Range(j, 0, s - 1),))
    term = sp.floor((s * n_ + j) / s)
    assert check_step("floor-value", term, n_, ctx, term=term, value=n_) is None
    assert check_step("floor-value", term, n_, EMPTY, term=term, value=n_) is not None   # j unbounded


# --------------------------------------------------------------------------- ranges


def test_prove_nonneg_and_holds():
    assert prove_nonneg(s - 1 - sp.Mod(i, s))
    assert prove_holds(sp.Lt(sp.Mod(i, s), s))
    assert not prove_nonneg(i - 2)
    ctx = Context((Range(i, d * (k - 1) + 1 - p_b),))
    assert prove_nonneg(i + p_b - d * (k - 1) - 1, ctx)
    assert not prove_holds(sp.Ge(i, k), ctx)


@SMALL
@given(st.integers(0, 6), st.integers(1, 6), st.integers(-6, 6))
def test_prove_nonneg_is_sound_on_linear_forms(lo, width, offset):
    u = sp.Symbol("u", integer=True)
    ctx = Context((Range(u, lo, lo + width),))
    expr = u + offset
    if prove_nonneg(expr, ctx):
        assert all(v + offset >= 0 for v in range(lo, lo + width + 1))


def test_resolve_settles_piecewise_with_ranges():
    j = sp.Symbol("j", integer=True, nonnegative=True)
    pw = sp.Piecewise((x[j], (j >= 0) & (j <= i - 1)), (0, True))
    assert resolve(pw, Context((Range(j, 0, i - 1),))) == x[j]
    assert resolve(pw, EMPTY) == pw


# --------------------------------------------------------------------------- deltas


def test_delta_normal_compares_expanded_differences():
    a = sp.KroneckerDelta(c, r * s + t * d - p_b)
    b = sp.KroneckerDelta(r * s - p_b + d * t - c, 0)
    assert a != b and delta_normal(a) == delta_normal(b)
    assert delta_normal(sp.KroneckerDelta(d * m_, d * t)) == delta_normal(sp.KroneckerDelta(m_, t))
    assert delta_normal(a) != delta_normal(sp.KroneckerDelta(c, r * s + t * d))
    assert check_step("delta-normal", a * x[c], b * x[c], EMPTY) is None


def test_guarded_delta_sum_keeps_the_divisibility_guard():
    total = sp.Sum(w[t] * sp.KroneckerDelta(c, r * s + t * d - p_b), (t, 0, k - 1))
    guarded = guarded_delta_sum(total)
    assert guarded.has(sp.Mod)
    assert check_step("guarded-delta-sum", total, guarded, EMPTY) is None
    # SymPy's own summation drops the guard: the engine refuses to use it for d != 1
    assert check_step("delta-sum", total, total.doit(), EMPTY) is not None
    unguarded = sp.Piecewise((w[(c + p_b - r * s) / d], (c + p_b - r * s >= 0) & (c + p_b - r * s <= d * (k - 1))),
                             (0, True))
    assert check_step("guarded-delta-sum", total, unguarded, EMPTY) is not None


@SMALL
@given(st.integers(0, 12), st.integers(0, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 4),
       st.integers(0, 3))
def test_guarded_delta_sum_numerically(c_, r_, s_, d_, k_, pb):
    total = sp.Sum(w[t] * sp.KroneckerDelta(c, r * s + t * d - p_b), (t, 0, k - 1))
    values = {c: c_, r: r_, s: s_, d: d_, k: k_, p_b: pb}
    brute = sum((w[tt] if c_ == r_ * s_ + tt * d_ - pb else 0) for tt in range(k_))
    assert guarded_delta_sum(total).subs(values) == brute


def test_delta_sum_with_unit_coefficient_and_ranges():
    j = sp.Symbol("j", integer=True, nonnegative=True)
    before = sp.Sum(x[c] * sp.KroneckerDelta(c, j), (c, 0, i - 1))
    assert check_step("delta-sum", before, x[j], Context((Range(j, 0, i - 1),)), var=c) is None
    assert check_step("delta-sum", before, x[j], EMPTY, var=c) is not None      # j might be out of range


def test_delta_digits_and_substitute():
    f, q, e = sp.symbols("f q e", integer=True, nonnegative=True)
    ctx = Context((Range(e, 0, f - 1),))
    before = sp.Sum(y[r] * sp.KroneckerDelta(f * q + e, r * f + t), (t, 0, f - 1))
    after = sp.Sum(y[r] * sp.KroneckerDelta(q, r) * sp.KroneckerDelta(e, t), (t, 0, f - 1))
    assert check_step("delta-digits", before, after, ctx, f=f, pairs=(((q, e), (r, t)),)) is None
    assert check_step("delta-digits", before, after, EMPTY, f=f, pairs=(((q, e), (r, t)),)) is not None
    sig = sp.Function("sigma")
    assert check_step("delta-substitute", sp.KroneckerDelta(m_, sig(r)) * x[sig(r)],
                      sp.KroneckerDelta(m_, sig(r)) * x[m_], EMPTY, old=sig(r), new=m_) is None


# --------------------------------------------------------------------------- sums


def test_sum_exchange_and_reindex():
    C = sp.Function("C")
    o = sp.Symbol("o", integer=True, positive=True)
    lhs = sp.Sum(y[r] * sp.Sum(C(r, c) * x[c], (c, 0, i - 1)), (r, 0, o - 1))
    rhs = sp.Sum(x[c] * sp.Sum(C(r, c) * y[r], (r, 0, o - 1)), (c, 0, i - 1))
    assert sum_normal(lhs) == sum_normal(rhs)
    assert check_step("sum-exchange", lhs, rhs, EMPTY) is None
    assert check_step("sum-exchange", lhs, sp.Sum(x[c] * sp.Sum(C(c, r) * y[r], (r, 0, o - 1)), (c, 0, i - 1)),
                      EMPTY) is not None
    u = sp.Symbol("u", integer=True, nonnegative=True)
    flipped = reindex(sp.Sum(w[t], (t, 0, k - 1)), u, k - 1 - u)
    assert flipped == sp.Sum(w[k - 1 - u], (u, 0, k - 1))
    assert check_step("reindex", sp.Sum(w[t], (t, 0, k - 1)), flipped, EMPTY, old=t, new=u, old_of_new=k - 1 - u) is None
    assert check_step("reindex", sp.Sum(w[t], (t, 0, k - 1)), sp.Sum(w[k - u], (u, 0, k - 1)), EMPTY,
                      old=t, new=u, old_of_new=k - 1 - u) is not None


@SMALL
@given(st.integers(1, 6))
def test_reindex_numerically(k_):
    u = sp.Symbol("u", integer=True, nonnegative=True)
    flipped = reindex(sp.Sum(t ** 2, (t, 0, k - 1)), u, k - 1 - u)
    assert flipped.subs(k, k_).doit() == sum(v * v for v in range(k_))


def test_cases_rule_requires_coverage():
    f, n = sp.symbols("f n", integer=True, nonnegative=True)
    expr, target = 2 * f - sp.Mod(f, 2) - 2 * sp.ceiling((f - 1) / 2) - 1, sp.Integer(0)
    good = (({f: 2 * n}, ()), ({f: 2 * n + 1}, ()))
    assert check_step("cases", expr + 1 - sp.Mod(f, 2) + sp.Mod(f, 2), expr + 1, EMPTY, cases=good) is None
    assert check_step("cases", expr, target, EMPTY, cases=(({f: 2 * n}, ()),)) is not None


def test_unknown_rule_and_same():
    assert check_step("magic", 1, 1, EMPTY) == "unknown rule 'magic'"
    assert same(sp.floor(i / s) * s + sp.Mod(i, s), i)
    assert not same(sp.floor(i / s) * s, i)


def test_split_range_and_mod_indicator():
    n, u, v, q = sp.symbols("n u v q", integer=True, nonnegative=True)
    before = sp.Sum(w[t], (t, 0, s * n - 1))
    after = sp.Sum(w[s * u + v], (v, 0, s - 1), (u, 0, n - 1))
    assert check_step("split-range", before, after, EMPTY, modulus=s, outer=u, inner=v) is None
    wrong = sp.Sum(w[s * u + v], (v, 0, s - 1), (u, 0, n))
    assert check_step("split-range", before, wrong, EMPTY, modulus=s, outer=u, inner=v) is not None
    ind = sp.Sum(sp.Piecewise((1, sp.Eq(sp.Mod(q - v, s), 0)), (0, True)), (v, 0, s - 1))
    delta = sp.Sum(sp.KroneckerDelta(v, sp.Mod(q, s)), (v, 0, s - 1))
    assert check_step("mod-indicator", ind, delta, EMPTY, var=v, modulus=s) is None
    wide = sp.Sum(sp.Piecewise((1, sp.Eq(sp.Mod(q - v, s), 0)), (0, True)), (v, 0, s))
    assert check_step("mod-indicator", wide, delta.xreplace({s - 1: s}), EMPTY, var=v, modulus=s) is not None


def test_interval_cases_abs_and_floor_resolution():
    n, u, e = sp.symbols("n u e", integer=True, nonnegative=True)
    ctx = Context((Range(e, 0, 2 * n), Range(n, 0)))
    halves = (({e: n + u}, (Range(u, 0, n),)), ({e: n - 1 - u}, (Range(u, 0, n - 1),)))
    before = sp.Abs(e - n)
    assert check_step("cases", before, sp.Max(e - n, n - e), ctx, cases=halves) is None
    gap = (({e: n + 1 + u}, (Range(u, 0, n - 1),)), ({e: n - 1 - u}, (Range(u, 0, n - 1),)))   # misses e = n
    assert check_step("cases", before, sp.Max(e - n, n - e), ctx, cases=gap) is not None
    assert resolve(sp.floor(u / (2 * n + 1)), Context((Range(u, 0, n),))) == 0
    assert resolve(sp.Abs(n - u), Context((Range(u, 0, n),))) == n - u


# --------------------------------------------------------------------------- the one equality checker


def test_is_zero_settles_a_piecewise_branch_by_branch():
    n = sp.Symbol("n", integer=True, nonnegative=True)
    ell = sp.Symbol("l", integer=True, positive=True)
    geometric = sp.summation(s ** (ell - 1), (ell, 1, n))            # SymPy branches on Eq(s, 1)
    closed = sp.Piecewise((n, sp.Eq(s, 1)), ((s ** n - 1) / (s - 1), True))
    for s_, n_ in [(1, 0), (1, 5), (2, 4), (3, 3)]:                   # the identity itself, by hand
        assert sum(s_ ** (e - 1) for e in range(1, n_ + 1)) == closed.subs({s: s_, n: n_})
    assert is_zero(geometric - closed)
    assert not is_zero(geometric - closed + sp.Piecewise((1, sp.Eq(s, 1)), (0, True)))   # off on s = 1 only
    assert is_zero(sp.Piecewise((s - 1, sp.Eq(s, 1)), (0, True)))
    assert not is_zero(sp.Piecewise((s - 1, sp.Eq(s, 2)), (0, True)))
    assert not is_zero(sp.Piecewise((k - 2, sp.Eq(k, 2)), (1, True)))


def test_size_relationships_and_stack_closed_forms_decide_with_the_proofs_checker(monkeypatch):
    from symconv.writeup.sizes import same_size
    from symconv.proofs import decide
    from symconv.stack import repeated_layers
    p = sp.Symbol("p", integer=True, nonnegative=True)
    assert same_size(sp.floor((i - k + 2 * p) / s) + 1, sp.floor((2 * p + i - k) / s) + 1)
    assert repeated_layers(k, s).holds
    monkeypatch.setattr(decide, "is_zero", lambda *args, **kwargs: False)
    assert not same_size(i, i)
    assert not repeated_layers(k, s).holds
