r"""Layout text from the proof engine (titles, justifications, grid notes) with its mathematics typeset.

The engine describes steps and grids in short sentences that mix words with ASCII formulas
(``"0 <= j <= s - 1"``, ``"1-D: i<=12, k<=5, all paddings 0<=p_b,p_a<=d(k-1)"``). Printed in
LaTeX's text mode those formulas come out wrong (``<`` is not a text character in every font
encoding, ``p_b`` is not a subscript). :func:`prose_tex` splits such a sentence into words and
formula runs and typesets each run as inline math: ``<=`` becomes :math:`\le`, ``floor(x)``
:math:`\lfloor x\rfloor`, ``p_b`` :math:`p_b`, ``C_in`` :math:`C_{\mathrm{in}}`; code names
(``upsample_matrix``) are set in typewriter type. Nothing is evaluated: this is a transliteration
of layout text, the mathematics of the document itself comes from SymPy's printer.

Examples
--------
>>> prose_tex("0 <= j <= s - 1")
'$0 \\le j \\le s - 1$'
>>> prose_tex("a remainder is < s")
'a remainder is $< s$'
>>> prose_tex("1-D: i<=12, k<=5")
'1-D: $i\\le 12$, $k\\le 5$'
>>> prose_tex("upsample_matrix vs floor(f/2)")
'\\texttt{upsample\\_\\allowbreak{}matrix} vs $\\left\\lfloor f/2\\right\\rfloor$'
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from .latex import text

__all__ = ["prose_tex", "plain_pdf", "math_name"]

_TOKEN = re.compile(r"""
    (?P<code>[A-Za-z][A-Za-z0-9]+(?:[._][A-Za-z0-9]+)+(?:\(\.\.\.\))?(?:\.[A-Za-z]+)?)
  | (?P<dims>\d+-D\b)
  | (?P<possessive>[A-Za-z]+'s\b|\b(?:e\.g|i\.e)\.|\bD&V\b)
  | (?P<ident>[A-Za-z]+\d*(?:_(?:\{[^}]*\}|[A-Za-z0-9]+))?'*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<dots>\.\.\.?)
  | (?P<op><=|>=|!=|==|//|->|\+-|(?<=\s)\(x\)(?=\s)|[<>=+\-*/|^_#%&]|[≥≤≠−×·→∘⊗∑∣≡∈≈∞½²∂⌊⌋⌈⌉ᵀ′αβδλσμτκΔ])
  | (?P<open>[(\[{⟨])
  | (?P<close>[)\]}⟩])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)

#: Identifiers that are mathematics even when longer than one letter.
_MATH_WORDS = {
    "mod": r"\bmod", "delta": r"\delta", "Delta": r"\Delta", "sigma": r"\sigma", "tau": r"\tau",
    "kappa": r"\kappa", "mu": r"\mu", "alpha": r"\alpha", "beta": r"\beta", "lambda": r"\lambda",
    "max": r"\max", "min": r"\min", "gcd": r"\gcd", "sum": r"\sum", "floor": r"\lfloor", "ceil": r"\lceil",
}
#: Two-letter English words never read as a product of two letters.
_STOPWORDS = {"is", "in", "of", "to", "at", "on", "or", "by", "if", "as", "an", "be", "it", "no", "so", "up",
              "vs", "we", "do", "go", "me", "my", "us", "iff"}
_OPS = {"+-": r"\pm", "<=": r"\le", ">=": r"\ge", "!=": r"\ne", "==": "=", "->": r"\to", "*": r"\cdot", "(x)": r"\otimes",
        "#": r"\#", "%": r"\%", "&": r"\&", "≥": r"\ge", "≤": r"\le", "≠": r"\ne", "−": "-", "×": r"\times",
        "·": r"\cdot", "→": r"\to", "∘": r"\circ", "⊗": r"\otimes", "∑": r"\sum", "∣": r"\mid", "≡": r"\equiv",
        "∈": r"\in", "≈": r"\approx", "∞": r"\infty", "½": r"\tfrac12", "²": "^2", "∂": r"\partial",
        "⟨": r"\langle", "⟩": r"\rangle", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil",
        "ᵀ": "^T", "′": "'", "α": r"\alpha", "β": r"\beta", "δ": r"\delta", "λ": r"\lambda", "σ": r"\sigma",
        "μ": r"\mu", "τ": r"\tau", "κ": r"\kappa", "Δ": r"\Delta"}
_RELATIONS = {"<=", ">=", "!=", "==", "=", "<", ">", "->", "≥", "≤", "≠", "→", "≡", "≈", "∈"}
_BINARY = _RELATIONS | {"+-", "+", "-", "*", "/", "//", "(x)", "^", "_", "−", "×", "·", "⊗", "∘"}
#: Math words that are mathematics only when applied, ``floor(x)`` (else prose: "the max by definition").
_APPLIED = {"floor", "ceil", "max", "min", "gcd", "sum"}


def _tokens(value: str) -> list[tuple[str, str]]:
    value = re.sub(r"(?<![A-Za-z0-9_])'(?=[A-Za-z])", "`", value)       # an opening quote, not a prime
    value = re.sub(r"<(?=\S)([^<>=]*,[^<>=]*?)(?<=\S)>", "⟨\\1⟩", value)    # <C x, y>: an inner product
    out = []
    for m in _TOKEN.finditer(value):
        kind, word = m.lastgroup, m.group()
        base = word.rstrip("'")
        if kind == "code" and word.split("_")[0] in _MATH_WORDS and "." not in word:
            kind = "ident"                                    # mu_m is a letter with a subscript
        if kind == "ident" and base != word and "_" not in word and len(base) > 1:
            out += [(kind, base)] + [("other", "'")] * (len(word) - len(base))   # a closing quote
        else:
            out.append((kind, word))
    return out


def _neighbour(tokens: list, j: int, step: int) -> tuple[str, str]:
    """The nearest token before (step -1) or after (step +1) position j that is not white space."""
    j += step
    while 0 <= j < len(tokens) and tokens[j][0] == "space":
        j += step
    return tokens[j] if 0 <= j < len(tokens) else ("", "")


def _is_math_ident(tokens: list, j: int) -> bool:
    word = tokens[j][1]
    base = re.match(r"[A-Za-z]+", word).group()
    nxt, prev = _neighbour(tokens, j, 1), _neighbour(tokens, j, -1)
    if base in ("a", "A") and word == base and nxt[0] in ("ident", "possessive") and not _is_math_word(nxt[1]):
        return False                                          # the article, not the output padding a
    applied = j + 1 < len(tokens) and tokens[j + 1] == ("open", "(")
    if base in _APPLIED:
        return applied
    if word != base or len(base) == 1 or base in _MATH_WORDS or applied:
        return True                                           # applied: a function such as nearest(y)
    if len(base) == 2 and base.lower() not in _STOPWORDS:
        return nxt[1] in _BINARY or prev[1] in _BINARY        # a product such as r s written rs
    return False


def _is_math_word(word: str) -> bool:
    base = re.match(r"[A-Za-z]+", word).group()
    return word != base or len(base) == 1 or base in _MATH_WORDS


def math_name(word: str) -> str:
    r"""A letter-like identifier in math: ``p_b`` -> ``p_b``, ``C_in'`` -> ``C_{\mathrm{in}}'``, ``r1`` -> ``r_{1}``.

    Examples
    --------
    >>> math_name("C_out'"), math_name("r1"), math_name("delta"), math_name("nearest")
    ("C_{\\mathrm{out}}'", 'r_{1}', '\\delta', '\\operatorname{nearest}')
    """
    m = re.fullmatch(r"([A-Za-z]+)(\d*)(?:_(\{[^}]*\}|[A-Za-z0-9]+))?('*)", word)
    if m is None:
        return text(word)
    base, digits, sub, primes = m.groups()
    if base in _MATH_WORDS:
        head = _MATH_WORDS[base]
    elif len(base) == 1:
        head = base
    elif len(base) == 2 and base.lower() not in _STOPWORDS and base.islower():
        head = base                                           # a product of two letters
    else:
        head = r"\operatorname{" + base + "}"
    if digits:
        head += "_{" + digits + "}"
    if sub:
        sub = sub.strip("{}")
        head += "_" + (sub if len(sub) == 1 else "{" + (r"\mathrm{" + sub + "}" if sub.isalpha() else sub) + "}")
    return head + primes


def _classify(tokens: list) -> list[bool | None]:
    """Per token: True (an atom of a formula), False (a word of prose), None (glue: operators, brackets, space)."""
    kinds: list[bool | None] = []
    for j, (kind, value) in enumerate(tokens):
        if kind == "ident":
            kinds.append(_is_math_ident(tokens, j))
        elif kind == "number":
            kinds.append(True)
        elif kind in ("code", "dims", "possessive"):
            kinds.append(False)
        elif kind == "other":
            kinds.append(None if value in ",:;" else False)
        elif kind == "op":
            kinds.append(None if value in _BINARY or value in "#%&|" else True)
        else:
            kinds.append(None)
    return kinds


def _runs(tokens: list) -> list[tuple[bool, list]]:
    """Group tokens into alternating (is_math, tokens) runs; a run is math when it holds an atom."""
    kinds = _classify(tokens)
    groups: list[list] = [[]]
    depth = 0
    for j, ((kind, value), cls) in enumerate(zip(tokens, kinds)):
        nxt = j + 1
        while nxt < len(tokens) and tokens[nxt][0] == "space":
            nxt += 1
        before_prose = nxt == len(tokens) or kinds[nxt] is False
        split_comma = kind == "other" and value in ",;:" and (depth <= 0 or before_prose) and \
            (j + 1 == len(tokens) or tokens[j + 1][0] == "space" or value == ";")
        if cls is False or split_comma:
            groups.append([(kind, value, False)])
            groups.append([])
            continue
        depth += 1 if kind == "open" else -1 if kind == "close" else 0
        groups[-1].append((kind, value, cls))
    out: list[tuple[bool, list]] = []
    for group in groups:
        if not group:
            continue
        if any(cls for _k, _v, cls in group):
            out.extend(_trim(group))
        else:
            out.append((False, group))
    return out


def _trim(group: list) -> list[tuple[bool, list]]:
    """Split a run at unmatched brackets; white space and dangling operators at the ends go back to prose."""
    stack, unmatched = [], set()
    for n, (kind, _v, _c) in enumerate(group):
        if kind == "open":
            stack.append(n)
        elif kind == "close":
            if stack:
                stack.pop()
            else:
                unmatched.add(n)
    unmatched |= set(stack)
    out: list[tuple[bool, list]] = []
    piece: list = []
    for n, item in enumerate(group + [None]):
        if item is None or n in unmatched:
            out += _ends(piece)
            if item is not None:
                out.append((False, [item]))
            piece = []
        else:
            piece.append(item)
    return out


def _ends(piece: list) -> list[tuple[bool, list]]:
    head, tail = [], []
    while piece and (piece[0][0] == "space" or (piece[0][1] in "-/,:;" and piece[0][2] is None)):
        head.append(piece.pop(0))
    while piece and (piece[-1][0] == "space" or (piece[-1][1] in "-/,:;" and piece[-1][2] is None)):
        tail.insert(0, piece.pop())
    is_math = any(cls for _k, _v, cls in piece)
    parts = [(False, head), (is_math, piece), (False, tail)]
    return [(m, toks) for m, toks in parts if toks]


def _is_times(items: list, j: int) -> bool:
    """``x`` between spaces is a product sign in ``f x ... x f`` and ``3 x 3`` (not in ``C x``)."""
    def near(step: int) -> str:
        n = j + step
        while 0 <= n < len(items) and items[n][0] == "space":
            n += step
        return items[n][1] if 0 <= n < len(items) else ""
    spaced = 0 < j < len(items) - 1 and items[j - 1][0] == "space" and items[j + 1][0] == "space"
    left, right = near(-1), near(1)
    return spaced and ("..." in (left, right) or (left == right and left != "") or (left.isdigit() and right.isdigit()))


def _math_tex(group: list) -> str:
    """A formula run in LaTeX math: relations and operators spelled out, floors and ceilings paired."""
    out, stack = [], []
    items = [(k, v) for k, v, _c in group]
    j = 0
    while j < len(items):
        kind, value = items[j]
        nxt = items[j + 1] if j + 1 < len(items) else ("", "")
        if kind == "ident" and value in ("floor", "ceil") and nxt == ("open", "("):
            out.append(r"\left" + _MATH_WORDS[value])
            stack.append(value)
            j += 2
            continue
        if kind == "open":
            stack.append(value)
            out.append({"{": r"\{", "⟨": r"\langle "}.get(value, value))
        elif kind == "close":
            opener = stack.pop() if stack else ""
            out.append({"floor": r"\right\rfloor", "ceil": r"\right\rceil"}.get(
                opener, {"}": r"\}", "⟩": r"\rangle "}.get(value, value)))
        elif kind == "ident":
            out.append(r"\times" if value == "x" and _is_times(items, j) else math_name(value))
        elif kind == "dots":
            out.append(r"\dots" if value == "..." else r",\dots,")
        elif kind == "space":
            out.append(" ")
        elif value == "|":
            spaced = j > 0 and items[j - 1][0] == "space" and nxt[0] == "space"
            out.append(r"\mid" if spaced else "|")
        elif value == "//" and out and j + 1 < len(items) and items[j + 1][0] in ("ident", "number"):
            out[-1] = r"\left\lfloor " + out[-1] + "/" + math_name(items[j + 1][1]) + r"\right\rfloor"
            j += 2
            continue

        else:
            out.append(_OPS.get(value, value))
        j += 1
    body = ""
    for piece in out:                                      # \le then 12: keep the command's name apart
        if re.search(r"\\[A-Za-z]+$", body) and re.match(r"[A-Za-z0-9]", piece):
            body += " "
        body += piece
    body = body.strip()
    body = re.sub(r"(?<=\S)(\\(?:le|ge|ne|to|mid|otimes|cdot|times|bmod|in|equiv|approx))(?![A-Za-z])(?=\S)",
                  r" \1 ", body)
    return "$" + re.sub(r" {2,}", " ", body) + "$"


def _prose_piece(kind: str, value: str) -> str:
    if kind == "code":                                       # long names may break after _ and .
        return r"\texttt{" + text(value).replace("\\_", "\\_\\allowbreak{}").replace(".", ".\\allowbreak{}") + "}"
    if value in ("'",):
        return "'"
    if value in _OPS or value in "<>|^":
        return "$" + _OPS.get(value, value) + "$"
    out = []
    for ch in value:
        if ord(ch) < 128:
            out.append(text(ch))
        else:
            out.append(text(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()) or "?")
    return "".join(out)


def prose_tex(value: Any) -> str:
    r"""A sentence of layout text as LaTeX: words escaped, formula runs as inline math, code in typewriter.

    Examples
    --------
    >>> prose_tex("d x_c / d x_j = delta(c, j)")
    '$d x_c / d x_j = \\delta(c, j)$'
    >>> prose_tex("output padding a = (i + p_b) mod s restores i")
    'output padding $a = (i + p_b) \\bmod s$ restores $i$'
    >>> prose_tex("Adjointness <C x, y> = <x, C^T y>")
    'Adjointness $\\langle C x, y\\rangle = \\langle x, C^T y\\rangle$'
    >>> prose_tex("the tap's source; C_in'")
    "the tap's source; $C_{\\mathrm{in}}'$"
    """
    pieces = []
    for is_math, group in _runs(_tokens(str(value))):
        if is_math:
            pieces.append(_math_tex(group))
        else:
            pieces.append("".join(_prose_piece(k, v) for k, v, _c in group))
    return "".join(pieces)


_ASCII = {"≥": ">=", "≤": "<=", "≠": "!=", "−": "-", "×": "x", "·": "*", "→": "->", "ᵀ": "^T", "′": "'",
          "–": "-", "—": "-", "…": "..."}


def plain_pdf(value: Any) -> str:
    r"""Plain ASCII text for a PDF bookmark (``\texorpdfstring``'s second argument): no math, escaped.

    Examples
    --------
    >>> plain_pdf("Convolution matrix")
    'Convolution matrix'
    >>> plain_pdf("o ≥ 1 & x_b")
    'o >= 1 \\& x\\_b'
    """
    out = []
    for ch in str(value):
        ch = _ASCII.get(ch, ch)
        if all(ord(c) < 128 for c in ch):
            out.append(text(ch))
        else:
            out.append(text(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()))
    return "".join(out)
