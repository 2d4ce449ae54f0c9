"""Z3 as a second prover (symconv.smt): the translation against SymPy's own evaluation, certified
true statements, refuted false ones (each counterexample checked with SymPy here), and honest
labels outside Z3's reach."""
from __future__ import annotations

import itertools
import random

import pytest
import sympy as sp

z3 = pytest.importorskip("z3")

from symconv.smt import SMT_STATUSES, SMTUnsupported, check_relation, to_z3  # noqa: E402

n, m = sp.symbols("n m", integer=True)                 # any sign
s, t = sp.symbols("s t", integer=True, positive=True)   # divisors
i, k, p, d, a, z = sp.symbols("i k p d a z", integer=True)
SIZES = (i >= 1, k >= 1, s >= 1, d >= 1, p >= 0)


# --------------------------------------------------------------------------- translation = SymPy


def _random_expr(rng: random.Random, depth: int) -> sp.Expr:
    leaves = [n, m, s, t, sp.Integer(rng.randint(-4, 4)), sp.Rational(rng.choice([-3, -1, 1, 5]), 2)]
    if depth == 0:
        return rng.choice(leaves)
    e1, e2 = _random_expr(rng, depth - 1), _random_expr(rng, depth - 1)
    builders = [
        lambda: e1 + e2, lambda: e1 * e2, lambda: e1 - 2 * e2, lambda: e1 / s, lambda: e1 / (-2),
        lambda: sp.floor(e1 / s), lambda: sp.floor(e1 / 2), lambda: sp.ceiling(e1 / t), lambda: sp.ceiling(e1),
        lambda: sp.Mod(e1, s), lambda: sp.Mod(e1, -3), lambda: sp.Mod(e1, t + 1), lambda: sp.Mod(e1 / 2, 1),
        lambda: sp.Min(e1, e2), lambda: sp.Max(e1, e2, 1), lambda: sp.Abs(e1), lambda: sp.sign(e1 - e2),
        lambda: sp.Piecewise((e1, e1 > e2), (e2 - 1, sp.Eq(e1, n)), (e2, True)),
        lambda: sp.KroneckerDelta(e1, e2), lambda: sp.frac(e1 / t), lambda: e1 ** 2,
        lambda: sp.floor((e1 + e2) / (s * t)),
    ]
    return rng.choice(builders)()


def _z3_value(term, values: dict) -> sp.Rational:
    pairs = [(z3.Int(name), z3.IntVal(v)) for name, v in values.items()]
    value = z3.simplify(z3.substitute(term, *pairs))
    if z3.is_int_value(value):
        return sp.Integer(value.as_long())
    assert z3.is_rational_value(value), value
    return sp.Rational(value.numerator_as_long(), value.denominator_as_long())


def test_translation_agrees_with_sympy_on_random_expressions_and_negative_values():
    rng = random.Random(11)
    checked = 0
    for _ in range(50):
        expr = _random_expr(rng, rng.randint(1, 3))
        if not expr.free_symbols:
            continue
        term = to_z3(expr)
        for _ in range(4):
            values = {"n": rng.randint(-9, 9), "m": rng.randint(-9, 9), "s": rng.randint(1, 5), "t": rng.randint(1, 4)}
            expected = expr.subs({n: values["n"], m: values["m"], s: values["s"], t: values["t"]})
            assert _z3_value(term, values) == expected, (expr, values)
            checked += 1
    assert checked > 150


def test_floor_and_mod_of_negative_operands_and_divisors_on_a_grid():
    # Z3's integer / and % are Euclidean: floor and SymPy's Mod must not inherit that
    for expr in (sp.floor(n / m), sp.ceiling(n / m), sp.Mod(n, m), sp.floor(sp.Rational(1, 3) * n / m)):
        term = to_z3(expr)
        for nv, mv in itertools.product(range(-7, 8), [-4, -3, -1, 1, 2, 5]):
            assert _z3_value(term, {"n": nv, "m": mv}) == expr.subs({n: nv, m: mv}), (expr, nv, mv)


def test_to_z3_raises_on_unsupported_constructs():
    with pytest.raises(SMTUnsupported, match="Sum"):
        to_z3(sp.Sum(n, (n, 0, m)))
    with pytest.raises(SMTUnsupported, match="non-integer symbol"):
        to_z3(sp.Symbol("x") + 1)


# --------------------------------------------------------------------------- certified


@pytest.mark.parametrize("statement, assumptions", [
    (sp.Eq(sp.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1, sp.floor((i + 2 * p - k) / s) + 1), SIZES + (sp.Eq(d, 1),)),
    (sp.Eq(s * sp.floor(n / s) + sp.Mod(n, s), n), ()),
    (sp.Eq(sp.floor(((i - 1) * s - 2 * p + k + a - k + 2 * p) / s) + 1, i), SIZES + (a >= 0, a < s)),
    (sp.Eq(sp.ceiling(n / s), sp.floor((n + s - 1) / s)), ()),
    (sp.Eq(sp.Mod(sp.Mod(n, 6), 3), sp.Mod(n, 3)), ()),
    (sp.Implies(sp.Eq(sp.Mod(k, 2), 1), sp.Eq(2 * sp.floor(k / 2) + 1, k)), ()),
    (sp.Le(sp.Abs(n + m), sp.Abs(n) + sp.Abs(m)), ()),
    (sp.Eq(sp.Piecewise((n / m, m > 0), (0, True)) * sp.Max(m, 1), sp.Piecewise((n, m > 0), (0, True))), ()),
    (sp.Eq(sp.Sum(sp.floor((n + m) / 3), (m, 0, 2)), n), ()),                  # Hermite; the bound m is not the free m
    (sp.Eq(sp.Sum(n, (m, 3, 0)), -2 * n), ()),                                # SymPy's convention for reversed limits
])
def test_true_statements_are_certified(statement, assumptions):
    verdict = check_relation(statement, assumptions)
    assert verdict.status == "certified", verdict
    assert verdict.counterexample is None


# --------------------------------------------------------------------------- refuted


def _holds_at(relation: sp.Basic, counterexample: dict) -> sp.Basic:
    """Substitute a name-keyed counterexample (independently of the module's own double-check)."""
    by_name = {sym.name: sym for sym in relation.free_symbols}
    return relation.subs({by_name[name]: value for name, value in counterexample.items() if name in by_name})


@pytest.mark.parametrize("statement, assumptions", [
    (sp.Eq(k, k + i, evaluate=False), SIZES),
    (sp.Lt(s * sp.floor((i - k) / s) + sp.Mod(i - k, s), i - k), SIZES),
    (sp.Ne(s * sp.floor((i - k) / s) + sp.Mod(i - k, s), i - k), SIZES),
    (sp.Eq(sp.Abs(z), z), ()),
    (sp.Le(sp.Mod(i / 2, 1), 0), ()),
    (sp.Eq(sp.floor((i + 2 * p - k) / s) + 1, sp.floor((i + 2 * p - k) / s)), SIZES),           # off by one
    (sp.Eq(sp.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1, sp.floor((i + 2 * p - d * k) / s) + 1), SIZES),
    (sp.Eq(sp.floor((i + 2 * p - k) / s) + 1, sp.ceiling((i + 2 * p - k) / s) + 1), SIZES),   # floor -> ceiling
    (sp.Eq(sp.floor(((i - 1) * s + a) / s) + 1, i), SIZES + (a >= 0, a <= s)),               # a <= s, not a < s
    (sp.Eq(sp.Mod(n, -3), sp.Mod(n, 3)), ()),
    (sp.Eq(sp.floor(n / m) * m + sp.Mod(n, m) + sp.KroneckerDelta(n, 4), n), (sp.Ne(m, 0),)),
    (sp.Eq(sp.Sum(sp.floor((n + m) / 3), (m, 0, 3)), n), ()),                 # Hermite with one term too many
])
def test_false_statements_are_refuted_with_a_real_counterexample(statement, assumptions):
    verdict = check_relation(statement, assumptions)
    assert verdict.status == "refuted", verdict
    assert _holds_at(statement, verdict.counterexample) is sp.false
    assert all(_holds_at(fact, verdict.counterexample) is sp.true for fact in assumptions)


def test_counterexamples_respect_the_symbols_own_assumptions():
    verdict = check_relation(sp.Ge(s - t, 0))
    assert verdict.status == "refuted"
    assert verdict.counterexample["s"] >= 1 and verdict.counterexample["t"] > verdict.counterexample["s"]


# --------------------------------------------------------------------------- n/a and honest labels


@pytest.mark.parametrize("statement, needle", [
    (sp.Eq(sp.Sum(n, (n, 0, m)), 0), "Sum with symbolic limits"),
    (sp.Eq(sp.IndexedBase("x")[n], 0), "Indexed"),
    (sp.Eq(sp.Function("f")(n), n), "f"),
    (sp.Eq(sp.Symbol("x") + n, n), "non-integer symbol x"),
    (sp.Eq(2 ** n, 1), "exponent"),
    (sp.Eq(n / m, 1), "possibly-zero"),
    (sp.Eq(sp.Mod(n, m), 1), "possibly-zero"),
    (sp.Eq(sp.Piecewise((1, n > 0)), 1), "possibly-zero"),
    (n + 1, "not a relation"),
    (sp.Eq(sp.Float(0.5) * n, n), "non-rational"),
])
def test_constructs_outside_the_translation_are_not_applicable(statement, needle):
    verdict = check_relation(statement)
    assert verdict.status == "n/a", verdict
    assert needle in verdict.reason


def test_a_guarded_division_is_accepted():
    assert check_relation(sp.Eq(n / m * m, n), [sp.Ne(m, 0)]).status == "certified"


def test_nonlinear_statements_get_an_honest_label():
    x, y, w = sp.symbols("x y w", integer=True, positive=True)
    true_one = sp.Ne(x ** 3 + y ** 3, w ** 3)           # Fermat, n = 3: beyond Z3's nonlinear integer arithmetic
    verdict = check_relation(true_one, timeout_ms=300, bounded_bits=4)
    assert verdict.status in ("certified", "bounded", "unknown"), verdict
    if verdict.status != "certified":
        assert verdict.reason
    false_one = sp.Eq(sp.floor(x * y * w / (x * y + w)), sp.floor(x * y * w / (x * y + w + 1)))
    verdict = check_relation(false_one, timeout_ms=300, bounded_bits=6)
    assert verdict.status in ("refuted", "unknown"), verdict
    if verdict.status == "refuted":
        assert _holds_at(false_one, verdict.counterexample) is sp.false


def test_random_relations_never_certify_a_false_statement():
    """Soundness on random relations: a certified one has no counterexample on a small grid."""
    rng = random.Random(5)
    for _ in range(12):
        lhs, rhs = _random_expr(rng, 2), _random_expr(rng, 1)
        relation = rng.choice([sp.Eq, sp.Le, sp.Ne])(lhs, rhs)
        if relation in (sp.true, sp.false):
            continue
        verdict = check_relation(relation, timeout_ms=500, bounded_bits=5)
        assert verdict.status in SMT_STATUSES
        grid = [dict(zip("nmst", v)) for v in itertools.product(range(-4, 5), range(-3, 4), range(1, 4), range(1, 3))]
        falsified = any(_holds_at(relation, g) is sp.false for g in grid)
        if verdict.status == "certified":
            assert not falsified, relation
        if verdict.status == "refuted":
            assert _holds_at(relation, verdict.counterexample) is sp.false


def test_each_call_uses_its_own_context_so_threads_can_share_the_module():
    from concurrent.futures import ThreadPoolExecutor
    statements = [sp.Eq(s * sp.floor(n / s) + sp.Mod(n, s), n + j) for j in range(6)]
    with ThreadPoolExecutor(3) as pool:
        verdicts = list(pool.map(check_relation, statements))
    assert [v.status for v in verdicts] == ["certified"] + ["refuted"] * 5


def test_bit_vector_form_agrees_with_sympy_on_random_expressions():
    """The bounded fallback's bit-vectors (Euclidean div/mod rebuilt from truncating ones, a width
    without overflow) give each random expression SymPy's value and no other."""
    from symconv._smt_bitvec import lower
    rng = random.Random(3)
    bounds = {"n": (-9, 9), "m": (-9, 9), "s": (1, 5), "t": (1, 4)}
    for _ in range(25):
        expr = sp.floor(_random_expr(rng, rng.randint(1, 2)))
        values = {name: rng.randint(lo, hi) for name, (lo, hi) in bounds.items()}
        expected = int(expr.subs({n: values["n"], m: values["m"], s: values["s"], t: values["t"]}))
        term = to_z3(expr)
        fixed = [z3.Int(name) == v for name, v in values.items()]
        for claimed, outcome in ((expected, z3.sat), (expected + 1, z3.unsat), (expected - 1, z3.unsat)):
            constraints, _ = lower(fixed + [term == claimed], bounds)
            solver = z3.Solver()
            solver.add(*constraints)
            assert solver.check() == outcome, (expr, values, claimed)


def test_a_nonlinear_true_statement_is_bounded_by_bit_vectors_when_unbounded_integers_give_up():
    x, y, w = sp.symbols("x y w", integer=True, positive=True)
    verdict = check_relation(sp.Ne(x ** 3 + y ** 3, w ** 3), timeout_ms=1500, bounded_bits=5)
    assert verdict.status in ("certified", "bounded", "unknown"), verdict
    if verdict.status == "bounded":
        assert "2^5" in verdict.reason and "bit vectors" in verdict.reason


def test_a_model_sympy_does_not_confirm_is_never_reported_as_a_refutation(monkeypatch):
    import symconv.smt as smt
    monkeypatch.setattr(smt, "_model_values", lambda tr, model: {sym: 5 for sym in tr.symbols})  # a wrong model
    verdict = check_relation(sp.Eq(sp.Abs(z), z))
    assert verdict.status == "unknown" and verdict.counterexample is None
    assert "not confirmed" in verdict.reason


def test_a_resource_limit_makes_the_verdict_independent_of_the_machine():
    x, y, w = sp.symbols("x y w", integer=True, positive=True)
    runs = [check_relation(sp.Ne(x ** 3 + y ** 3, w ** 3), timeout_ms=30000, rlimit=300_000, bounded_bits=4)
            for _ in range(2)]
    assert runs[0].status == runs[1].status and runs[0].reason == runs[1].reason
    assert runs[0].status in ("certified", "bounded", "unknown")
    if runs[0].status != "certified":
        assert "resource limit" in runs[0].reason
    assert check_relation(sp.Eq(sp.ceiling(n / s), sp.floor((n + s - 1) / s)), rlimit=300_000).status == "certified"


def _equalities(statement):
    parts = list(statement.args) if isinstance(statement, sp.And) else [statement]
    return [c for c in parts if isinstance(c, sp.Eq)]


def test_off_by_one_mutants_of_the_certified_registered_theorems_are_refuted():
    """The first equality of each statement Z3 certifies, shifted by one, comes back refuted (with
    a counterexample that satisfies the theorem's assumptions)."""
    from symconv.proofs import theorem, theorems
    mutated = 0
    for name in theorems():
        thm = theorem(name)
        facts = thm.assumption_relations()
        if check_relation(thm.statement, facts, timeout_ms=30000, rlimit=2_000_000).status != "certified":
            continue
        for eq in _equalities(thm.statement)[:1]:
            mutant = sp.Eq(eq.lhs, eq.rhs + 1, evaluate=False)
            verdict = check_relation(mutant, facts, timeout_ms=30000, rlimit=2_000_000)
            assert verdict.status == "refuted", (name, mutant, verdict)
            assert all(_holds_at(f, verdict.counterexample) is sp.true for f in facts), name
            mutated += 1
    assert mutated >= 15
