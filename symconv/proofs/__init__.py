r"""The proof engine: convolution-arithmetic theorems proven for symbolic sizes.

``theorems()`` lists the theorems and lemmas (topological order of the dependency graph);
``prove(name)`` returns a :class:`Result` (status ``proved`` / ``checked`` / ``failed``, the verified
steps, timings, the grid size and any counterexample). ``check_claim`` and
:meth:`Theorem.variant` run user-supplied (possibly false) variants on the grid.

Modules: :mod:`.rules` (verified rewrite rules), :mod:`.engine` (theorems, steps, graph, proving),
:mod:`.grid` (concrete configurations and cached core-model matrices), :mod:`.sizes`,
:mod:`.matrices`, :mod:`.pooling` (the theorems).

Examples
--------
>>> from symconv.proofs import prove, theorems
>>> "zero_insertion" in theorems()
True
>>> prove("round_trip", grid="quick").status
'proved'
"""
from .engine import (STATUSES, Grid, Result, Step, StepResult, Theorem, check_claim, dependency_graph,
                     export_graph, prove, prove_all, register, step, theorem, theorems)
from .rules import RULES, Context, Range

__all__ = ["STATUSES", "Grid", "Result", "Step", "StepResult", "Theorem", "Context", "Range", "RULES",
           "check_claim", "dependency_graph", "export_graph", "prove", "prove_all", "register", "step",
           "theorem", "theorems"]
