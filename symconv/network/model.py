"""A network as a DAG of named tensors: the input every network analysis reads.

Nodes are either symconv operators (``conv``, ``conv_transpose``, ``max_pool``, ``avg_pool``,
``max_unpool``, ``upsample``: the node holds the spec without its ``input_size``) or the
shape-relevant glue of exported models, named as ONNX names them (``Concat``, ``Add``,
``Relu``, ``Shape``, ``Gather``, ``Slice``, ``Reshape``, ...). Loaders
(:mod:`symconv.network.onnx_loader`, :func:`load_dag`) build a :class:`Network`; shape
evaluation (:mod:`symconv.network.shape_eval`) walks it once in topological order.

Examples
--------
>>> net = load_dag({"inputs": {"x": [1, 3, "H"]},
...                 "nodes": [{"name": "c", "op": "conv", "inputs": ["x"], "kernel_size": 3,
...                            "out_channels": 8}]})
>>> [node.op for node in net.nodes], net.outputs
(['conv'], ('c',))
>>> net.nodes[0].attrs["spec_params"]
{'kernel_size': 3, 'out_channels': 8}
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import sympy as sp

from ..operators import canonical
from ..spec import (AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec,
                    UpsampleSpec)

__all__ = ["Node", "Network", "SPEC_OPS", "load_dag", "dim_symbol", "is_dag_document"]

#: symconv operators a node may hold as a spec, by op name.
SPEC_OPS = {"conv": ConvSpec, "conv_transpose": ConvTransposeSpec, "max_pool": MaxPoolSpec,
            "avg_pool": AvgPoolSpec, "max_unpool": MaxUnpoolSpec, "upsample": UpsampleSpec}

#: Glue operators of the DAG JSON form, mapped to the ONNX names the evaluator knows.
JSON_GLUE = {"concat": "Concat", "add": "Add", "sub": "Sub", "mul": "Mul", "relu": "Relu",
             "sigmoid": "Sigmoid", "tanh": "Tanh", "leaky_relu": "LeakyRelu", "batch_norm": "BatchNormalization",
             "dropout": "Dropout", "identity": "Identity", "flatten": "Flatten", "linear": "Linear",
             "global_avg_pool": "GlobalAveragePool", "global_max_pool": "GlobalMaxPool",
             "pad": "Pad", "crop": "CropLike", "softmax": "Softmax"}

_JSON_KEYS = {"name", "op", "inputs"}


def dim_symbol(name: str) -> sp.Symbol:
    """The SymPy symbol of a named input dimension (a positive integer)."""
    return sp.Symbol(name, integer=True, positive=True)


@dataclass(frozen=True)
class Node:
    """One operator: ``op`` reads the tensors ``inputs`` ('' for an absent optional input)
    and writes ``outputs``; ``attrs`` are its parameters (a symconv spec under ``"spec"``)."""

    name: str
    op: str
    inputs: tuple
    outputs: tuple
    attrs: Mapping = field(default_factory=dict, compare=False, hash=False)

    def describe(self) -> str:
        """``'name' (Op)`` for messages."""
        return f"{self.name!r} ({self.op})"


@dataclass
class Network:
    """A DAG of named tensors.

    Attributes
    ----------
    inputs : dict
        Input name -> tuple of dims, each an ``int`` or the name of a symbolic dim.
    nodes : list of Node
        In topological order.
    constants : dict
        Tensor name -> NumPy array (weights, initializers, constants known at load time).
    outputs : tuple of str
        The graph outputs.
    name : str
    """

    inputs: dict
    nodes: list
    constants: dict = field(default_factory=dict)
    outputs: tuple = ()
    name: str = "network"

    def symbols(self) -> dict:
        """Symbolic dim name -> SymPy symbol, in order of first appearance."""
        out: dict = {}
        for dims in self.inputs.values():
            for dim in dims:
                if isinstance(dim, str) and dim not in out:
                    out[dim] = dim_symbol(dim)
        return out

    def producer(self) -> dict:
        """Tensor name -> the node that writes it."""
        return {t: node for node in self.nodes for t in node.outputs if t}

    def replace_node(self, name: str, new: "Node | list") -> "Network":
        """A copy with node ``name`` replaced by one node or a list of nodes."""
        nodes = []
        for node in self.nodes:
            if node.name == name:
                nodes.extend(new if isinstance(new, list) else [new])
            else:
                nodes.append(node)
        return Network(dict(self.inputs), nodes, dict(self.constants), self.outputs, self.name)


# --------------------------------------------------------------------------- the DAG JSON form


def is_dag_document(data: Any) -> bool:
    """True for the DAG form (an object with a ``nodes`` list), False for the stack form."""
    return isinstance(data, dict) and "nodes" in data


def read_document(source: Any) -> Any:
    """A network or stack document: a path is read as JSON (or YAML), anything else returned as is."""
    if isinstance(source, (str, os.PathLike)):
        from ..stack.load import read_file      # one reader for both JSON forms
        return read_file(Path(source))
    return source


def _input_dims(name: Any, dims: Any) -> tuple:
    if not isinstance(name, str) or not name:
        raise ValueError(f"network: input names must be non-empty strings, got {name!r}")
    if not isinstance(dims, (list, tuple)) or not dims:
        raise ValueError(f"network: input {name!r} must be a list of dims (ints or dim names), got {dims!r}")
    for dim in dims:
        ok = (isinstance(dim, int) and not isinstance(dim, bool) and dim >= 1) or \
            (isinstance(dim, str) and dim.isidentifier())
        if not ok:
            raise ValueError(f"network: input {name!r} dims must be ints >= 1 or identifiers, got {dim!r}")
    return tuple(dims)


def _json_node(entry: Any, index: int, known: set) -> Node:
    if not isinstance(entry, dict):
        raise TypeError(f"network: node {index} must be an object, got {type(entry).__name__}")
    op = canonical(entry.get("op"))
    name = entry.get("name", f"{op}_{index}")
    where = f"network: node {index} ({name!r})"
    if op not in SPEC_OPS and op not in JSON_GLUE:
        raise ValueError(f"{where}: unknown op {op!r}; allowed ops are "
                         f"{', '.join(sorted([*SPEC_OPS, *JSON_GLUE]))}")
    inputs = entry.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
        raise ValueError(f"{where}: 'inputs' must be a non-empty list of tensor names, got {inputs!r}")
    missing = [t for t in inputs if t not in known]
    if missing:
        raise ValueError(f"{where}: input {missing[0]!r} is not a network input or an earlier node's name")
    params = {k: v for k, v in entry.items() if k not in _JSON_KEYS}
    if op in SPEC_OPS:
        try:
            SPEC_OPS[op](**params)          # validated now; built per input rank and channels later
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None
        return Node(str(name), op, tuple(inputs), (str(name),), {"spec_params": params})
    return Node(str(name), JSON_GLUE[op], tuple(inputs), (str(name),), params)


def load_dag(source: Any) -> Network:
    """Read the DAG JSON form: named inputs with their dims, and nodes naming their inputs.

    Parameters
    ----------
    source : path or dict
        ``{"inputs": {"x": [1, 3, "H", "W"]}, "nodes": [{"name": ..., "op": ..., "inputs": [...],
        <PyTorch argument names>}], "outputs": [...]}``. Ops: the symconv operators (``conv``,
        ``conv_transpose``, ``max_pool``, ``avg_pool``, ``max_unpool``, ``upsample``) and
        ``concat`` (``axis``, default 1), ``add``, ``sub``, ``mul``, ``relu``, ``sigmoid``,
        ``tanh``, ``leaky_relu``, ``batch_norm``, ``dropout``, ``identity``, ``softmax``,
        ``flatten``, ``linear`` (``in_features``, ``out_features``), ``global_avg_pool``,
        ``global_max_pool``, ``pad`` (``pads``: per spatial dim (before, after)), ``crop``
        (centre crop of the first input to the spatial size of the second).
        Each node's output tensor is named after the node; ``max_unpool`` takes
        ``[x, pool_node]`` (and optionally a third tensor whose size it restores).

    Returns
    -------
    Network

    Raises
    ------
    ValueError, TypeError
        A malformed document, unknown op or tensor (the message names the node).
    """
    data = read_document(source)
    if not is_dag_document(data):
        raise ValueError("network: expected an object with 'inputs' and 'nodes'")
    unknown = sorted(set(data) - {"inputs", "nodes", "outputs", "name"})
    if unknown:
        raise ValueError(f"network: unknown key {unknown[0]!r}; allowed keys are inputs, nodes, outputs, name")
    raw_inputs = data.get("inputs")
    if not isinstance(raw_inputs, dict) or not raw_inputs:
        raise ValueError("network: 'inputs' must be an object mapping input names to dims")
    inputs = {name: _input_dims(name, dims) for name, dims in raw_inputs.items()}
    entries = data["nodes"]
    if not isinstance(entries, list) or not entries:
        raise ValueError("network: 'nodes' must be a non-empty list")
    known, nodes = set(inputs), []
    for index, entry in enumerate(entries):
        node = _json_node(entry, index, known)
        if node.name in known:
            raise ValueError(f"network: node {index} reuses the name {node.name!r}")
        known.add(node.name)
        nodes.append(node)
    outputs = data.get("outputs") or [nodes[-1].name]
    for out in outputs:
        if out not in known:
            raise ValueError(f"network: output {out!r} is not a tensor of the network")
    return Network(inputs, nodes, {}, tuple(outputs), str(data.get("name", "network")))
