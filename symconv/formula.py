r"""A safe parser for user-written size formulas.

Formulas are parsed with :func:`ast.parse` (which never runs code) and accepted only if
every node is whitelisted: integer (or short decimal) literals, the names of the
convolution-arithmetic letters, ``+ - * / // % **`` with a small literal exponent,
unary minus, and calls to ``floor``, ``ceil``, ``math.floor``, ``math.ceil``, ``mod``,
``max``, ``min``, ``abs``. Anything else -- attribute access, lambdas, comprehensions,
subscripts, strings, keyword arguments, huge literals or exponents, texts over 1,000
characters -- is rejected with a one-line :class:`FormulaError` (a ``ValueError``).

A parsed formula is kept as a small tree that evaluates *exactly* (``Fraction``) on
integer parameters, and converts to a SymPy expression for proofs and display.

Examples
--------
>>> f = parse_formula("(i + 2*p - k) // s + 1")
>>> f.evaluate({"i": 5, "k": 3, "s": 2, "p": 1})
3
>>> f.sympy()
floor((i - k + 2*p)/s) + 1
>>> parse_formula("__import__('os').system('true')")
Traceback (most recent call last):
...
symconv.formula.FormulaError: formula: calls are allowed only to floor, ceil, ceiling, mod, max, min, abs, math.floor, math.ceil
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

import sympy as sp

from . import symbols as letters

__all__ = ["FormulaError", "Formula", "parse_formula", "NAMES", "MAX_LENGTH"]

#: Longest formula text accepted.
MAX_LENGTH = 1000
#: Largest absolute value of a literal, and of an exponent.
MAX_LITERAL = 10**6
MAX_EXPONENT = 8
MAX_NODES = 400

#: Accepted names and the letter each stands for (long forms as PyTorch's arguments).
NAMES: dict[str, str] = {
    "i": "i", "k": "k", "s": "s", "p": "p", "d": "d", "a": "a", "p_b": "p_b", "p_a": "p_a",
    "input_size": "i", "in_size": "i", "kernel_size": "k", "stride": "s", "padding": "p",
    "dilation": "d", "output_padding": "a", "op": "a",
    "padding_before": "p_b", "padding_after": "p_a",
}

_FUNCTIONS = ("floor", "ceil", "ceiling", "mod", "max", "min", "abs")
_MODULE_FUNCTIONS = {("math", "floor"): "floor", ("math", "ceil"): "ceil"}
_ARITY = {"floor": (1, 1), "ceil": (1, 1), "ceiling": (1, 1), "mod": (2, 2), "max": (2, 8), "min": (2, 8),
          "abs": (1, 1)}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
           ast.Pow: "**"}


#: A number written against a letter or a parenthesis, as in ``2p`` or ``2(k-1)``: a product.
_IMPLICIT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?=[A-DF-Za-df-z_(]|[eE](?![\d+-]))")


class FormulaError(ValueError):
    """A formula text was rejected; the message is one line saying why."""


@dataclass(frozen=True)
class Node:
    """One node of a parsed formula: ``kind`` is 'num', 'name', an operator, 'neg' or a function."""

    kind: str
    args: tuple = ()
    value: Any = None


def _fail(message: str) -> None:
    raise FormulaError(f"formula: {message}")


def parse_formula(text: Any) -> "Formula":
    """Parse ``text`` into a :class:`Formula`, or raise :class:`FormulaError`.

    A leading ``o =`` (any plain name before a single ``=``) is allowed and ignored.
    ``^`` is rejected with a hint to use ``**``. A number written against a letter or an
    opening parenthesis is a product, as in ``2p`` or ``2(k - 1)``.

    Examples
    --------
    >>> parse_formula("o = math.floor((input_size + 2*padding - kernel_size) / stride) + 1").names
    ('i', 'k', 'p', 's')
    >>> parse_formula("(i - k + 2p)/s + 1").sympy()
    1 + (i - k + 2*p)/s
    >>> parse_formula("9**9**9")
    Traceback (most recent call last):
    ...
    symconv.formula.FormulaError: formula: exponents must be integer literals between 0 and 8
    """
    if not isinstance(text, str):
        raise TypeError(f"formula: expected a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        _fail(f"longer than {MAX_LENGTH} characters ({len(text)})")
    if "\x00" in text:
        _fail("contains a NUL character")
    body = text.strip()
    if body.count("=") == 1 and "==" not in body and not any(op in body for op in ("<=", ">=", "!=")):
        left, right = body.split("=")
        if not left.strip().replace("'", "").isidentifier():
            _fail("only a plain name may stand before '='")
        body = right.strip()
    if "^" in body:
        _fail("'^' is not a power here; use ** for powers")
    body = _IMPLICIT.sub(r"\1*", body)
    if not body:
        _fail("empty formula")
    try:
        tree = ast.parse(body, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        _fail(f"not a valid expression ({type(exc).__name__})")
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        _fail(f"too complex ({count} syntax nodes, at most {MAX_NODES})")
    try:
        root = _convert(tree.body)
    except RecursionError:
        _fail("nested too deeply")
    return Formula(text=text, root=root)


def _convert(node: ast.AST) -> Node:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _fail(f"only numbers are allowed as literals, got {type(value).__name__}")
        if isinstance(value, float):
            if not math.isfinite(value):
                _fail("literals must be finite")
            value = Fraction(repr(value))
        if abs(value) > MAX_LITERAL:
            _fail(f"literal {node.value!r} is larger than {MAX_LITERAL}")
        return Node("num", value=Fraction(value))
    if isinstance(node, ast.Name):
        if node.id not in NAMES:
            _fail(f"unknown name {node.id!r}; allowed: {', '.join(sorted(NAMES))}")
        return Node("name", value=NAMES[node.id])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _convert(node.operand)
        return Node("neg", (inner,)) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op = _BINOPS[type(node.op)]
        if op == "**":
            exp = node.right
            if not (isinstance(exp, ast.Constant) and type(exp.value) is int and 0 <= exp.value <= MAX_EXPONENT):
                _fail(f"exponents must be integer literals between 0 and {MAX_EXPONENT}")
        return Node(op, (_convert(node.left), _convert(node.right)))
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in _FUNCTIONS:
            name = func.id
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
              and (func.value.id, func.attr) in _MODULE_FUNCTIONS):
            name = _MODULE_FUNCTIONS[(func.value.id, func.attr)]
        else:
            _fail("calls are allowed only to " + ", ".join(_FUNCTIONS) + ", math.floor, math.ceil")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            _fail(f"{name}() takes plain positional arguments only")
        low, high = _ARITY[name]
        if not low <= len(node.args) <= high:
            count = str(low) if low == high else f"{low} to {high}"
            plural = "" if high == 1 else "s"
            _fail(f"{name}() takes {count} argument{plural}, got {len(node.args)}")
        return Node("ceil" if name == "ceiling" else name, tuple(_convert(a) for a in node.args))
    if isinstance(node, ast.Attribute):
        _fail("attribute access is not allowed")
    if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        _fail(f"{type(node).__name__} is not allowed")
    if isinstance(node, ast.BinOp):
        _fail(f"operator {type(node.op).__name__} is not allowed (use + - * / // % **)")
    _fail(f"{type(node).__name__} is not allowed in a formula")
    raise AssertionError("unreachable")  # pragma: no cover


class _Undefined(Exception):
    """Evaluation hit a division by zero (or a negative exponent of zero)."""


def _eval(node: Node, env: Mapping[str, int]) -> Fraction:
    kind = node.kind
    if kind == "num":
        return node.value
    if kind == "name":
        return Fraction(env[node.value])
    values = [_eval(a, env) for a in node.args]
    if kind == "neg":
        return -values[0]
    if kind in ("/", "//", "%", "mod") and values[1] == 0:
        raise _Undefined(f"division by zero in {kind}")
    if kind == "+":
        return values[0] + values[1]
    if kind == "-":
        return values[0] - values[1]
    if kind == "*":
        return values[0] * values[1]
    if kind == "/":
        return values[0] / values[1]
    if kind == "//":
        return Fraction(math.floor(values[0] / values[1]))
    if kind in ("%", "mod"):
        return values[0] - values[1] * math.floor(values[0] / values[1])
    if kind == "**":
        return values[0] ** int(values[1])
    if kind == "floor":
        return Fraction(math.floor(values[0]))
    if kind == "ceil":
        return Fraction(math.ceil(values[0]))
    if kind == "max":
        return max(values)
    if kind == "min":
        return min(values)
    if kind == "abs":
        return abs(values[0])
    raise AssertionError(kind)  # pragma: no cover


_SYMBOL = {name: letters.BY_NAME[name] for name in set(NAMES.values())}


def _to_sympy(node: Node) -> sp.Expr:
    kind = node.kind
    if kind == "num":
        return sp.Rational(node.value.numerator, node.value.denominator)
    if kind == "name":
        return _SYMBOL[node.value]
    args = [_to_sympy(a) for a in node.args]
    table = {
        "neg": lambda x: -x, "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
        "/": lambda x, y: x / y, "//": lambda x, y: sp.floor(x / y), "%": sp.Mod, "mod": sp.Mod,
        "**": lambda x, y: x**y, "floor": sp.floor, "ceil": sp.ceiling, "max": sp.Max, "min": sp.Min,
        "abs": sp.Abs,
    }
    return table[kind](*args)


def _names(node: Node) -> set:
    if node.kind == "name":
        return {node.value}
    out: set = set()
    for a in node.args:
        out |= _names(a)
    return out


@dataclass(frozen=True)
class Formula:
    """A parsed, whitelisted formula: exact evaluation and a SymPy view."""

    text: str
    root: Node

    @property
    def names(self) -> tuple:
        """The letters the formula uses, sorted."""
        return tuple(sorted(_names(self.root)))

    def evaluate(self, env: Mapping[str, int]) -> Fraction | int:
        """Exact value for integer parameters (an ``int`` when integral).

        Raises ``ZeroDivisionError`` when the formula divides by zero there.
        """
        try:
            value = _eval(self.root, env)
        except _Undefined as exc:
            raise ZeroDivisionError(str(exc)) from None
        return int(value) if value.denominator == 1 else value

    def sympy(self) -> sp.Expr:
        """The formula as a SymPy expression in :mod:`symconv.symbols`."""
        return _to_sympy(self.root)
