r"""The step rules on finite sums and Kronecker deltas.

Sums are exchanged, flattened and re-indexed (``sum-exchange``, ``reindex``, ``split-range``), deltas
normalised, summed and split (``delta-normal``, ``delta-sum``, ``guarded-delta-sum``, ``delta-digits``,
``delta-substitute``, ``mod-indicator``). ``Sum(f(t)*KroneckerDelta(c, r*s + t*d - p), ...).doit()``
drops the divisibility guard when ``d > 1``: :func:`guarded_delta_sum` keeps it, and the rule verifies it
case by case. Every rule has the signature of :mod:`symconv.proofs.rules`
(``check(before, after, ctx, **params) -> str | None``); :data:`symconv.proofs.rules.RULES` names them.

Examples
--------
>>> from symconv.symbols import k, t
>>> from symconv.proofs.decide import EMPTY
>>> x = sp.IndexedBase("x")
>>> u = sp.Symbol("u", integer=True)
>>> check_reindex(sp.Sum(x[t], (t, 0, k - 1)), sp.Sum(x[k - 1 - u], (u, 0, k - 1)), EMPTY,
...               old=t, new=u, old_of_new=k - 1 - u) is None
True
"""
from __future__ import annotations

from typing import Any, Callable

import sympy as sp

from .binding import binder_ranges
from .decide import Context, Range, is_zero, prove_fails, prove_nonneg, resolve, same, verdict
from .normal_forms import alpha_canonical, delta_key, delta_normal, sum_normal

__all__ = ["guarded_delta_sum", "reindex", "check_delta_normal", "check_sum_normal", "check_sum_doit",
           "check_guarded_delta", "check_reindex", "check_delta_digits", "check_delta_substitute",
           "check_split_range", "check_mod_indicator"]


# --------------------------------------------------------------------------- summation ranges


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

# --------------------------------------------------------------------------- structural transformations


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

# --------------------------------------------------------------------------- normal forms of sums and deltas


def check_delta_normal(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Deltas equal after comparing expanded argument differences."""
    a, b = sum_normal(delta_normal(ctx.substitute(before))), sum_normal(delta_normal(ctx.substitute(after)))
    return verdict(_normal_forms_equal(a, b, ctx), "delta normal forms differ")


def check_sum_normal(before: Any, after: Any, ctx: Context, **_: Any) -> str | None:
    """Exchange of finite sums, linearity, moving independent factors: equal sum normal forms."""
    a, b = sum_normal(ctx.substitute(before)), sum_normal(ctx.substitute(after))
    return verdict(_normal_forms_equal(a, b, ctx), "sum normal forms differ")


def _normal_forms_equal(a: Any, b: Any, ctx: Context) -> bool:
    """Equal normal forms, up to the names of summation variables, or a zero difference."""
    return a == b or (a.has(sp.Sum) and alpha_canonical(a) == alpha_canonical(b)) or is_zero(a - b, ctx)

# --------------------------------------------------------------------------- evaluating and re-indexing sums


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
    return verdict(same(value, resolve(ctx.substitute(after), ctx), ctx), f"SymPy's sum gives {value}")


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
    return verdict(same(sum_normal(target), sum_normal(after), ctx), "re-indexed sum differs")


def _map_sums(expr: Any, fn: Callable) -> Any:
    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1, fn)

# --------------------------------------------------------------------------- digits, substitutions, ranges, residues


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
    return verdict(same(sp.sympify(before).xreplace(mapping), after, ctx), "sides differ after the digit split")


def check_delta_substitute(before: Any, after: Any, ctx: Context, old: Any = None, new: Any = None,
                           **_: Any) -> str | None:
    r"""In every product containing :math:`\delta(old, new)`, replace ``old`` by ``new`` in the other
    factors (the delta vanishes unless they are equal)."""
    key = delta_key(old, new)

    def rewrite(term: Any) -> Any:
        factors = sp.Mul.make_args(term)
        deltas = [f for f in factors if isinstance(f, sp.KroneckerDelta) and delta_key(*f.args) == key]
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
    return verdict(same(walk(sp.expand(sp.sympify(before))), after, ctx), "sides differ after the delta substitution")


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
    return verdict(same(target, after, ctx), "split-range: the double sum differs")


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
    return verdict(same(rewritten, after, ctx), "mod-indicator: sides differ")
