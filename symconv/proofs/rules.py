r"""The verified step rules of the proof engine, and :data:`RULES`, the table the proofs name them by.

Every rule is a function ``check(before, after, ctx, **params) -> str | None`` returning ``None``
when SymPy verifies the step under the assumptions ``ctx`` and a short reason when it does not. A rule
decides with :mod:`symconv.proofs.decide` (never says yes when SymPy cannot decide) and verifies the
relation the step declares: every rule but ``bound`` establishes an equality and refuses any other
relation (:func:`check_step`). The rules on sums and deltas live in :mod:`symconv.proofs.sum_rules`; here
are the algebraic ones (``algebra``, ``substitute``, ``floor-mod``, ``floor-value``, ``differentiate``,
``resolve``, ``bound``), the case split ``cases``, and ``library`` (a statement naming a library
function, :func:`library_function`).

Examples
--------
>>> from symconv.symbols import i, k
>>> sorted(RULES)[:3]
['algebra', 'bound', 'cases']
>>> check_step("bound", k, k + i, EMPTY, rel="<=") is None         # i >= 1: k <= k + i
True
>>> check_step("algebra", k, k + i, EMPTY, rel="<=")
"rule 'algebra' establishes an equality, not '<=' (use the rule 'bound' for a relation)"
"""
from __future__ import annotations

from typing import Any, Callable

import sympy as sp
from sympy.core.function import AppliedUndef

from .binding import rename_apart
from .decide import EMPTY, Context, Range, is_zero, prove_holds, prove_nonneg, resolve, same, verdict
from .normal_forms import cond_normal, floor_to_mod, fraction_parts, sum_normal
from .sum_rules import (check_delta_digits, check_delta_normal, check_delta_substitute, check_guarded_delta,
                        check_mod_indicator, check_reindex, check_split_range, check_sum_doit, check_sum_normal)

__all__ = ["RULES", "RELATIONS", "LIBRARY", "check_step", "library_function", "library_latex", "evaluate_library"]


# --------------------------------------------------------------------------- algebra


def check_algebra(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Equal after expansion/simplification (floor->Mod, delta and sum normal forms included)."""
    return verdict(same(before, after, ctx), "the difference does not simplify to 0")


def check_substitute(before: Any, after: Any, ctx: Context, mapping: dict | None = None, **_: Any) -> str | None:
    """``after`` is ``before`` with the theorem's assumed equalities substituted."""
    mapping = dict(mapping or ctx.equalities)
    allowed = dict(ctx.equalities)
    for key, value in mapping.items():
        if key not in allowed or not same(allowed[key], value):
            return f"substitution {key} -> {value} is not an assumption"
    return verdict(same(sp.sympify(before).xreplace(mapping), after, EMPTY) or same(before, after, ctx),
                 "after the substitution the two sides differ")


def check_floor_mod(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Floor <-> Mod: :math:`\\lfloor n/m \\rfloor = (n - n \\bmod m)/m`, both sides rewritten."""
    return verdict(is_zero(floor_to_mod(before) - floor_to_mod(after), ctx), "not equal after floor -> Mod")


def check_floor_value(before: Any, after: Any, ctx: Context, term: Any = None, value: Any = None,
                      **_: Any) -> str | None:
    r"""Replace :math:`\lfloor n/m \rfloor` by ``value`` once :math:`0 \le n - m\,value \le m - 1` is shown."""
    if term is None:
        floors = sorted(sp.sympify(before).atoms(sp.floor), key=sp.default_sort_key)
        if len(floors) != 1:
            return "floor_value needs the floor term"
        term = floors[0]
    num, den = fraction_parts(term.args[0])
    value = sp.sympify(value)
    if not (num.is_integer and den.is_integer and value.is_integer and (den.is_positive or prove_nonneg(den - 1, ctx))):
        return f"floor-value: needs an integer numerator {num}, a positive integer denominator {den} and an integer value"
    rem = sp.expand(num - den * value)
    if not (prove_nonneg(rem, ctx) and prove_nonneg(den - 1 - rem, ctx)):
        return f"cannot show 0 <= {rem} <= {den} - 1"
    return verdict(same(sp.sympify(before).xreplace({term: value}), after, ctx), "sides differ after the floor value")


def check_use(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Rewriting with an established equation; the engine checks it (it needs the proof's facts)."""
    return "use: only the engine can check this rule (it needs the established equations)"


def check_diff(before: Any, after: Any, ctx: Context, wrt: Any = None, **_: Any) -> str | None:
    """SymPy differentiates ``before`` with respect to ``wrt`` (an ``Indexed`` or symbol)."""
    if isinstance(before, sp.Derivative):           # differentiate the body only: doit() would also evaluate
        before, wrt = before.expr, before.variables[0]   # the sums (and drop the divisibility guard)
    derivative = sp.diff(before, wrt)
    return verdict(same(sum_normal(derivative), sum_normal(after), ctx), f"SymPy's derivative is {derivative}")


def check_resolve(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Piecewise conditions decided by the assumptions (ranges, small Mod, summation ranges)."""
    return verdict(same(resolve(before, ctx), resolve(after, ctx), ctx), "assumptions do not settle the cases")


RELATIONS = {"=": sp.Eq, "<=": sp.Le, "<": sp.Lt, ">=": sp.Ge, ">": sp.Gt, "!=": sp.Ne}


def check_bound(before: Any, after: Any, ctx: Context, rel: str = "=", **_: Any) -> str | None:
    """The relation ``before rel after`` (the step's own relation) shown from the ranges."""
    if rel not in RELATIONS:
        return f"bound: unknown relation {rel!r}"
    return verdict(prove_holds(RELATIONS[rel](before, after, evaluate=False), ctx), f"cannot show {before} {rel} {after}")

# --------------------------------------------------------------------------- case splits


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
    used = set().union(*(sp.sympify(e).free_symbols for e in (before, after))) | ctx.symbols()
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

# --------------------------------------------------------------------------- library functions


#: Library functions a statement may name as an unevaluated application (``window_count_axis(i, k, ...)``), so
#: that "the library computes the defined quantity" is a statement of its own; see :func:`library_function`.
LIBRARY: dict[str, Callable[..., Any]] = {}


def library_function(name: str, fn: Callable[..., Any]) -> Any:
    """Register ``fn`` under ``name`` and return the SymPy function whose applications stand for its calls."""
    LIBRARY[name] = fn
    return sp.Function(name, __dict__={"_latex": library_latex})


def library_latex(self: Any, printer: Any) -> str:
    """A library call prints as code (``window_count_axis`` in typewriter type, then its arguments).

    The function classes carry it as their ``_latex``; the write-up's printer also applies it to any
    application named in :data:`LIBRARY`, because SymPy's caches may hand back an equal function class
    created without it (undefined functions compare equal by name)."""
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
    return verdict(same(value, after, ctx), f"library: the library computes {value}")

# --------------------------------------------------------------------------- the table


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
        avoid = {sym.name for sym in before.free_symbols | after.free_symbols | ctx.symbols()
                 if isinstance(sym, sp.Symbol)}
        before, after = rename_apart(before, avoid), rename_apart(after, avoid)
        return RULES[rule](before, after, ctx, **params)
    except (TypeError, ValueError, AttributeError, NotImplementedError, RecursionError) as exc:
        return f"{rule}: {type(exc).__name__}: {exc}"
