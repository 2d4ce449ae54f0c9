"""Shape rules of the tensor-reshaping glue: Slice, Pad, crops, Reshape, Flatten, Gemm/MatMul,
Transpose, reductions and global pools, Resize/Upsample.

Each rule takes the node and its input :class:`~symconv.network.values.TensorInfo` list and
returns the outputs and ``(condition, reason, kind)`` triples. Slice follows ONNX exactly
(negative starts count from the end, then clamp to ``[0, dim]``); a clamp that cannot bind on
the sizes still valid is dropped (:func:`~symconv.network.decide.always`).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .. import shapes
from .decide import always
from .model import Node
from .values import (SLICE_END, TensorInfo, Unsupported, as_int, ceiling_expr, const_ints, node_axes, product,
                     same_size, unsimplified)

__all__ = ["TENSOR_RULES"]


def _clamp_index(x: Any, dim: Any) -> Any:
    """ONNX Slice (positive step): negative counts from the end, then clamp to [0, dim]."""
    if isinstance(x, int):
        if x >= SLICE_END:
            return dim
        if x <= -SLICE_END:
            return 0
        if x < 0:
            x = x + dim
    else:
        negative = always(sp.Lt(x, 0, evaluate=False))
        if negative is True:
            x = x + dim
        elif negative is None:
            # x + dim when x < 0: for an integer x, [x < 0] = min(1, max(0, -x))
            x = x + dim * unsimplified(sp.Min, 1, unsimplified(sp.Max, 0, -x))
    return as_int(_at_least(0, _at_most(x, dim)))


def _at_least(lo: Any, x: Any) -> Any:
    """``Max(lo, x)``, without the ``Max`` when ``x >= lo`` always holds."""
    return x if always(sp.Ge(x, lo, evaluate=False)) is True else unsimplified(sp.Max, lo, x)


def _at_most(x: Any, hi: Any) -> Any:
    return x if always(sp.Le(x, hi, evaluate=False)) is True else unsimplified(sp.Min, x, hi)


def _slice_length(dim: Any, start: Any, end: Any, step: int) -> Any:
    if step < 1:
        raise Unsupported("Slice with a negative step on a symbolic axis")
    lo, hi = _clamp_index(start, dim), _clamp_index(end, dim)
    return as_int(_at_least(0, ceiling_expr(sp.sympify(hi - lo) / step)))


def _slice(node: Node, ins: list) -> tuple[list, list]:
    data = ins[0]
    rank = len(data.shape)
    if "starts" in node.attrs:                      # opset < 10: attributes
        starts, ends = node.attrs["starts"], node.attrs["ends"]
        axes = node.attrs.get("axes", list(range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts = const_ints(ins[1], node, "starts")
        ends = const_ints(ins[2], node, "ends")
        axes = const_ints(ins[3], node, "axes") if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = const_ints(ins[4], node, "steps") if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    shape = list(data.shape)
    value = data.value
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = int(axis) % rank
        if value is not None and rank == 1 and all(isinstance(v, int) for v in (start, end, step)):
            value = value[slice(max(min(start, SLICE_END), -SLICE_END), max(min(end, SLICE_END), -SLICE_END), step)]
            shape[axis] = len(value)
            continue
        value = None
        if not isinstance(step, int):
            raise Unsupported(f"network: node {node.describe()}: Slice steps must be constants")
        shape[axis] = _slice_length(shape[axis], start, end, step)
    return [TensorInfo(tuple(shape), value, data.dtype)], []


def _pad(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    rank = len(x.shape)
    if node.op == "CropLike":
        return _crop_like(node, ins)
    if "pads" in node.attrs and len(ins) < 2:
        pads = list(node.attrs["pads"])
        if len(pads) != 2 * rank:                    # DAG JSON: per spatial axis (before, after)
            flat = [p for pair in pads for p in (pair if isinstance(pair, (list, tuple)) else (pair, pair))]
            spatial = flat[0::2], flat[1::2]
            pads = [0, 0, *spatial[0], 0, 0, *spatial[1]]
        axes = list(range(rank))
    else:
        pads = list(const_ints(ins[1], node, "pads"))
        axes = node_axes(node, ins, rank, position=3) or list(range(rank))
    shape = list(x.shape)
    half = len(pads) // 2
    for j, axis in enumerate(axes):
        shape[axis] = as_int(shape[axis] + pads[j] + pads[j + half])
    return [TensorInfo(tuple(shape), None, x.dtype)], []


def _crop_like(node: Node, ins: list) -> tuple[list, list]:
    x, ref = ins[0], ins[1]
    conditions = []
    for j in range(2, len(x.shape)):
        if not same_size(x.shape[j], ref.shape[j]):
            conditions.append((sp.Ge(x.shape[j], ref.shape[j]),
                               f"crop: {node.inputs[0]!r} (size {x.shape[j]}) must be at least as large as "
                               f"{node.inputs[1]!r} (size {ref.shape[j]}) on axis {j}", "range"))
    return [TensorInfo(tuple(x.shape[:2]) + tuple(ref.shape[2:]), None, x.dtype)], conditions


def _reshape(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    target = list(const_ints(ins[1], node, "the target shape"))
    if not node.attrs.get("allowzero", 0):
        target = [x.shape[j] if t == 0 else t for j, t in enumerate(target)]
    numel = product(x.shape)
    conditions = []
    if -1 in target:
        known = product([t for t in target if t != -1])
        inferred = as_int(sp.sympify(numel) / known)
        if not sp.sympify(inferred).is_integer:
            conditions.append((sp.Eq(sp.Mod(numel, known), 0),
                               f"Reshape to {target}: {numel} elements must be divisible by {known}", "fixed"))
            inferred = as_int(shapes.floordiv(numel, known))
        target[target.index(-1)] = inferred
    elif not same_size(numel, product(target)):
        conditions.append((sp.Eq(numel, product(target)),
                           f"Reshape to {target} needs {product(target)} elements, gets {numel}", "fixed"))
    return [TensorInfo(tuple(target), x.value, x.dtype)], conditions


def _flatten(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    axis = int(node.attrs.get("axis", 1)) % (len(x.shape) + 1)
    return [TensorInfo((product(x.shape[:axis]), product(x.shape[axis:])), x.value, x.dtype)], []


def _matrix_product(node: Node, ins: list) -> tuple[list, list]:
    a, b = ins[0], ins[1]
    if node.op == "Linear":
        k_b, n = node.attrs["in_features"], node.attrs["out_features"]
        m = a.shape[:-1]
    else:
        a_shape = a.shape[::-1] if node.attrs.get("transA") else a.shape
        b_shape = b.shape[::-1] if node.attrs.get("transB") else b.shape
        k_b, n, m = b_shape[-2], b_shape[-1], a_shape[:-1]
        a = TensorInfo(a_shape)
    k_a = a.shape[-1]
    conditions = []
    if not same_size(k_a, k_b):
        conditions.append((sp.Eq(k_a, k_b), f"{node.op} needs {k_b} input features, gets {k_a}", "fixed"))
    return [TensorInfo((*m, n))], conditions


def _transpose(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    perm = node.attrs.get("perm") or list(range(len(x.shape)))[::-1]
    return [TensorInfo(tuple(x.shape[p] for p in perm), None, x.dtype)], []


def _reduce(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    rank = len(x.shape)
    if node.op.startswith("Global"):
        axes = list(range(2, rank))
        keep = True
    else:
        axes = node_axes(node, ins, rank) or list(range(rank))
        keep = bool(node.attrs.get("keepdims", 1))
    shape = [1 if j in axes else d for j, d in enumerate(x.shape)]
    if not keep:
        shape = [d for j, d in enumerate(x.shape) if j not in axes]
    return [TensorInfo(tuple(shape), None, x.dtype)], []


def _resize(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    rank = len(x.shape)
    if node.op == "Upsample":
        scale_info, sizes_info = ins[1] if len(ins) > 1 else None, None
    else:
        scale_info = ins[2] if len(ins) > 2 else None
        sizes_info = ins[3] if len(ins) > 3 else None
    axes = node.attrs.get("axes") or list(range(rank))
    shape = list(x.shape)
    if sizes_info is not None and sizes_info.shape != (0,):
        sizes = const_ints(sizes_info, node, "sizes")
        if node.attrs.get("keep_aspect_ratio_policy", "stretch") != "stretch":
            raise Unsupported(f"network: node {node.describe()}: keep_aspect_ratio_policy other than "
                               f"'stretch' is not supported")
        for axis, size in zip(axes, sizes):
            shape[axis] = as_int(shapes.resize_size_axis(shape[axis], size))
    elif scale_info is not None and scale_info.value is not None and len(scale_info.value):
        for axis, scale in zip(axes, scale_info.value):
            scale = sp.Rational(scale)
            shape[axis] = shape[axis] if scale == 1 else as_int(shapes.resize_size_axis(shape[axis], None, scale))
    else:
        raise Unsupported(f"network: node {node.describe()}: needs constant scales or computable sizes")
    return [TensorInfo(tuple(shape), None, x.dtype)], []



TENSOR_RULES = {"Slice": _slice, "Pad": _pad, "CropLike": _pad, "Reshape": _reshape, "Flatten": _flatten,
                "Gemm": _matrix_product, "MatMul": _matrix_product, "Linear": _matrix_product,
                "Transpose": _transpose, "GlobalAveragePool": _reduce, "GlobalMaxPool": _reduce,
                "ReduceMean": _reduce, "ReduceMax": _reduce, "ReduceSum": _reduce, "Resize": _resize,
                "Upsample": _resize}
