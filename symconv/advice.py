"""Size advice for a stack, in order: each fix assumes the earlier ones applied, and is verified.

:func:`repairs` walks a stack's decoder checks from the first layer to the last. At the first
upsampling layer that does not restore the size it mirrors, it changes the one parameter that
restores it (``output_padding`` of a transposed convolution, the pinned ``output_size`` of an
unpooling, the ``size`` of an interpolation), re-runs the whole stack with that change, and
moves on; so a later layer is judged on the sizes it would see once the earlier ones are fixed.
Every fix is kept only if the re-run stack restores that layer exactly.

:func:`kernel_remedy` is the "kernel divisible by the stride" remedy of a checkerboard layer,
with padding and output padding chosen so the layer produces a given (restoring) size, checked
by recomputing that size.

Examples
--------
>>> from symconv.stack import load_stack
>>> stack = load_stack([{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1}] * 2 +
...                    [{"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1},
...                     {"op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1}], ndim=1)
>>> fixes, final = repairs(stack, (100,))
>>> [(f.index, f.change) for f in fixes]
[(2, 'output_padding=1')]
>>> final.layers[-1].output_size, final.restores_encoder
((100,), True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from . import shapes
from .spec import ConvTransposeSpec, MaxUnpoolSpec, UpsampleSpec

__all__ = ["Fix", "repairs", "kernel_remedy", "per_axis"]


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


def _fixed(layer: Any) -> tuple[Any, str] | None:
    """The layer's spec changed so it restores its target, with the change as text (None: no such change)."""
    spec, restore = layer.spec, layer.restore
    target = tuple(restore.target)
    if isinstance(spec, ConvTransposeSpec):
        if restore.output_padding is None:
            return None
        return replace(spec, output_padding=tuple(restore.output_padding)), \
            per_axis("output_padding", restore.output_padding)
    if isinstance(spec, MaxUnpoolSpec):
        return replace(spec, pinned_output_size=target), \
            f"output_size={list(target)} (PyTorch: unpool(x, indices, output_size=...))"
    if isinstance(spec, UpsampleSpec):
        return replace(spec, size=target, scale_factor=None), f"size={list(target)}"
    return None


def repairs(stack: Any, input_size: tuple) -> tuple[list, Any]:
    """Fix the decoder's size mismatches in order; returns (verified fixes, the analysis after them).

    A layer no single parameter can fix ends the walk (later layers are not judged on sizes
    that depend on how it would be fixed).
    """
    from .stack import Layer, Stack, analyze
    layers = list(stack.layers)
    fixes: list = []
    report = analyze(stack, input_size, symbolic=False, advise=False)
    for _ in range(len(layers)):
        wrong = next((layer for layer in report.layers
                      if layer.restore is not None and not layer.restore.exact), None)
        if wrong is None:
            break
        change = _fixed(wrong)
        if change is None:
            break
        spec, text = change
        trial = list(layers)
        trial[wrong.index] = Layer(spec.with_input(None) if spec.input_size is not None else spec,
                                   layers[wrong.index].of, layers[wrong.index].name)
        try:
            rerun = analyze(Stack(tuple(trial), stack.ndim, stack.input_size), input_size, symbolic=False,
                            advise=False)
        except (TypeError, ValueError):
            break
        if not rerun.layers[wrong.index].restore.exact:
            break
        layers, report = trial, rerun
        fixes.append(Fix(wrong.index, text, tuple(wrong.restore.target), trial[wrong.index].spec))
    return fixes, report


def kernel_remedy(spec: ConvTransposeSpec, j: int, input_size: int, target: int) -> str | None:
    """A kernel divisible by the stride, with padding and output padding giving output ``target`` on axis ``j``.

    Examples
    --------
    >>> kernel_remedy(ConvTransposeSpec(3, stride=2, padding=1), 0, 25, 50)
    'kernel_size=4, padding=1, output_padding=0'
    """
    k, s, d = spec.kernel_size[j], spec.stride[j], spec.dilation[j]
    if math.gcd(s, d) != 1:
        return None
    k2 = -(-k // s) * s
    limit = max(s, d)
    for p2 in range(0, d * (k2 - 1) + 1):
        a2 = target - shapes.transpose_size_axis(input_size, k2, s, p2, p2, d, 0)
        if 0 <= a2 < limit and shapes.transpose_size_axis(input_size, k2, s, p2, p2, d, a2) == target:
            return f"kernel_size={k2}, padding={p2}, output_padding={a2}"
    return f"kernel_size={k2}"
