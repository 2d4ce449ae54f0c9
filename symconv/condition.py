r"""The exact set where two size expressions agree, as a short condition proved by Z3.

:func:`exact_condition` is what ``check-formula`` uses when a formula is right only sometimes.
It works in three steps:

1. *atoms*: the relations at which either expression can change behaviour -- the integrality
   of every ``floor``/``ceiling`` argument (``Mod(N, D) = 0``), every ``Piecewise`` branch
   condition, the comparisons inside ``Max``/``Min``/``Abs``, and each free letter at its
   PyTorch default (``s = 1``, ``p = 0`` ...);
2. *search*: the atoms and their negations are evaluated exactly (integers and fractions,
   never floats) on sampled configurations, and the smallest conjunction or disjunction of at
   most three of them whose truth matches "the expressions agree" on every sample is kept;
3. *proof*: :func:`symconv.smt.check_relation` is asked whether
   ``domain => (lhs == rhs <=> condition)`` holds over all integers; ``certified`` (or
   ``bounded``) makes the condition exact, a counterexample goes back into the samples.

Without an exact condition, the largest condition that implies agreement on every sample is
returned with ``exact=False`` ("for example when ...").

Examples
--------
>>> import sympy as sp
>>> from symconv.symbols import i, k, s
>>> found = exact_condition(i * s + sp.Max(k - s, 0), s * (i - 1) + k, [sp.Ge(s * (i - 1) + k, 1)],
...                         [{"i": a, "k": b, "s": c} for a in range(1, 5) for b in range(1, 5) for c in range(1, 4)],
...                         defaults={"s": 1})
>>> found.condition, found.exact, found.proof
(k >= s, True, 'certified')
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import sympy as sp

__all__ = ["compile_exact", "atoms", "exact_condition", "prove", "Found", "human", "tidy"]

#: Atoms beyond this many are not combined (the search is over pairs and triples).
MAX_ATOMS = 14
#: Candidates whose sample truth matches are sent to Z3 at most this many times.
MAX_PROOFS = 3
#: Z3's time per query.
TIMEOUT_MS = 1500


# --------------------------------------------------------------------------- exact evaluation


def _rational(value: Any) -> Fraction:
    return Fraction(int(value.p), int(value.q))


def _floor(x: Fraction) -> Fraction:
    return Fraction(math.floor(x))


def _mod(x: Fraction, y: Fraction) -> Fraction:
    if y == 0:
        raise ZeroDivisionError("Mod by zero")
    return x - y * math.floor(x / y)


def _power(x: Fraction, n: Fraction) -> Fraction:
    if n.denominator != 1:
        raise ValueError("only integer powers are evaluated exactly")
    return x ** int(n)


_FUNCTIONS: dict = {
    sp.floor: lambda x: _floor(x), sp.ceiling: lambda x: Fraction(math.ceil(x)), sp.Abs: abs,
    sp.Mod: _mod, sp.Max: lambda *v: max(v), sp.Min: lambda *v: min(v),
}
_RELATIONS: dict = {
    sp.Eq: lambda x, y: x == y, sp.Ne: lambda x, y: x != y, sp.Lt: lambda x, y: x < y,
    sp.Le: lambda x, y: x <= y, sp.Gt: lambda x, y: x > y, sp.Ge: lambda x, y: x >= y,
}


def compile_exact(expr: Any) -> Callable[[dict], Any]:
    """A function of ``{letter name: int}`` evaluating ``expr`` exactly (``Fraction`` / ``bool``).

    Handles ``+ * **`` (integer exponents), rationals, ``floor``, ``ceiling``, ``Mod``, ``Max``,
    ``Min``, ``Abs``, ``Piecewise``, relations and ``And``/``Or``/``Not``; raises ``ZeroDivisionError``
    where the expression is undefined.

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> compile_exact(sp.floor(i / s) + sp.Mod(i, s))({"i": 7, "s": 2})
    Fraction(4, 1)
    >>> compile_exact(sp.Ge(i, s) & sp.Ne(i, 3))({"i": 7, "s": 2})
    True
    """
    expr = sp.sympify(expr)
    if expr is sp.true or expr is sp.false:
        value = bool(expr)
        return lambda env: value
    if isinstance(expr, sp.Symbol):
        name = expr.name
        return lambda env: Fraction(env[name])
    if expr.is_Rational:
        value = _rational(expr)
        return lambda env: value
    parts = [compile_exact(a) for a in expr.args] if not isinstance(expr, sp.Piecewise) else None
    if isinstance(expr, sp.Add):
        return lambda env: sum((f(env) for f in parts), Fraction(0))
    if isinstance(expr, sp.Mul):
        def product(env: dict) -> Fraction:
            out = Fraction(1)
            for f in parts:
                out *= f(env)
            return out
        return product
    if isinstance(expr, sp.Pow):
        base, exponent = parts
        return lambda env: _power(base(env), exponent(env))
    if isinstance(expr, sp.Piecewise):
        branches = [(compile_exact(e), compile_exact(c)) for e, c in expr.args]

        def piecewise(env: dict) -> Any:
            for value, condition in branches:
                if condition(env):
                    return value(env)
            raise ValueError("no Piecewise branch applies")
        return piecewise
    for kind, function in _FUNCTIONS.items():
        if isinstance(expr, kind):
            return lambda env: function(*(f(env) for f in parts))
    for kind, function in _RELATIONS.items():
        if isinstance(expr, kind):
            left, right = parts
            return lambda env: function(left(env), right(env))
    if isinstance(expr, sp.And):
        return lambda env: all(f(env) for f in parts)
    if isinstance(expr, sp.Or):
        return lambda env: any(f(env) for f in parts)
    if isinstance(expr, sp.Not):
        return lambda env: not parts[0](env)
    raise ValueError(f"cannot evaluate {type(expr).__name__} exactly: {expr}")


# --------------------------------------------------------------------------- atoms


def tidy(relation: Any) -> Any:
    """``k - s >= 0`` as ``k >= s``: positive terms left, negative terms right."""
    if not isinstance(relation, sp.core.relational.Relational):
        return relation
    difference = sp.expand(relation.lhs - relation.rhs, deep=False)
    if isinstance(relation, (sp.Eq, sp.Ne)) and difference.has(sp.Mod):
        return relation
    left, right = [], []
    for term in sp.Add.make_args(difference):
        coefficient, _ = term.as_coeff_Mul()
        (right if coefficient < 0 else left).append(term)
    lhs, rhs = _ceilings(sp.Add(*left)), _ceilings(-sp.Add(*right))
    if lhs.is_number and not rhs.is_number:
        lhs, rhs = rhs, lhs
        relation = relation.reversed
    return type(relation)(lhs, rhs) if not isinstance(relation, sp.Eq) else sp.Eq(lhs, rhs)


def _ceilings(expr: sp.Expr) -> sp.Expr:
    """``floor((X + D - 1)/D)`` as ``ceiling(X/D)`` where that is shorter (equal for integer X, D >= 1)."""
    def shorter(f: sp.floor) -> sp.Expr:
        numerator, denominator = sp.fraction(sp.together(f.args[0]))
        if denominator == 1 or not (denominator.is_integer and denominator.is_positive):
            return f
        ceiling = sp.ceiling(sp.expand(numerator - denominator + 1) / denominator)
        return ceiling if sp.count_ops(ceiling) < sp.count_ops(f) else f
    return expr.replace(lambda e: isinstance(e, sp.floor), shorter)


def _integral(argument: sp.Expr) -> sp.Basic:
    numerator, denominator = sp.fraction(sp.together(argument))
    if denominator == 1:
        return sp.true
    return sp.Eq(sp.Mod(sp.expand(numerator, deep=False), denominator), 0)


_PIECEWISE_LINEAR = (sp.floor, sp.ceiling, sp.Mod, sp.Max, sp.Min, sp.Abs, sp.Piecewise)


def _factors(difference: sp.Expr) -> list:
    """``factor = 0`` for each factor of a polynomial difference: ``(k - 1)(1 - d)`` gives k = 1, d = 1."""
    if difference.has(*_PIECEWISE_LINEAR) or not difference.free_symbols:
        return []
    try:
        product = sp.factor(difference)
    except (sp.PolynomialError, ValueError, TypeError):      # pragma: no cover - SymPy internals
        return []
    return [sp.Eq(f.as_base_exp()[0], 0) for f in sp.Mul.make_args(product) if f.free_symbols]


def atoms(expressions: Iterable[Any], defaults: dict | None = None) -> list:
    """The relations at which the expressions change behaviour, plus letters at their defaults.

    Examples
    --------
    >>> from symconv.symbols import i, k, s
    >>> atoms([sp.floor((i - k) / s) + 1, sp.Max(k - s, 0)], {"s": 1})
    [Eq(Mod(i - k, s), 0), s >= k, k >= s, Eq(s, 1)]
    """
    found: list = []
    letters: set = set()
    for expression in expressions:
        expression = sp.sympify(expression)
        letters |= {x.name for x in expression.free_symbols}
        for node in sp.preorder_traversal(expression):
            if isinstance(node, (sp.floor, sp.ceiling)):
                found.append(_integral(node.args[0]))
            elif isinstance(node, sp.Piecewise):
                found.extend(c for _, c in node.args if c is not sp.true)
            elif isinstance(node, (sp.Max, sp.Min)):
                found.extend(sp.Ge(x, y) for x, y in itertools.permutations(node.args, 2))
            elif isinstance(node, sp.Abs):
                found.append(sp.Ge(node.args[0], 0))
    by_name = {x.name: x for e in expressions for x in sp.sympify(e).free_symbols}
    for name, value in (defaults or {}).items():
        if name in by_name:
            found.append(sp.Eq(by_name[name], value))
    out: list = []
    seen: set = set()
    for atom in found:
        atom = tidy(atom)
        if atom in (sp.true, sp.false) or not isinstance(atom, sp.Basic) or str(atom) in seen:
            continue
        seen.add(str(atom))
        out.append(atom)
    return out


# --------------------------------------------------------------------------- proof


def prove(statement: Any, assumptions: Sequence[Any] = (), timeout_ms: int = TIMEOUT_MS) -> tuple[str, dict | None]:
    """Z3's verdict on ``statement`` under ``assumptions``: (status, counterexample).

    Status is one of :data:`symconv.smt.SMT_STATUSES`; ``n/a`` also when Z3 is not available.
    """
    try:
        from .smt import check_relation
    except ImportError:                                     # pragma: no cover - z3 is a dependency
        return "n/a", None
    try:
        verdict = check_relation(statement, assumptions=tuple(assumptions), timeout_ms=timeout_ms)
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        return "n/a", None
    return verdict.status, verdict.counterexample


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Found:
    """A condition for agreement: ``exact`` when proved necessary and sufficient (``proof``)."""

    condition: Any
    exact: bool
    proof: str | None


def _literals(candidates: list, samples: list) -> list:
    """(mask, relation) for each atom and its negation that is neither always true nor always false."""
    full = (1 << len(samples)) - 1
    out = []
    for atom in candidates:
        check = compile_exact(atom)
        mask = 0
        try:
            for n, env in enumerate(samples):
                if check(env):
                    mask |= 1 << n
        except (ZeroDivisionError, ValueError, KeyError):
            continue
        if mask in (0, full):
            continue
        out.append((mask, atom))
        out.append((full & ~mask, tidy(sp.Not(atom))))
    return out


def _combinations(literals: list, full: int):
    """Every condition of one, two or three literals, simplest first: (mask, a function building it).

    The SymPy condition is built only when asked for (most combinations are only masks).
    """
    for mask, relation in literals:
        yield mask, (lambda relation=relation: relation)
    for size in (2, 3):
        for group in itertools.combinations(literals, size):
            masks = [m for m, _ in group]
            relations = [r for _, r in group]
            yield _and_masks(masks), (lambda relations=relations: sp.And(*relations))
            yield _or_masks(masks, full), (lambda relations=relations: sp.Or(*relations))


def _and_masks(masks: list) -> int:
    out = masks[0]
    for m in masks[1:]:
        out &= m
    return out


def _or_masks(masks: list, full: int) -> int:
    out = 0
    for m in masks:
        out |= m
    return out & full


def exact_condition(lhs: Any, rhs: Any, domain: Sequence[Any], samples: list, defaults: dict | None = None,
                    extra_atoms: Sequence[Any] = (), agree: Callable[[dict], bool] | None = None,
                    complete: Callable[[dict], dict | None] | None = None) -> Found | None:
    """The simplest condition under which ``lhs == rhs`` on ``domain`` (see the module docstring).

    Parameters
    ----------
    lhs, rhs : sympy expressions in integer letters
    domain : relations
        The operator's valid domain (the assumptions Z3 works under).
    samples : list of dict
        Valid configurations ``{letter name: int}`` (at least one where they agree and one where not).
    defaults : dict
        Letter name to its default value; ``letter = default`` is an atom.
    extra_atoms : relations
        Further atoms to try.
    agree : callable, optional
        Whether the two agree at a sample (default: exact evaluation of both).
    complete : callable, optional
        Turns Z3's counterexample (the letters in the statement) into a full valid sample, or
        None when it is not one (default: taken as it is).

    Returns
    -------
    Found or None
        None when no condition of at most three atoms separates the samples.
    """
    samples = list(samples)
    if agree is None:
        left, right = compile_exact(lhs), compile_exact(rhs)
        agree = lambda env: left(env) == right(env)  # noqa: E731
    candidates = (list(extra_atoms) + [tidy(a) for a in _factors(sp.sympify(lhs - rhs))]
                  + atoms([lhs, rhs], defaults))
    candidates = list({str(a): a for a in candidates}.values())[:MAX_ATOMS]
    statement_of = lambda c: sp.Equivalent(sp.Eq(lhs, rhs), c)  # noqa: E731
    for _ in range(MAX_PROOFS):
        truth = 0
        for n, env in enumerate(samples):
            if agree(env):
                truth |= 1 << n
        full = (1 << len(samples)) - 1
        if truth in (0, full):
            return None
        literals = _literals(candidates, samples)
        exact = list(itertools.islice((build for mask, build in _combinations(literals, full) if mask == truth),
                                      MAX_PROOFS))
        counterexample = None
        for build in exact:
            condition = build()
            status, counterexample = prove(statement_of(condition), domain)
            if status in ("certified", "bounded"):
                return Found(condition, True, status)
            if status == "refuted" and counterexample:
                break
            counterexample = None
        if counterexample is None:
            break
        env = {name: int(value) for name, value in counterexample.items()}
        env = env if complete is None else complete(env)
        if env is None or any(_same(env, other) for other in samples):
            break
        samples.append(env)
    best = None
    for mask, build in _combinations(literals, full):
        if mask and mask & ~truth == 0 and (best is None or bin(mask).count("1") > bin(best[0]).count("1")):
            best = (mask, build)
    if best is None:
        return None
    condition = best[1]()
    status, _ = prove(sp.Implies(condition, sp.Eq(lhs, rhs)), domain)
    return Found(condition, False, status if status in ("certified", "bounded") else None)


def _same(env: dict, other: dict) -> bool:
    return all(other.get(k) == v for k, v in env.items())


# --------------------------------------------------------------------------- display


def human(condition: Any) -> str:
    """A condition as people write it: ``=`` for ``Eq``, ``and``/``or``.

    Examples
    --------
    >>> from symconv.symbols import d, k, s
    >>> human(sp.Or(sp.Eq(d, 1), sp.Eq(k, 1)))
    'd = 1 or k = 1'
    >>> human(sp.Eq(sp.Mod(k, s), 0) & sp.Ge(k, s))
    'k >= s and Mod(k, s) = 0'
    """
    if isinstance(condition, sp.Eq):
        return f"{condition.lhs} = {condition.rhs}"
    if isinstance(condition, sp.Ne):
        return f"{condition.lhs} != {condition.rhs}"
    if isinstance(condition, (sp.And, sp.Or)):
        word = " and " if isinstance(condition, sp.And) else " or "
        parts = [human(a) for a in condition.args]
        wrap = [f"({p})" if isinstance(a, (sp.And, sp.Or)) else p for p, a in zip(parts, condition.args)]
        return word.join(wrap)
    return str(condition)
