"""Validation of user-supplied sizes: one place that decides what a size may be.

A *size* is a Python ``int`` (NumPy integers are accepted and converted) or a SymPy
expression that SymPy knows to be an integer (``Symbol('i', integer=True)``).
Floats, bools, strings and non-integer symbols are rejected with ``TypeError``;
values that break a rule (``stride >= 1``) with ``ValueError`` naming the argument,
the rule and the value. Rules on symbols are checked whenever SymPy can decide
them; an undecidable rule is an assumption the caller takes on.
"""
from __future__ import annotations

import numbers
from typing import Any

import sympy as sp

Size = Any  # int | sympy.Expr (integer-valued)


def as_size(value: Any, name: str, minimum: int | None = None, owner: str = "") -> Size:
    """Return ``value`` as an ``int`` or an integer SymPy expression.

    Parameters
    ----------
    value : int or sympy.Expr
        The size to check.
    name : str
        Argument name used in error messages.
    minimum : int, optional
        Smallest allowed value; checked for symbols when SymPy can decide it.
    owner : str
        Operator name prefixed to error messages.

    Examples
    --------
    >>> as_size(3, "stride", 1)
    3
    >>> as_size(0, "stride", 1, owner="conv")
    Traceback (most recent call last):
    ...
    ValueError: conv: stride must be >= 1, got stride=0
    """
    if type(value) is int and (minimum is None or value >= minimum):
        return value                                    # the common case, decided without SymPy
    prefix = f"{owner}: " if owner else ""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{prefix}{name} must be an int or an integer SymPy symbol, got {value!r}")
    if isinstance(value, numbers.Integral):
        out: Size = int(value)
    elif isinstance(value, sp.Basic):
        if isinstance(value, sp.Integer):
            out = int(value)
        elif getattr(value, "is_integer", None) is True:
            out = value
        else:
            raise TypeError(
                f"{prefix}{name} must be an int or an integer SymPy symbol "
                f"(e.g. Symbol('{value}', integer=True)), got {value!r}"
            )
    else:
        raise TypeError(
            f"{prefix}{name} must be an int or an integer SymPy symbol, "
            f"got {type(value).__name__} {value!r}"
        )
    if minimum is not None and is_false(sp.Ge(out, minimum) if not isinstance(out, int) else out >= minimum):
        raise ValueError(f"{prefix}{name} must be >= {minimum}, got {name}={value}")
    return out


def is_false(condition: Any) -> bool:
    """True when a (possibly symbolic) condition is decided to be false."""
    if isinstance(condition, bool):
        return not condition
    return condition is sp.false or condition == sp.false


def is_true(condition: Any) -> bool:
    """True when a (possibly symbolic) condition is decided to be true."""
    if isinstance(condition, bool):
        return condition
    return condition is sp.true or condition == sp.true


def decide(condition: Any) -> bool | None:
    """Decide a relational between sizes: True, False, or None when it depends on symbols."""
    if isinstance(condition, bool):
        return condition
    if condition is sp.true:
        return True
    if condition is sp.false:
        return False
    return None


def per_dim(value: Any, ndim: int, name: str, minimum: int | None = None, owner: str = "") -> tuple:
    """Expand an int (or symbol) to ``ndim`` sizes, or check a sequence has ``ndim`` entries.

    Examples
    --------
    >>> per_dim(2, 3, "stride", 1)
    (2, 2, 2)
    >>> per_dim((1, 2), 3, "stride", 1, owner="conv")
    Traceback (most recent call last):
    ...
    ValueError: conv: stride must be a single value or have 3 entries (one per spatial dimension), got stride=(1, 2)
    """
    if type(value) is int:
        if minimum is None or value >= minimum:
            return (value,) * ndim                      # the common cases, decided without SymPy
    elif type(value) is tuple and len(value) == ndim and all(
            type(v) is int and (minimum is None or v >= minimum) for v in value):
        return value
    prefix = f"{owner}: " if owner else ""
    if isinstance(value, (list, tuple)):
        if len(value) != ndim:
            raise ValueError(
                f"{prefix}{name} must be a single value or have {ndim} entries (one per spatial dimension), "
                f"got {name}={tuple(value)}"
            )
        return tuple(as_size(v, f"{name}[{j}]" if ndim > 1 else name, minimum, owner) for j, v in enumerate(value))
    one = as_size(value, name, minimum, owner)
    return (one,) * ndim


def is_sequence(value: Any) -> bool:
    """True for list/tuple arguments (the only sequences accepted for per-dimension values)."""
    return isinstance(value, (list, tuple))
