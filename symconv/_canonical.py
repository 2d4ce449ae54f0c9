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

__all__ = ["resolve_ndim", "padding_pairs", "optional_sizes", "axis_suffix", "require_bool", "canonical_window"]


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


def canonical_window(spec: Any, extra: dict[str, Any]) -> int | None:
    """The fast path of ``symconv.spec._window_common``, for arguments that are already canonical ints.

    When every window argument is valid int tuples of one length or valid ints to repeat (padding:
    (before, after) int pairs, per-axis ints or one int), store them on ``spec`` and return ndim;
    otherwise None: the general path then canonicalises, or raises the error that names the problem.
    """
    ndim = spec.ndim
    raw_dilation = spec.__dict__.get("dilation", 1)
    if ndim is None:                        # resolve_ndim: the common length of the per-dimension arguments
        padding = spec.padding
        candidates = (spec.kernel_size, spec.stride, raw_dilation, spec.input_size, *extra.values(),
                      padding if type(padding) is tuple and padding and type(padding[0]) is tuple else None)
        for value in candidates:
            if type(value) is tuple:
                if ndim is None:
                    ndim = len(value)
                elif len(value) != ndim:
                    return None
            elif value is not None and type(value) is not int:
                return None
        ndim = ndim or 1
    elif type(ndim) is not int or ndim < 1:
        return None
    kernel_size = _int_tuple(spec.kernel_size, ndim, 1)
    if kernel_size is None:
        return None
    stride = kernel_size if spec.stride is None else _int_tuple(spec.stride, ndim, 1)
    dilation = _int_tuple(raw_dilation, ndim, 1)
    padding = _padding_tuple(spec.padding, ndim)
    input_size = None if spec.input_size is None else _int_tuple(spec.input_size, ndim, 1)
    if stride is None or dilation is None or padding is None or (input_size is None) != (spec.input_size is None):
        return None
    spec._set(kernel_size=kernel_size, stride=stride, dilation=dilation, padding=padding, input_size=input_size,
              ndim=ndim)
    return ndim


def _int_tuple(value: Any, ndim: int, minimum: int) -> tuple | None:
    """``value`` as ``ndim`` ints >= ``minimum`` when it already is one (a tuple) or one int; else None."""
    if type(value) is int:
        return (value,) * ndim if value >= minimum else None
    if type(value) is tuple and len(value) == ndim:
        for v in value:
            if type(v) is not int or v < minimum:
                return None
        return value
    return None


def _padding_tuple(padding: Any, ndim: int) -> tuple | None:
    """Canonical (before, after) int pairs from pairs, per-axis ints or one int (all >= 0); else None.

    As :func:`symconv._canonical.padding_pairs`: for one axis, two ints are its (before, after) pair.
    """
    if type(padding) is int:
        return ((padding, padding),) * ndim if padding >= 0 else None
    if type(padding) is not tuple or not padding:
        return None
    if type(padding[0]) is int:
        if len(padding) == ndim and _int_tuple(padding, ndim, 0) is not None:
            return tuple((p, p) for p in padding)
        if ndim == 1 and len(padding) == 2 and _int_tuple(padding, 2, 0) is not None:
            return (padding,)
        return None
    if len(padding) != ndim:
        return None
    for pair in padding:
        if type(pair) is not tuple or len(pair) != 2 or _int_tuple(pair, 2, 0) is None:
            return None
    return padding
