r"""The direct-convolution equivalent of a transposed convolution, as matrices.

A transposed convolution with stride :math:`s`, padding :math:`(p_b, p_a)`, dilation
:math:`d` and output padding :math:`a` equals a stride-1 convolution (same dilation) of its
input with :math:`s - 1` zeros inserted between units, padded by :math:`d(k-1) - p_b` before
and :math:`d(k-1) - p_a + a` after (negative amounts crop), with the flipped kernel
(Dumoulin & Visin, relationships 12--14, plus the flip they leave out).

This module only *reads* the amounts (:func:`symconv.derive.as_direct_conv`) and builds the two matrices whose product the documents compare
with :math:`C^T`.

Examples
--------
>>> from symconv import ConvTransposeSpec
>>> equivalent_padding(ConvTransposeSpec(3, input_size=2))
((2, 2),)
>>> Z = insertion_matrix(ConvTransposeSpec(3, stride=2, input_size=2))
>>> Z.shape
(7, 2)
"""
from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..derive import as_direct_conv, flip_kernel
from ..matrix import conv_matrix, weight_symbols
from ..spec import ConvTransposeSpec

__all__ = ["equivalent_padding", "stretched_size", "insertion_matrix", "flipped_weights", "equivalent_matrix"]


def equivalent_padding(spec: ConvTransposeSpec) -> tuple:
    """Per-axis ``(before, after)`` zero padding of the stretched input (negative = crop).

    Read from :func:`symconv.derive.as_direct_conv`.
    """
    if not isinstance(spec, ConvTransposeSpec):
        raise TypeError(f"equivalent_padding: spec must be a ConvTransposeSpec, got {type(spec).__name__}")
    return tuple(tuple(pair) for pair in as_direct_conv(spec).padding)


def stretched_size(spec: ConvTransposeSpec) -> tuple:
    """Per axis, :math:`s(i'-1) + 1`: the input with :math:`s-1` zeros between units."""
    return tuple(as_direct_conv(spec).stretched_size)


def _axis_insertion(i: int, s: int, before: int, after: int) -> sp.Matrix:
    length = s * (i - 1) + 1 + before + after
    z = sp.zeros(length, i)
    for j in range(i):
        pos = before + j * s
        if 0 <= pos < length:
            z[pos, j] = 1
    return z


def insertion_matrix(spec: ConvTransposeSpec) -> sp.Matrix:
    r"""The 0/1 matrix taking the (flattened) input to its zero-inserted, padded version.

    The N-D matrix is the Kronecker product of the per-axis ones.

    Examples
    --------
    >>> insertion_matrix(ConvTransposeSpec(2, stride=2, input_size=2)).T
    Matrix([
    [0, 1, 0, 0, 0],
    [0, 0, 0, 1, 0]])
    """
    out = sp.ones(1, 1)
    for i, s, (before, after) in zip(spec.require_input(), spec.stride, equivalent_padding(spec)):  # noqa: B007
        out = sp.kronecker_product(out, _axis_insertion(i, s, before, after))
    return out


def flipped_weights(kernel_size: tuple) -> np.ndarray:
    """Single-channel symbolic weights ``w_{...}`` flipped along every axis.

    Examples
    --------
    >>> flipped_weights((3,)).tolist()
    [w_{2}, w_{1}, w_{0}]
    """
    return flip_kernel(weight_symbols((1, 1, *kernel_size), True)[0, 0], ndim=len(kernel_size))


def equivalent_matrix(spec: ConvTransposeSpec, weight: Any = None) -> sp.Matrix:
    r"""The matrix of the equivalent direct convolution: :math:`D(\bar w)\, Z`.

    Equals ``conv_transpose_matrix`` of the same single-channel layer (the documents check it).

    Examples
    --------
    >>> from symconv import conv_transpose_matrix
    >>> spec = ConvTransposeSpec(4, stride=2, padding=1, input_size=3)
    >>> equivalent_matrix(spec) == conv_transpose_matrix(3, 4, stride=2, padding=1)
    True
    """
    z = insertion_matrix(spec)
    padded = tuple(n + b + a for n, (b, a) in zip(stretched_size(spec), equivalent_padding(spec)))
    w = flipped_weights(spec.kernel_size) if weight is None else weight
    d = conv_matrix(padded, spec.kernel_size, dilation=spec.dilation, weight=w)
    return sp.Matrix(d) * z
