r"""The verified rewrite rules of the proof engine.

SymPy alone does not close the convolution-arithmetic proofs:

* ``simplify`` leaves :math:`s\lfloor x/s \rfloor + (x \bmod s) - x` alone unless the floor is
  rewritten through ``Mod`` (:func:`floor_to_mod`);
* Kronecker deltas whose arguments are equal but written differently do not cancel
  (:func:`delta_normal` compares expanded argument differences);
* ``Sum(f(t)*KroneckerDelta(c, r*s + t*d - p), ...).doit()`` drops the divisibility guard when
  ``d > 1`` (:func:`guarded_delta_sum` keeps it and verifies it case by case);
* range facts (:math:`0 \le x \bmod s < s`, :math:`i \ge d(k-1)+1-p_b-p_a`) are needed to decide
  ``Piecewise`` conditions (:func:`prove_holds`).

Every rule is a function ``check(before, after, ctx, **params) -> str | None`` returning ``None``
when SymPy verifies the step and a short reason when it does not; :data:`RULES` maps the rule
names used in proofs to them. A rule never says yes when SymPy cannot decide.

Examples
--------
>>> from symconv.symbols import i, s
>>> x = i - 3
>>> sp.simplify(s*sp.floor(x/s) + sp.Mod(x, s) - x) == 0
False
>>> is_zero(s*sp.floor(x/s) + sp.Mod(x, s) - x)
True
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp
from sympy.core.function import AppliedUndef

from .binding import binder_ranges, fresh_symbol, rename_apart, symbol_names

__all__ = ["Context", "Range", "RULES", "floor_to_mod", "ceil_to_floor", "delta_normal", "sum_normal",
           "is_zero", "same", "prove_nonneg", "prove_holds", "resolve", "guarded_delta_sum", "reindex",
           "check_step"]


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class Range:
    r"""An assumption :math:`lo \le x \le hi` on an integer symbol (``None``: unbounded)."""

    symbol: sp.Symbol
    lo: Any = None
    hi: Any = None

    def relations(self) -> list:
        """The assumption as SymPy relations (for display)."""
        out = []
        if self.lo is not None:
            out.append(sp.Ge(self.symbol, self.lo, evaluate=False))
        if self.hi is not None:
            out.append(sp.Le(self.symbol, self.hi, evaluate=False))
        return out


@dataclass(frozen=True)
class Context:
    """Assumptions under which steps are verified: symbol ranges and defining equalities.

    ``equalities`` are substitutions ``symbol -> expression`` that a special case assumes
    (``s = 1``) or a parametrisation introduces (``i = k + s n`` for ":math:`s \\mid i - k`").
    """

    ranges: tuple = ()
    equalities: tuple = ()
    _cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def range_of(self, x: sp.Basic) -> tuple[Any, Any]:
        """Bounds of a symbol from the ranges and its SymPy sign assumptions."""
        lo = hi = None
        for rg in self.ranges:
            if rg.symbol == x:
                lo = rg.lo if rg.lo is not None else lo
                hi = rg.hi if rg.hi is not None else hi
        if lo is None and getattr(x, "is_positive", None):
            lo = sp.Integer(1)
        elif lo is None and getattr(x, "is_nonnegative", None):
            lo = sp.Integer(0)
        return lo, hi

    def substitute(self, expr: Any) -> Any:
        """Apply the defining equalities (repeatedly, they may chain)."""
        expr = sp.sympify(expr)
        for _ in range(3):
            new = expr.xreplace(dict(self.equalities)) if self.equalities else expr
            if new == expr:
                break
            expr = new
        return expr

    def with_(self, ranges: tuple = (), equalities: tuple = ()) -> "Context":
        """A context with more assumptions."""
        return Context(self.ranges + tuple(ranges), self.equalities + tuple(equalities))


EMPTY = Context()


# --------------------------------------------------------------------------- floor and Mod


def _num_den(arg: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    num, den = sp.fraction(sp.together(arg))
    if den.could_extract_minus_sign():
        num, den = -num, -den
    return sp.expand(num), den


def floor_to_mod(expr: Any) -> Any:
    r"""Rewrite :math:`\lfloor n/m \rfloor` as :math:`(n - (n \bmod m))/m` (integer :math:`n`, :math:`m > 0`).

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> floor_to_mod(sp.floor(i/s))
    (i - Mod(i, s))/s
    """
    expr = ceil_to_floor(sp.sympify(expr))

    def rewrite(f: sp.floor) -> Any:
        num, den = _num_den(f.args[0])
        if den == 1 or not (num.is_integer and den.is_integer and den.is_positive):
            return f
        return (num - sp.Mod(num, den)) / den

    return expr.replace(lambda e: isinstance(e, sp.floor), rewrite)


def ceil_to_floor(expr: Any) -> Any:
    r"""Rewrite :math:`\lceil n/m \rceil` as :math:`\lfloor (n + m - 1)/m \rfloor` (integer :math:`n`, :math:`m > 0`).

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> ceil_to_floor(sp.ceiling(i/s))
    floor((i + s - 1)/s)
    """
    def rewrite(f: sp.ceiling) -> Any:
        num, den = _num_den(f.args[0])
        if not (num.is_integer and den.is_integer and den.is_positive):
            return f
        return sp.floor((num + den - 1) / den)

    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.ceiling), rewrite)


# --------------------------------------------------------------------------- deltas and sums


def _delta_key(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """The canonical difference of a Kronecker delta's arguments: expanded, content and nonzero
    factors removed, sign fixed."""
    diff = sp.expand(a - b)
    if diff.is_number:
        return diff
    diff = sp.factor_terms(diff)
    kept = [f for f in sp.Mul.make_args(diff) if not (f.is_number or f.is_nonzero)]
    diff = sp.expand(sp.Mul(*kept))
    if diff.could_extract_minus_sign():
        diff = -diff
    return diff


def delta_normal(expr: Any) -> Any:
    r"""Replace every :math:`\delta(a, b)` by :math:`\delta(D, 0)`, ``D`` the normalised difference.

    :math:`\delta(a, b) = \delta(a - b, 0)`; a nonzero factor (a number, or a symbol known to
    be nonzero such as the dilation ``d``) and the sign do not change whether ``D = 0``.

    Examples
    --------
    >>> from symconv.symbols import c, r, s, t, d, p
    >>> delta_normal(sp.KroneckerDelta(c, r*s + t*d - p)) == delta_normal(sp.KroneckerDelta(r*s - p + d*t - c, 0))
    True
    >>> m = sp.Symbol("m", integer=True)
    >>> delta_normal(sp.KroneckerDelta(d*m, d*t))
    KroneckerDelta(0, m - t)
    """
    expr = sp.sympify(expr)
    return expr.replace(lambda e: isinstance(e, sp.KroneckerDelta),
                        lambda e: sp.KroneckerDelta(_delta_key(*e.args), 0))


def _flatten(expr: sp.Expr, taken: set[str] | None = None) -> tuple[sp.Expr, tuple]:
    """``Sum(Sum(f, L1), L2)`` -> ``(f, L1 + L2)`` ; factors multiplying a sum move inside.

    ``expr`` has its bound variables renamed apart (:func:`~symconv.proofs.binding.rename_apart`):
    a factor's summation variables that another factor binds too are renamed before the limits are
    merged, so no variable is captured.
    """
    if taken is None:
        taken = symbol_names(expr)
    if isinstance(expr, sp.Sum):
        inner, limits = _flatten(expr.function, taken)
        return inner, limits + tuple(expr.limits)
    if isinstance(expr, sp.Mul):
        coeff, limits = sp.Integer(1), ()
        for factor in expr.args:
            inner, lim = _flatten(factor, taken)
            bound = {lm[0] for lm in limits}
            clashes = {lm[0]: fresh_symbol(lm[0], taken) for lm in lim if lm[0] in bound}
            if clashes:
                inner = inner.xreplace(clashes)
                lim = tuple((clashes.get(v, v), sp.sympify(lo).xreplace(clashes), sp.sympify(hi).xreplace(clashes))
                            for v, lo, hi in lim)
            coeff, limits = coeff * inner, limits + lim
        return coeff, limits
    return expr, ()


def sum_normal(expr: Any) -> Any:
    """A canonical form for finite sums: nested sums flattened, factors moved inside, the
    summand expanded with deltas in normal form, independent limits sorted by variable.

    Sound for finite sums (exchange of finite sums, linearity); limits that depend on another
    summation variable keep their order.

    Examples
    --------
    >>> from symconv.symbols import r, c, i, o
    >>> x, y, C = sp.IndexedBase("x"), sp.IndexedBase("y"), sp.Function("C")
    >>> lhs = sp.Sum(y[r] * sp.Sum(C(r, c) * x[c], (c, 0, i - 1)), (r, 0, o - 1))
    >>> rhs = sp.Sum(x[c] * sp.Sum(C(r, c) * y[r], (r, 0, o - 1)), (c, 0, i - 1))
    >>> sum_normal(lhs) == sum_normal(rhs)
    True
    """
    expr = rename_apart(sp.sympify(expr))
    return _sum_normal(expr)


def _sum_normal(expr: Any) -> Any:
    if isinstance(expr, sp.Add):
        return sp.Add(*(_sum_normal(a) for a in expr.args))
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*((_sum_normal(v), c) for v, c in expr.args))
    summand, limits = _flatten(expr)
    summand = sp.expand(delta_normal(summand))
    if not limits:
        return summand
    variables = {lim[0] for lim in limits}
    independent = all(not (set().union(*(sp.sympify(b).free_symbols for b in lim[1:])) & variables)
                      for lim in limits)
    if independent:
        limits = tuple(sorted(limits, key=lambda lim: str(lim[0])))
    if isinstance(summand, sp.Add):
        return sp.Add(*(sp.Sum(term, *limits) for term in summand.args))
    return sp.Sum(summand, *limits)


# --------------------------------------------------------------------------- deciding equalities and inequalities


def is_zero(expr: Any, ctx: Context = EMPTY) -> bool:
    """True only when SymPy shows ``expr == 0`` (after equalities, floor->Mod, delta and sum
    normal forms).

    Examples
    --------
    >>> from symconv.symbols import i, k, s
    >>> is_zero(s*sp.floor((i - k)/s) + sp.Mod(i - k, s) - (i - k))
    True
    >>> is_zero(sp.floor(i/s) - i/s)
    False
    """
    e = sum_normal(floor_to_mod(ctx.substitute(expr)))
    e = sp.expand(e)
    if e == 0:
        return True
    if e.has(sp.Sum):
        return False
    try:
        e = sp.simplify(e)
    except (TypeError, ValueError, RecursionError):  # pragma: no cover - SymPy internals
        return False
    if e == 0:
        return True
    if isinstance(e, sp.Piecewise):
        return is_zero(resolve(e, ctx), EMPTY) if resolve(e, ctx) != e else False
    return False


def same(a: Any, b: Any, ctx: Context = EMPTY) -> bool:
    """``a == b`` structurally after normal forms, or their difference is zero (:func:`is_zero`)."""
    a, b = ctx.substitute(a), ctx.substitute(b)
    if a == b:
        return True
    if isinstance(a, sp.Piecewise) and isinstance(b, sp.Piecewise):
        return _same_piecewise(ceil_to_floor(a), ceil_to_floor(b), ctx)
    na, nb = sum_normal(floor_to_mod(a)), sum_normal(floor_to_mod(b))
    if na == nb:
        return True
    if na.has(sp.Sum) and alpha_canonical(na) == alpha_canonical(nb):
        return True
    if differs_somewhere(a, b, ctx):          # a quick, sound refusal before the slow simplification
        return False
    return is_zero(a - b, ctx)


def _sample_points(symbols: list, count: int = 12):
    """Deterministic small integer points (0..7, and 1..8 for positive symbols) for ``symbols``."""
    for n in range(count):
        point = {}
        for j, sym in enumerate(symbols):
            value = (n * 7 + j * 3 + n * j) % 8
            if sym.is_positive:
                value += 1
            elif not sym.is_nonnegative and (n + j) % 3 == 0:
                value = -value
            point[sym] = sp.Integer(value)
        yield point


def differs_somewhere(a: Any, b: Any, ctx: Context = EMPTY) -> bool:
    """True when some integer point satisfying every range of ``ctx`` gives ``a != b`` (both evaluated
    exactly); False when no such point is found or the expressions cannot be evaluated (sums, indexed
    tensors, functions). Sound as a refusal: such a point is a counterexample.

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> differs_somewhere(sp.floor(i/s), i/s), differs_somewhere(s*sp.floor(i/s) + sp.Mod(i, s), i)
    (True, False)
    """
    diff = sp.sympify(a) - sp.sympify(b)
    if diff.has(sp.Sum, sp.Indexed, sp.Derivative, AppliedUndef, sp.IndexedBase):
        return False
    relations = [ctx.substitute(rel) for rg in ctx.ranges for rel in rg.relations()]
    symbols = sorted(diff.free_symbols.union(*(sp.sympify(rel).free_symbols for rel in relations)),
                     key=sp.default_sort_key)
    if not symbols or not all(isinstance(sym, sp.Symbol) and sym.is_integer for sym in symbols):
        return False
    for point in _sample_points(symbols):
        try:
            if not all(sp.sympify(rel).xreplace(point) is sp.true for rel in relations):
                continue
            value = diff.xreplace(point)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if value.is_number and value.is_finite and value != 0 and not value.has(sp.nan, sp.zoo):
            return True
    return False


def alpha_canonical(expr: Any) -> Any:
    """Sums renamed to canonical bound variables (the least renaming by printed form), so that sums
    differing only in the names of their summation variables compare equal.

    Examples
    --------
    >>> from symconv.symbols import t, c
    >>> x = sp.IndexedBase("x")
    >>> alpha_canonical(sp.Sum(x[t], (t, 0, 3))) == alpha_canonical(sp.Sum(x[c], (c, 0, 3)))
    True
    """
    expr = sp.sympify(expr)
    if isinstance(expr, sp.Add):
        return sp.Add(*(alpha_canonical(term) for term in expr.args))
    if not isinstance(expr, sp.Sum) or len(expr.limits) > 4:
        return expr
    variables = [lim[0] for lim in expr.limits]
    dependent = any(sp.sympify(b).has(*variables) for lim in expr.limits for b in lim[1:])
    best, best_key = expr, None
    for order in itertools.permutations(variables):
        mapping = {v: sp.Symbol(f"_sum{n}", **v.assumptions0) for n, v in enumerate(order)}
        limits = [(mapping[v], sp.sympify(lo).xreplace(mapping), sp.sympify(hi).xreplace(mapping))
                  for v, lo, hi in expr.limits]
        if not dependent:
            limits.sort(key=lambda lim: lim[0].name)
        candidate = sp.Sum(expr.function.xreplace(mapping), *limits)
        key = sp.srepr(candidate)
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    return best


def _same_piecewise(a: sp.Piecewise, b: sp.Piecewise, ctx: Context) -> bool:
    if len(a.args) != len(b.args):
        return False
    for (va, ca), (vb, cb) in zip(a.args, b.args):
        if not same(va, vb, ctx):
            return False
        ca, cb = cond_normal(ctx.substitute(ca)), cond_normal(ctx.substitute(cb))
        if ca != cb and sp.simplify_logic(sp.Xor(ca, cb)) != sp.false:
            return False
    return True


def _strip_positive(diff: sp.Expr, keep_sign: bool) -> sp.Expr:
    diff = sp.expand(diff)
    if diff.is_number:
        return diff
    diff = sp.factor_terms(diff)
    test = (lambda f: f.is_positive) if keep_sign else (lambda f: f.is_nonzero)
    kept = [f for f in sp.Mul.make_args(diff) if not (f.is_number and f.is_positive or test(f))]
    if not keep_sign:
        kept = [f for f in kept if not f.is_number]
    out = sp.expand(sp.Mul(*kept))
    if not keep_sign and out.could_extract_minus_sign():
        out = -out
    return out


def cond_normal(cond: Any) -> Any:
    r"""Relations as ``D >= 0``, ``D > 0`` or ``Eq(D, 0)`` with ``D`` expanded and positive factors removed.

    Examples
    --------
    >>> from symconv.symbols import d, k, t
    >>> cond_normal(sp.Le(d*t, d*(k - 1))) == cond_normal(sp.Ge(k - 1, t))
    True
    """
    def norm(rel: Any) -> Any:
        if isinstance(rel, (sp.Ge, sp.Gt)):
            diff, op = rel.lhs - rel.rhs, type(rel)
        elif isinstance(rel, sp.Le):
            diff, op = rel.rhs - rel.lhs, sp.Ge
        elif isinstance(rel, sp.Lt):
            diff, op = rel.rhs - rel.lhs, sp.Gt
        elif isinstance(rel, (sp.Eq, sp.Ne)):
            return type(rel)(_strip_positive(rel.lhs - rel.rhs, False), 0)
        else:
            return rel
        diff = _strip_positive(diff, True)
        if op is sp.Gt and diff.is_integer:
            return sp.Ge(diff - 1, 0)
        return op(diff, 0)
    return sp.sympify(cond).replace(lambda e: isinstance(e, sp.core.relational.Relational), norm)


def _integer_mod(mod: sp.Mod) -> bool:
    r"""``Mod(x, m)`` with ``x`` and ``m`` integers and ``m > 0`` by SymPy's assumptions: only then is it an
    integer in :math:`[0, m-1]`."""
    x, m = mod.args
    return bool(x.is_integer and m.is_integer and m.is_positive)


def _bounded_atoms(expr: sp.Expr) -> list:
    """The ``Mod`` terms that are integers in :math:`[0, m-1]` (see :func:`_integer_mod`)."""
    return sorted((mod for mod in expr.atoms(sp.Mod) if _integer_mod(mod)), key=sp.default_sort_key)


def prove_positive(expr: Any, ctx: Context = EMPTY) -> bool:
    """True only when ``expr > 0`` follows from the ranges (for non-integer expressions)."""
    return prove_nonneg(expr, ctx, strict=True)


def prove_nonneg(expr: Any, ctx: Context = EMPTY, strict: bool = False) -> bool:
    r"""True only when ``expr >= 0`` follows from the ranges (and SymPy's sign assumptions).

    Each bounded symbol (and each ``Mod(x, m)``, in :math:`[0, m-1]`) is replaced by
    ``lo + u`` or ``hi - u`` with a fresh nonnegative ``u`` -- the side chosen by the sign of
    its coefficient -- until SymPy decides the sign of the expanded result. Sound: every
    substitution covers all values the assumption allows.

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> prove_nonneg(s - 1 - sp.Mod(i, s))
    True
    >>> prove_nonneg(i - 2)
    False
    """
    e = sp.expand(floor_to_mod(ctx.substitute(expr)))
    num, den = sp.fraction(sp.together(e))
    if den != 1 and (sp.expand(den).is_positive or prove_nonneg(den, ctx, strict=True)):
        e = sp.expand(num)                                # clear a positive denominator
    for _ in range(12):
        if (e.is_positive if strict else e.is_nonnegative):
            return True
        if (e.is_nonpositive if strict else e.is_negative):
            return False
        mods = _bounded_atoms(e)
        if mods:
            atom = mods[0]
            u = sp.Dummy("u", integer=True, nonnegative=True)
            coeff = sp.expand(e).coeff(atom)
            value = atom.args[1] - 1 - u if (coeff.is_number and coeff < 0) else u
            e = sp.expand(e.xreplace({atom: value}))
            continue
        atoms = e.free_symbols | e.atoms(AppliedUndef)
        ranged = [x for x in atoms if any(b is not None for b in ctx.range_of(x))]
        referenced = set()
        for x in ranged:
            for b in ctx.range_of(x):
                if b is not None:
                    referenced |= sp.sympify(b).free_symbols
        # a symbol whose bounds mention another goes first, so that the other is substituted once
        candidates = sorted(ranged, key=lambda x: (x in referenced, sp.default_sort_key(x)))
        changed = False
        for x in candidates:
            lo, hi = ctx.range_of(x)
            coeff = sp.expand(e).coeff(x)
            negative = coeff.is_number and coeff < 0 or (coeff.is_negative is True)
            # a range's substitution covers every value it allows: integers only for an integer symbol
            u = sp.Dummy("u", integer=True, nonnegative=True) if x.is_integer else sp.Dummy("u", nonnegative=True)
            if negative and hi is not None:
                e, changed = sp.expand(e.xreplace({x: hi - u})), True
            elif not negative and lo is not None and not (lo == 0 and x.is_nonnegative) \
                    and not (lo == 1 and x.is_positive):
                e, changed = sp.expand(e.xreplace({x: lo + u})), True
            if changed:
                break
        if not changed:
            return bool(e.is_positive if strict else e.is_nonnegative)
    return bool(e.is_positive if strict else e.is_nonnegative)


def prove_holds(cond: Any, ctx: Context = EMPTY) -> bool:
    """True only when the (integer) relation or boolean combination is shown to hold.

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> prove_holds(sp.Lt(sp.Mod(i, s), s))
    True
    """
    cond = sp.sympify(cond)
    if cond is sp.true:
        return True
    if cond is sp.false:
        return False
    if isinstance(cond, sp.And):
        return all(prove_holds(a, ctx) for a in cond.args)
    if isinstance(cond, sp.Or):
        return any(prove_holds(a, ctx) for a in cond.args)
    if isinstance(cond, sp.Not):
        return prove_fails(cond.args[0], ctx)
    if isinstance(cond, sp.Eq):
        return is_zero(cond.lhs - cond.rhs, ctx)
    if isinstance(cond, sp.Ne):
        return prove_fails(sp.Eq(cond.lhs, cond.rhs), ctx)
    if isinstance(cond, (sp.Ge, sp.Gt, sp.Le, sp.Lt)):
        big, small = (cond.lhs, cond.rhs) if isinstance(cond, (sp.Ge, sp.Gt)) else (cond.rhs, cond.lhs)
        diff = big - small
        if isinstance(cond, (sp.Gt, sp.Lt)):
            if sp.sympify(diff).is_integer:
                return prove_nonneg(diff - 1, ctx)
            return prove_positive(diff, ctx)
        return prove_nonneg(diff, ctx)
    return False


def prove_fails(cond: Any, ctx: Context = EMPTY) -> bool:
    """True only when the relation is shown to be false under the assumptions."""
    cond = sp.sympify(cond)
    if cond is sp.false:
        return True
    if cond is sp.true:
        return False
    if isinstance(cond, sp.And):
        return any(prove_fails(a, ctx) for a in cond.args)
    if isinstance(cond, sp.Or):
        return all(prove_fails(a, ctx) for a in cond.args)
    if isinstance(cond, sp.Not):
        return prove_holds(cond.args[0], ctx)
    if isinstance(cond, sp.Eq):
        diff = _reduce_mods(cond.lhs - cond.rhs, ctx)
        return prove_holds(sp.Ge(diff, 1), ctx) or prove_holds(sp.Le(diff, -1), ctx)
    if isinstance(cond, sp.Ne):
        return prove_holds(sp.Eq(cond.lhs, cond.rhs), ctx)
    if isinstance(cond, sp.Ge):
        return prove_holds(sp.Lt(cond.lhs, cond.rhs), ctx)
    if isinstance(cond, sp.Gt):
        return prove_holds(sp.Le(cond.lhs, cond.rhs), ctx)
    if isinstance(cond, sp.Le):
        return prove_holds(sp.Gt(cond.lhs, cond.rhs), ctx)
    if isinstance(cond, sp.Lt):
        return prove_holds(sp.Ge(cond.lhs, cond.rhs), ctx)
    return False


def _reduce_mods(expr: Any, ctx: Context) -> Any:
    r"""``Mod(x, m) -> x`` when :math:`0 \le x \le m-1` and ``-> x + m`` when :math:`-m \le x \le -1`."""
    def rewrite(mod: sp.Mod) -> Any:
        x, m = mod.args
        if prove_nonneg(x, ctx) and prove_nonneg(m - 1 - x, ctx):
            return x
        if prove_nonneg(x + m, ctx) and prove_nonneg(-1 - x, ctx):
            return x + m
        return mod
    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Mod), rewrite)


def _reduce_floors(expr: Any, ctx: Context) -> Any:
    r"""``floor(x) -> 0`` when :math:`0 \le x < 1` and ``-> -1`` when :math:`-1 \le x < 0` (SymPy has already
    split off integer parts: ``floor(q + x) = q + floor(x)``)."""
    def rewrite(fl: sp.floor) -> Any:
        arg = sp.cancel(fl.args[0])
        if prove_nonneg(arg, ctx) and prove_positive(1 - arg, ctx):
            return sp.Integer(0)
        if prove_nonneg(arg + 1, ctx) and prove_positive(-arg, ctx):
            return sp.Integer(-1)
        return fl
    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.floor), rewrite)


def resolve(expr: Any, ctx: Context = EMPTY) -> Any:
    """Decide ``Piecewise`` conditions (and small ``Mod``) that the assumptions settle.

    Examples
    --------
    >>> from symconv.symbols import k, t
    >>> w = sp.IndexedBase("w")
    >>> resolve(sp.Piecewise((w[t], (t >= 0) & (t <= k - 1)), (0, True)),
    ...         Context((Range(t, 0, k - 1),)))
    w[t]
    """
    expr = ctx.substitute(expr)
    if expr.has(sp.Sum):
        expr = _resolve_inside_sums(expr, ctx)
    expr = _reduce_floors(_reduce_mods(expr, ctx), ctx)

    def unsign(ab: sp.Abs) -> Any:
        inner = ab.args[0]
        if prove_nonneg(inner, ctx):
            return inner
        if prove_nonneg(-inner, ctx):
            return -inner
        return ab
    expr = expr.replace(lambda z: isinstance(z, sp.Abs), unsign)

    def decide(delta: sp.KroneckerDelta) -> Any:
        a, b = delta.args
        if prove_fails(sp.Eq(a, b), ctx):
            return sp.Integer(0)
        return delta
    expr = expr.replace(lambda z: isinstance(z, sp.KroneckerDelta) and not z.has(*_bound_vars(expr)), decide)

    def prune(cond: Any) -> Any:
        if isinstance(cond, sp.And):
            rest = [a for a in cond.args if not prove_holds(a, ctx)]
            return sp.And(*rest) if rest else sp.true
        return cond

    def settle(pw: sp.Piecewise) -> Any:
        kept = []
        for value, cond in pw.args:
            cond = prune(cond)
            if cond is sp.true or prove_holds(cond, ctx):
                kept.append((value, sp.true))
                break
            if prove_fails(cond, ctx):
                continue
            kept.append((value, cond))
        if not kept:
            return sp.nan
        if kept[0][1] is sp.true:
            return kept[0][0]
        return sp.Piecewise(*kept)

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), settle)


def _resolve_inside_sums(expr: Any, ctx: Context) -> Any:
    """Resolve every sum's summand with the sum's limits as ranges -- in force inside it only."""
    if isinstance(expr, sp.Sum):
        inner = ctx.with_(ranges=tuple(Range(v, lo, hi) for v, lo, hi in expr.limits))
        body = resolve(expr.function, inner)
        return sp.Integer(0) if body == 0 else sp.Sum(body, *expr.limits)
    if not expr.has(sp.Sum):
        return expr
    return expr.func(*(_resolve_inside_sums(arg, ctx) for arg in expr.args))


def _range_contexts(expr: Any, var: Any, ctx: Context) -> list[Context]:
    """The contexts in which ``var`` occurs in ``expr``: one per sum binding it (with the limits in force
    there) and ``ctx`` itself when ``var`` is free."""
    out = [ctx.with_(ranges=tuple(Range(v, lo, hi) for v, lo, hi in limits))
           for limits in binder_ranges(expr, var)]
    if var in sp.sympify(expr).free_symbols or not out:
        out.append(ctx)
    return out


def _value_contexts(expr: Any, value: Any, ctx: Context) -> list[Context] | None:
    """The contexts in which facts about ``value`` must hold: those of its one summation variable (one per
    binding sum), or ``ctx`` when it has none; ``None`` when it mixes several summation variables."""
    bound = [v for v in sp.sympify(value).free_symbols if binder_ranges(expr, v)]
    if len(bound) > 1:
        return None
    return _range_contexts(expr, bound[0], ctx) if bound else [ctx]


# --------------------------------------------------------------------------- structural rules


def _single_sum(expr: Any) -> tuple[sp.Expr, sp.Symbol, Any, Any]:
    if not isinstance(expr, sp.Sum) or len(expr.limits) != 1:
        raise ValueError("expected a single Sum")
    var, lo, hi = expr.limits[0]
    return expr.function, var, lo, hi


def guarded_delta_sum(expr: sp.Sum) -> Any:
    r"""Sum a Kronecker delta whose argument is linear in the summation variable, keeping the guard.

    :math:`\sum_{t=a}^{b} f(t)\,\delta(\beta t + \gamma, 0) = f(q/\beta)` if
    :math:`\beta \mid q` and :math:`a \le q/\beta \le b` (with :math:`q = -\gamma`), else 0 --
    SymPy's ``deltasummation`` drops the guard :math:`\beta \mid q`.

    Examples
    --------
    >>> from symconv.symbols import c, r, s, t, d, k, p_b
    >>> w = sp.IndexedBase("w")
    >>> guarded_delta_sum(sp.Sum(w[t]*sp.KroneckerDelta(c, r*s + t*d - p_b), (t, 0, k - 1)))
    Piecewise((w[(c + p_b - r*s)/d], (c + p_b - r*s >= 0) & Eq(Mod(c + p_b - r*s, d), 0) & (d*(k - 1) >= c + p_b - r*s)), (0, True))
    """
    summand, var, lo, hi = _single_sum(expr)
    deltas = [f for f in sp.Mul.make_args(summand) if isinstance(f, sp.KroneckerDelta) and f.has(var)]
    if len(deltas) != 1:
        raise ValueError("guarded_delta_sum: expected exactly one delta depending on the summation variable")
    delta = deltas[0]
    rest = summand / delta
    diff = sp.expand(delta.args[1] - delta.args[0])     # beta*var + gamma; delta fires at diff == 0
    beta = diff.coeff(var)
    gamma = sp.expand(diff - beta * var)
    if beta == 0 or beta.has(var):
        raise ValueError("guarded_delta_sum: the delta's argument is not linear in the summation variable")
    q = sp.expand(-gamma)
    if beta.could_extract_minus_sign():
        beta, q = -beta, -q
    tap = q / beta
    guards = [sp.Ge(q, lo * beta), sp.Le(q, hi * beta)]
    if beta != 1:
        guards.insert(0, sp.Eq(sp.Mod(q, beta), 0))
    return sp.Piecewise((rest.xreplace({var: tap}), sp.And(*guards)), (0, True))


def reindex(expr: sp.Sum, new: sp.Symbol, old_of_new: Any) -> sp.Sum:
    r"""Substitute the summation variable by an affine bijection ``old = ±new + c`` (limits follow).

    Examples
    --------
    >>> from symconv.symbols import k, t
    >>> u, w = sp.Symbol("u", integer=True), sp.IndexedBase("w")
    >>> reindex(sp.Sum(w[t], (t, 0, k - 1)), u, k - 1 - u)
    Sum(w[k - u - 1], (u, 0, k - 1))
    """
    summand, var, lo, hi = _single_sum(expr)
    slope = sp.expand(old_of_new).coeff(new)
    offset = sp.expand(old_of_new - slope * new)
    if slope not in (1, -1):
        raise ValueError("reindex: the substitution must be new -> ±new + c")
    a, b = sp.expand(slope * (lo - offset)), sp.expand(slope * (hi - offset))
    if slope == -1:
        a, b = b, a
    return sp.Sum(summand.xreplace({var: old_of_new}), (new, a, b))


# --------------------------------------------------------------------------- rule checks


def _fail(ok: bool, reason: str) -> str | None:
    return None if ok else reason


def check_algebra(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Equal after expansion/simplification (floor->Mod, delta and sum normal forms included)."""
    return _fail(same(before, after, ctx), "the difference does not simplify to 0")


def check_substitute(before: Any, after: Any, ctx: Context, mapping: dict | None = None, **_: Any) -> str | None:
    """``after`` is ``before`` with the theorem's assumed equalities substituted."""
    mapping = dict(mapping or ctx.equalities)
    allowed = dict(ctx.equalities)
    for key, value in mapping.items():
        if key not in allowed or not same(allowed[key], value):
            return f"substitution {key} -> {value} is not an assumption"
    return _fail(same(sp.sympify(before).xreplace(mapping), after, EMPTY) or same(before, after, ctx),
                 "after the substitution the two sides differ")


def check_floor_mod(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Floor <-> Mod: :math:`\\lfloor n/m \\rfloor = (n - n \\bmod m)/m`, both sides rewritten."""
    return _fail(is_zero(floor_to_mod(before) - floor_to_mod(after), ctx), "not equal after floor -> Mod")


def check_floor_value(before: Any, after: Any, ctx: Context, term: Any = None, value: Any = None,
                      **_: Any) -> str | None:
    r"""Replace :math:`\lfloor n/m \rfloor` by ``value`` once :math:`0 \le n - m\,value \le m - 1` is shown."""
    if term is None:
        floors = sorted(sp.sympify(before).atoms(sp.floor), key=sp.default_sort_key)
        if len(floors) != 1:
            return "floor_value needs the floor term"
        term = floors[0]
    num, den = _num_den(term.args[0])
    value = sp.sympify(value)
    if not (num.is_integer and den.is_integer and value.is_integer and (den.is_positive or prove_nonneg(den - 1, ctx))):
        return f"floor-value: needs an integer numerator {num}, a positive integer denominator {den} and an integer value"
    rem = sp.expand(num - den * value)
    if not (prove_nonneg(rem, ctx) and prove_nonneg(den - 1 - rem, ctx)):
        return f"cannot show 0 <= {rem} <= {den} - 1"
    return _fail(same(sp.sympify(before).xreplace({term: value}), after, ctx), "sides differ after the floor value")


def check_delta_normal(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Deltas equal after comparing expanded argument differences."""
    a, b = sum_normal(delta_normal(ctx.substitute(before))), sum_normal(delta_normal(ctx.substitute(after)))
    return _fail(_normal_forms_equal(a, b, ctx), "delta normal forms differ")


def check_sum_normal(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Exchange of finite sums, linearity, moving independent factors: equal sum normal forms."""
    a, b = sum_normal(ctx.substitute(before)), sum_normal(ctx.substitute(after))
    return _fail(_normal_forms_equal(a, b, ctx), "sum normal forms differ")


def _normal_forms_equal(a: Any, b: Any, ctx: Context) -> bool:
    """Equal normal forms, up to the names of summation variables, or a zero difference."""
    return a == b or (a.has(sp.Sum) and alpha_canonical(a) == alpha_canonical(b)) or is_zero(a - b, ctx)


def _bound_vars(expr: Any) -> tuple:
    """The summation variables of an expression (deltas on them are left to the sum rules)."""
    return tuple({v for total in sp.sympify(expr).atoms(sp.Sum) for v in total.variables})


def _sum_over(total: sp.Sum, var: Any) -> Any:
    """Evaluate only the summation over ``var`` of a (possibly multi-limit) sum, when it can be moved
    innermost (no inner limit depends on it and its limits do not depend on inner variables)."""
    limits = list(total.limits)
    n = next(idx for idx, lim in enumerate(limits) if lim[0] == var)
    inner = limits[:n]
    inner_vars = {lim[0] for lim in inner}
    own = sp.sympify(limits[n][1]).free_symbols | sp.sympify(limits[n][2]).free_symbols
    if own & inner_vars or any(sp.sympify(b).has(var) for lim in inner for b in lim[1:]):
        return total
    lo, hi = limits[n][1], limits[n][2]
    value = None
    for factor in sp.Mul.make_args(total.function):
        if isinstance(factor, sp.KroneckerDelta) and factor.has(var):
            diff = sp.expand(factor.args[0] - factor.args[1])
            slope = diff.coeff(var)
            if slope in (1, -1) and not sp.expand(diff - slope * var).has(var):
                at = sp.expand(-(diff - slope * var) / slope)
                body = (total.function / factor).xreplace({var: at})
                value = sp.Piecewise((body, sp.And(sp.Ge(at, lo), sp.Le(at, hi))), (0, True))
                break
    if value is None:
        if any(isinstance(f, sp.KroneckerDelta) and f.has(var) for f in total.function.atoms(sp.KroneckerDelta)):
            raise ValueError(f"delta-sum: no delta with coefficient +-1 in {var} to sum over")
        value = sp.Sum(total.function, limits[n]).doit(deep=False)
    rest = inner + limits[n + 1:]
    return sp.Sum(value, *rest) if rest else value


def check_sum_doit(before: Any, after: Any, ctx: Context, var: Any = None, **_: Any) -> str | None:
    """SymPy evaluates the sums over ``var`` (all sums if not given) by delta summation; the
    assumptions and the summation ranges settle the resulting ``Piecewise``. Refused when a delta's
    coefficient of the variable is not +-1 (SymPy would drop the divisibility guard)."""
    targets = [tot for tot in sp.sympify(before).atoms(sp.Sum) if var is None or var in tot.variables]
    if not targets:
        return f"delta-sum: no sum over {var}"
    if var is None:
        for total in targets:
            for v in total.variables:
                for delta in total.function.atoms(sp.KroneckerDelta):
                    slope = sp.expand(delta.args[0] - delta.args[1]).coeff(v)
                    if delta.has(v) and slope not in (1, -1):
                        return (f"delta-sum: the delta's coefficient of {v} is {slope}, not +-1 (SymPy would drop "
                                f"the divisibility guard); use guarded-delta-sum")
    def evaluate(e: Any) -> Any:
        e = ctx.substitute(e)
        if var is None:
            return resolve(e.doit(deep=True), ctx)
        return resolve(e.replace(lambda z: isinstance(z, sp.Sum) and var in z.variables,
                                 lambda z: _sum_over(z, var)), ctx)
    value = evaluate(before)
    return _fail(same(value, resolve(ctx.substitute(after), ctx), ctx), f"SymPy's sum gives {value}")


def check_guarded_delta(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    r"""The guarded delta sum, verified by the two cases :math:`q = \beta m` and
    :math:`q = \beta m + e` with :math:`1 \le e \le \beta - 1`."""
    outer: tuple = ()
    if isinstance(before, sp.Sum) and len(before.limits) > 1:       # the innermost limit, per outer index
        outer = tuple(before.limits[1:])
        before = sp.Sum(before.function, before.limits[0])
    try:
        claimed = guarded_delta_sum(before)
    except ValueError as exc:
        return str(exc)
    if not same(sp.Sum(claimed, *outer) if outer else claimed, after, ctx):
        return "the result is not the guarded delta sum"
    after = claimed
    summand, var, lo, hi = _single_sum(before)
    delta = [f for f in sp.Mul.make_args(summand) if isinstance(f, sp.KroneckerDelta) and f.has(var)][0]
    diff = sp.expand(delta.args[1] - delta.args[0])
    beta = diff.coeff(var)
    q = sp.expand(-(diff - beta * var))
    if beta.could_extract_minus_sign():
        beta, q = -beta, -q
    if not (beta.is_integer and beta.is_positive and q.is_integer):
        return "guarded delta: the coefficient must be a positive integer and the offset an integer"
    # eliminate a symbol of q with coefficient +-1 to parametrise q
    pivot = next((x for x in sorted(q.free_symbols, key=sp.default_sort_key)
                  if sp.expand(q).coeff(x) in (1, -1) and not beta.has(x) and x != var), None)
    if pivot is None:
        return "guarded delta: no free index to parametrise"
    m = sp.Dummy("m", integer=True)
    e = sp.Dummy("e", integer=True, positive=True)
    cases = [(beta * m, ())]
    if beta not in (1, -1):
        cases.append((beta * m + e, (Range(e, 1, beta - 1),)))
    for value, extra in cases:
        sol = sp.solve(sp.Eq(q, value), pivot, dict=True)
        if len(sol) != 1:
            return "guarded delta: cannot parametrise"
        sub = sol[0]
        cctx = ctx.with_(ranges=extra)
        lhs = delta_normal(sp.sympify(before).xreplace(sub))
        if extra:
            key = sp.expand(sp.sympify(lhs.function).atoms(sp.KroneckerDelta).pop().args[1]) \
                if lhs.function.atoms(sp.KroneckerDelta) else None
            ok = key is not None and prove_fails(sp.Eq(sp.Mod(key, beta), 0), cctx)
            if not ok:
                return "guarded delta: cannot show the delta vanishes off the lattice"
            lhs_value = sp.Integer(0)
        else:
            lhs_value = resolve(lhs.doit(), cctx)
        rhs_value = resolve(sp.sympify(after).xreplace(sub), cctx)
        if not same(lhs_value, rhs_value, cctx):
            return f"guarded delta: case {value} gives {lhs_value} vs {rhs_value}"
    return None


def check_reindex(before: Any, after: Any, ctx: Context, old: Any = None, new: Any = None, old_of_new: Any = None,
                  **_: Any) -> str | None:
    """An affine bijection of the summation range (``old = ±new + c``) on the sums over ``old``."""
    try:
        target = _map_sums(before, lambda s: reindex(s, new, old_of_new) if s.limits[0][0] == old else s)
    except ValueError as exc:
        return str(exc)
    return _fail(same(sum_normal(target), sum_normal(after), ctx), "re-indexed sum differs")


def _map_sums(expr: Any, fn: Callable) -> Any:
    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1, fn)


def check_use(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Rewriting with an established equation; the engine checks it (it needs the proof's facts)."""
    return "use: only the engine can check this rule (it needs the established equations)"


def check_diff(before: Any, after: Any, ctx: Context, wrt: Any = None, **_: Any) -> str | None:
    """SymPy differentiates ``before`` with respect to ``wrt`` (an ``Indexed`` or symbol)."""
    if isinstance(before, sp.Derivative):           # differentiate the body only: doit() would also evaluate
        before, wrt = before.expr, before.variables[0]   # the sums (and drop the divisibility guard)
    derivative = sp.diff(before, wrt)
    return _fail(same(sum_normal(derivative), sum_normal(after), ctx), f"SymPy's derivative is {derivative}")


def check_resolve(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Piecewise conditions decided by the assumptions (ranges, small Mod, summation ranges)."""
    return _fail(same(resolve(before, ctx), resolve(after, ctx), ctx), "assumptions do not settle the cases")


RELATIONS = {"=": sp.Eq, "<=": sp.Le, "<": sp.Lt, ">=": sp.Ge, ">": sp.Gt, "!=": sp.Ne}


def check_bound(before: Any, after: Any, ctx: Context, rel: str = "=", **_: Any) -> str | None:
    """The relation ``before rel after`` (the step's own relation) shown from the ranges."""
    if rel not in RELATIONS:
        return f"bound: unknown relation {rel!r}"
    return _fail(prove_holds(RELATIONS[rel](before, after, evaluate=False), ctx), f"cannot show {before} {rel} {after}")


def check_cases(before: Any, after: Any, ctx: Context, cases: tuple = (), **_: Any) -> str | None:
    r"""A split into parametrised cases ``(substitution, ranges)`` that must cover every value of the split
    symbol ``x`` allowed by the assumptions, the step holding in each case. Two forms:

    * the division algorithm: ``x -> m q + e`` for each remainder ``e`` modulo a positive integer ``m``,
      ``q`` a fresh integer whose range (its own assumptions and the case's ranges) must reach every
      ``x`` in the range of ``x``;
    * intervals: ``x -> a + u`` / ``x -> a - u`` with a fresh ``u`` in ``[0, U]``, tiling the range of ``x``.

    A case's ranges may constrain only its fresh symbol."""
    if not cases:
        return "no cases"
    used = set().union(*(sp.sympify(e).free_symbols for e in (before, after))) | _context_symbols(ctx)
    for sub, extra in cases:
        # the case's new symbol: the one its ranges constrain (intervals), else its value's only symbol (m q + e)
        fresh = {rg.symbol for rg in extra} or set().union(*(sp.sympify(v).free_symbols for v in sub.values()))
        if len(fresh) != 1:
            return "cases: each case introduces exactly one new symbol"
        if fresh & used:
            return f"cases: the case symbol {fresh.pop()} also occurs in the step or assumptions"
    if not (_covers_integers(cases, ctx) or _covers_interval(cases, ctx)):
        return ("cases: the substitutions do not cover every value (x -> m q + e for each e in 0..m-1 with q "
                "reaching every x in range, or x -> a + u / a - u with u in [0, U] tiling the range of x)")
    for case in cases:
        sub, extra = case
        cctx = Context(ctx.ranges + tuple(extra), ctx.equalities + tuple(sub.items()))
        if not _same_by_branches(resolve(before, cctx), resolve(after, cctx), cctx):
            return f"case {sub} fails"
    return None


def _context_symbols(ctx: Context) -> set:
    out = set()
    for rg in ctx.ranges:
        out |= {rg.symbol} | set().union(*(sp.sympify(b).free_symbols for b in (rg.lo, rg.hi) if b is not None))
    for key, value in ctx.equalities:
        out |= {key} | sp.sympify(value).free_symbols
    return out


def _cond_context(cond: Any, ctx: Context) -> Context | None:
    """The context refined by a condition on a single symbol (``u >= 1``, ``u <= 0``...); ``None`` if the
    condition is not of that form. A range collapsing to one value becomes an equality."""
    cond = cond_normal(cond)
    if not isinstance(cond, sp.Ge):
        return None
    diff = sp.expand(cond.lhs)            # diff >= 0
    syms = [x for x in diff.free_symbols if ctx.range_of(x) != (None, None)]
    for x in sorted(syms, key=sp.default_sort_key):
        slope = diff.coeff(x)
        rest = sp.expand(diff - slope * x)
        if slope == 1 and not rest.has(x):
            new = ctx.with_(ranges=(Range(x, lo=-rest),))
        elif slope == -1 and not rest.has(x):
            new = ctx.with_(ranges=(Range(x, hi=rest),))
        else:
            continue
        lo, hi = new.range_of(x)
        if lo is not None and hi is not None and same(lo, hi, new):
            new = new.with_(equalities=((x, lo),))
        return new
    return None


def _same_by_branches(a: Any, b: Any, ctx: Context) -> bool:
    """``a == b``, comparing a ``Piecewise`` side branch by branch under each branch's condition."""
    if same(a, b, ctx):
        return True
    pw, other = (a, b) if isinstance(a, sp.Piecewise) else (b, a) if isinstance(b, sp.Piecewise) else (None, None)
    if pw is None:
        return False
    previous: list = []
    for value, cond in pw.args:
        here = ctx
        for prior in previous:                       # earlier branches failed
            here = _cond_context(sp.Not(prior).simplify() if prior is not sp.true else sp.false, here) or None
            if here is None:
                return False
        if cond is not sp.true:
            here = _cond_context(cond, here)
            if here is None:
                return False
        if not same(resolve(value, here), resolve(other, here), here):
            return False
        previous.append(cond)
    return True


def check_delta_digits(before: Any, after: Any, ctx: Context, f: Any = None, pairs: tuple = (), **_: Any
                       ) -> str | None:
    r"""Split a delta on base-``f`` digits: :math:`\delta(f q + e, f r + t) = \delta(q, r)\,\delta(e, t)` when
    :math:`0 \le e, t \le f - 1` (then :math:`|e - t| < f`). ``pairs`` lists ``((q, e), (r, t))``;
    ranges of summation variables count."""
    f = sp.sympify(f)
    if not f.is_integer:           # f >= 1 follows from the digit bounds 0 <= e <= f - 1 shown below
        return f"delta-digits: the base {f} must be an integer"
    mapping = {}
    for (q, e), (r_, t_) in pairs:
        if not all(sp.sympify(v).is_integer for v in (q, e, r_, t_)):
            return "delta-digits: the digits and quotients must be integers"
        for v in (e, t_):
            contexts = _value_contexts(before, v, ctx)
            if contexts is None or not all(prove_nonneg(v, cc) and prove_nonneg(f - 1 - v, cc) for cc in contexts):
                return f"delta-digits: cannot show 0 <= {v} <= {f} - 1"
        for delta in sp.sympify(before).atoms(sp.KroneckerDelta):
            diff = sp.expand(delta.args[0] - delta.args[1])
            target = sp.expand(f * (q - r_) + e - t_)
            if diff == target or diff == -target:
                mapping[delta] = sp.KroneckerDelta(q, r_) * sp.KroneckerDelta(e, t_)
    if not mapping:
        return "delta-digits: no delta of the form delta(f q + e, f r + t)"
    return _fail(same(sp.sympify(before).xreplace(mapping), after, ctx), "sides differ after the digit split")


def check_delta_substitute(before: Any, after: Any, ctx: Context, old: Any = None, new: Any = None,
                           **_: Any) -> str | None:
    r"""In every product containing :math:`\delta(old, new)`, replace ``old`` by ``new`` in the other
    factors (the delta vanishes unless they are equal)."""
    key = _delta_key(old, new)

    def rewrite(term: Any) -> Any:
        factors = sp.Mul.make_args(term)
        deltas = [f for f in factors if isinstance(f, sp.KroneckerDelta) and _delta_key(*f.args) == key]
        if not deltas:
            return term
        rest = sp.Mul(*(f for f in factors if f is not deltas[0]))
        return deltas[0] * rest.xreplace({old: new})

    def walk(e: Any) -> Any:
        if isinstance(e, sp.Sum):
            return sp.Sum(walk(e.function), *e.limits)
        if isinstance(e, sp.Add):
            return sp.Add(*(walk(a) for a in e.args))
        if isinstance(e, sp.Mul):
            return rewrite(sp.Mul(*(walk(a) for a in e.args)))
        return e
    return _fail(same(walk(sp.expand(sp.sympify(before))), after, ctx), "sides differ after the delta substitution")


def check_split_range(before: Any, after: Any, ctx: Context, modulus: Any = None, outer: Any = None,
                      inner: Any = None, **_: Any) -> str | None:
    r"""Division algorithm: :math:`\sum_{t=0}^{m n - 1} f(t) = \sum_{u=0}^{n-1} \sum_{v=0}^{m-1} f(m u + v)`
    (``t = m u + v`` is a bijection onto :math:`[0, m) \times [0, n)`)."""
    summand, var, lo, hi = _single_sum(before)
    count = sp.expand((hi + 1) / modulus)
    modulus = sp.sympify(modulus)
    if lo != 0 or not count.is_integer or count.has(var):
        return f"split-range: the range [0, {hi}] is not m n values with m = {modulus}"
    if not (modulus.is_integer and modulus.is_positive and prove_nonneg(count, ctx)):
        return f"split-range: needs a positive integer m = {modulus} and n = {count} >= 0"
    used = sp.sympify(before).free_symbols | sp.sympify(after).free_symbols | {var}
    if not (isinstance(outer, sp.Symbol) and isinstance(inner, sp.Symbol) and outer != inner
            and outer.is_integer and inner.is_integer and not {outer, inner} & used):
        return "split-range: the new summation variables must be distinct fresh integer symbols"
    target = sp.Sum(summand.xreplace({var: modulus * outer + inner}), (inner, 0, modulus - 1), (outer, 0, count - 1))
    return _fail(same(target, after, ctx), "split-range: the double sum differs")


def check_mod_indicator(before: Any, after: Any, ctx: Context, var: Any = None, modulus: Any = None,
                        **_: Any) -> str | None:
    r"""For :math:`0 \le v \le m - 1`: :math:`[m \mid A - v] = \delta(v, A \bmod m)` (only one residue
    in the range)."""
    var, modulus = sp.sympify(var), sp.sympify(modulus)
    if not (var.is_integer and modulus.is_integer and modulus.is_positive):
        return "mod-indicator: the variable must be an integer and the modulus a positive integer"
    contexts = _value_contexts(before, var, ctx)
    if contexts is None or not all(prove_nonneg(var, cc) and prove_nonneg(modulus - 1 - var, cc) for cc in contexts):
        return f"mod-indicator: cannot show 0 <= {var} <= {modulus} - 1"

    def rewrite(pw: sp.Piecewise) -> Any:
        if len(pw.args) != 2 or pw.args[0][0] != 1 or pw.args[1] != (0, sp.true):
            return pw
        cond = pw.args[0][1]
        if not (isinstance(cond, sp.Eq) and cond.rhs == 0 and isinstance(cond.lhs, sp.Mod)
                and cond.lhs.args[1] == modulus):
            return pw
        rest = sp.expand(cond.lhs.args[0])
        slope = rest.coeff(var)
        if slope not in (1, -1):
            return pw
        A = sp.expand(-(rest - slope * var) / slope)
        return sp.KroneckerDelta(var, sp.Mod(A, modulus))
    rewritten = sp.sympify(before).replace(lambda e: isinstance(e, sp.Piecewise), rewrite)
    return _fail(same(rewritten, after, ctx), "mod-indicator: sides differ")


def _covers_interval(cases: tuple, ctx: Context) -> bool:
    """The substitutions ``x -> a + u`` / ``x -> a - u`` (``u`` in ``[0, U]`` by the case's ranges) tile the
    range ``[lo, hi]`` of ``x``: each interval starts one after the previous end (an empty interval
    does not break the chain: the union still covers ``[lo, hi]``)."""
    intervals, keys = [], set()
    for sub, extra in cases:
        if len(sub) != 1:
            return False
        (x, value), = sub.items()
        keys.add(x)
        value = sp.expand(value)
        free = [rg for rg in extra if value.has(rg.symbol)]
        if len(free) != 1 or free[0].lo != 0 or free[0].hi is None or free[0].symbol.is_positive:
            return False
        u, top = free[0].symbol, free[0].hi
        if not u.is_integer or value.free_symbols & {rg.symbol for rg in extra} != {u}:
            return False
        slope = value.coeff(u)
        base = sp.expand(value - slope * u)
        if slope == 1:
            intervals.append((base, sp.expand(base + top)))
        elif slope == -1:
            intervals.append((sp.expand(base - top), base))
        else:
            return False
    if len(keys) != 1:
        return False
    lo, hi = ctx.range_of(keys.pop())
    if lo is None or hi is None:
        return False
    remaining = list(intervals)
    cursor = ctx.substitute(lo)
    while remaining:
        nxt = next((iv for iv in remaining if same(iv[0], cursor, ctx)), None)
        if nxt is None:
            return False
        remaining.remove(nxt)
        cursor = sp.expand(nxt[1] + 1)
    return same(cursor, ctx.substitute(hi) + 1, ctx)


def _all_bounds(q: sp.Symbol, extra: tuple) -> tuple[list, list]:
    """Every lower and upper bound known for ``q``: the case's ranges and its own sign assumptions."""
    los = [rg.lo for rg in extra if rg.symbol == q and rg.lo is not None]
    his = [rg.hi for rg in extra if rg.symbol == q and rg.hi is not None]
    if q.is_positive:
        los.append(sp.Integer(1))
    elif q.is_nonnegative:
        los.append(sp.Integer(0))
    if q.is_negative:
        his.append(sp.Integer(-1))
    elif q.is_nonpositive:
        his.append(sp.Integer(0))
    return los, his


def _covers_integers(cases: tuple, ctx: Context) -> bool:
    r"""The substitutions ``x -> m q + e_j`` use one ``x``, one positive integer ``m`` and one fresh integer
    ``q`` whose remainders ``e_j`` are exactly ``0..m-1`` (the division algorithm), and in each case the
    range of ``q`` reaches every ``x`` of that residue in the range of ``x``: with
    :math:`q \ge q_{lo}` it needs :math:`x_{lo} \ge m q_{lo} + e - m + 1`, with :math:`q \le q_{hi}` it needs
    :math:`x_{hi} \le m q_{hi} + e + m - 1` (an unbounded ``x`` needs an unbounded ``q``)."""
    keys, mods, quots, rems = set(), set(), set(), []
    for sub, extra in cases:
        if len(sub) != 1:
            return False
        (x, value), = sub.items()
        value = sp.expand(value)
        keys.add(x)
        syms = list(value.free_symbols)
        if len(syms) != 1:
            return False
        q = syms[0]
        m = value.coeff(q)
        e = sp.expand(value - m * q)
        if not (m.is_Integer and m > 0 and e.is_Integer and q.is_integer):
            return False
        lo_x, hi_x = ctx.range_of(x)
        los, his = _all_bounds(q, extra)
        if any(lo_x is None or not prove_holds(sp.Ge(lo_x, m * lo_q + e - m + 1), ctx) for lo_q in los):
            return False
        if any(hi_x is None or not prove_holds(sp.Le(hi_x, m * hi_q + e + m - 1), ctx) for hi_q in his):
            return False
        mods.add(int(m))
        quots.add(q)
        rems.append(int(e) % int(m))
    return len(keys) == len(mods) == len(quots) == 1 and sorted(rems) == list(range(mods.pop()))


#: Library functions a statement may name as an unevaluated application (``window_count_axis(i, k, ...)``), so
#: that "the library computes the defined quantity" is a statement of its own; see :func:`library_function`.
LIBRARY: dict[str, Callable[..., Any]] = {}


def library_function(name: str, fn: Callable[..., Any]) -> Any:
    """Register ``fn`` under ``name`` and return the SymPy function whose applications stand for its calls."""
    LIBRARY[name] = fn
    return sp.Function(name, __dict__={"_latex": _library_latex})


def _library_latex(self: Any, printer: Any) -> str:
    """A library call prints as code (``window_count_axis`` in typewriter type, then its arguments)."""
    args = ", ".join(printer._print(arg) for arg in self.args)
    return r"\mathtt{" + self.func.__name__.replace("_", r"\_") + r"}\left(" + args + r"\right)"


def evaluate_library(expr: Any) -> Any:
    """Replace every application of a registered library function by the value the library computes."""
    expr = sp.sympify(expr)
    return expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in LIBRARY,
                        lambda e: sp.sympify(LIBRARY[e.func.__name__](*e.args)))


def check_library(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """``before`` names library functions (:data:`LIBRARY`); calling them gives ``after``."""
    calls = [e for e in sp.sympify(before).atoms(AppliedUndef) if e.func.__name__ in LIBRARY]
    if not calls:
        return "library: the step calls no registered library function"
    value = evaluate_library(before)
    return _fail(same(value, after, ctx), f"library: the library computes {value}")


RULES: dict[str, Callable[..., str | None]] = {
    "library": check_library,
    "algebra": check_algebra,
    "substitute": check_substitute,
    "floor-mod": check_floor_mod,
    "floor-value": check_floor_value,
    "delta-normal": check_delta_normal,
    "sum-exchange": check_sum_normal,
    "delta-sum": check_sum_doit,
    "guarded-delta-sum": check_guarded_delta,
    "reindex": check_reindex,
    "differentiate": check_diff,
    "resolve": check_resolve,
    "bound": check_bound,
    "cases": check_cases,
    "use": check_use,
    "delta-digits": check_delta_digits,
    "delta-substitute": check_delta_substitute,
    "split-range": check_split_range,
    "mod-indicator": check_mod_indicator,
}


def check_step(rule: str, before: Any, after: Any, ctx: Context, **params: Any) -> str | None:
    """Run rule ``rule`` on a step; ``None`` when verified, else the reason it is not.

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> check_step("floor-mod", s*sp.floor(i/s) + sp.Mod(i, s), i, EMPTY) is None
    True
    >>> check_step("algebra", sp.floor(i/s), i/s, EMPTY)
    'the difference does not simplify to 0'
    """
    if rule not in RULES:
        return f"unknown rule {rule!r}"
    rel = params.pop("rel", "=")
    if rel not in RELATIONS:
        return f"unknown relation {rel!r}"
    if rel != "=" and rule != "bound":
        return f"rule {rule!r} establishes an equality, not {rel!r} (use the rule 'bound' for a relation)"
    if rule == "bound":
        params["rel"] = rel
    try:
        before, after = sp.sympify(before), sp.sympify(after)
        avoid = {sym.name for sym in before.free_symbols | after.free_symbols | _context_symbols(ctx)
                 if isinstance(sym, sp.Symbol)}
        before, after = rename_apart(before, avoid), rename_apart(after, avoid)
        return RULES[rule](before, after, ctx, **params)
    except (TypeError, ValueError, AttributeError, NotImplementedError, RecursionError) as exc:
        return f"{rule}: {type(exc).__name__}: {exc}"
