"""Size advice for a stack's layers: the one parameter change that restores a size, checked by the spec.

An upsampling layer that does not give back the size of the layer it mirrors can be fixed by
one parameter: the ``output_padding`` of a transposed convolution, the pinned ``output_size`` of
an unpooling, the ``size`` of an interpolation (:func:`restoring_change`). Whether a value is
allowed is never decided here: the changed spec is built, and its own validation
(:mod:`symconv.spec`, :mod:`symconv.shapes`) accepts or refuses it (:func:`with_output_padding`,
:func:`with_unpool_output_size`). :func:`kernel_remedy` is the "kernel divisible by the stride"
remedy of a checkerboard layer, with padding and output padding chosen so the layer produces a
given (restoring) size. The ordering of fixes over a whole stack, which re-runs the analysis, is
:func:`symconv.stack.analysis.repairs`.

Examples
--------
>>> t = ConvTransposeSpec(3, stride=2, padding=1, input_size=3)
>>> output_padding_for(t, (3,), (6,))
(1,)
>>> with_output_padding(t, (1,)).output_size, with_output_padding(t, (2,))
((6,), None)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from .. import shapes
from ..spec import ConvTransposeSpec, MaxUnpoolSpec, UpsampleSpec

__all__ = ["Fix", "restoring_change", "kernel_remedy", "per_axis", "output_padding_for", "with_output_padding",
           "with_unpool_output_size"]


@dataclass(frozen=True)
class Fix:
    """A verified change to layer ``index``: ``change`` (text) restores ``target`` given the earlier fixes."""

    index: int
    change: str
    target: tuple
    spec: Any


def per_axis(name: str, values: tuple) -> str:
    """``name=v`` when every axis agrees, else ``name=(v0, v1)``."""
    values = tuple(values)
    return f"{name}={values[0]}" if len(set(values)) == 1 else f"{name}={values}"


def output_padding_for(spec: ConvTransposeSpec, input_size: tuple, target: tuple) -> tuple:
    """Per axis, the output padding with which ``spec`` maps ``input_size`` to ``target`` (ints or symbols).

    Solved by :func:`symconv.shapes.output_padding_axis`; the value may be one the layer refuses
    (see :func:`with_output_padding`).
    """
    return tuple(shapes.output_padding_axis(t, i, k, s, pb, pa, d) for t, i, k, s, (pb, pa), d in
                 zip(target, input_size, spec.kernel_size, spec.stride, spec.padding, spec.dilation))


def with_output_padding(spec: ConvTransposeSpec, output_padding: tuple) -> ConvTransposeSpec | None:
    """``spec`` with this ``output_padding``, or None when the spec refuses it (``0 <= a < max(s, d)``)."""
    try:
        return replace(spec, output_padding=tuple(output_padding), pinned_output_size=None)
    except ValueError:
        return None


def with_unpool_output_size(spec: MaxUnpoolSpec, output_size: tuple) -> MaxUnpoolSpec | None:
    """``spec`` pinned to ``output_size``, or None when the spec refuses it (PyTorch: within default +- stride)."""
    try:
        return replace(spec, pinned_output_size=tuple(output_size))
    except ValueError:
        return None


def restoring_change(layer: Any) -> tuple[Any, str] | None:
    """The analysed layer's spec changed so it restores its target, with the change as text (None: no such change).

    ``layer`` is a :class:`symconv.stack.report.LayerAnalysis` with a ``restore`` check.
    """
    spec, restore = layer.spec, layer.restore
    target = tuple(restore.target)
    if isinstance(spec, ConvTransposeSpec):
        if restore.output_padding is None:
            return None
        return with_output_padding(spec, restore.output_padding), per_axis("output_padding", restore.output_padding)
    if isinstance(spec, MaxUnpoolSpec):
        return replace(spec, pinned_output_size=target), \
            f"output_size={list(target)} (PyTorch: unpool(x, indices, output_size=...))"
    if isinstance(spec, UpsampleSpec):
        return replace(spec, size=target, scale_factor=None), f"size={list(target)}"
    return None


def kernel_remedy(spec: ConvTransposeSpec, j: int, input_size: int, target: int) -> str | None:
    """A kernel divisible by the stride, with padding and output padding giving output ``target`` on axis ``j``.

    The smallest padding whose output padding the layer accepts is chosen; None when stride and
    dilation share a factor (no kernel size then makes the overlap even).

    Examples
    --------
    >>> kernel_remedy(ConvTransposeSpec(3, stride=2, padding=1), 0, 25, 50)
    'kernel_size=4, padding=1, output_padding=0'
    """
    k, s, d = spec.kernel_size[j], spec.stride[j], spec.dilation[j]
    if math.gcd(s, d) != 1:
        return None
    k2 = -(-k // s) * s
    for p2 in range(0, d * (k2 - 1) + 1):
        layer = ConvTransposeSpec(k2, s, p2, 0, d)
        a2 = output_padding_for(layer, (input_size,), (target,))
        if with_output_padding(layer, a2) is not None:
            return f"kernel_size={k2}, padding={p2}, output_padding={a2[0]}"
    return f"kernel_size={k2}"
