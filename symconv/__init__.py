"""symconv: convolution arithmetic as mathematics.

Build the convolution matrix C symbolically, derive its transpose and every output-size
formula, prove the identities, write them up in LaTeX, and lower them to NumPy kernels.

The top level holds the everyday functions: the operator specs, output sizes, matrices, the
PyTorch-like NumPy operators, ``prove``, ``check_formula``, ``lower`` and ``analyze``. The rest
lives in its submodule (``symconv.index``, ``symconv.graphs``, ``symconv.proofs``,
``symconv.stack``, ...), each importable as ``symconv.<name>``.

Nothing is imported until it is used (PEP 562), so ``import symconv`` does not load SymPy,
networkx or the proof engine.

Examples
--------
>>> import symconv
>>> symconv.conv_output_size(5, 3, s=2, p=1)
3
>>> symconv.conv_matrix((4, 4), 3).shape
(4, 16)
>>> symconv.shapes.lost_remainder(6, 3, s=2)     # the rest through submodules, loaded on first use
1
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Each top-level name and the submodule that defines it.
_HOME = {
    # the operators, as frozen specs
    "AvgPoolSpec": "spec", "ConvSpec": "spec", "ConvTransposeSpec": "spec", "MaxPoolSpec": "spec",
    "MaxUnpoolSpec": "spec", "UpsampleSpec": "spec",
    # output sizes
    "conv_output_size": "shapes", "conv_transpose_output_size": "shapes", "pool_output_size": "shapes",
    "unpool_output_size": "shapes", "upsample_output_size": "shapes",
    # matrices
    "conv_matrix": "matrix", "conv_transpose_matrix": "matrix", "pool_switches": "matrix",
    "pool_switch_matrix": "matrix", "unpool_matrix": "matrix", "upsample_matrix": "matrix",
    # numeric operators (PyTorch-compatible NumPy functions)
    **{name: "numeric" for name in (
        "conv", "conv1d", "conv2d", "conv3d", "conv_transpose", "conv_transpose1d", "conv_transpose2d",
        "conv_transpose3d", "max_pool", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool", "avg_pool1d",
        "avg_pool2d", "avg_pool3d", "max_unpool", "max_unpool1d", "max_unpool2d", "max_unpool3d", "upsample",
        "conv_vjp", "conv_transpose_vjp")},
    # proofs, formula checks, kernels, stack analysis
    "prove": "proofs", "check_formula": "check", "lower": "codegen", "analyze": "stack",
}

#: Names the top level exported before 0.2 and the submodule they live in now.
_MOVED = {
    **dict.fromkeys(("AxisRelation", "entry_delta_sum", "entry_formula", "relations"), "index"),
    **dict.fromkeys(("Kernel", "module_source"), "codegen"),
    **dict.fromkeys(("as_direct_conv", "bilinear_as_transpose", "bilinear_kernel", "dilated_kernel", "flip_kernel",
                     "nearest_as_transpose", "transpose_of", "unpool_of", "zero_insert"), "transforms"),
    **dict.fromkeys(("ReceptiveHull", "graph", "overlap_count", "overlap_counts", "overlap_map", "overlap_pattern",
                     "transpose_graph"), "graphs"),
    **dict.fromkeys(("Result", "Theorem", "check_claim", "theorems"), "proofs"),
    **dict.fromkeys(("Layer", "StackAnalysis", "load_stack", "repeated_layers", "stack_graph"), "stack"),
    "lost_remainder": "shapes", "resize_matrix": "matrix",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """Import a top-level name's submodule, or a submodule, on first use (PEP 562)."""
    home = _HOME.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value            # later lookups skip this function
        return value
    if name in _MOVED:
        raise AttributeError(f"module 'symconv' has no attribute {name!r}; it lives in symconv.{_MOVED[name]} "
                             f"(from symconv.{_MOVED[name]} import {name})")
    if not name.startswith("__"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'symconv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
