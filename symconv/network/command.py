"""``symconv analyze`` for whole networks: an ONNX file or the DAG JSON form.

``symconv analyze model.onnx [--json] [--dims H,W]`` prints every tensor's symbolic shape, the
exact set of valid input sizes, the constraints that restrict it and their verified fixes.
``--dims`` names the spatial axes (axes 2, 3, ...) of every input, in order: ``H`` makes the
axis symbolic with that name, ``H=64`` fixes it to 64; without it the file's own dim names
(ONNX ``dim_param``) are used, and an ONNX axis with neither gets ``D<axis>``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["network_source", "parse_dim_names", "run_network", "apply_dims"]


def network_source(path: str) -> Any:
    """The parsed DAG document or ``"onnx"`` when ``path`` is a network; None for a stack file."""
    if str(path).lower().endswith(".onnx"):
        return "onnx"
    from .model import is_dag_document, read_document
    data = read_document(path)
    return data if is_dag_document(data) else None


def parse_dim_names(text: str) -> tuple:
    """``"H,W=64"`` -> ``(("H", None), ("W", 64))``.

    Examples
    --------
    >>> parse_dim_names("H,W=64")
    (('H', None), ('W', 64))
    >>> parse_dim_names("H,3")
    Traceback (most recent call last):
    ...
    ValueError: --dims entries must be NAME or NAME=SIZE (NAME an identifier, SIZE an int >= 1), got '3'
    """
    out = []
    for part in text.split(","):
        name, _, size = part.strip().partition("=")
        ok = name.isidentifier() and (not size or (size.isdigit() and int(size) >= 1))
        if not ok:
            raise ValueError(f"--dims entries must be NAME or NAME=SIZE (NAME an identifier, SIZE an int >= 1), "
                             f"got {part!r}")
        out.append((name, int(size) if size else None))
    return tuple(out)


def apply_dims(net: Any, dims: tuple) -> Any:
    """Rename or fix the spatial axes of every input of ``net`` (see the module docstring)."""
    for name, shape in list(net.inputs.items()):
        spatial = len(shape) - 2
        if len(dims) > spatial:
            raise ValueError(f"--dims names {len(dims)} axes but input {name!r} has {spatial} spatial axes "
                             f"(shape {list(shape)})")
        new = list(shape)
        for j, (dim, size) in enumerate(dims):
            new[2 + j] = dim if size is None else size
        net.inputs[name] = tuple(new)
    return net


def run_network(args: argparse.Namespace, source: Any) -> int:
    """Load, analyse and print one network (the ``analyze`` command's network path)."""
    from .analysis import analyze_network
    from .model import load_dag
    from .report import as_json, text_report
    dims = args.dims if isinstance(args.dims, tuple) else None
    if args.dims is not None and dims is None:
        raise ValueError(f"--dims for a network names its spatial axes (e.g. --dims H,W), got --dims={args.dims}")
    if args.i is not None or args.plot is not None:
        raise ValueError("--i and --plot apply to layer stacks; a network's sizes are symbolic (use --dims)")
    if source == "onnx":
        from .onnx_loader import load_onnx
        net = load_onnx(args.stack)
    else:
        net = load_dag(source)
        net.name = Path(args.stack).stem if net.name == "network" else net.name
    if dims:
        apply_dims(net, dims)
    analysis = analyze_network(net)
    if args.json:
        print(json.dumps(as_json(analysis), indent=1))
    else:
        print(text_report(analysis))
    return 0
