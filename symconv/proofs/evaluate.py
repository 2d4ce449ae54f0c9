r"""Evaluate a theorem's statement itself on the grid's concrete configurations, exactly.

The grid's two callables compare independent brute-force definitions; this module checks the
*statement*: every free symbol is bound from the configuration (by name, or solved from the
theorem's defining equalities such as :math:`p_b = p` or :math:`k = 2n + 1`), the assumptions are
evaluated (a configuration outside them is skipped) and the statement must evaluate to ``True``.
Arithmetic is exact, never floating point. When the statement is *integer arithmetic* -- every
division sits inside ``floor``/``ceiling`` of a quotient of integer polynomials, or is a ``Mod`` of
integers (:func:`integer_form`) -- and the configuration's values are integers, it runs on Python
ints (``//`` and ``%``); otherwise values are :class:`fractions.Fraction`, so ``floor``, ``Mod`` and
comparisons are those of the rationals.

Examples
--------
>>> import sympy as sp
>>> from symconv.symbols import i, k, s
>>> check = statement_checker(sp.Eq(sp.floor((i - k)/s), sp.ceiling((i - k)/s)), (), ())
>>> check({"i": 7, "k": 3, "s": 2})          # (7 - 3)/2 is an integer
True
>>> check({"i": 6, "k": 3, "s": 2})
False
"""
from __future__ import annotations

import functools
import keyword
import math
from fractions import Fraction
from typing import Any, Callable

import numpy as np
import sympy as sp

__all__ = ["statement_checker", "integer_form", "NOT_BOUND"]

#: Returned by a checker when a configuration does not bind every symbol of the statement, or lies
#: outside the assumptions.
NOT_BOUND = None


def _kronecker(a: Any, b: Any) -> int:
    return 1 if a == b else 0


_MODULES = [{"floor": math.floor, "ceiling": math.ceil, "KroneckerDelta": _kronecker, "Min": min, "Max": max,
             "Abs": abs, "Mod": lambda a, b: a % b}, "math"]


#: The integer forms on int64 arrays (a whole grid at once): n-ary Min/Max reduce pairwise (NumPy's
#: minimum takes a third argument as its output), a delta is 0/1.
_ARRAY_MODULES = [{"KroneckerDelta": lambda a, b: np.equal(a, b).astype(np.int64),
                   "Min": lambda *args: functools.reduce(np.minimum, args),
                   "Max": lambda *args: functools.reduce(np.maximum, args), "Abs": np.abs}, "numpy"]

#: Configuration values beyond this magnitude are evaluated one by one (int64 products of a few of them
#: cannot overflow below it).
ARRAY_LIMIT = 2 ** 12


def _compile(expr: Any, symbols: list, modules: list = _MODULES) -> Callable:
    # A symbol whose name is no Python identifier (i', C_in') is renamed here, without re-evaluating the
    # relations (lambdify's own renaming rebuilds them evaluated: most of its time); docstring_limit=0:
    # no docstring printing the whole expression.
    taken = {x.name for x in symbols}
    unsafe = {}
    for x in symbols:
        if not x.name.isidentifier() or keyword.iskeyword(x.name):
            name = next(f"_arg{j}" for j in range(len(taken) + 1) if f"_arg{j}" not in taken)
            taken.add(name)
            unsafe[x] = sp.Symbol(name, **x.assumptions0)      # not a Dummy: lambdify renames every argument then
    if unsafe:
        with sp.evaluate(False):
            expr = sp.sympify(expr).xreplace(unsafe)
        symbols = [unsafe.get(x, x) for x in symbols]
    return sp.lambdify(symbols, expr, modules=modules, docstring_limit=0)


class _FloorDiv(sp.Function):
    """``floor(p/q)`` of integers, printed as Python's ``p // q``."""

    def _pythoncode(self, printer: Any) -> str:
        return f"(({printer.doprint(self.args[0])}) // ({printer.doprint(self.args[1])}))"

    _lambdacode = _numpycode = _pythoncode


class _Remainder(sp.Function):
    """``Mod(p, q)`` of integers (the sign of ``q``, as SymPy's ``Mod``), printed as ``p % q``."""

    def _pythoncode(self, printer: Any) -> str:
        return f"(({printer.doprint(self.args[0])}) % ({printer.doprint(self.args[1])}))"

    _lambdacode = _numpycode = _pythoncode


_INTEGER_NODES = (sp.Symbol, sp.Integer, sp.Add, sp.Mul, sp.Min, sp.Max, sp.Abs, sp.KroneckerDelta, sp.Piecewise,
                  sp.Rel, sp.And, sp.Or, sp.Not, sp.logic.boolalg.BooleanAtom, _FloorDiv, _Remainder,
                  sp.Tuple, sp.functions.elementary.piecewise.ExprCondPair)


def _quotient(arg: Any) -> tuple | None:
    """``(p, q)`` with ``arg == p/q``, both polynomial with integer coefficients, or None."""
    num, den = sp.fraction(sp.together(arg))
    return (num, den) if _integer_polynomial(num) and _integer_polynomial(den) else None


def _integer_polynomial(expr: Any) -> bool:
    return all(isinstance(node, (sp.Symbol, sp.Integer, sp.Add, sp.Mul, _FloorDiv, _Remainder))
               or isinstance(node, sp.Pow) and node.exp.is_Integer and node.exp >= 0
               for node in sp.preorder_traversal(expr))


def integer_form(expr: Any) -> Any | None:
    """``expr`` rewritten to run on Python ints (``floor(p/q)`` -> ``p // q``, ``ceiling(p/q)`` ->
    ``-((-p) // q)``, ``Mod(p, q)`` -> ``p % q``), or None when some division or non-integer constant
    is left (then only :class:`~fractions.Fraction` arithmetic is exact). Valid when every symbol
    takes an integer value.

    Examples
    --------
    >>> from symconv.symbols import i, k, s
    >>> integer_form(sp.Eq(sp.floor((i - k)/s) + 1, sp.ceiling((i - k + 1)/s)))
    Eq(_FloorDiv(i - k, s) + 1, -_FloorDiv(-i + k - 1, s))
    >>> integer_form(sp.Eq((i - k)/s, 1)) is None
    True
    """
    if not _integer_outside_divisions(sp.sympify(expr)):
        return None                                  # cheap refusal before the rewriting below

    def floor_of(arg: Any, sign: int) -> Any:
        quotient = _quotient(sign * arg)
        if quotient is None:
            raise _NotInteger
        return sign * _FloorDiv(*quotient, evaluate=False)

    def remainder(a: Any, b: Any) -> Any:
        if not (_integer_polynomial(a) and _integer_polynomial(b)):
            raise _NotInteger
        return _Remainder(a, b, evaluate=False)

    try:
        out = sp.sympify(expr).replace(sp.floor, lambda arg: floor_of(arg, 1))
        out = out.replace(sp.ceiling, lambda arg: floor_of(arg, -1))
        out = out.replace(sp.Mod, remainder)
    except _NotInteger:
        return None
    if not all(_integer_node(node) for node in sp.preorder_traversal(out)):
        return None
    return out


def _integer_node(node: Any) -> bool:
    """Whether ``node`` is one :func:`integer_form`'s output may contain (a power only with a
    non-negative integer exponent)."""
    return isinstance(node, _INTEGER_NODES) or isinstance(node, sp.Pow) and node.exp.is_Integer and node.exp >= 0


_DIVISIONS = (sp.floor, sp.ceiling, sp.Mod)


def _integer_outside_divisions(expr: Any) -> bool:
    """Whether every node outside ``floor``/``ceiling``/``Mod`` is one :func:`integer_form` accepts (a
    non-integer constant or a negative power there can never be rewritten away)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, _DIVISIONS):
            continue
        if not _integer_node(node):
            return False
        stack.extend(node.args)
    return True


def _run_batch(names: list, bind: Callable | None, must_be_positive: list, must_be_nonnegative: list,
               array_checks: list, cfgs: list) -> list | None:
    """A checker's verdicts on many configurations at once (int64 arrays), the same as calling it on
    each; None when the batch cannot be evaluated exactly that way (a value too large, a division by
    zero anywhere, an expression NumPy cannot evaluate): then the caller evaluates one by one."""
    sources = [bind(cfg) for cfg in cfgs] if bind else cfgs
    bound = np.ones(len(cfgs), dtype=bool)
    columns = []
    try:
        for name in names:
            column = [source.get(name) for source in sources]
            if set(map(type, column)) <= {int}:
                columns.append(np.array(column, dtype=np.int64))
            else:                                    # unbound (or not integer) somewhere: those rows are out
                bound &= np.array([isinstance(v, int) for v in column], dtype=bool)
                columns.append(np.array([int(v) if isinstance(v, int) else 1 for v in column], dtype=np.int64))
    except OverflowError:
        return None
    if any(column.size and int(np.abs(column).max()) > ARRAY_LIMIT for column in columns):
        return None
    for j in must_be_positive:
        bound &= columns[j] > 0
    for j in must_be_nonnegative:
        bound &= columns[j] >= 0
    statement_fn, *assumption_fns = array_checks
    try:
        with np.errstate(all="raise"):
            holds = np.ones(len(cfgs), dtype=bool)
            for fn in assumption_fns:
                holds &= np.broadcast_to(np.asarray(fn(*columns), dtype=bool), holds.shape)
            verdict = np.broadcast_to(np.asarray(statement_fn(*columns)), holds.shape)
    except (FloatingPointError, ZeroDivisionError, TypeError, ValueError, NameError, AttributeError):
        return None
    if verdict.dtype != bool:
        return None
    return [bool(v) if ok else NOT_BOUND for v, ok in zip(verdict.tolist(), (bound & holds).tolist())]


class _NotInteger(Exception):
    """Raised inside :func:`integer_form` when a division stays outside floor/ceiling/Mod."""


def statement_checker(statement: Any, assumptions: tuple, equalities: tuple,
                      bind: Callable[[dict], dict] | None = None) -> Callable[[dict], bool | None]:
    """A function ``cfg -> True / False / None`` evaluating ``statement`` on a configuration.

    ``cfg`` maps names (the paper's letters) to ints; ``bind`` may add or rename values (e.g. the
    transposed layer's ``i'``). Symbols fixed by ``equalities`` ``(symbol, expr)`` are solved for when
    ``expr`` has a single unbound symbol. ``None`` when a symbol stays unbound or an assumption fails.
    """
    statement = sp.sympify(statement)
    relations = [sp.sympify(rel) for rel in assumptions] + [sp.Eq(sym, value) for sym, value in equalities]
    symbols = sorted(statement.free_symbols | set().union(*(rel.free_symbols for rel in relations)),
                     key=lambda x: x.name)
    names = [x.name for x in symbols]
    solvers = []
    for sym, value in equalities:
        value = sp.sympify(value)
        unknown = sorted(value.free_symbols, key=lambda x: x.name)
        if len(unknown) == 1:
            solution = sp.solve(sp.Eq(value, sym), unknown[0])
            if len(solution) == 1:
                solvers.append((unknown[0].name, _compile(solution[0], [sym]), sym.name))
    try:
        check_statement = _compile(statement, symbols)
        check_assumptions = [_compile(rel, symbols) for rel in relations]
        integer = [integer_form(e) for e in [statement] + relations]
        integer_checks = None if any(e is None for e in integer) else [_compile(e, symbols) for e in integer]
    except (TypeError, ValueError, NameError, SyntaxError):      # not printable as Python: never evaluated
        return lambda cfg: NOT_BOUND
    integer_symbols = [sym.name for sym in symbols if sym.is_integer]
    positive = [sym.name for sym in symbols if sym.is_positive]
    nonnegative = [sym.name for sym in symbols if sym.is_nonnegative]

    solved = {unknown for unknown, _solve, _known in solvers}
    required = [name for name in names if name not in solved]     # what the configuration itself must bind

    def evaluate(args: list) -> bool | None:
        if integer_checks is not None and all(type(v) is int for v in args):
            statement_fn, *assumption_fns = integer_checks
        else:
            args = [Fraction(v) for v in args]
            statement_fn, assumption_fns = check_statement, check_assumptions
        try:
            if not all(bool(fn(*args)) for fn in assumption_fns):
                return NOT_BOUND
            return bool(statement_fn(*args))
        except (ZeroDivisionError, TypeError, ValueError):
            return NOT_BOUND

    if not solvers:                                  # every symbol comes from the configuration: no dict
        positions = {name: j for j, name in enumerate(names)}
        must_be_positive = [positions[name] for name in positive]
        must_be_nonnegative = [positions[name] for name in nonnegative]

        def run_plain(cfg: dict) -> bool | None:
            source = bind(cfg) if bind else cfg
            args = [source.get(name) for name in names]
            if not all(isinstance(v, int) for v in args):
                return NOT_BOUND                     # a symbol unbound (or not an integer) here
            args = [int(v) for v in args]
            if any(args[j] <= 0 for j in must_be_positive) or any(args[j] < 0 for j in must_be_nonnegative):
                return NOT_BOUND                     # outside the symbols' own assumptions
            return evaluate(args)

        if integer_checks is not None:
            try:
                array_checks = [_compile(e, symbols, _ARRAY_MODULES) for e in integer]
            except (TypeError, ValueError, NameError, SyntaxError):
                array_checks = None
            if array_checks is not None:
                run_plain.batch = functools.partial(_run_batch, names, bind, must_be_positive, must_be_nonnegative,
                                                    array_checks)
        return run_plain

    def run(cfg: dict) -> bool | None:
        source = bind(cfg) if bind else cfg
        for name in required:
            if not isinstance(source.get(name), int):
                return NOT_BOUND                     # e.g. an index symbol no configuration carries
        values = {key: int(v) for key, v in source.items() if isinstance(v, int)}
        for unknown, solve, known in solvers:
            if unknown not in values and known in values:
                value = Fraction(solve(Fraction(values[known])))
                values[unknown] = value.numerator if value.denominator == 1 else value
        try:
            args = [values[name] for name in names]
        except KeyError:
            return NOT_BOUND
        if (any(type(values[name]) is not int for name in integer_symbols) or any(values[name] <= 0 for name in positive)
                or any(values[name] < 0 for name in nonnegative)):
            return NOT_BOUND                         # outside the symbols' own assumptions
        return evaluate(args)

    return run
