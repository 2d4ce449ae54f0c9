r"""The proof engine: convolution-arithmetic theorems proven for symbolic sizes.

``theorems()`` lists the theorems and lemmas (topological order of the dependency graph);
``prove(name)`` returns a :class:`Result` (status ``proved`` / ``checked`` / ``failed``, the verified
steps, timings, the grid size and any counterexample). ``check_claim`` and
:meth:`Theorem.variant` run user-supplied (possibly false) variants on the grid.

What lives here:

* the checker -- :mod:`.normal_forms` (canonical rewritings: floor through Mod, deltas, sums),
  :mod:`.decide` (symconv's one equality checker: equalities, signs and conditions under
  assumptions), :mod:`.binding` (bound variables of sums), :mod:`.rules` and :mod:`.sum_rules` (the
  verified step rules);
* the engine -- :mod:`.theorem_types` (``Theorem``, ``Step``, ``Grid``, ``Result``), :mod:`.engine` (the
  registry, the dependency graph, proving), :mod:`.catalogue` (the explicit list of the theorems, in
  order), :mod:`.grid` and :mod:`.evaluate` (concrete configurations, the statement on them),
  :mod:`.parallel` (proving across cores);
* the theorems -- :mod:`.matrices`, :mod:`.sizes`, :mod:`.onnx_sizes`, :mod:`.pooling`,
  :mod:`.bilinear`, :mod:`.checkerboard`.

The names below are loaded on first use, so that importing the checker (``symconv.proofs.decide``)
does not import the engine.

Examples
--------
>>> from symconv.proofs import prove, theorems
>>> "zero_insertion" in theorems()
True
>>> prove("round_trip", grid="quick").status
'proved'
"""
from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the submodule defining it (imported on first access).
_EXPORTS = {
    **dict.fromkeys(("STATUSES", "check_claim", "dependency_graph", "export_graph", "prove", "prove_all",
                     "register", "theorem", "theorems"), "engine"),
    **dict.fromkeys(("Grid", "Result", "Step", "StepResult", "Theorem", "step"), "theorem_types"),
    **dict.fromkeys(("Context", "Range"), "decide"),
    "RULES": "rules",
}

__all__ = ["STATUSES", "Grid", "Result", "Step", "StepResult", "Theorem", "Context", "Range", "RULES",
           "check_claim", "dependency_graph", "export_graph", "prove", "prove_all", "register", "step",
           "theorem", "theorems"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
