"""Canonical form of a spec's arguments: the number of dimensions, padding pairs, optional sizes.

The spec constructors (:mod:`symconv.spec`) call these once, in ``__post_init__``; sizes
themselves are checked by :mod:`symconv._validate`.

Examples
--------
>>> padding_pairs("conv", ((1, 0), (2, 2)), 2)
((1, 0), (2, 2))
>>> padding_pairs("conv", (1, 2), 2)
((1, 1), (2, 2))
>>> resolve_ndim("conv", None, {"kernel_size": (3, 3), "stride": 1})
2
"""
from __future__ import annotations

from typing import Any

from . import shapes
from ._validate import Size, is_sequence, per_dim

__all__ = ["resolve_ndim", "padding_pairs", "optional_sizes", "axis_suffix", "require_bool"]


def resolve_ndim(owner: str, ndim: Any, candidates: dict[str, Any]) -> int:
    """Number of spatial dimensions: explicit ``ndim`` or the length of any sequence argument."""
    if ndim is not None:
        if isinstance(ndim, bool) or not isinstance(ndim, int) or ndim < 1:
            raise ValueError(f"{owner}: ndim must be an int >= 1, got ndim={ndim!r}")
        return ndim
    lengths = {name: len(v) for name, v in candidates.items() if is_sequence(v)}
    if not lengths:
        return 1
    empty = [name for name, length in lengths.items() if length == 0]
    if empty:
        raise ValueError(f"{owner}: {empty[0]} must have at least one entry (one per spatial dimension), "
                         f"got {empty[0]}=()")
    distinct = set(lengths.values())
    if len(distinct) > 1:
        raise ValueError(f"{owner}: per-dimension arguments disagree on the number of dimensions: "
                         + ", ".join(f"{n} has {m}" for n, m in lengths.items()))
    return distinct.pop()


def padding_pairs(owner: str, padding: Any, ndim: int) -> tuple[tuple[Size, Size], ...]:
    """Canonical per-dimension (before, after) pairs from an int, per-dim ints or per-dim pairs."""
    if type(padding) is int and padding >= 0:
        return ((padding, padding),) * ndim             # fast path: already canonical
    if type(padding) is tuple and len(padding) == ndim and all(
            type(e) is tuple and len(e) == 2 and type(e[0]) is int and type(e[1]) is int and e[0] >= 0 and e[1] >= 0
            for e in padding):
        return padding                                  # fast path: canonical (before, after) int pairs
    if is_sequence(padding):
        entries = list(padding)
        if entries and all(is_sequence(e) for e in entries):
            if len(entries) != ndim:
                raise ValueError(f"{owner}: padding pairs must have {ndim} entries (one per spatial "
                                 f"dimension), got padding={padding!r}")
            return tuple(shapes.padding_pair(e, f"padding[{j}]", owner) for j, e in enumerate(entries))
        if any(is_sequence(e) for e in entries):
            raise ValueError(f"{owner}: padding must be all ints or all (before, after) pairs, got {padding!r}")
        if len(entries) == ndim:
            return tuple(shapes.padding_pair(e, f"padding[{j}]" if ndim > 1 else "padding", owner)
                         for j, e in enumerate(entries))
        if ndim == 1 and len(entries) == 2:
            return (shapes.padding_pair(entries, "padding", owner),)
        raise ValueError(f"{owner}: padding must be an int, {ndim} ints, or {ndim} (before, after) pairs, "
                         f"got padding={padding!r}")
    pair = shapes.padding_pair(padding, "padding", owner)
    return (pair,) * ndim


def optional_sizes(owner: str, value: Any, ndim: int, name: str) -> tuple | None:
    if value is None:
        return None
    return per_dim(value, ndim, name, 1, owner)


def axis_suffix(ndim: int, j: int) -> str:
    return f"[{j}]" if ndim > 1 else ""


def require_bool(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be a bool, got {value!r}")
    return value
