r"""The deciders: equalities, signs and conditions that SymPy shows under integer assumptions.

This is symconv's one equality checker. :func:`is_zero` and :func:`same` decide ``a == b`` (after the
assumed equalities and the normal forms of :mod:`symconv.proofs.normal_forms`); :func:`prove_nonneg`,
:func:`prove_holds` and :func:`prove_fails` decide signs and relations from symbol ranges;
:func:`resolve` settles the ``Piecewise`` conditions the ranges decide; :func:`differs_somewhere` is a
quick, sound refusal (an integer point where the two sides differ). A decider never says yes when
SymPy cannot decide: ``False`` means "not shown", not "false".

The proof engine's rules, ``check-formula``, the write-up's size relationships and the stack's closed
forms all decide equality here. Importing this module does not import the proof engine.

Examples
--------
>>> from symconv.symbols import i, k, s
>>> is_zero(s*sp.floor((i - k)/s) + sp.Mod(i - k, s) - (i - k))
True
>>> prove_holds(sp.Lt(sp.Mod(i, s), s))
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from .binding import bound_variables
from .normal_forms import alpha_canonical, ceil_to_floor, cond_normal, floor_to_mod, sum_normal

__all__ = ["Context", "Range", "EMPTY", "is_zero", "same", "differs_somewhere", "prove_positive", "prove_nonneg",
           "prove_holds", "prove_fails", "resolve", "verdict"]


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

    def symbols(self) -> set:
        """Every symbol the assumptions mention (ranged symbols, their bounds, both sides of equalities)."""
        out = set()
        for rg in self.ranges:
            out |= {rg.symbol} | set().union(*(sp.sympify(b).free_symbols for b in (rg.lo, rg.hi) if b is not None))
        for key, value in self.equalities:
            out |= {key} | sp.sympify(value).free_symbols
        return out

    def with_(self, ranges: tuple = (), equalities: tuple = ()) -> "Context":
        """A context with more assumptions."""
        return Context(self.ranges + tuple(ranges), self.equalities + tuple(equalities))


EMPTY = Context()

# --------------------------------------------------------------------------- equalities


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
    if isinstance(e, sp.Piecewise) and resolve(e, ctx) != e:
        return is_zero(resolve(e, ctx), EMPTY)
    return e.has(sp.Piecewise) and _zero_on_every_branch(sp.piecewise_fold(e), ctx)


def _zero_on_every_branch(pw: Any, ctx: Context) -> bool:
    r"""Every branch of a ``Piecewise`` is zero where it applies: a branch guarded by ``Eq`` linear in a symbol
    (with a numeric coefficient) at the equation's one solution, any other branch everywhere.

    Sound because a ``Piecewise`` takes the value of some branch at each point, and that branch's
    condition holds there. SymPy's closed forms branch this way: :math:`\sum_{l=1}^{n} s^{l-1}` is ``n``
    on ``Eq(s, 1)`` and :math:`(s^n - 1)/(s - 1)` elsewhere.

    Examples
    --------
    >>> from symconv.symbols import s
    >>> _zero_on_every_branch(sp.Piecewise((4*(s - 1), sp.Eq(s, 1)), (0, True)), EMPTY)
    True
    >>> _zero_on_every_branch(sp.Piecewise((4*(s - 1), sp.Eq(s, 2)), (0, True)), EMPTY)
    False
    """
    if not isinstance(pw, sp.Piecewise):
        return pw == 0
    for value, cond in pw.args:
        point = _solution_of(cond)
        if not is_zero(value if point is None else value.xreplace(point), ctx):
            return False
    return True


def _solution_of(cond: Any) -> dict | None:
    """``{x: value}`` when ``cond`` is ``Eq`` with exactly one solution ``x = value`` (linear in ``x``, a
    numeric nonzero coefficient), else ``None``."""
    if not isinstance(cond, sp.Eq):
        return None
    diff = sp.expand(cond.lhs - cond.rhs)
    for x in sorted(diff.free_symbols, key=sp.default_sort_key):
        slope = diff.coeff(x)
        rest = sp.expand(diff - slope * x)
        if slope.is_number and slope != 0 and not rest.has(x):
            return {x: -rest / slope}
    return None


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

# --------------------------------------------------------------------------- signs and conditions


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
    expr = expr.replace(lambda z: isinstance(z, sp.KroneckerDelta) and not z.has(*bound_variables(expr)), decide)

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

# --------------------------------------------------------------------------- rule verdicts


def verdict(ok: bool, reason: str) -> str | None:
    """A rule's verdict: ``None`` (verified) when ``ok``, else the reason it is not."""
    return None if ok else reason
