"""Argument types shared by the sub-commands: sizes, padding pairs, per-dimension values.

Values are parsed as integers or comma-separated integers only; nothing is evaluated.
"""
from __future__ import annotations

import argparse
import re

from ..operators import operator_name

_INT = re.compile(r"^\s*-?\d+\s*$")


def integer(text: str) -> int:
    """An integer argument (no expressions)."""
    if not _INT.match(text) or len(text) > 30:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(text)


def int_or_pair(text: str) -> int | tuple[int, int]:
    """``1`` or ``1,2`` (a (before, after) padding pair)."""
    parts = text.split(",")
    if len(parts) == 1:
        return integer(parts[0])
    if len(parts) == 2:
        return (integer(parts[0]), integer(parts[1]))
    raise argparse.ArgumentTypeError(f"expected an integer or a 'before,after' pair, got {text!r}")


def padding(text: str) -> int | tuple[int, int] | str:
    """``1``, ``1,2`` (before, after), or ``same`` / ``valid`` as the specs accept them."""
    if text.strip().lower() in ("same", "valid"):
        return text.strip().lower()
    try:
        return int_or_pair(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected an integer, a 'before,after' pair, 'same' or 'valid', "
                                         f"got {text!r}") from None


#: Most spatial dimensions any command accepts.
MAX_DIMS = 6


def sizes(text: str) -> tuple[int, ...]:
    """``224`` or ``224,320`` (one size per spatial dimension, at most 6), each >= 1."""
    parts = text.split(",")
    if len(parts) > MAX_DIMS:
        raise argparse.ArgumentTypeError(f"at most {MAX_DIMS} sizes (one per spatial dimension), got {text!r}")
    values = tuple(integer(part) for part in parts)
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"sizes must be >= 1, got {text!r}")
    return values


def remember_defaults(parser: argparse.ArgumentParser) -> None:
    """Record the parser's defaults in the namespace (``_defaults``) for :func:`refuse_inapplicable`."""
    parser.set_defaults(_defaults={a.dest: a.default for a in parser._actions if a.dest != "help"})


def refuse_inapplicable(args: argparse.Namespace, op: str, applies: dict) -> None:
    """Refuse an option given for an operator it does not apply to (``--d`` for avg_pool).

    ``applies`` maps an option's destination to the operators it applies to; an option is
    "given" when its value differs from the parser's default (see :func:`remember_defaults`).
    """
    defaults = getattr(args, "_defaults", {})
    for dest, ops in applies.items():
        if op not in ops and getattr(args, dest, None) != defaults.get(dest):
            flag = "--" + dest.replace("_", "-")
            raise ValueError(f"{flag} does not apply to {op} (it applies to {', '.join(ops)})")


def positive_number(text: str) -> float | int:
    """A positive scale factor: an integer or a decimal number."""
    if _INT.match(text):
        return int(text)
    if not re.match(r"^\s*\d*\.?\d+\s*$", text) or len(text) > 30:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return float(text)


def operator(text: str) -> str:
    """An operator name in any spelling (``max_pool``, ``max-pool``, ``maxpool``), as its canonical name."""
    try:
        return operator_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
