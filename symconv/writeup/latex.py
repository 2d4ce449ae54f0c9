r"""LaTeX views of symconv's objects: SymPy's printer owns the math, templates own the layout.

Every mathematical expression in a generated document is a SymPy object printed by
:func:`tex` (``sympy.latex`` with the house settings). Layout (sections, tables,
figure environments, prose) lives in the package's ``templates/*.tex`` files, whose
named placeholders ``<<name>>`` are filled by :func:`render`. Large matrices are cut
down to SymPy matrices with ellipsis entries (:func:`elide`) so nothing overflows
the page.

Examples
--------
>>> import sympy as sp
>>> from symconv.symbols import i, k
>>> tex(i - k + 1)
'i - k + 1'
>>> tex(sp.eye(2))
'\\left(\\begin{matrix}1 & 0\\\\0 & 1\\end{matrix}\\right)'
>>> elide(sp.ones(30, 30), 5, 5).shape
(5, 5)
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .linebreak import math_width

__all__ = [
    "LATEX_SETTINGS",
    "tex",
    "text",
    "elide",
    "matrix_tex",
    "display",
    "spec_tex",
    "spec_equations",
    "repr_latex",
    "render",
    "template",
]

#: Settings passed to ``sympy.latex`` everywhere (round brackets for matrices).
LATEX_SETTINGS: dict = {"mat_delim": "("}

#: Entries used for elided parts of a matrix (SymPy symbols, so the printer emits them).
HDOTS, VDOTS, DDOTS = sp.Symbol(r"\cdots"), sp.Symbol(r"\vdots"), sp.Symbol(r"\ddots")

_PLACEHOLDER = re.compile(r"<<([a-z][a-z0-9_]*)>>")
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


#: Widest condition of a ``cases`` row kept on one line (units of :func:`math_width`).
CONDITION_UNITS = 40


class _DocumentPrinter(LatexPrinter):
    r"""SymPy's LaTeX printer with ``cases`` rows that read "if ..." and long conjunctions stacked.

    A ``Piecewise`` condition ``A \wedge B \wedge C`` wider than :data:`CONDITION_UNITS`
    is set as a top-aligned block, one conjunct group per line, so a case never runs off the page.
    """

    def _print_AppliedUndef(self, expr: Any) -> str:
        from ..proofs.rules import LIBRARY, library_latex
        if expr.func.__name__ in LIBRARY:          # a library call, whichever equal class SymPy's cache returned
            return library_latex(expr, self)
        return self._print_Function(expr)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        rows = []
        for value, condition in expr.args:
            cond = r"\textup{otherwise}" if condition == sp.true else r"\textup{if } " + self._condition(condition)
            rows.append(f"{self._print(value)} & {cond}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _condition(self, condition: Any) -> str:
        printed = self._print(condition)
        if not isinstance(condition, sp.And) or math_width(printed) <= CONDITION_UNITS:
            return printed
        lines, current = [], []
        for part in (self._print(arg) for arg in condition.args):
            if current and math_width(r" \wedge ".join(current + [part])) > CONDITION_UNITS:
                lines.append(r" \wedge ".join(current))
                current = []
            current.append(part)
        lines.append(r" \wedge ".join(current))
        return r"\begin{aligned}[t] &" + r" \\ &\wedge ".join(lines) + r" \end{aligned}"


def tex(obj: Any, **settings: Any) -> str:
    r"""LaTeX for a SymPy object (or anything ``sympify`` accepts) with the house settings.

    Parameters
    ----------
    obj : sympy.Basic, int, tuple or matrix
        The mathematics to print. Strings are rejected: they would be parsed, and symconv
        never evaluates user strings.
    **settings
        Extra ``sympy.latex`` settings (override :data:`LATEX_SETTINGS`).

    Raises
    ------
    TypeError
        ``obj`` is a string.

    Examples
    --------
    >>> from symconv.symbols import s, i
    >>> tex(s * (i - 1))
    's \\left(i - 1\\right)'
    >>> tex("i + 1")
    Traceback (most recent call last):
    ...
    TypeError: tex: obj must be a SymPy object or a number, not a string, got obj='i + 1'
    """
    if isinstance(obj, str):
        raise TypeError(f"tex: obj must be a SymPy object or a number, not a string, got obj={obj!r}")
    return _DocumentPrinter({**LATEX_SETTINGS, **settings}).doprint(obj)


def text(value: Any) -> str:
    r"""Escape layout text (names, labels) for LaTeX's text mode.

    Examples
    --------
    >>> text("conv_transpose_is_C^T & more")
    'conv\\_transpose\\_is\\_C\\textasciicircum{}T \\& more'
    """
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in str(value))


def elide(matrix: Any, max_rows: int = 12, max_cols: int = 12) -> sp.Matrix:
    r"""A matrix cut down to at most ``max_rows`` x ``max_cols`` entries with ellipses.

    Keeps the first and last rows/columns and replaces the middle by a row of
    :math:`\vdots`, a column of :math:`\cdots` and :math:`\ddots` where they cross.
    A matrix that already fits is returned unchanged (as a dense ``Matrix``).

    Parameters
    ----------
    matrix : sympy matrix or nested sequence
    max_rows, max_cols : int
        At least 3 each (head, ellipsis, tail).

    Raises
    ------
    ValueError
        ``max_rows`` or ``max_cols`` below 3.

    Examples
    --------
    >>> elide(sp.Matrix(5, 5, range(25)), 3, 3)
    Matrix([
    [     0, \cdots,      4],
    [\vdots, \ddots, \vdots],
    [    20, \cdots,     24]])
    >>> elide(sp.eye(2), 3, 1)
    Traceback (most recent call last):
    ...
    ValueError: elide: max_cols must be >= 3, got max_cols=1
    """
    for name, value in (("max_rows", max_rows), ("max_cols", max_cols)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 3:
            raise ValueError(f"elide: {name} must be >= 3, got {name}={value!r}")
    m = sp.Matrix(matrix)
    rows = _keep(m.rows, max_rows)
    cols = _keep(m.cols, max_cols)
    out = []
    for r in rows:
        line = []
        for c in cols:
            if r is None and c is None:
                line.append(DDOTS)
            elif r is None:
                line.append(VDOTS)
            elif c is None:
                line.append(HDOTS)
            else:
                line.append(m[r, c])
        out.append(line)
    return sp.Matrix(out)


def _keep(n: int, limit: int) -> list:
    """Indices to keep along one axis, ``None`` marking the ellipsis."""
    if n <= limit:
        return list(range(n))
    tail = (limit - 1) // 2
    head = limit - 1 - tail
    return list(range(head)) + [None] + list(range(n - tail, n))


def matrix_tex(matrix: Any, max_rows: int = 12, max_cols: int = 12, **settings: Any) -> str:
    r"""LaTeX for a matrix, elided to fit (see :func:`elide`).

    Examples
    --------
    >>> matrix_tex(sp.Matrix([[1, sp.Rational(1, 2)]]))
    '\\left(\\begin{matrix}1 & \\frac{1}{2}\\end{matrix}\\right)'
    >>> "cdots" in matrix_tex(sp.ones(1, 20))
    True
    """
    return tex(elide(matrix, max_rows, max_cols), **settings)


def display(*parts: Any, relation: str = "=") -> str:
    r"""A chain ``a = b = c`` of SymPy objects, each printed by :func:`tex`.

    ``relation`` is layout, one of ``=``, ``\ne``, ``\le`` and ``\mapsto``.

    Examples
    --------
    >>> from symconv.symbols import i, k
    >>> display(sp.Symbol("o"), i - k + 1)
    'o = i - k + 1'
    """
    if relation not in ("=", r"\ne", r"\le", r"\mapsto"):
        raise ValueError(f"display: relation must be one of =, \\ne, \\le, \\mapsto, got relation={relation!r}")
    return f" {relation} ".join(tex(p) for p in parts)


# --------------------------------------------------------------------------- specs

_SPEC_FIELDS = (
    ("input_size", "i"), ("kernel_size", "k"), ("stride", "s"), ("padding", "p"), ("dilation", "d"),
    ("output_padding", "a"), ("size", "o"), ("scale_factor", "f"), ("in_channels", "C_{in}"),
    ("out_channels", "C_{out}"), ("groups", "G"),
)


def _as_tuple(value: Any) -> Any:
    """A per-dimension value as a SymPy object; one-dimensional specs show the bare value."""
    if isinstance(value, tuple):
        if len(value) == 1:
            return _as_tuple(value[0])
        return sp.Tuple(*(_as_tuple(v) for v in value))
    return sp.sympify(value)


def spec_equations(spec: Any) -> list[sp.Eq]:
    r"""The spec's parameters and output size as unevaluated SymPy equations ``name = value``.

    Examples
    --------
    >>> from symconv import ConvSpec
    >>> [tex(e) for e in spec_equations(ConvSpec(3, input_size=4))]
    ['i = 4', 'k = 3', 's = 1', 'p = 0', 'd = 1', 'o = 2']
    >>> tex(spec_equations(ConvSpec((3, 3), padding=((1, 0), (1, 1))))[2])
    'p = \\left( \\left( 1, \\  0\\right), \\  \\left( 1, \\  1\\right)\\right)'
    """
    out = []
    names = {f for f in getattr(spec, "__dataclass_fields__", {})}
    for field, letter in _SPEC_FIELDS:
        if field not in names:
            continue
        value = getattr(spec, field)
        if value is None:
            continue
        if field in ("in_channels", "out_channels", "groups") and value == 1:
            continue
        if field == "output_padding" and all(v == 0 for v in value):
            continue
        if field == "padding" and all(isinstance(pair, tuple) and pair[0] == pair[1] for pair in value):
            value = tuple(pair[0] for pair in value)     # symmetric padding shows one value per axis
        out.append(sp.Eq(sp.Symbol(letter), _as_tuple(value), evaluate=False))
    if getattr(spec, "input_size", None) is not None:
        out.append(sp.Eq(sp.Symbol("o"), _as_tuple(tuple(spec.output_size)), evaluate=False))
    return out


def spec_tex(spec: Any) -> str:
    r"""A one-line LaTeX description of a spec: operator name, then ``name = value`` pairs.

    Raises
    ------
    TypeError
        ``spec`` is not a symconv spec.

    Examples
    --------
    >>> from symconv import ConvTransposeSpec
    >>> spec_tex(ConvTransposeSpec(4, stride=2, padding=1, input_size=3))
    '\\text{conv\\_transpose}:\\; i = 3,\\; k = 4,\\; s = 2,\\; p = 1,\\; d = 1,\\; o = 6'
    >>> from symconv import MaxPoolSpec
    >>> spec_tex(MaxPoolSpec(3, stride=2, ceil_mode=True, input_size=2)).endswith(r"\text{ceil\_mode}")
    True
    """
    op = getattr(spec, "op", None)
    if not isinstance(op, str) or not hasattr(spec, "__dataclass_fields__"):
        raise TypeError(f"spec_tex: spec must be a symconv spec, got {type(spec).__name__}")
    head = r"\text{" + text(op) + "}:"
    parts = [tex(e) for e in spec_equations(spec)]
    if getattr(spec, "mode", None) is not None:
        parts.append(r"\text{mode " + text(spec.mode) + "}")
    if getattr(spec, "ceil_mode", False):
        parts.append(r"\text{ceil\_mode}")
    if getattr(spec, "count_include_pad", True) is False:
        parts.append(r"\text{count\_include\_pad} = \text{False}")
    return head + r"\; " + r",\; ".join(parts)


def repr_latex(obj: Any) -> str:
    r"""The ``_repr_latex_`` string (``$\displaystyle ...$``) for specs and SymPy objects.

    Examples
    --------
    >>> from symconv import MaxPoolSpec
    >>> repr_latex(MaxPoolSpec(2, input_size=(4, 4)))[:31]
    '$\\displaystyle \\text{max\\_pool}'
    >>> from symconv.symbols import i
    >>> repr_latex(i + 1)
    '$\\displaystyle i + 1$'
    """
    body = spec_tex(obj) if hasattr(obj, "__dataclass_fields__") and hasattr(obj, "op") else tex(obj)
    return r"$\displaystyle " + body + "$"


# --------------------------------------------------------------------------- templates


@lru_cache(maxsize=None)
def template(name: str) -> str:
    """The text of ``symconv/writeup/templates/<name>.tex`` (package data).

    Raises
    ------
    ValueError
        No such template.

    Examples
    --------
    >>> "<<body>>" in template("layer")
    True
    """
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"template: name must be a lower-case identifier, got name={name!r}")
    path = resources.files("symconv.writeup").joinpath("templates", f"{name}.tex")
    if not path.is_file():
        raise ValueError(f"template: no template named {name!r} in symconv/writeup/templates")
    return path.read_text(encoding="utf-8")


def render(name: str, values: Mapping[str, Any]) -> str:
    """Fill the named placeholders ``<<key>>`` of a template; every key must be used exactly as given.

    Raises
    ------
    ValueError
        A placeholder without a value, or a value without a placeholder.

    Examples
    --------
    >>> render("figure", {"path": "figures/x.pdf", "width": "0.5", "caption": "A.", "label": "fig:x"}).split()[0]
    '\\\\begin{figure}[htbp]'
    >>> render("figure", {"path": "x"})
    Traceback (most recent call last):
    ...
    ValueError: render: template 'figure' needs values for caption, label, width
    """
    source = template(name)
    wanted = set(_PLACEHOLDER.findall(source))
    missing = sorted(wanted - set(values))
    if missing:
        raise ValueError(f"render: template {name!r} needs values for {', '.join(missing)}")
    unused = sorted(set(values) - wanted)
    if unused:
        raise ValueError(f"render: template {name!r} has no placeholders for {', '.join(unused)}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), source)
