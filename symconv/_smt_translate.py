r"""SymPy to Z3 for :mod:`symconv.smt`: rationals as pairs of integer terms, exact floor and Mod.

A rational-valued term is ``P/Q`` with ``P``, ``Q`` Z3 integer terms; ``floor(P/Q)`` is Z3's
integer division of ``P`` by ``Q`` when ``Q > 0`` (Z3's ``div`` is Euclidean, which agrees with
floor division only for a positive divisor) and of ``-P`` by ``-Q`` otherwise. Every non-constant
denominator is recorded, with the ``Piecewise`` branch conditions around it, as an obligation
(it must be nonzero) that :func:`symconv.smt.check_relation` proves before trusting a verdict.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from typing import Any

import sympy as sp
import z3

__all__ = ["SMTUnsupported", "Translator", "domain_constraints", "own_facts", "MAX_SUM_TERMS"]

class SMTUnsupported(ValueError):
    """A construct the translator does not handle (:func:`symconv.smt.to_z3` raises it;
    :func:`symconv.smt.check_relation` turns it into an ``n/a`` verdict)."""



@dataclass(frozen=True)
class _Rat:
    """The rational ``num/den``: ``num`` a Z3 integer term, ``den`` a nonzero Python int or a Z3
    integer term whose nonzero-ness is an obligation recorded by the translator."""

    num: Any
    den: Any

    @property
    def constant_den(self) -> bool:
        return isinstance(self.den, int)


class Translator:
    """SymPy -> Z3 in one context; remembers symbols and the denominators that must be nonzero."""

    def __init__(self, ctx: z3.Context):
        self.ctx = ctx
        self.symbols: dict[sp.Symbol, Any] = {}
        self.obligations: list[tuple[Any, Any, sp.Basic]] = []   # (path condition, denominator, source)
        self.path: list[Any] = []

    # ---- helpers
    def int_val(self, value: int) -> Any:
        return z3.IntVal(int(value), self.ctx)

    def true(self) -> Any:
        return z3.BoolVal(True, self.ctx)

    def symbol(self, sym: sp.Symbol) -> Any:
        if sym not in self.symbols:
            if sym.is_integer is not True:
                raise SMTUnsupported(f"non-integer symbol {sym}")
            taken = {str(v) for v in self.symbols.values()}
            name = sym.name if sym.name not in taken else f"{sym.name}#{len(self.symbols)}"
            self.symbols[sym] = z3.Int(name, self.ctx)
        return self.symbols[sym]

    def require_nonzero(self, den: Any, source: sp.Basic) -> None:
        if isinstance(den, int):
            if den == 0:
                raise SMTUnsupported(f"division by zero in {source}")
            return
        simple = z3.simplify(den)
        if z3.is_int_value(simple):
            if simple.as_long() == 0:
                raise SMTUnsupported(f"division by zero in {source}")
            return
        path = z3.And(*self.path) if self.path else self.true()
        self.obligations.append((path, den, source))

    def as_int_den(self, r: _Rat) -> _Rat:
        """Fold a denominator that simplifies to a constant into a Python int."""
        if r.constant_den:
            return r
        simple = z3.simplify(r.den)
        return _Rat(r.num, simple.as_long()) if z3.is_int_value(simple) else r

    # ---- rational arithmetic
    def add(self, x: _Rat, y: _Rat) -> _Rat:
        if x.constant_den and y.constant_den:
            lcm = x.den * y.den // math.gcd(x.den, y.den)
            return _Rat(x.num * (lcm // x.den) + y.num * (lcm // y.den), lcm)
        return _Rat(x.num * y.den + y.num * x.den, x.den * y.den)

    def neg(self, x: _Rat) -> _Rat:
        return _Rat(-x.num, x.den)

    def mul(self, x: _Rat, y: _Rat) -> _Rat:
        return _Rat(x.num * y.num, x.den * y.den)

    def reciprocal(self, x: _Rat, source: sp.Basic) -> _Rat:
        num = z3.simplify(x.num)
        if z3.is_int_value(num):
            value = num.as_long()
            if value == 0:
                raise SMTUnsupported(f"division by zero in {source}")
            return self.as_int_den(_Rat(self.int_val(x.den) if x.constant_den else x.den, value))
        self.require_nonzero(x.num, source)
        return _Rat(self.int_val(x.den) if x.constant_den else x.den, x.num)

    def floor(self, x: _Rat) -> Any:
        """``floor(num/den)`` as a Z3 integer term (Z3's ``/`` on Ints is Euclidean division)."""
        if x.constant_den:
            if x.den == 1:
                return x.num
            return x.num / x.den if x.den > 0 else (-x.num) / (-x.den)
        return z3.If(x.den > 0, x.num / x.den, (-x.num) / (-x.den))

    def compare(self, op: str, x: _Rat, y: _Rat) -> Any:
        """``x op y`` for rationals: the sign of the difference's numerator, flipped for a negative
        denominator."""
        diff = self.add(x, self.neg(y))
        num, den = diff.num, diff.den
        zero = self.int_val(0)
        plain = {"==": lambda: num == zero, "!=": lambda: num != zero, "<": lambda: num < zero,
                 "<=": lambda: num <= zero, ">": lambda: num > zero, ">=": lambda: num >= zero}
        if op in ("==", "!="):
            return plain[op]()
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        if isinstance(den, int):
            return plain[op]() if den > 0 else plain[flipped]()
        return z3.If(den > 0, plain[op](), plain[flipped]())

    def ite(self, cond: Any, x: _Rat, y: _Rat) -> _Rat:
        if x.constant_den and y.constant_den:
            lcm = x.den * y.den // math.gcd(x.den, y.den)
            return _Rat(z3.If(cond, x.num * (lcm // x.den), y.num * (lcm // y.den)), lcm)
        return _Rat(z3.If(cond, x.num * y.den, y.num * x.den), x.den * y.den)

    def integer(self, term: Any) -> _Rat:
        return _Rat(term, 1)

    # ---- expressions
    def expr(self, e: sp.Basic) -> _Rat:
        if isinstance(e, sp.Symbol):
            return _Rat(self.symbol(e), 1)
        if isinstance(e, (sp.Integer, sp.Rational)):
            return _Rat(self.int_val(e.p), int(e.q))
        if e.is_Number or e in (sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise SMTUnsupported(f"non-rational constant {e}")
        handler = _EXPR_HANDLERS.get(type(e))
        if handler is None:
            for cls, fn in _EXPR_HANDLERS.items():
                if isinstance(e, cls):
                    handler = fn
                    break
        if handler is None:
            raise SMTUnsupported(f"unsupported construct {type(e).__name__} ({e})")
        return handler(self, e)

    def boolean(self, b: Any) -> Any:
        if b is sp.true or b is True:
            return self.true()
        if b is sp.false or b is False:
            return z3.BoolVal(False, self.ctx)
        rel = _RELATIONS.get(type(b))
        if rel is not None:
            return self.compare(rel, self.expr(b.lhs), self.expr(b.rhs))
        if isinstance(b, sp.And):
            return z3.And(*[self.boolean(x) for x in b.args])
        if isinstance(b, sp.Or):
            return z3.Or(*[self.boolean(x) for x in b.args])
        if isinstance(b, sp.Not):
            return z3.Not(self.boolean(b.args[0]))
        if isinstance(b, sp.Implies):
            return z3.Implies(self.boolean(b.args[0]), self.boolean(b.args[1]))
        if isinstance(b, sp.Equivalent):
            parts = [self.boolean(x) for x in b.args]
            return z3.And(*[parts[0] == q for q in parts[1:]])
        if isinstance(b, sp.Xor):
            return reduce(z3.Xor, [self.boolean(x) for x in b.args])
        if isinstance(b, sp.ITE):
            cond = self.boolean(b.args[0])
            return z3.If(cond, self.boolean(b.args[1]), self.boolean(b.args[2]))
        raise SMTUnsupported(f"unsupported Boolean construct {type(b).__name__} ({b})")


_RELATIONS = {sp.Eq: "==", sp.Ne: "!=", sp.Lt: "<", sp.Le: "<=", sp.Gt: ">", sp.Ge: ">=",
              sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">", sp.GreaterThan: ">="}


def _add(tr: Translator, e: sp.Add) -> _Rat:
    return reduce(tr.add, [tr.expr(x) for x in e.args])


def _mul(tr: Translator, e: sp.Mul) -> _Rat:
    return tr.as_int_den(reduce(tr.mul, [tr.expr(x) for x in e.args]))


def _pow(tr: Translator, e: sp.Pow) -> _Rat:
    base, exp = e.args
    if not isinstance(exp, sp.Integer):
        raise SMTUnsupported(f"power with non-integer exponent ({e})")
    n = int(exp)
    b = tr.expr(base)
    if n < 0:
        b, n = tr.reciprocal(b, e), -n
    if n == 0:
        return _Rat(tr.int_val(1), 1)
    return tr.as_int_den(reduce(tr.mul, [b] * n))


def _floor(tr: Translator, e: sp.floor) -> _Rat:
    return tr.integer(tr.floor(tr.expr(e.args[0])))


def _ceiling(tr: Translator, e: sp.ceiling) -> _Rat:
    return tr.integer(-tr.floor(tr.neg(tr.expr(e.args[0]))))


def _frac(tr: Translator, e: sp.frac) -> _Rat:
    x = tr.expr(e.args[0])
    return tr.add(x, tr.neg(tr.integer(tr.floor(x))))


def _mod(tr: Translator, e: sp.Mod) -> _Rat:
    """SymPy's ``Mod(a, b) = a - b*floor(a/b)`` (the sign of ``b``)."""
    a, b = tr.expr(e.args[0]), tr.expr(e.args[1])
    if a.constant_den and a.den == 1 and b.constant_den and b.den == 1:
        simple = z3.simplify(b.num)
        if z3.is_int_value(simple) and simple.as_long() > 0:
            return tr.integer(a.num % simple.as_long())   # Euclidean = floor mod for a positive divisor
    quotient = tr.mul(a, tr.reciprocal(b, e))
    return tr.as_int_den(tr.add(a, tr.neg(tr.mul(b, tr.integer(tr.floor(quotient))))))


def _min_max(tr: Translator, e: sp.Basic) -> _Rat:
    op = "<=" if isinstance(e, sp.Min) else ">="
    terms = [tr.expr(x) for x in e.args]
    return reduce(lambda x, y: tr.ite(tr.compare(op, x, y), x, y), terms)


def _abs(tr: Translator, e: sp.Abs) -> _Rat:
    x = tr.expr(e.args[0])
    zero = _Rat(tr.int_val(0), 1)
    return tr.ite(tr.compare(">=", x, zero), x, tr.neg(x))


def _sign(tr: Translator, e: sp.sign) -> _Rat:
    x = tr.expr(e.args[0])
    zero = _Rat(tr.int_val(0), 1)
    one, minus, nil = tr.int_val(1), tr.int_val(-1), tr.int_val(0)
    return tr.integer(z3.If(tr.compare(">", x, zero), one, z3.If(tr.compare("<", x, zero), minus, nil)))


def _kronecker(tr: Translator, e: sp.KroneckerDelta) -> _Rat:
    x, y = tr.expr(e.args[0]), tr.expr(e.args[1])
    return tr.integer(z3.If(tr.compare("==", x, y), tr.int_val(1), tr.int_val(0)))


def _piecewise(tr: Translator, e: sp.Piecewise) -> _Rat:
    """Nested ``If`` s; each branch is translated under its path condition (so a guarded division
    needs only its guard). Without a ``True`` branch, some condition must hold (an obligation)."""
    conds = [tr.boolean(c) for _, c in e.args]
    values, taken = [], []
    for (value, _), cond in zip(e.args, conds):
        branch = z3.And(cond, *[z3.Not(c) for c in taken]) if taken else cond
        tr.path.append(branch)
        try:
            values.append(tr.expr(value))
        finally:
            tr.path.pop()
        taken.append(cond)
    if e.args[-1][1] is not sp.true:
        # "division" by the indicator of "some condition holds": zero exactly when none does
        covered = z3.If(z3.Or(*conds), tr.int_val(1), tr.int_val(0))
        tr.require_nonzero(covered, e)
    out = values[-1]
    for value, cond in reversed(list(zip(values[:-1], conds[:-1]))):
        out = tr.ite(cond, value, out)
    return out


#: Sums with numeric limits are written out when they have at most this many terms.
MAX_SUM_TERMS = 256


def _sum(tr: Translator, e: sp.Sum) -> _Rat:
    """A sum with numeric limits, written out term by term (exact); symbolic limits are out of reach."""
    body, (var, lo, hi), *rest = e.function, *e.limits
    if not (lo.is_Integer and hi.is_Integer):
        raise SMTUnsupported(f"unsupported construct Sum with symbolic limits ({e})")
    if abs(int(hi) - int(lo)) + 1 > MAX_SUM_TERMS:
        raise SMTUnsupported(f"unsupported construct Sum with more than {MAX_SUM_TERMS} terms ({e})")
    inner = sp.Sum(body, *rest) if rest else body
    lo, hi = int(lo), int(hi)
    values, sign = (range(lo, hi + 1), 1) if hi >= lo else (range(hi + 1, lo), -1)   # SymPy's (Karr's) convention
    total = reduce(tr.add, [tr.expr(inner.subs(var, v)) for v in values], _Rat(tr.int_val(0), 1))
    return total if sign == 1 else tr.neg(total)


_EXPR_HANDLERS = {sp.Sum: _sum, sp.Add: _add, sp.Mul: _mul, sp.Pow: _pow, sp.floor: _floor, sp.ceiling: _ceiling,
                  sp.frac: _frac, sp.Mod: _mod, sp.Min: _min_max, sp.Max: _min_max, sp.Abs: _abs,
                  sp.sign: _sign, sp.KroneckerDelta: _kronecker, sp.Piecewise: _piecewise}


def own_facts(sym: sp.Symbol, value: Any) -> list:
    """A symbol's own SymPy assumptions (positive, even ...) about ``value``: a Z3 variable (the
    constraints) or an int (the truth values); ``% 2`` is the same in both for a positive modulus."""
    facts = [(sym.is_positive, lambda v: v >= 1), (sym.is_nonnegative, lambda v: v >= 0),
             (sym.is_negative, lambda v: v <= -1), (sym.is_nonpositive, lambda v: v <= 0),
             (sym.is_zero, lambda v: v == 0), (sym.is_nonzero, lambda v: v != 0),
             (sym.is_even, lambda v: v % 2 == 0), (sym.is_odd, lambda v: v % 2 == 1)]
    return [fact(value) for known, fact in facts if known]


def domain_constraints(tr: Translator) -> list:
    """The symbols' own SymPy assumptions as Z3 constraints."""
    return [c for sym, var in tr.symbols.items() for c in own_facts(sym, var)]
