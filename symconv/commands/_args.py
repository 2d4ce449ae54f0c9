"""Argument types shared by the sub-commands: sizes, padding pairs, per-dimension values.

Values are parsed as integers or comma-separated integers only; nothing is evaluated.
"""
from __future__ import annotations

import argparse
import re

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


def positive_number(text: str) -> float | int:
    """A positive scale factor: an integer or a decimal number."""
    if _INT.match(text):
        return int(text)
    if not re.match(r"^\s*\d*\.?\d+\s*$", text) or len(text) > 30:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return float(text)


#: Operator names on the command line and the spec names they stand for.
OPERATORS = {
    "conv": "conv",
    "conv-transpose": "conv_transpose",
    "max-pool": "max_pool",
    "avg-pool": "avg_pool",
    "max-unpool": "max_unpool",
    "upsample": "upsample",
}
