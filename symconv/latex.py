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
    "break_terms",
    "math_width",
    "display_lines",
    "LINE_UNITS",
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
    """The text of ``symconv/templates/<name>.tex`` (package data).

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
    path = resources.files("symconv").joinpath("templates", f"{name}.tex")
    if not path.is_file():
        raise ValueError(f"template: no template named {name!r} in symconv/templates")
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


# --------------------------------------------------------------------------- line breaking

#: Widths in "units" of about half an em of display math (a letter is 1); a line of the
#: documents' text block (A4, 2 cm margins, 10 pt) holds about 95 units.
LINE_UNITS = 76
_BIN_WIDE = {r"\leq", r"\geq", r"\le", r"\ge", r"\neq", r"\ne", r"\wedge", r"\vee", r"\cdot", r"\times", r"\mid",
             r"\to", r"\mapsto", r"\otimes", r"\equiv", r"\in", r"\approx"}
_TEXTUAL = (r"\operatorname", r"\text", r"\mathrm", r"\mathit", r"\mathbf", r"\texttt", r"\textsf", r"\textbf")
_SPACES = {r"\,": 0.3, r"\:": 0.4, r"\;": 0.5, r"\quad": 2.0, r"\qquad": 4.0, r"\ ": 0.5, r"\!": -0.3}


def _group(src: str, j: int) -> tuple[str, int]:
    """The braced group starting at ``src[j] == '{'``: its content and the index after it."""
    depth, start = 0, j
    while j < len(src):
        if src[j] == "\\":
            j += 2
            continue
        depth += {"{": 1, "}": -1}.get(src[j], 0)
        j += 1
        if depth == 0:
            return src[start + 1:j - 1], j
    return src[start + 1:], len(src)


def _argument(src: str, j: int) -> tuple[str, int]:
    """A TeX argument at ``j`` (after spaces): a braced group, a command or one character."""
    while j < len(src) and src[j] == " ":
        j += 1
    if j >= len(src):
        return "", j
    if src[j] == "{":
        return _group(src, j)
    if src[j] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", src[j:])
        return m.group(), j + len(m.group())
    return src[j], j + 1


def _env_width(body: str, name: str) -> float:
    """Width of a matrix-like environment: rows split at ``\\``, columns at ``&``."""
    rows = [r for r in re.split(r"\\\\", body) if r.strip()]
    cells = [[math_width(c) for c in row.split("&")] for row in rows] or [[0.0]]
    ncols = max(len(r) for r in cells)
    cols = [max((r[c] if c < len(r) else 0.0) for r in cells) for c in range(ncols)]
    gap = 2.0 if name in ("cases", "aligned", "align*", "array") else 1.6
    return sum(cols) + gap * (ncols - 1) + (1.5 if name == "cases" else 0.0)


def math_width(src: str, scale: float = 1.0) -> float:
    r"""Estimated width of LaTeX math in units of about half an em (a letter is 1).

    A layout heuristic for choosing line breaks (:func:`break_terms`): fractions count their wider
    part, scripts count 0.7, relations and operators their spacing. The documents' tests check
    the real widths in pdflatex's log.

    Examples
    --------
    >>> math_width("i - k + 1")
    7.0
    >>> math_width(r"\frac{i - k}{s}") < math_width("i - k + s")
    True
    """
    width, j = 0.0, 0
    while j < len(src):
        ch = src[j]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", src[j:])
            cmd = m.group()
            j += len(cmd)
            if cmd == r"\begin":
                name, j = _argument(src, j)
                end = src.find(r"\end{" + name + "}", j)
                depth_end = _matching_end(src, j, name)
                body = src[j:depth_end]
                if name == "array" or body.startswith("["):
                    body = re.sub(r"^\s*(\[[^\]]*\])?(\{[^}]*\})?", "", body)
                width += _env_width(body, name) * scale
                j = depth_end + len(r"\end{" + name + "}") if end >= 0 else len(src)
            elif cmd in (r"\frac", r"\dfrac", r"\tfrac", r"\binom"):
                num, j = _argument(src, j)
                den, j = _argument(src, j)
                width += (max(math_width(num, scale), math_width(den, scale)) + 0.6) * (0.7 if cmd == r"\tfrac" else 1)
            elif cmd in _TEXTUAL:
                arg, j = _argument(src, j)
                width += 0.9 * len(re.sub(r"\\[A-Za-z]+|[{}]", "", arg)) * scale
            elif cmd in (r"\left", r"\right"):
                _delim, j = _argument(src, j)
                width += 0.6 * scale
            elif cmd in _SPACES:
                width += _SPACES[cmd] * scale
            elif cmd in (r"\sum", r"\prod"):
                width += 2.0 * scale
                below = above = 0.0
                while j < len(src) and src[j] in "_^":
                    arg, j = _argument(src, j + 1)
                    w = math_width(arg, 0.7 * scale)
                    below, above = (max(below, w), above) if src[j - len(arg) - 2:j].startswith("_") else (below, max(above, w))
                width += max(0.0, max(below, above) - 2.0 * scale) + 0.5 * scale
            elif cmd == r"\bmod":
                width += 3.4 * scale
            elif cmd in _BIN_WIDE:
                width += 2.0 * scale
            elif cmd in (r"\substack",):
                arg, j = _argument(src, j)
                width += max(math_width(r, scale) for r in arg.split(r"\\"))
            elif cmd in (r"\notag", r"\nonumber", r"\displaystyle", r"\limits"):
                pass
            elif cmd == r"\label":
                _arg, j = _argument(src, j)
            else:
                width += scale
            continue
        if ch in "_^":
            arg, j = _argument(src, j + 1)
            width += math_width(arg, 0.7 * scale)
            continue
        if ch == "{":
            arg, j = _group(src, j)
            width += math_width(arg, scale)
            continue
        if ch in "+-=<>":
            width += (2.0 if ch != "-" or src[:j].strip() else 1.0) * scale
        elif ch in ",;":
            width += 0.6 * scale
        elif ch in "()[]|":
            width += 0.6 * scale
        elif ch == "&" or ch == " " or ch == "}":
            pass
        else:
            width += scale
        j += 1
    return width


def _matching_end(src: str, j: int, name: str) -> int:
    r"""Index of the ``\end{name}`` closing the environment whose body starts at ``j`` (nesting counted)."""
    depth = 1
    pattern = re.compile(r"\\(begin|end)\{" + re.escape(name) + r"\}")
    for m in pattern.finditer(src, j):
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return m.start()
    return len(src)


def _top_level_cuts(printed: str, symbols: tuple = ("+", "-")) -> list[int]:
    """Positions of top-level binary ``+``/``-`` (or other symbols) where a line may break."""
    cuts, depth, j = [], 0, 0
    while j < len(printed):
        if printed.startswith(r"\left", j) and not printed.startswith(r"\leftarrow", j):
            depth += 1
            j += 5
            continue
        if printed.startswith(r"\right", j) and not printed.startswith(r"\rightarrow", j):
            depth -= 1
            j += 6
            continue
        if printed.startswith(r"\begin{", j) or printed.startswith(r"\end{", j):
            depth += 1 if printed[j + 1] == "b" else -1
            j += 1
            continue
        ch = printed[j]
        if ch == "\\":
            m = re.match(r"\\[A-Za-z]+", printed[j:])
            if m and depth == 0 and m.group() in symbols and j > 0 and printed[j - 1] == " ":
                cuts.append(j)
            j += len(m.group()) if m else 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and j > 0 and printed[j - 1] == " " and ch in symbols and printed[j + 1:j + 2] == " ":
            cuts.append(j)
        j += 1
    return cuts


def break_terms(printed: str, max_width: float = LINE_UNITS) -> list[str]:
    r"""Split printed LaTeX at top-level ``+``/``-`` signs into lines of at most about ``max_width`` units.

    Layout only: the pieces are consecutive slices of SymPy's output, cut where a sum's terms
    meet (outside braces, environments and ``\left``/``\right`` pairs); widths are estimated by
    :func:`math_width`; a piece that cannot be cut stays whole.

    Examples
    --------
    >>> from symconv.symbols import i, k, s, p
    >>> break_terms(tex(i + k + s + p), 6)
    ['i + k', '+ p + s']
    >>> len(break_terms(tex(sp.Piecewise((i + k + s, i > k), (p + s + k, True))), 5))
    1
    >>> break_terms(tex(sp.floor((i + k) / s)), 5)
    ['\\left\\lfloor{\\frac{i + k}{s}}\\right\\rfloor']
    """
    if math_width(printed) <= max_width:
        return [printed]
    cuts = _top_level_cuts(printed)
    lines = _greedy(printed, cuts, max_width)
    low, high = max_width / 2, max_width            # balance: the narrowest budget giving as few lines
    for _ in range(8):
        mid = (low + high) / 2
        if len(_greedy(printed, cuts, mid)) <= len(lines):
            high = mid
        else:
            low = mid
    return _greedy(printed, cuts, high)


def _greedy(printed: str, cuts: list[int], max_width: float) -> list[str]:
    """Fill lines up to ``max_width`` from left to right, cutting only at ``cuts``."""
    lines, start, last = [], 0, 0
    for cut in cuts + [len(printed)]:
        if math_width(printed[start:cut]) > max_width and last > start:
            lines.append(printed[start:last].rstrip())
            start = last
        last = cut
    lines.append(printed[start:].strip())
    return [line for line in lines if line]


def display_lines(lhs: str, relation: str, rhs: str, max_width: float = LINE_UNITS) -> str:
    r"""``lhs relation rhs`` for a display: one line, or an ``aligned`` block broken at operators.

    A short left side stays on the first line and the right side continues under it after a
    quad; a long one puts each side on its own lines, the relation starting the second side.
    Nothing is scaled: every line keeps the font size.

    Examples
    --------
    >>> display_lines("o", "=", "i - k + 1")
    'o = i - k + 1'
    >>> print(display_lines("o", "=", "i + k + s + p + d + a", max_width=15))
    \begin{aligned}
    o &= i + k + s \\
      &\quad + p + d + a
    \end{aligned}
    """
    one = f"{lhs} {relation} {rhs}"
    if math_width(one) <= max_width:
        return one
    lw = math_width(lhs)
    if lw <= 0.4 * max_width:
        pieces = break_terms(rhs, max_width - lw - 3)
        body = [f"{lhs} &{relation} {pieces[0]}"] + [f"  &\\quad {piece}" for piece in pieces[1:]]
    else:
        body = [f"&{piece}" if n == 0 else f"&\\quad {piece}" for n, piece in enumerate(break_terms(lhs, max_width))]
        right = break_terms(rhs, max_width - 3)
        body += [f"&{relation} {right[0]}"] + [f"&\\quad {piece}" for piece in right[1:]]
    return "\\begin{aligned}\n" + " \\\\\n".join(body) + "\n\\end{aligned}"
