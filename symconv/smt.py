r"""Z3 as a second, independent prover for integer statements with floor, ceiling and Mod.

:func:`check_relation` translates a SymPy Boolean over integer symbols into Z3 and asks for a
model of ``assumptions and not statement`` over **unbounded** integers:

* ``certified`` -- Z3 says ``unsat``: no integer assignment satisfying the assumptions
  violates the statement;
* ``refuted`` -- Z3 found a counterexample, and SymPy confirmed it (the statement evaluates to
  ``False`` and every assumption to ``True`` at that point);
* ``bounded`` -- over unbounded integers Z3 gave up (nonlinear arithmetic), but there is no
  counterexample with every symbol in a box (``[0, 2**bits)`` for symbols the assumptions
  make nonnegative, ``[-2**(bits-1), 2**(bits-1))`` for the others);
* ``unknown`` -- neither (``reason`` says why);
* ``n/a`` -- the statement is outside the translator's reach (``reason`` names the construct).

Translation is exact. A rational-valued term is a pair ``P/Q`` of Z3 integer terms;
``floor(P/Q)`` is Z3's integer division of ``P`` by ``Q`` when ``Q > 0`` (Z3's ``div`` is
Euclidean, which agrees with floor division only for a positive divisor) and of ``-P`` by ``-Q``
otherwise; ``Mod(a, b)`` is SymPy's ``a - b*floor(a/b)`` (the sign of ``b``); a relation between
two rationals compares the numerator of their difference with zero, flipped when the denominator
is negative. Every denominator must be provably nonzero under the assumptions (and the branch
conditions of any ``Piecewise`` around it), else the verdict is ``n/a``.

Examples
--------
>>> import sympy as sp
>>> n = sp.Symbol("n", integer=True)
>>> s = sp.Symbol("s", integer=True, positive=True)
>>> check_relation(sp.Eq(s*sp.floor(n/s) + sp.Mod(n, s), n)).status
'certified'
>>> verdict = check_relation(sp.Eq(sp.Abs(n), n))
>>> verdict.status, verdict.counterexample["n"] < 0
('refuted', True)
>>> check_relation(sp.Eq(sp.Function("f")(n), n)).status
'n/a'
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import reduce
from typing import Any, Iterable

import sympy as sp
import z3

__all__ = ["SMTVerdict", "SMTUnsupported", "check_relation", "to_z3", "SMT_STATUSES"]

#: The verdicts of :func:`check_relation`.
SMT_STATUSES = ("certified", "bounded", "refuted", "unknown", "n/a")


@dataclass(frozen=True)
class SMTVerdict:
    """The outcome of :func:`check_relation`.

    Attributes
    ----------
    status : str
        One of :data:`SMT_STATUSES`.
    counterexample : dict or None
        ``{symbol name: int}`` when ``refuted`` (checked with SymPy), else ``None``.
    reason : str
        Why the verdict is ``n/a``, ``unknown`` or ``bounded`` (empty for a plain ``certified``).
    seconds : float
        Wall time of the call.
    """

    status: str
    counterexample: dict | None = None
    reason: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """JSON form: ``status`` and, when set, ``counterexample`` and ``reason``."""
        out: dict = {"status": self.status}
        if self.counterexample is not None:
            out["counterexample"] = dict(self.counterexample)
        if self.reason:
            out["reason"] = self.reason
        return out


class SMTUnsupported(ValueError):
    """A construct the translator does not handle (:func:`to_z3` raises it; :func:`check_relation`
    turns it into an ``n/a`` verdict)."""


# --------------------------------------------------------------------------- translation


@dataclass(frozen=True)
class _Rat:
    """The rational ``num/den``: ``num`` a Z3 integer term, ``den`` a nonzero Python int or a Z3
    integer term whose nonzero-ness is an obligation recorded by the translator."""

    num: Any
    den: Any

    @property
    def constant_den(self) -> bool:
        return isinstance(self.den, int)


class _Translator:
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


def _add(tr: _Translator, e: sp.Add) -> _Rat:
    return reduce(tr.add, [tr.expr(x) for x in e.args])


def _mul(tr: _Translator, e: sp.Mul) -> _Rat:
    return tr.as_int_den(reduce(tr.mul, [tr.expr(x) for x in e.args]))


def _pow(tr: _Translator, e: sp.Pow) -> _Rat:
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


def _floor(tr: _Translator, e: sp.floor) -> _Rat:
    return tr.integer(tr.floor(tr.expr(e.args[0])))


def _ceiling(tr: _Translator, e: sp.ceiling) -> _Rat:
    return tr.integer(-tr.floor(tr.neg(tr.expr(e.args[0]))))


def _frac(tr: _Translator, e: sp.frac) -> _Rat:
    x = tr.expr(e.args[0])
    return tr.add(x, tr.neg(tr.integer(tr.floor(x))))


def _mod(tr: _Translator, e: sp.Mod) -> _Rat:
    """SymPy's ``Mod(a, b) = a - b*floor(a/b)`` (the sign of ``b``)."""
    a, b = tr.expr(e.args[0]), tr.expr(e.args[1])
    if a.constant_den and a.den == 1 and b.constant_den and b.den == 1:
        simple = z3.simplify(b.num)
        if z3.is_int_value(simple) and simple.as_long() > 0:
            return tr.integer(a.num % simple.as_long())   # Euclidean = floor mod for a positive divisor
    quotient = tr.mul(a, tr.reciprocal(b, e))
    return tr.as_int_den(tr.add(a, tr.neg(tr.mul(b, tr.integer(tr.floor(quotient))))))


def _min_max(tr: _Translator, e: sp.Basic) -> _Rat:
    op = "<=" if isinstance(e, sp.Min) else ">="
    terms = [tr.expr(x) for x in e.args]
    return reduce(lambda x, y: tr.ite(tr.compare(op, x, y), x, y), terms)


def _abs(tr: _Translator, e: sp.Abs) -> _Rat:
    x = tr.expr(e.args[0])
    zero = _Rat(tr.int_val(0), 1)
    return tr.ite(tr.compare(">=", x, zero), x, tr.neg(x))


def _sign(tr: _Translator, e: sp.sign) -> _Rat:
    x = tr.expr(e.args[0])
    zero = _Rat(tr.int_val(0), 1)
    one, minus, nil = tr.int_val(1), tr.int_val(-1), tr.int_val(0)
    return tr.integer(z3.If(tr.compare(">", x, zero), one, z3.If(tr.compare("<", x, zero), minus, nil)))


def _kronecker(tr: _Translator, e: sp.KroneckerDelta) -> _Rat:
    x, y = tr.expr(e.args[0]), tr.expr(e.args[1])
    return tr.integer(z3.If(tr.compare("==", x, y), tr.int_val(1), tr.int_val(0)))


def _piecewise(tr: _Translator, e: sp.Piecewise) -> _Rat:
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


_EXPR_HANDLERS = {sp.Add: _add, sp.Mul: _mul, sp.Pow: _pow, sp.floor: _floor, sp.ceiling: _ceiling,
                  sp.frac: _frac, sp.Mod: _mod, sp.Min: _min_max, sp.Max: _min_max, sp.Abs: _abs,
                  sp.sign: _sign, sp.KroneckerDelta: _kronecker, sp.Piecewise: _piecewise}


def _domain(tr: _Translator) -> list:
    """The symbols' own SymPy assumptions (positive, nonnegative, even ...) as Z3 constraints."""
    out = []
    for sym, var in tr.symbols.items():
        facts = [(sym.is_positive, var >= 1), (sym.is_nonnegative, var >= 0), (sym.is_negative, var <= -1),
                 (sym.is_nonpositive, var <= 0), (sym.is_zero, var == 0), (sym.is_nonzero, var != 0),
                 (sym.is_even, var % 2 == 0), (sym.is_odd, var % 2 == 1)]
        out += [constraint for known, constraint in facts if known]
    return out


def _is_boolean(x: Any) -> bool:
    """A SymPy Boolean that is not an expression (SymPy's ``Symbol`` is both)."""
    return isinstance(x, sp.logic.boolalg.Boolean) and not isinstance(x, sp.Expr)


def to_z3(expr: Any, ctx: z3.Context | None = None) -> Any:
    r"""Translate a SymPy expression or Boolean into a Z3 term (symbols keep their names).

    An integer-valued translation is a Z3 ``Int``; a rational one (``n/2``) a ``Real`` quotient of
    two integer terms; a Boolean a ``Bool``. Division-by-zero guards are *not* part of the term
    (:func:`check_relation` proves them separately).

    Parameters
    ----------
    expr : sympy.Basic
        Over integer symbols; see the module docstring for the supported constructs.
    ctx : z3.Context, optional
        The Z3 context (default: Z3's main context).

    Returns
    -------
    z3.ExprRef

    Raises
    ------
    SMTUnsupported
        For a construct outside the translator's reach (a ``ValueError``).

    Examples
    --------
    >>> import sympy as sp, z3
    >>> n = sp.Symbol("n", integer=True)
    >>> term = to_z3(sp.Mod(n, -3))
    >>> z3.simplify(z3.substitute(term, (z3.Int("n"), z3.IntVal(7))))
    -2
    >>> sp.Mod(7, -3)
    -2
    """
    tr = _Translator(ctx or z3.main_ctx())
    expr = sp.sympify(expr)
    if _is_boolean(expr):
        return tr.boolean(expr)
    r = tr.as_int_den(tr.expr(expr))
    if r.constant_den and r.den == 1:
        return r.num
    den = tr.int_val(r.den) if r.constant_den else r.den
    return z3.ToReal(r.num) / z3.ToReal(den)


# --------------------------------------------------------------------------- solving


def _solve(ctx: z3.Context, constraints: list, timeout_ms: int) -> tuple[Any, Any, str]:
    """``(z3.sat | z3.unsat | z3.unknown, model or None, reason_unknown)`` within ``timeout_ms``."""
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", max(1, int(timeout_ms)))
    solver.add(*constraints)
    try:
        result = solver.check()
    except z3.Z3Exception as exc:  # pragma: no cover - Z3 internal errors
        return z3.unknown, None, f"Z3 error: {exc}"
    if result == z3.sat:
        return result, solver.model(), ""
    return result, None, solver.reason_unknown() if result == z3.unknown else ""


def _model_values(tr: _Translator, model: Any) -> dict:
    return {sym: int(model.eval(var, model_completion=True).as_long()) for sym, var in tr.symbols.items()}


def _own_assumptions_hold(sym: sp.Symbol, value: int) -> bool:
    checks = [(sym.is_positive, value >= 1), (sym.is_nonnegative, value >= 0), (sym.is_negative, value <= -1),
              (sym.is_nonpositive, value <= 0), (sym.is_zero, value == 0), (sym.is_nonzero, value != 0),
              (sym.is_even, value % 2 == 0), (sym.is_odd, value % 2 == 1)]
    return all(ok for known, ok in checks if known)


def _confirm(statement: sp.Basic, assumptions: list, values: dict) -> str:
    """Why SymPy does not confirm ``values`` as a counterexample ('' when it does)."""
    if not all(_own_assumptions_hold(sym, v) for sym, v in values.items()):
        return "the model violates a symbol's own assumptions"
    mapping = {sym: sp.Integer(v) for sym, v in values.items()}
    for fact in assumptions:
        if fact.subs(mapping) is not sp.true:
            return f"SymPy does not evaluate assumption {fact} to True at the model"
    if statement.subs(mapping) is not sp.false:
        return "SymPy does not evaluate the statement to False at the model"
    return ""


class _Budget:
    """Per-query timeouts inside a total time budget for one call."""

    def __init__(self, timeout_ms: int, queries: int = 4):
        self.timeout_ms = timeout_ms
        self.deadline = time.perf_counter() + queries * timeout_ms / 1000

    def next_ms(self) -> int:
        return int(min(self.timeout_ms, (self.deadline - time.perf_counter()) * 1000))


def _refutation(tr: _Translator, model: Any, statement: sp.Basic, assumptions: list, t0: float,
                reason: str = "") -> SMTVerdict:
    values = _model_values(tr, model)
    why = _confirm(statement, assumptions, values)
    if why:
        return SMTVerdict("unknown", None, f"Z3 model {_named(tr, values)} not confirmed: {why}",
                          time.perf_counter() - t0)
    return SMTVerdict("refuted", _named(tr, values), reason, time.perf_counter() - t0)


def _named(tr: _Translator, values: dict) -> dict:
    return {str(tr.symbols[sym]): v for sym, v in values.items()}


def _box(tr: _Translator, ctx: z3.Context, base: list, bits: int, budget: _Budget) -> tuple[list, str]:
    """Bounds for the bounded search: ``[0, 2**bits)`` for symbols the assumptions make nonnegative,
    ``[-2**(bits-1), 2**(bits-1))`` for the others."""
    box, signed = [], []
    for sym, var in tr.symbols.items():
        status, _, _ = _solve(ctx, base + [var < 0], max(1, min(200, budget.next_ms())))
        if status == z3.unsat:
            box += [var >= 0, var < 2 ** bits]
        else:
            box += [var >= -(2 ** (bits - 1)), var < 2 ** (bits - 1)]
            signed.append(str(var))
    where = f"sizes in [0, 2^{bits})"
    if signed:
        where += f", {', '.join(signed)} in [-2^{bits - 1}, 2^{bits - 1})"
    return box, where


def check_relation(statement: Any, assumptions: Iterable = (), timeout_ms: int = 2000,
                   bounded_bits: int = 12) -> SMTVerdict:
    r"""Ask Z3 for a counterexample to ``statement`` under ``assumptions`` over the integers.

    Parameters
    ----------
    statement : sympy Boolean
        ``Eq``, ``Ne``, ``Lt``, ``Le``, ``Gt``, ``Ge``, ``And``, ``Or``, ``Not``, ``Implies`` over
        integer symbols, with ``+``, ``*``, integer powers, rational constants, division, ``floor``,
        ``ceiling``, ``frac``, ``Mod``, ``Min``, ``Max``, ``Abs``, ``sign``, ``KroneckerDelta`` and
        ``Piecewise``. A symbol's own assumptions (``positive`` ...) apply.
    assumptions : iterable of sympy Boolean
        Facts assumed (``s >= 1``, ``Eq(Mod(k, 2), 1)``).
    timeout_ms : int
        Per Z3 query; the whole call stays within about four times this.
    bounded_bits : int
        Box of the bounded fallback (see the module docstring).

    Returns
    -------
    SMTVerdict
        Never raises for unsupported input: the verdict is then ``n/a``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symconv.symbols import i, k, s, p
    >>> size = sp.floor((i + 2*p - k)/s) + 1
    >>> check_relation(sp.Eq(size, sp.floor((i + 2*p - (k - 1) - 1)/s) + 1)).status
    'certified'
    >>> ceil_mode = sp.ceiling((i + 2*p - k)/s) + 1
    >>> wrong = check_relation(sp.Eq(size, ceil_mode), [i + 2*p >= k])
    >>> at = {x: wrong.counterexample[x.name] for x in (i, k, s, p)}
    >>> wrong.status, size.subs(at) < ceil_mode.subs(at)
    ('refuted', True)
    """
    t0 = time.perf_counter()

    def verdict(status: str, reason: str = "") -> SMTVerdict:
        return SMTVerdict(status, None, reason, time.perf_counter() - t0)

    try:
        statement = sp.sympify(statement)
        facts = [sp.sympify(a) for a in assumptions]
    except (sp.SympifyError, TypeError, ValueError) as exc:
        return verdict("n/a", f"not a SymPy statement: {exc}")
    for what in [statement, *facts]:
        if not _is_boolean(what):
            return verdict("n/a", f"not a relation: {what}")
    ctx = z3.Context()
    tr = _Translator(ctx)
    try:
        goal = tr.boolean(statement)
        base = [tr.boolean(f) for f in facts]
    except SMTUnsupported as exc:
        return verdict("n/a", str(exc))
    except (z3.Z3Exception, RecursionError, TypeError) as exc:
        return verdict("n/a", f"translation failed: {type(exc).__name__}: {exc}")
    base = _domain(tr) + base
    budget = _Budget(timeout_ms)
    for path, den, source in tr.obligations:
        status, model, _ = _solve(ctx, base + [path, den == 0], budget.next_ms())
        if status != z3.unsat:
            where = f" (e.g. at {_named(tr, _model_values(tr, model))})" if status == z3.sat else ""
            return verdict("n/a", f"division by possibly-zero {source}{where}")
    status, model, why = _solve(ctx, base + [z3.Not(goal)], budget.next_ms())
    if status == z3.unsat:
        return verdict("certified")
    if status == z3.sat:
        return _refutation(tr, model, statement, facts, t0)
    box, where = _box(tr, ctx, base, bounded_bits, budget)
    remaining = budget.next_ms()
    if remaining <= 0:
        return verdict("unknown", f"Z3: {why or 'unknown'}; no time left for the bounded search")
    status, model, why_bounded = _solve(ctx, base + box + [z3.Not(goal)], remaining)
    fallback = f"Z3 over unbounded integers: {why or 'unknown'}; fell back to {where}"
    if status == z3.unsat:
        return verdict("bounded", f"{fallback}: no counterexample there")
    if status == z3.sat:
        return _refutation(tr, model, statement, facts, t0, fallback)
    return verdict("unknown", f"{fallback}: {why_bounded or 'unknown'} too")
