r"""A SymPy printer for generated kernels: integer ``//``, no ``math``, no Dummy names.

SymPy's stock ``PythonCodePrinter`` prints ``floor(a/b)`` as ``math.floor(a/b)`` (a float
division) and numbers ``Dummy`` symbols with a global counter, so two runs give different
text. :class:`KernelPrinter` prints ``floor(a/b)`` with integer operands as ``(a)//(b)``,
``ceiling`` as ``-(-(a)//(b))``, ``Mod`` as ``%``, ``Min``/``Max`` as ``min``/``max`` (or
``np.minimum``/``np.maximum`` for array operands), refuses Dummy symbols, and only accepts
symbol names that are valid, non-keyword Python identifiers.

Examples
--------
>>> import sympy as sp
>>> i = sp.Symbol("in_w", integer=True, positive=True)
>>> print_code(sp.floor((i + 2 - 3) / 2) + 1)
'(in_w - 1)//2 + 1'
>>> print_code(sp.ceiling(i / 3))
'-(-in_w//3)'
>>> print_code(sp.Max(i, 4), array=True)
'np.maximum(4, in_w)'
"""
from __future__ import annotations

import keyword
from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

__all__ = ["KernelPrinter", "print_code", "check_identifier"]


def check_identifier(name: str, what: str = "name") -> str:
    """Return ``name`` if it is safe to embed in generated code, else raise ``ValueError``.

    Examples
    --------
    >>> check_identifier("out_h")
    'out_h'
    >>> check_identifier("import os")
    Traceback (most recent call last):
    ...
    ValueError: codegen: name must be a Python identifier (not a keyword), got 'import os'
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
        raise ValueError(f"codegen: {what} must be a Python identifier (not a keyword), got {name!r}")
    return name


class KernelPrinter(PythonCodePrinter):
    """``PythonCodePrinter`` with exact integer arithmetic and deterministic names.

    Parameters
    ----------
    array : bool
        Print ``Min``/``Max`` as ``np.minimum``/``np.maximum`` (operands may be arrays).
    """

    printmethod = "_kernelcode"

    def __init__(self, settings: dict | None = None, array: bool = False) -> None:
        super().__init__(dict(settings or {}, fully_qualified_modules=False, standard="python3"))
        self.array = array

    # integer division --------------------------------------------------------------------
    def _fraction(self, arg: sp.Expr) -> tuple[str, str]:
        num, den = sp.fraction(sp.together(arg))
        if not (num.is_integer and den.is_integer and den.is_positive):
            raise ValueError(f"codegen: cannot print an exact integer division of {arg}")
        return self._operand(num), self._operand(den)

    def _operand(self, expr: sp.Expr) -> str:
        text = self._print(expr)
        return text if (expr.is_Atom or expr.is_Function) and not (expr.is_Number and expr < 0) else f"({text})"

    def _print_floor(self, expr: sp.floor) -> str:
        num, den = self._fraction(expr.args[0])
        return num if den == "1" else f"{num}//{den}"

    def _print_ceiling(self, expr: sp.ceiling) -> str:
        num, den = self._fraction(expr.args[0])
        return num if den == "1" else f"-(-{num}//{den})"

    def _print_Mod(self, expr: sp.Mod) -> str:
        a, b = expr.args
        return f"{self._operand(a)} % {self._operand(b)}"

    def _minmax(self, expr: sp.Expr, name: str) -> str:
        args = [self._print(a) for a in sorted(expr.args, key=sp.default_sort_key)]
        if not self.array:
            return f"{name}({', '.join(args)})"
        text = args[0]
        for other in args[1:]:
            text = f"np.{name}imum({text}, {other})"
        return text

    def _print_Min(self, expr: sp.Min) -> str:
        return self._minmax(expr, "min")

    def _print_Max(self, expr: sp.Max) -> str:
        return self._minmax(expr, "max")

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        if self.array:
            raise ValueError("codegen: Piecewise sizes cannot be printed for array operands")
        *pairs, (last, cond) = expr.args
        if cond is not sp.true:
            raise ValueError(f"codegen: Piecewise without a default branch: {expr}")
        text = self._print(last)
        for value, condition in reversed(pairs):
            text = f"({self._print(value)} if {self._print(condition)} else {text})"
        return text

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        """Wrap ``//``, ``%`` and conditional expressions inside products (Python's precedence)."""
        if isinstance(item, (sp.floor, sp.ceiling, sp.Mod, sp.Piecewise)) and level >= PRECEDENCE["Mul"]:
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"{expr.p}/{expr.q}"

    def _print_Integer(self, expr: sp.Integer) -> str:
        return str(int(expr))

    def _print_Dummy(self, expr: sp.Dummy) -> str:
        raise ValueError(f"codegen: refusing to print Dummy symbol {expr} (names must be deterministic)")

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return check_identifier(expr.name, "symbol name")

    def _print_Relational(self, expr: Any) -> str:
        op = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[expr.rel_op]
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"


def print_code(expr: Any, array: bool = False) -> str:
    """Print an integer SymPy expression (or an ``int``) as Python/NumPy source.

    Examples
    --------
    >>> print_code(7)
    '7'
    """
    if isinstance(expr, (int, sp.Integer)) and not isinstance(expr, bool):
        return str(int(expr))
    if isinstance(expr, sp.Symbol) and not isinstance(expr, sp.Dummy):
        return check_identifier(expr.name, "symbol name")
    return _PRINTERS[array].doprint(sp.sympify(expr))


_PRINTERS = {False: KernelPrinter(), True: KernelPrinter(array=True)}
