"""Symbolic evaluation of a network: every tensor's shape, and the small tensors' values.

Exported models compute sizes inside the graph (a centre crop exports as Shape -> Gather ->
Sub -> Div -> Cast -> Unsqueeze -> Slice). Each tensor therefore carries its ``shape`` and, for
the small integer/float tensors of that shape subgraph, its ``value``: a flat tuple of exact
SymPy expressions in the input's dims. Arithmetic stays exact: ONNX integer ``Div`` and float
-> int ``Cast`` truncate toward zero, which is ``floor`` for a nonnegative value. Each node
may add conditions (broadcast and concat equalities, fixed sizes, range rules); every
output size of a data tensor must be >= 1.

Examples
--------
>>> from symconv.network.model import load_dag
>>> net = load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
...     {"name": "down", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
...     {"name": "up", "op": "upsample", "inputs": ["down"], "scale_factor": 2},
...     {"name": "cat", "op": "concat", "inputs": ["x", "up"]}]})
>>> result = evaluate(net)
>>> result.tensors["cat"].shape
(1, 2, H)
>>> [(c.node, c.condition) for c in result.constraints if c.kind == "equal"]
[('cat', Eq(H, 2*floor(H/2)))]
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import sympy as sp

from .decide import Assumptions, always, assuming
from .model import SPEC_OPS, Network, Node
from .spec_ops import spec_output
from .tensor_ops import TENSOR_RULES
from .values import (Constraint, Evaluation, TensorInfo, Unsupported, as_int, ceiling_expr, const_ints, exact_value,
                     floor_expr, node_axes, product, same_size, trunc_div, truncate)

__all__ = ["TensorInfo", "Constraint", "Evaluation", "evaluate", "SUPPORTED_OPS"]

# --------------------------------------------------------------------------- broadcasting


def _broadcast(shapes_in: list, node: Node) -> tuple[tuple, list]:
    rank = max(len(s) for s in shapes_in)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes_in]
    out, conditions = [], []
    for axis, dims in enumerate(zip(*padded)):
        result = dims[0]
        for d in dims[1:]:
            if same_size(d, result) or d == 1:
                continue
            if result == 1:
                result = d
                continue
            cond = sp.Or(sp.Eq(result, d, evaluate=False), sp.Eq(result, 1), sp.Eq(d, 1))
            conditions.append((cond, lambda axis=axis, a=result, b=d: f"{node.op} broadcasts axis {axis}: sizes "
                                     f"{a} and {b} must be equal (or one of them 1)", "equal"))
            result = sp.Max(result, d)
        out.append(result)
    return tuple(out), conditions


def _elementwise(fn: Callable, values: list, dtype: str) -> tuple:
    longest = max(len(v) for v in values)
    cols = [v * longest if len(v) == 1 else v for v in values]
    return tuple(fn(*(exact_value(x, dtype) for x in col)) for col in zip(*cols))


def _int_div(a: Any, b: Any) -> Any:
    return trunc_div(a, b)


_BINARY_VALUE = {
    "Add": lambda dt: lambda a, b: a + b,
    "Sub": lambda dt: lambda a, b: a - b,
    "Mul": lambda dt: lambda a, b: a * b,
    "Div": lambda dt: _int_div if dt == "int" else (lambda a, b: sp.sympify(a) / b),
    "Max": lambda dt: sp.Max,
    "Min": lambda dt: sp.Min,
    "Mod": lambda dt: sp.Mod,
}


def _binary(node: Node, ins: list) -> tuple[list, list]:
    present = [t for t in ins if t is not None]
    shape, conditions = _broadcast([t.shape for t in present], node)
    value = None
    dtype = present[0].dtype
    if node.op in _BINARY_VALUE and all(t.value is not None for t in present) and len(shape) <= 1:
        fn = _BINARY_VALUE[node.op](dtype)
        value = tuple(as_int(v) if dtype == "int" else v for v in _elementwise(fn, [t.value for t in present], dtype))
    if node.op in ("Equal", "Less", "Greater", "And", "Or", "Not"):
        dtype = "bool"
    return [TensorInfo(shape, value, dtype)], conditions


# --------------------------------------------------------------------------- unary and reshaping


_CAST_DTYPES = {1: "float", 10: "float", 11: "float", 16: "float", 9: "bool"}
_VALUE_UNARY = {"Identity": lambda v: v, "Neg": lambda v: -v, "Floor": lambda v: floor_expr(v),
                "Ceil": lambda v: ceiling_expr(v), "Abs": sp.Abs}


def _unary(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    value, dtype = None, x.dtype
    if node.op == "Cast":
        dtype = _CAST_DTYPES.get(int(node.attrs.get("to", 7)), "int")
        if x.value is not None:
            value = tuple(truncate(v) if dtype == "int" and x.dtype == "float" else v for v in x.value)
    elif node.op in _VALUE_UNARY and x.value is not None:
        value = tuple(as_int(_VALUE_UNARY[node.op](sp.sympify(v))) for v in x.value)
    outs = [TensorInfo(x.shape, value, dtype)]
    outs += [TensorInfo(x.shape)] * (len(node.outputs) - 1)   # BatchNorm/Dropout extras
    return outs, []


def _shape_op(node: Node, ins: list) -> tuple[list, list]:
    dims = ins[0].shape
    start, end = node.attrs.get("start", 0), node.attrs.get("end", len(dims))
    value = tuple(dims[slice(start, end)])
    return [TensorInfo((len(value),), value, "int")], []


def _size(node: Node, ins: list) -> tuple[list, list]:
    return [TensorInfo((), (product(ins[0].shape),), "int")], []


def _constant(node: Node, ins: list) -> tuple[list, list]:
    array = np.asarray(node.attrs["value"])
    dtype = "float" if array.dtype.kind == "f" else "bool" if array.dtype.kind == "b" else "int"
    value = tuple(exact_value(v, dtype) for v in array.reshape(-1).tolist()) if array.size <= 4096 else None
    return [TensorInfo(tuple(int(d) for d in array.shape), value, dtype)], []


def _constant_of_shape(node: Node, ins: list) -> tuple[list, list]:
    dims = const_ints(ins[0], node, "the shape")
    fill = np.asarray(node.attrs.get("value", np.zeros(1, np.float32)))
    dtype = "float" if fill.dtype.kind == "f" else "int"
    value = None
    if all(isinstance(d, int) for d in dims) and product(dims) <= 4096:
        value = (exact_value(fill.reshape(-1)[0], dtype),) * product(dims)
    return [TensorInfo(dims, value, dtype)], []


def _unsqueeze(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    rank = len(x.shape) + len(node.attrs.get("axes") or (ins[1].value if len(ins) > 1 else ()))
    shape = list(x.shape)
    for axis in sorted(node_axes(node, ins, rank)):
        shape.insert(axis, 1)
    return [TensorInfo(tuple(shape), x.value, x.dtype)], []


def _squeeze(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    axes = node_axes(node, ins, len(x.shape)) or [j for j, d in enumerate(x.shape) if d == 1]
    conditions = [(sp.Eq(x.shape[j], 1), f"Squeeze needs size 1 on axis {j}", "fixed")
                  for j in axes if x.shape[j] != 1]
    shape = tuple(d for j, d in enumerate(x.shape) if j not in axes)
    return [TensorInfo(shape, x.value, x.dtype)], conditions


def _concat(node: Node, ins: list) -> tuple[list, list]:
    present = [t for t in ins if t is not None]
    rank = len(present[0].shape)
    axis = int(node.attrs.get("axis", 1)) % rank
    conditions, first = [], present[0]
    for index, other in enumerate(present[1:], start=1):
        if len(other.shape) != rank:
            raise ValueError(f"network: node {node.describe()}: inputs have ranks {rank} and {len(other.shape)}")
        for j in range(rank):
            if j != axis and not same_size(first.shape[j], other.shape[j]):
                conditions.append((sp.Eq(first.shape[j], other.shape[j], evaluate=False),
                                   lambda j=j, index=index, a=first.shape[j], b=other.shape[j]:
                                   f"Concat needs equal sizes on axis {j}: {node.inputs[0]!r} has "
                                   f"{a}, {node.inputs[index]!r} has {b}", "equal"))
    shape = list(first.shape)
    shape[axis] = product([]) * 0 + sum((t.shape[axis] for t in present), sp.Integer(0))
    shape[axis] = as_int(shape[axis])
    value = None
    if rank == 1 and all(t.value is not None for t in present):
        value = tuple(v for t in present for v in t.value)
    return [TensorInfo(tuple(shape), value, first.dtype)], conditions


def _gather(node: Node, ins: list) -> tuple[list, list]:
    data, indices = ins[0], ins[1]
    axis = int(node.attrs.get("axis", 0)) % max(1, len(data.shape))
    idx = const_ints(indices, node, "the indices")
    shape = data.shape[:axis] + indices.shape + data.shape[axis + 1:]
    value = None
    if data.value is not None and len(data.shape) == 1:
        n = len(data.value)
        value = tuple(data.value[i % n if isinstance(i, int) else i] for i in idx)
    return [TensorInfo(tuple(shape), value, data.dtype)], []


# --------------------------------------------------------------------------- specs


def _spec_node(node: Node, ins: list) -> tuple[list, list]:
    x = ins[0]
    target = None
    if node.op == "max_unpool":
        target_info = ins[2] if len(ins) > 2 else None
        if target_info is not None:
            if target_info.value is not None:          # ONNX output_shape: a full (N, C, ...) shape
                target = tuple(as_int(v) for v in target_info.value)[2:]
            else:                                      # DAG JSON: a tensor whose size is restored
                target = tuple(target_info.shape[2:])
    shape, conditions = spec_output(node, x.shape, target)
    outs = [TensorInfo(shape, None, x.dtype)] * max(1, len(node.outputs))
    return outs, conditions


_UNARY_OPS = ("Relu", "LeakyRelu", "Sigmoid", "Tanh", "BatchNormalization", "Dropout", "Identity", "Elu",
              "Selu", "Softmax", "LogSoftmax", "Clip", "Exp", "Log", "Sqrt", "Abs", "Neg", "Erf",
              "HardSigmoid", "HardSwish", "Softplus", "Softsign", "InstanceNormalization", "LRN", "PRelu",
              "Gelu", "Mish", "Floor", "Ceil", "Round", "Cast", "Not", "Sign", "Reciprocal", "Celu",
              "ThresholdedRelu", "LayerNormalization")
_BINARY_OPS = ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Equal", "Less", "Greater",
               "And", "Or", "Sum", "Where")

RULES: dict = {op: _unary for op in _UNARY_OPS}
RULES.update({op: _binary for op in _BINARY_OPS})
RULES.update({op: _spec_node for op in SPEC_OPS})
RULES.update({"Shape": _shape_op, "Size": _size, "Constant": _constant, "ConstantOfShape": _constant_of_shape,
              "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Concat": _concat, "Gather": _gather})
RULES.update(TENSOR_RULES)

#: Ops the evaluator knows (ONNX names for glue, symconv names for specs).
SUPPORTED_OPS = tuple(sorted(RULES))


# --------------------------------------------------------------------------- the walk


def _initial(net: Network, symbols: dict) -> dict:
    tensors = {name: TensorInfo(tuple(symbols[d] if isinstance(d, str) else d for d in dims))
               for name, dims in net.inputs.items()}
    for name, array in net.constants.items():
        array = np.asarray(array)
        dtype = "float" if array.dtype.kind == "f" else "int"
        small = array.size <= (8 if dtype == "float" else 64)     # shape arithmetic, scales; not weights
        value = tuple(exact_value(v, dtype) for v in array.reshape(-1).tolist()) if small else None
        tensors[name] = TensorInfo(tuple(int(d) for d in array.shape), value, dtype)
    return tensors


def _positivity(node: Node, name: str, info: TensorInfo) -> list:
    out = []
    for axis, d in enumerate(info.shape):
        if isinstance(d, int):
            if d < 1:
                out.append(Constraint(node.name, node.op, sp.false, f"tensor {name!r} has size {d} on axis {axis}",
                                      "positive"))
            continue
        if d.is_Symbol and d.is_positive:
            continue
        cond = sp.Ge(d, 1, evaluate=False)
        if always(cond) is not True:
            out.append(Constraint(node.name, node.op, cond,
                                  lambda name=name, axis=axis, d=d:
                                  f"tensor {name!r} must have size >= 1 on axis {axis} (size {d})", "positive"))
    return out


def evaluate(net: Network, symbols: dict | None = None, reuse: Evaluation | None = None,
             changed: tuple = ()) -> Evaluation:
    """Shapes of every tensor of ``net`` and the constraints its nodes impose.

    Parameters
    ----------
    net : Network
    symbols : dict, optional
        Dim name -> SymPy symbol (default :meth:`Network.symbols`).
    reuse : Evaluation, optional
        An evaluation of a network that differs from ``net`` only in the nodes named in
        ``changed``: every node upstream of them keeps its earlier results.
    changed : tuple of str

    Returns
    -------
    Evaluation

    Raises
    ------
    ValueError
        An unsupported op or a tensor that cannot be evaluated (the message names the node).
    """
    symbols = net.symbols() if symbols is None else symbols
    with assuming(Assumptions()) as facts:
        return _walk(net, symbols, reuse, changed, facts)


def _walk(net: Network, symbols: dict, reuse: Evaluation | None, changed: tuple, facts: Assumptions) -> Evaluation:
    tensors = _initial(net, symbols)
    constraints: list = []
    per_node: dict = {}
    dirty_tensors: set = set()
    for node in net.nodes:
        previous = reuse.per_node.get(node.name) if reuse is not None else None
        dirty = (previous is None or node.name in changed or previous[0] != node
                 or any(t in dirty_tensors for t in node.inputs))
        if dirty:
            dirty_tensors.update(node.outputs)
            outs, found = _evaluate_node(node, tensors)
        else:
            _, outs, found = previous
        per_node[node.name] = (node, outs, found)
        constraints.extend(found)
        for c in found:
            facts.add(c.condition)
        for name, info in zip(node.outputs, outs):
            if name:
                tensors[name] = info
    return Evaluation(tensors, constraints, symbols, per_node)


def _evaluate_node(node: Node, tensors: dict) -> tuple[list, list]:
    rule = RULES.get(node.op)
    if rule is None:
        raise ValueError(f"network: node {node.describe()}: unsupported op {node.op!r}")
    missing = [t for t in node.inputs if t and t not in tensors]
    if missing:
        raise ValueError(f"network: node {node.describe()}: input tensor {missing[0]!r} is not computed "
                         f"by any earlier node")
    ins = [tensors[t] if t else None for t in node.inputs]
    try:
        outs, conditions = rule(node, ins)
    except Unsupported as exc:
        text = str(exc)
        raise ValueError(text if text.startswith("network:") else
                         f"network: node {node.describe()}: unsupported: {text}") from None
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"network: node {node.describe()}: cannot evaluate its shape "
                         f"({type(exc).__name__}: {exc})") from None
    found = [Constraint(node.name, node.op, cond, reason, kind)
             for cond, reason, kind in conditions if cond is not sp.true]
    for name, info in zip(node.outputs, outs):
        if name and info.value is None:
            found.extend(_positivity(node, name, info))
    return outs, found
