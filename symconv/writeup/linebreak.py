r"""Line breaking for display math: estimated widths of printed LaTeX, and breaks between top-level terms.

:func:`math_width` estimates how wide a printed formula is (in units of about half an em; a letter
is 1), :func:`break_terms` cuts a long sum at its top-level ``+``/``-`` signs, and
:func:`display_lines` lays out ``lhs relation rhs`` over as many aligned lines as needed.
The theorem sections (:mod:`symconv.writeup.theorems`) use them so no statement overflows the page.

Examples
--------
>>> math_width("i + k") < math_width("i + k + s")
True
"""
from __future__ import annotations

import re

__all__ = ["LINE_UNITS", "math_width", "break_terms", "display_lines"]

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
    >>> import sympy as sp
    >>> from symconv.symbols import i, k, s, p
    >>> from symconv.writeup.latex import tex
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
