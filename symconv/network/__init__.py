"""Whole networks: every tensor's symbolic shape, the exact set of valid input sizes, and fixes.

A network is a DAG of named tensors (:mod:`.model`) read from an ONNX file (:mod:`.onnx_loader`),
a PyTorch module (:mod:`.torch_loader`, through the ONNX exporter) or the DAG JSON form
(:func:`load_dag`). :func:`analyze_network` evaluates it symbolically (:mod:`.shape_eval`, sizes
from the specs), solves the valid-size condition (:mod:`.valid_set`), keeps the binding
constraints and finds fixes (:mod:`.fixes`); :mod:`.report` renders the result.

Examples
--------
>>> net = load_dag({"inputs": {"x": [1, 1, "H", "W"]}, "nodes": [
...     {"name": "pool", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
...     {"name": "up", "op": "conv_transpose", "inputs": ["pool"], "kernel_size": 2, "stride": 2},
...     {"name": "cat", "op": "concat", "inputs": ["x", "up"]}]})
>>> as_json(analyze_network(net))["valid"]
'(H >= 2) & (W >= 2) & Eq(Mod(H, 2), 0) & Eq(Mod(W, 2), 0)'
"""
from .analysis import NetworkAnalysis, analyze_network
from .model import Network, Node, load_dag
from .onnx_loader import load_onnx
from .report import as_json, text_report
from .torch_loader import load_torch

__all__ = ["Network", "Node", "NetworkAnalysis", "analyze_network", "load_dag", "load_onnx", "load_torch",
           "as_json", "text_report"]
