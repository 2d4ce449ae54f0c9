"""The grid's exact statement evaluation: the Python-int fast path agrees with Fraction arithmetic."""
from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy as sp

from symconv.proofs.evaluate import integer_form, statement_checker

a, b, c = sp.symbols("a b c", integer=True)
q = sp.Symbol("q", integer=True, positive=True)

INTEGER_STATEMENTS = [
    sp.Eq(sp.floor((a - b) / q) + 1, sp.ceiling((a - b + 1) / q)),
    sp.Eq(q * sp.floor(a / q) + sp.Mod(a, q), a),
    sp.Le(sp.ceiling((3 * a - 2 * b) / (2 * q)), sp.floor(a / 2) + sp.Mod(b, 3)),
    sp.Eq(sp.Mod(a, b - c), sp.Mod(a + 7 * (b - c), b - c)),           # negative moduli too
    sp.Eq(sp.floor(sp.floor(a / q) / 2), sp.floor(a / (2 * q))),
    sp.Eq(sp.Piecewise((sp.Max(a, b), a > c), (sp.Min(a, b) ** 2, True)), sp.Abs(a) * sp.KroneckerDelta(b, c)),
    sp.Lt(sp.floor((a * b - c) / 3), (a - 1) * (b + 2)),
]
NOT_INTEGER = [sp.Eq((a - b) / q, 1), sp.Le(a / 2 + sp.floor(b / q), c), sp.Eq(sp.sqrt(q), 2)]


def _fraction_value(expr, point):
    """The reference: SymPy's own exact evaluation of the substituted statement."""
    return bool(expr.subs(point))


@pytest.mark.parametrize("statement", INTEGER_STATEMENTS, ids=range(len(INTEGER_STATEMENTS)))
def test_the_integer_form_agrees_with_exact_rational_evaluation(statement):
    assert integer_form(statement) is not None
    check = statement_checker(statement, (), ())
    outcomes = set()
    for av, bv, cv, qv in itertools.product(range(-5, 6, 2), range(-4, 5, 3), (-3, 0, 2), (1, 2, 5)):
        point = {a: av, b: bv, c: cv, q: qv}
        got = check({"a": av, "b": bv, "c": cv, "q": qv})
        if statement.has(sp.Mod) and bv == cv and statement is INTEGER_STATEMENTS[3]:
            assert got is None                          # Mod by zero: not evaluated
            continue
        want = _fraction_value(statement, point)
        assert got is want, point
        outcomes.add(got)
    assert outcomes <= {True, False}


@pytest.mark.parametrize("statement", NOT_INTEGER, ids=range(len(NOT_INTEGER)))
def test_a_division_outside_floor_keeps_fraction_arithmetic(statement):
    assert integer_form(statement) is None
    check = statement_checker(statement, (), ())
    for av, bv, cv, qv in itertools.product(range(-3, 4), range(-2, 3), (0, 1), (1, 3, 4)):
        got = check({"a": av, "b": bv, "c": cv, "q": qv})
        assert got is _fraction_value(statement, {a: av, b: bv, c: cv, q: qv})


def test_a_solved_symbol_that_is_not_an_integer_leaves_the_configuration_out():
    n = sp.Symbol("n", integer=True, nonnegative=True)
    k = sp.Symbol("k", integer=True, positive=True)
    check = statement_checker(sp.Eq(sp.floor(k / 2), n), (), ((k, 2 * n + 1),))
    assert check({"k": 7}) is True                     # n = 3
    assert check({"k": 6}) is None                     # n = 5/2 is no integer
    false = statement_checker(sp.Eq(sp.floor(k / 2), n + 1), (), ((k, 2 * n + 1),))
    assert false({"k": 7}) is False
    assert Fraction(7, 2) != 3                          # (the solver's value for k = 8 would be 7/2)


def test_symbols_whose_names_are_not_identifiers_are_bound_by_name():
    # i' and C_in' are renamed before lambdify; a clash with a symbol already called _arg0 must not happen
    i_t, c_in, i, taken = (sp.Symbol(n, integer=True, positive=True) for n in ("i'", "C_in'", "i", "_arg0"))
    check = statement_checker(sp.And(sp.Eq(i_t, 2 * i + taken), sp.Ge(c_in, i)), (), ())
    assert check({"i'": 7, "i": 3, "_arg0": 1, "C_in'": 3}) is True
    assert check({"i'": 7, "i": 3, "_arg0": 1, "C_in'": 2}) is False
    assert check({"i'": 8, "i": 3, "_arg0": 1, "C_in'": 5}) is False
    assert check({"i": 3, "_arg0": 1, "C_in'": 5}) is None              # i' unbound


def test_the_batch_evaluation_gives_every_theorems_verdicts_one_by_one():
    # run_grid uses checker.batch (int64 arrays) when it exists: it must agree with the exact one-by-one
    # evaluation on every configuration of every registered theorem's grid
    from symconv.proofs import engine
    batched = 0
    for name in engine.theorems():
        thm = engine.theorem(name)
        if thm.grid is None:
            continue
        check = statement_checker(engine.evaluate_library(thm.statement),
                                  tuple(rel for rg in thm.assumptions for rel in rg.relations()),
                                  tuple(thm.equalities), thm.grid.bind)
        if not hasattr(check, "batch"):
            continue
        configs = thm.grid.configs()[::7]
        verdicts = check.batch(configs)
        assert verdicts is not None, name
        assert verdicts == [check(cfg) for cfg in configs], name
        batched += 1
    assert batched >= 15


def test_the_batch_leaves_out_what_one_by_one_leaves_out_and_refuses_what_it_cannot_do():
    i, k, s = (sp.Symbol(n, integer=True, positive=True) for n in "iks")
    check = statement_checker(sp.Eq(sp.floor((i - k) / s) + 1, sp.ceiling((i - k + 1) / s)), (), ())
    configs = [{"i": 7, "k": 3, "s": 2}, {"i": 7, "k": 3}, {"i": 0, "k": 1, "s": 1}, {"i": 5, "k": 2, "s": 2.0},
               {"i": 6, "k": 4, "s": 3}]
    assert check.batch(configs) == [check(cfg) for cfg in configs] == [True, None, None, None, True]
    false = statement_checker(sp.Eq(sp.floor((i - k) / s), sp.ceiling((i - k) / s)), (), ())
    assert false.batch([{"i": 7, "k": 3, "s": 2}, {"i": 6, "k": 3, "s": 2}]) == [True, False]
    assert check.batch([{"i": 2 ** 40, "k": 1, "s": 1}]) is None          # too large for int64 products
    n = sp.Symbol("n", integer=True)
    by_zero = statement_checker(sp.Eq(sp.floor(i / n) * n + sp.Mod(i, n), i), (), ())
    assert by_zero.batch([{"i": 3, "n": 2}, {"i": 3, "n": 0}]) is None   # a division by zero: one by one
    assert [by_zero(c) for c in ({"i": 3, "n": 2}, {"i": 3, "n": 0})] == [True, None]
