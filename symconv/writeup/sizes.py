r"""Section: the output-size formulas of every case of Dumoulin & Visin's guide (relationships 1--15).

The relationships are *displayed* from the proof engine's theorems ``dv_rel_01`` ... ``dv_rel_15``
(:mod:`symconv.proofs.sizes`, where they are written literally from the guide): the guide's form is
the right-hand side of the theorem's statement and the case's substitution its ``equalities``.
This module adds only what the section shows besides: the case's name and conditions as the
guide writes them. Each relationship is derived from symconv's general form
(:mod:`symconv.shapes`) by substituting the case's values; SymPy checks that the
substituted general form equals the guide's form (after rewriting floors of integers) and,
for the transposed cases, that the guide's equivalent direct convolution (stretched input,
stride 1, padding :math:`k - p - 1`, plus :math:`a` at the end) has the same output size.

Examples
--------
>>> [r.number for r in relationships()][:3]
[1, 2, 3]
>>> all(r.reduces() for r in relationships())
True
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import shapes
from ..symbols import a, d, i, k, o, p, p_a, p_b, s
from .latex import render, tex, text
from .seed import require

__all__ = ["Relationship", "relationships", "sizes_section", "same_size"]

#: The transposed layer's input and output sizes, as the guide writes them.
i_t = sp.Symbol("i'", integer=True, positive=True)
o_t = sp.Symbol("o'", integer=True, positive=True)
i_stretched = sp.Symbol(r"\tilde{i}'", integer=True, positive=True)
#: Half padding writes the odd kernel as k = 2n + 1.
n = sp.Symbol("n", integer=True, nonnegative=True)

CONV_GENERAL = shapes.window_count_axis(i, k, s, p_b, p_a, d)
TRANSPOSE_GENERAL = shapes.transpose_size_axis(i_t, k, s, p_b, p_a, d, a)


@dataclass(frozen=True)
class Relationship:
    """One numbered relationship of the guide: its case, conditions, form and substitution.

    ``guide`` and ``substitution`` are read from the proofs' theorem ``dv_rel_NN``
    (:func:`relationships`); ``case``, ``kind`` and ``conditions`` are the section's prose.
    """

    number: int
    case: str
    kind: str                      # 'conv', 'pool' or 'transposed'
    conditions: tuple              # SymPy relations, for display
    guide: sp.Expr                 # the guide's right-hand side
    substitution: tuple            # ((symbol, value), ...): the case's values, applied simultaneously

    @property
    def general(self) -> sp.Expr:
        """symconv's general form for this kind of operator."""
        return TRANSPOSE_GENERAL if self.kind == "transposed" else CONV_GENERAL

    @property
    def lhs(self) -> sp.Symbol:
        return o_t if self.kind == "transposed" else o

    def mapping(self) -> tuple:
        """The substitution restricted to the general form's symbols, in a fixed display order.

        The order (``p_b, p_a, s, d, a, k``) is the order of the substitutions printed in the section.
        """
        values = dict(self.substitution)
        free = self.general.free_symbols
        return tuple((key, values[key]) for key in _DISPLAY_ORDER if key in values and key in free)

    def reduced(self) -> sp.Expr:
        """The general form with the case's substitution applied (SymPy evaluates the floors it can)."""
        return self.general.subs(dict(self.mapping()), simultaneous=True)

    def reduces(self) -> bool:
        """SymPy's verdict: the substituted general form equals the guide's form."""
        return same_size(self.reduced(), self.guide)

    def equivalent_conv_form(self) -> sp.Subs | None:
        r"""The equivalent direct convolution's size, unevaluated: the general form at :math:`\tilde{i}'`."""
        if self.kind != "transposed":
            return None
        sub, stride, pad, extra = self._equivalent_parts()
        form = shapes.window_count_axis(i_stretched, k, 1, pad, pad + extra, 1).subs(k, sub.get(k, k))
        return sp.Subs(form, (i_stretched,), (stride * (i_t - 1) + 1,))

    def _equivalent_parts(self) -> tuple:
        """The substitution, stride, padding k - p - 1 and extra end padding a of Rel. 12-14's direct conv.

        The guide's padding is symmetric: its ``p`` is the value the case gives ``p_b``.
        """
        sub = dict(self.mapping())
        sub.setdefault(p, sub.get(p_b, p))
        return sub, sub.get(s, s), (k - p - 1).subs(sub), sub.get(a, a)

    def equivalent_conv(self) -> sp.Expr | None:
        r"""Transposed cases: the output size of the guide's equivalent direct convolution.

        Stretched input :math:`s(i'-1)+1`, kernel :math:`k`, stride 1, padding
        :math:`k - p - 1` on both sides plus :math:`a` at the end (Rel. 14).
        """
        if self.kind != "transposed":
            return None
        sub, stride, pad, extra = self._equivalent_parts()
        stretched = stride * (i_t - 1) + 1
        return shapes.window_count_axis(stretched, k, 1, pad, pad + extra, 1).subs(sub)


def same_size(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """Whether two size expressions are equal, decided by the proofs' equality checker
    (:func:`symconv.proofs.decide.is_zero` of their difference).

    Examples
    --------
    >>> same_size(sp.floor((i - k + 2*p)/s) + 1, sp.floor((2*p + i - k)/s) + 1)
    True
    >>> same_size(i + 1, i)
    False
    """
    from ..proofs.decide import is_zero
    return is_zero(sp.sympify(lhs) - sp.sympify(rhs))


#: The section's prose per relationship: the case as the guide names it, the operator kind and the
#: conditions it states (for display; the formulas and substitutions come from the proofs).
_CASES = {
    1: ("no zero padding, unit strides", "conv", (sp.Eq(s, 1), sp.Eq(p, 0))),
    2: ("zero padding, unit strides", "conv", (sp.Eq(s, 1),)),
    3: ("half (same) padding", "conv", (sp.Eq(k, 2 * n + 1), sp.Eq(s, 1), sp.Eq(p, n))),
    4: ("full padding", "conv", (sp.Eq(s, 1), sp.Eq(p, k - 1))),
    5: ("no zero padding, non-unit strides", "conv", (sp.Eq(p, 0),)),
    6: ("zero padding, non-unit strides", "conv", ()),
    7: ("pooling (any pooling function)", "pool", (sp.Eq(p, 0),)),
    8: ("transposed: no padding, unit strides", "transposed", (sp.Eq(s, 1), sp.Eq(p, 0))),
    9: ("transposed: zero padding, unit strides", "transposed", (sp.Eq(s, 1),)),
    10: ("transposed: half padding", "transposed", (sp.Eq(k, 2 * n + 1), sp.Eq(s, 1), sp.Eq(p, n))),
    11: ("transposed: full padding", "transposed", (sp.Eq(s, 1), sp.Eq(p, k - 1))),
    12: ("transposed: no padding, non-unit strides", "transposed", (sp.Eq(p, 0), sp.Eq(sp.Mod(i - k, s), 0))),
    13: ("transposed: zero padding, non-unit strides", "transposed", (sp.Eq(sp.Mod(i + 2 * p - k, s), 0),)),
    14: ("transposed: general (odd) case", "transposed", (sp.Eq(a, sp.Mod(i + 2 * p - k, s)),)),
    15: ("dilated convolution", "conv", ()),
}

#: The order in which a case's substitutions are printed.
_DISPLAY_ORDER = (p_b, p_a, s, d, a, k)


def _guide_form(statement: sp.Basic) -> sp.Expr:
    """The guide's right-hand side of a ``dv_rel`` statement (for a transposed case, both equations share it)."""
    equations = statement.args if isinstance(statement, sp.And) else (statement,)
    forms = {eq.rhs for eq in equations}
    require(len(forms) == 1, "that the relationship's equations state one form of the guide")
    return forms.pop()


def relationships() -> tuple[Relationship, ...]:
    """The fifteen relationships of the guide, numbered as in its text, read from the proofs' theorems."""
    from ..proofs import theorem
    out = []
    for number, (case, kind, conditions) in _CASES.items():
        thm = theorem(f"dv_rel_{number:02d}")
        require((kind == "transposed") == (i_t in thm.statement.free_symbols),
                f"that relationship {number} is about a transposed layer exactly when its statement uses i'")
        out.append(Relationship(number, case, kind, conditions, _guide_form(thm.statement), tuple(thm.equalities)))
    return tuple(out)


def sizes_section() -> str:
    """The LaTeX of the output-size section (template ``sizes``)."""
    rows, reductions, equivalents = [], [], []
    for rel in relationships():
        require(rel.reduces(), f"that relationship {rel.number} is a special case of symconv's general form")
        conditions = ", ".join(f"${tex(c)}$" for c in rel.conditions) or "none"
        rows.append(f"{rel.number} & {text(rel.case)} & {conditions} & "
                    f"${tex(sp.Eq(rel.lhs, rel.guide, evaluate=False))}$ \\\\")
        keys, values = zip(*rel.mapping())
        subs = sp.Subs(rel.general, keys, values)
        reductions.append(f"{tex(rel.lhs)} &= {tex(subs)} \\notag\\\\\n"
                          f"&= {tex(rel.guide)} \\label{{eq:rel-{rel.number}}}")
        eqv = rel.equivalent_conv()
        if eqv is not None:
            require(same_size(eqv, rel.guide),
                    f"that the equivalent convolution of relationship {rel.number} has the same output size")
            equivalents.append(f"{tex(o_t)} &= {tex(rel.equivalent_conv_form())} = {tex(rel.guide)} "
                               f"\\label{{eq:rel-{rel.number}-direct}}")
    values = {
        "general_conv": tex(sp.Eq(o, CONV_GENERAL, evaluate=False)),
        "general_transposed": tex(sp.Eq(o_t, TRANSPOSE_GENERAL, evaluate=False)),
        "table_rows": "\n".join(rows),
        "reductions": " \\\\\n".join(reductions),
        "equivalents": " \\\\\n".join(equivalents),
    }
    return render("sizes", values)
