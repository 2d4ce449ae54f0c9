"""Read an ONNX model into a :class:`~symconv.network.model.Network` (needs ``symconv[onnx]``).

Conv, ConvTranspose, MaxPool, AveragePool and MaxUnpool become symconv specs (explicit
``pads`` as (before, after) pairs; ``auto_pad`` is resolved against the symbolic input size
during evaluation); every other supported op is kept under its ONNX name with its attributes
and evaluated by :mod:`~symconv.network.shape_eval`, including the shape subgraph (Shape,
Gather, Constant, arithmetic, Cast, Unsqueeze, Concat, Slice, Resize sizes, Reshape targets,
MaxUnpool ``output_shape``). Input dims come from ``dim_param`` (``H``), else the fixed
``dim_value``, else get a name ``D<axis>``. An unsupported op is an error naming the node.

Examples
--------
>>> import onnx
>>> from onnx import TensorProto, helper
>>> graph = helper.make_graph(
...     [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2], strides=[2], name="pool")], "g",
...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "L"])],
...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
>>> net = load_onnx(helper.make_model(graph))
>>> net.inputs, [(n.name, n.op, n.attrs["spec"].kernel_size) for n in net.nodes]
({'x': (1, 1, 'L')}, [('pool', 'max_pool', (2,))])
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec
from .model import Network, Node
from .shape_eval import SUPPORTED_OPS

__all__ = ["load_onnx"]


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ValueError("network: reading ONNX models needs the 'onnx' package, which is not installed; "
                         "pip install 'symconv[onnx]'") from None
    return onnx


def _attrs(node: Any) -> dict:
    from onnx import helper, numpy_helper
    out = {}
    for attr in node.attribute:
        if attr.type == attr.TENSOR:
            out[attr.name] = numpy_helper.to_array(attr.t)
        elif attr.type in (attr.GRAPH, attr.GRAPHS):
            raise ValueError(f"network: node {node.name!r} ({node.op_type}): ops with subgraphs are not supported")
        else:
            value = helper.get_attribute_value(attr)
            if isinstance(value, bytes):
                value = value.decode()
            elif isinstance(value, list):
                value = [v.decode() if isinstance(v, bytes) else v for v in value]
            out[attr.name] = value
    return out


def _constant_value(attrs: dict) -> np.ndarray:
    for key in ("value", "value_int", "value_ints", "value_float", "value_floats"):
        if key in attrs:
            dtype = np.float32 if "float" in key else np.int64
            return np.asarray(attrs[key], dtype=None if key == "value" else dtype)
    raise ValueError(f"Constant with unsupported attributes {sorted(attrs)}")


def _pairs(pads: list | None, ndim: int) -> Any:
    if not pads:
        return 0
    return tuple((int(pads[j]), int(pads[j + ndim])) for j in range(ndim))


def _window(attrs: dict, kernel: tuple) -> dict:
    ndim = len(kernel)
    return {"kernel_size": tuple(int(k) for k in kernel),
            "stride": tuple(int(s) for s in attrs.get("strides") or (1,) * ndim),
            "padding": _pairs(attrs.get("pads"), ndim)}


def _weight(node: Any, constants: dict, where: str) -> np.ndarray:
    if len(node.input) < 2 or node.input[1] not in constants:
        raise ValueError(f"{where}: the weight must be an initializer or a Constant")
    return np.asarray(constants[node.input[1]])


def _spec_node(node: Any, name: str, attrs: dict, constants: dict) -> Node:
    where = f"network: node {name!r} ({node.op_type})"
    auto_pad = attrs.get("auto_pad", "NOTSET")
    extra = {"auto_pad": auto_pad}
    if node.op_type in ("Conv", "ConvTranspose"):
        w = _weight(node, constants, where)
        kernel = tuple(attrs.get("kernel_shape") or w.shape[2:])
        params = _window(attrs, kernel)
        params["dilation"] = tuple(int(d) for d in attrs.get("dilations") or (1,) * len(kernel))
        groups = int(attrs.get("group", 1))
        if node.op_type == "Conv":
            spec = ConvSpec(**params, in_channels=int(w.shape[1]) * groups, out_channels=int(w.shape[0]),
                            groups=groups)
            return Node(name, "conv", (node.input[0],), tuple(node.output), {"spec": spec, **extra})
        spec = ConvTransposeSpec(**params, output_padding=tuple(attrs.get("output_padding") or (0,) * len(kernel)),
                                 in_channels=int(w.shape[0]), out_channels=int(w.shape[1]) * groups, groups=groups)
        extra["output_shape"] = attrs.get("output_shape")
        return Node(name, "conv_transpose", (node.input[0],), tuple(node.output), {"spec": spec, **extra})
    kernel = tuple(attrs["kernel_shape"])
    params = _window(attrs, kernel)
    if node.op_type == "MaxPool":
        if int(attrs.get("storage_order", 0)) not in (0, 1):
            raise ValueError(f"{where}: storage_order must be 0 or 1")
        spec = MaxPoolSpec(**params, dilation=tuple(attrs.get("dilations") or (1,) * len(kernel)),
                           ceil_mode=bool(attrs.get("ceil_mode", 0)))
        return Node(name, "max_pool", (node.input[0],), tuple(node.output), {"spec": spec, **extra})
    if node.op_type == "AveragePool":
        if any(int(d) != 1 for d in attrs.get("dilations") or ()):
            raise ValueError(f"{where}: dilated average pooling is not supported")
        spec = AvgPoolSpec(**params, ceil_mode=bool(attrs.get("ceil_mode", 0)),
                           count_include_pad=bool(attrs.get("count_include_pad", 0)))
        return Node(name, "avg_pool", (node.input[0],), tuple(node.output), {"spec": spec, **extra})
    spec = MaxUnpoolSpec(**params)
    return Node(name, "max_unpool", tuple(node.input), tuple(node.output), {"spec": spec, "unpool_rule": "onnx"})


_SPEC_TYPES = ("Conv", "ConvTranspose", "MaxPool", "AveragePool", "MaxUnpool")


def _input_dims(value_info: Any, index: int) -> tuple:
    dims = []
    for axis, dim in enumerate(value_info.type.tensor_type.shape.dim):
        if dim.dim_param:
            dims.append(dim.dim_param if dim.dim_param.isidentifier() else f"D{axis}")
        elif dim.dim_value > 0:
            dims.append(int(dim.dim_value))
        else:
            dims.append(f"D{axis}" if index == 0 else f"I{index}_D{axis}")
    return tuple(dims)


def load_onnx(source: Any) -> Network:
    """Read an ONNX model (a path or a ``ModelProto``) into a :class:`Network`.

    Raises
    ------
    ValueError
        ``onnx`` missing, an unreadable file, or an unsupported op (the message names the
        node and the op).
    """
    onnx = _onnx()
    from onnx import numpy_helper
    if isinstance(source, (str, os.PathLike)):
        try:
            model = onnx.load(os.fspath(source))
        except (OSError, Exception) as exc:   # onnx raises DecodeError and friends
            raise ValueError(f"network: cannot read ONNX model {os.fspath(source)!r}: {exc}") from None
        name = os.path.splitext(os.path.basename(os.fspath(source)))[0]
    else:
        model, name = source, source.graph.name or "model"
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 21)
    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    inputs = {}
    for value_info in graph.input:
        if value_info.name not in constants:
            inputs[value_info.name] = _input_dims(value_info, len(inputs))
    nodes = []
    for index, node in enumerate(graph.node):
        node_name = node.name or f"{node.op_type}_{index}"
        where = f"network: node {node_name!r} ({node.op_type})"
        if node.domain not in ("", "ai.onnx"):
            raise ValueError(f"{where}: unsupported op {node.domain}.{node.op_type} (custom domain)")
        try:
            attrs = _attrs(node)
            if node.op_type == "Constant":
                value = _constant_value(attrs)
                constants[node.output[0]] = value
                attrs = {"value": value}
            elif node.op_type == "ConstantOfShape" and "value" in attrs:
                attrs["value"] = np.asarray(attrs["value"])
            if node.op_type in _SPEC_TYPES:
                nodes.append(_spec_node(node, node_name, attrs, constants))
                continue
        except (TypeError, ValueError, KeyError) as exc:
            text = str(exc)
            raise ValueError(text if text.startswith("network:") else f"{where}: {text}") from None
        op = "Upsample" if node.op_type == "Resize" and opset < 11 else node.op_type
        if op not in SUPPORTED_OPS:
            raise ValueError(f"{where}: unsupported op {node.op_type!r}; symconv evaluates "
                             f"{', '.join(o for o in SUPPORTED_OPS if o[0].isupper())}")
        nodes.append(Node(node_name, op, tuple(node.input), tuple(node.output), attrs))
    outputs = tuple(o.name for o in graph.output)
    return Network(inputs, nodes, {k: v for k, v in constants.items()}, outputs, name)
