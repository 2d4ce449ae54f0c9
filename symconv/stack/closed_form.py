r"""Closed forms for stacks: receptive field and jump of ``n`` equal layers, and short composed sizes.

:func:`repeated_layers` unrolls the receptive-field and jump recurrences of ``n`` equal
(transposed) convolutions with ``sympy.summation`` and re-checks them by induction
(:class:`ClosedForm`); :func:`merge_floors` folds nested floors so that the composed output
size of many strided layers stays one floor (:func:`symconv.stack.analyze` uses it).

Examples
--------
>>> repeated_layers(3, 2, n=4).receptive_field
31
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from .. import shapes
from ..symbols import d as d_sym, k as k_sym, s as s_sym

__all__ = ["ClosedForm", "repeated_layers", "merge_floors"]


@dataclass(frozen=True)
class ClosedForm:
    r"""Receptive field and jump of ``n`` equal layers, with the induction that proves them.

    ``base`` and ``step`` are the residuals of :math:`RF_0 = 1, J_0 = 1` and of the
    recurrence :math:`RF_{n+1} - RF_n - (\sigma - 1) J_n`, :math:`J_{n+1} - s J_n`
    (:math:`\sigma = d(k-1)+1`, forward stack); ``holds`` is True when all of them are zero.
    """

    n: sp.Symbol
    span: Any
    factor: Any
    receptive_field: sp.Expr
    jump: sp.Expr
    base: tuple
    step: tuple

    @property
    def holds(self) -> bool:
        """True when the base case and the induction step simplify to zero (branch by branch)."""
        from ..proofs.decide import is_zero
        return all(is_zero(v) for v in self.base + self.step)


def _on_branch(expr: Any, condition: Any) -> Any:
    """``expr`` with an ``Eq`` condition's single solution substituted (for display)."""
    if isinstance(condition, sp.Eq) and condition.free_symbols:
        var = sorted(condition.free_symbols, key=str)[0]
        solutions = sp.solve(condition.lhs - condition.rhs, var)
        if len(solutions) == 1:
            return expr.subs(var, solutions[0])
    return expr


def repeated_layers(kernel_size: Any = None, stride: Any = None, dilation: Any = 1, n: Any = None,
                    transposed: bool = False) -> ClosedForm:
    r"""Receptive field and jump of ``n`` equal convolutions, in closed form, proven by induction.

    The recurrences :math:`RF_l = RF_{l-1} + d(k-1) J_{l-1}`, :math:`J_l = s J_{l-1}`,
    :math:`RF_0 = J_0 = 1` unroll to :math:`J_n = s^n` and
    :math:`RF_n = 1 + d(k-1) \sum_{l=1}^{n} s^{l-1}`, which ``sympy.summation`` evaluates
    (a ``Piecewise`` on :math:`s = 1` for a symbolic stride); ``holds`` re-checks base case and
    induction step.

    ``n`` equal *transposed* convolutions are the transpose of the composed forward stack, a
    single window of span :math:`RF_n` and stride :math:`s^n`, so an output sees at most
    :math:`\lceil RF_n / s^n 
ceil` input pixels and the jump is :math:`s^{-n}` (checked against
    the composed hulls of :func:`analyze` in the tests).

    Parameters
    ----------
    kernel_size, stride, dilation, n : int or integer symbol, optional
        Default: the symbols ``k``, ``s``, ``d = 1`` and ``n``.
    transposed : bool
        Stack of transposed convolutions.

    Returns
    -------
    ClosedForm

    Examples
    --------
    >>> from symconv.symbols import k, s
    >>> cf = repeated_layers(k, s)
    >>> cf.jump, cf.holds
    (s**n, True)
    >>> cf.receptive_field
    Piecewise((n*(k - 1) + 1, Eq(s, 1)), ((k - 1)*(s**n - 1)/(s - 1) + 1, True))
    >>> repeated_layers(3, 2, n=4).receptive_field, repeated_layers(3, 1, n=4).receptive_field
    (31, 9)
    >>> repeated_layers(3, 2, n=2, transposed=True).receptive_field
    2
    >>> repeated_layers(transposed=True).jump
    s**(-n)
    """
    k = k_sym if kernel_size is None else kernel_size
    s = s_sym if stride is None else stride
    d = d_sym if dilation is None else dilation
    n_sym = sp.Symbol("n", integer=True, nonnegative=True)
    l = sp.Symbol("l", integer=True, positive=True)
    span, factor = shapes.effective_kernel(k, d), sp.sympify(s)
    jump = factor ** n_sym
    rf = 1 + (span - 1) * sp.summation(factor ** (l - 1), (l, 1, n_sym))
    base = (rf.subs(n_sym, 0) - 1, jump.subs(n_sym, 0) - 1)
    step = (rf.subs(n_sym, n_sym + 1) - rf - (span - 1) * jump, jump.subs(n_sym, n_sym + 1) - factor * jump)
    step = tuple(sp.piecewise_fold(v) for v in step)
    rf = sp.piecewise_fold(rf)
    if isinstance(rf, sp.Piecewise):
        rf = sp.Piecewise(*((1 + sp.factor(sp.simplify(_on_branch(e, c) - 1)), c) for e, c in rf.args))
    if transposed:
        rf, jump = sp.ceiling(rf / jump), 1 / jump
    if n is not None:
        rf, jump = sp.simplify(rf.subs(n_sym, n)), sp.simplify(jump.subs(n_sym, n))
    return ClosedForm(n_sym if n is None else n, span, factor, rf, jump, base, step)


def merge_floors(expr: Any) -> Any:
    r"""Rewrite :math:`\lfloor (\lfloor x \rfloor + a)/m \rfloor` as :math:`\lfloor (x + a)/m \rfloor` (``a`` integer, ``m`` a positive int).

    Keeps composed output sizes short: ten stride-2 layers give one floor, not ten.

    Examples
    --------
    >>> from symconv.symbols import i
    >>> merge_floors(sp.floor((sp.floor(i / 2) - 1) / 2))
    floor(i/4 - 1/2)
    """
    def rule(f: Any) -> Any:
        arg = sp.expand(f.args[0])
        nested = [term for term in sp.Add.make_args(arg) if term.has(sp.floor)]
        if len(nested) != 1:
            return f
        coeff, inner = nested[0].as_coeff_Mul()
        if not isinstance(inner, sp.floor) or not coeff.is_Rational or coeff <= 0 or coeff.p != 1:
            return f
        rest = arg - nested[0]
        if (rest * coeff.q).is_integer is not True:
            return f
        return sp.floor(coeff * inner.args[0] + rest)
    if not isinstance(expr, sp.Basic):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.floor), rule)
