r"""Assumptions for ``check-formula``: fixed values, expressions in other letters, padding modes.

:func:`parse_assumptions` reads ``"d=1, p=k//2, padding=same"`` without evaluating anything
(integers, or expressions through :func:`symconv.formula.parse_formula`), checks integers against
the specs' rules (:func:`symconv._validate.as_size`: ``s >= 1``, ``p >= 0`` ...), and
:func:`resolve` maps them onto one operator and formula: ``padding='same'`` as
:class:`symconv.spec.ConvSpec` computes it, ``p_b``/``p_a`` onto ``p`` (or refused), the pooling
stride's PyTorch default (the kernel size), and expressions substituted until only free letters
remain.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy as sp

from . import symbols as letters
from ._validate import as_size
from .formula import NAMES, FormulaError, parse_formula

__all__ = ["parse_assumptions", "parse_assumption", "resolve", "Setting", "minimum", "POOLS", "MAX_ASSUMED"]

#: The operators whose stride defaults to the kernel size (PyTorch: ``stride=None``).
POOLS = ("max_pool", "avg_pool", "max_unpool")


#: Longest assumption text, and the largest integer an assumption may take.
MAX_ASSUME_LENGTH = 1000
MAX_ASSUMED = 10**18


def parse_assumptions(text: str | None) -> dict:
    """Parse ``"d=1, output_padding=0"`` into ``{'d': 1, 'a': 0}`` (nothing is evaluated).

    A value is an integer, an expression in the other letters (``p=k//2``, ``s=k``, parsed by
    :func:`symconv.formula.parse_formula`), ``padding=same|valid``, or ``ceil_mode=true|false``.
    Values are checked against the specs' rules (``s >= 1``, ``p >= 0`` ...).

    Examples
    --------
    >>> parse_assumptions("d=1, output_padding=0, ceil_mode=true")
    {'d': 1, 'a': 0, 'ceil_mode': 1}
    >>> parse_assumptions("p=(k-1)//2, s=k, padding_before=1")
    {'p': floor(k/2 - 1/2), 's': k, 'p_b': 1}
    >>> parse_assumptions("s=0")
    Traceback (most recent call last):
    ...
    ValueError: assume: s must be >= 1, got s=0
    """
    out: dict = {}
    if not text:
        return out
    if not isinstance(text, str):
        raise TypeError(f"assume: expected a str, got {type(text).__name__}")
    if len(text) > MAX_ASSUME_LENGTH:
        raise ValueError(f"assume: longer than {MAX_ASSUME_LENGTH} characters")
    for part in _split_top_level(text):
        if not part.strip():
            continue
        if part.count("=") != 1:
            raise ValueError(f"assume: expected name=value pairs separated by commas, got {part.strip()!r}")
        name, value = (v.strip() for v in part.split("="))
        out.update(parse_assumption(name, value))
    return out


def _split_top_level(text: str) -> list:
    """Split on commas outside parentheses (``p=max(k-s, 0), d=1``)."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def minimum(letter: str) -> int:
    return 1 if letters.BY_NAME[letter].is_positive else 0


def parse_assumption(name: str, value: Any) -> dict:
    """One ``name=value`` assumption as ``{letter: value}``, checked against the specs' rules."""
    if name == "ceil_mode":
        if isinstance(value, str):
            lowered = value.lower()
            if lowered not in ("0", "1", "true", "false"):
                raise ValueError(f"assume: ceil_mode must be true/false, got {value!r}")
            return {"ceil_mode": int(lowered in ("1", "true"))}
        return {"ceil_mode": int(bool(value))}
    if name not in NAMES:
        raise ValueError(f"assume: unknown name {name!r}; allowed: {', '.join(sorted(NAMES))}, ceil_mode")
    letter = NAMES[name]
    if isinstance(value, str):
        value = value.strip()
        if letter == "p" and value.lower() in ("same", "valid"):
            return {"padding": value.lower()}
        if re.fullmatch(r"-?\d+", value):
            if len(value) > 19:
                raise ValueError(f"assume: {name} must be at most {MAX_ASSUMED}, got {name}={value[:30]}")
            value = int(value)
        else:
            value = _expression(name, letter, value)
    if isinstance(value, sp.Basic) and not value.is_Integer:
        return {letter: value}
    if isinstance(value, sp.Integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"assume: {name} must be an int or an expression in the other letters, got {value!r}")
    if abs(value) > MAX_ASSUMED:
        raise ValueError(f"assume: {name} must be at most {MAX_ASSUMED}, got {name}={value}")
    return {letter: as_size(value, name, minimum(letter), "assume")}


def _expression(name: str, letter: str, text: str) -> sp.Expr:
    """An assumed value written in the other letters, parsed safely."""
    try:
        formula = parse_formula(text)
    except FormulaError as exc:
        raise ValueError(f"assume: {name}={text!r} is not an integer or an expression in the letters "
                         f"({str(exc).removeprefix('formula: ')})") from None
    if letter in formula.names:
        raise ValueError(f"assume: {name}={text!r} refers to {letter} itself")
    expr = formula.sympy()
    if expr.is_number and not expr.is_Integer:
        raise ValueError(f"assume: {name} must be an integer, got {name}={text!r}")
    return sp.Integer(expr) if expr.is_Integer else expr


@dataclass
class Setting:
    """Assumptions resolved for one operator and formula: fixed values, free letters, the domain."""

    fixed: dict
    free: list
    pair: bool
    defaults: dict
    extra_rules: list


def resolve(model: Any, used: tuple, given: dict) -> Setting:
    """Map padding and defaults, check letters, and substitute expressions into free letters."""
    fixed = dict(given)
    mode = fixed.pop("padding", None)
    ceil = {"ceil_mode": fixed.pop("ceil_mode")} if "ceil_mode" in fixed else {}
    if ceil and model.name not in ("max_pool", "avg_pool"):
        raise ValueError(f"check_formula: ceil_mode applies to pooling only, not {model.name}")
    symmetric, pair_letters = "p" in used, bool({"p_b", "p_a"} & set(used))
    if symmetric and pair_letters:
        raise ValueError("check_formula: the formula uses both p and p_b/p_a; write it with one or the other")
    if mode == "valid":
        fixed["p"] = 0
    elif mode == "same":
        fixed.update(_same_padding(model, fixed, symmetric))
    if {"p_b", "p_a"} & set(fixed):
        if symmetric or "p" in fixed:
            before, after = fixed.get("p_b"), fixed.get("p_a")
            if before is None or after is None or sp.simplify(before - after) != 0 or "p" in fixed:
                raise ValueError(f"check_formula: the assumptions set padding before/after "
                                 f"(p_b={before}, p_a={after}) but the formula uses p, the same padding on "
                                 f"both sides; write the formula with p_b and p_a")
            fixed["p"] = fixed.pop("p_b")
            fixed.pop("p_a")
        else:
            pair_letters = True
    if pair_letters and "p" in fixed:
        fixed["p_b"] = fixed["p_a"] = fixed.pop("p")
    names = [n for n in model.letters if n != "p"] + (["p_b", "p_a"] if pair_letters else ["p"])
    for name in list(used) + list(fixed):
        if name not in names:
            raise ValueError(f"check_formula: {model.name} has no parameter {name!r} (it has "
                             f"{', '.join(model.letters)})")
    defaults = {}
    if model.name in POOLS and "s" not in used and "s" not in fixed:
        fixed["s"] = letters.k                           # PyTorch: stride=None means kernel_size
        defaults["s"] = "k"
    fixed = _substitute(fixed)
    extra = []
    for name, value in fixed.items():
        if isinstance(value, sp.Basic):
            extra.append(sp.Ge(value, minimum(name)))
            if value.is_integer is not True:
                extra.append(sp.Eq(value, sp.floor(value)))
    free = [n for n in names if n not in fixed]
    return Setting(dict(fixed, **ceil), free, pair_letters, defaults, extra)


def _same_padding(model: Any, fixed: dict, symmetric: bool) -> dict:
    """padding='same' as the spec defines it (stride 1, the odd unit at the end)."""
    from .spec import same_padding as same
    if model.name != "conv":
        raise ValueError(f"assume: padding='same' is defined for conv only, not {model.name}")
    stride = fixed.get("s", 1)
    if stride != 1:
        raise ValueError(f"assume: padding='same' requires s=1 (as PyTorch), got s={stride}")
    if symmetric:
        raise ValueError("assume: padding='same' puts the odd unit of padding at the end; write the formula "
                         "with p_b and p_a (or without padding letters)")
    k, d = fixed.get("k", letters.k), fixed.get("d", letters.d)
    (before, after), = same((k,), (d,))
    return {"s": 1, "p_b": before, "p_a": after}


def _substitute(fixed: dict) -> dict:
    """Replace assumed letters inside other assumptions until only free letters remain."""
    table = {letters.BY_NAME[n]: v for n, v in fixed.items()}
    out = dict(fixed)
    for _ in range(len(fixed) + 1):
        changed = False
        for name, value in out.items():
            if isinstance(value, sp.Basic) and value.free_symbols & set(table):
                out[name] = value.xreplace(table)
                table[letters.BY_NAME[name]] = out[name]
                changed = True
        if not changed:
            return {n: int(v) if isinstance(v, sp.Integer) else v for n, v in out.items()}
    cyclic = sorted(n for n, v in out.items() if isinstance(v, sp.Basic) and v.free_symbols & set(table))
    raise ValueError(f"assume: {', '.join(cyclic)} are defined in terms of each other")
