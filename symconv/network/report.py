"""Views of a :class:`~symconv.network.analysis.NetworkAnalysis`: a JSON document and a text report.

Examples
--------
>>> from symconv.network.model import load_dag
>>> from symconv.network.analysis import analyze_network
>>> net = load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
...     {"name": "down", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
...     {"name": "up", "op": "upsample", "inputs": ["down"], "scale_factor": 2},
...     {"name": "cat", "op": "concat", "inputs": ["x", "up"]}]})
>>> doc = as_json(analyze_network(net, prove=False))
>>> doc["valid"], doc["tensors"]["up"]
('(H >= 2) & Eq(Mod(H, 2), 0)', ['1', '1', '2*floor(H/2)'])
>>> import sympy as sp
>>> sp.sympify(doc["valid"]).subs("H", 6)
True
"""
from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["as_json", "text_report"]


def _dims(shape: tuple) -> list:
    return [str(d) for d in shape]


def as_json(analysis: Any) -> dict:
    """``inputs``, ``tensors``, ``valid`` (sympify-able), ``proof``, ``smallest`` and ``constraints``."""
    net = analysis.network
    tensors = analysis.evaluation.tensors
    produced = [t for node in net.nodes for t in node.outputs if t]
    constraints = []
    for c in analysis.constraints:
        fix = analysis.fixes.get(c.node) if c.kind != "positive" else None
        constraints.append({"node": c.node, "op": c.op, "kind": c.kind, "condition": str(c.condition),
                            "reason": c.reason, "fix": fix["description"] if fix else None,
                            "fix_details": fix})
    return {
        "inputs": {name: _dims(tensors[name].shape) for name in net.inputs},
        "tensors": {name: _dims(analysis.shapes[name]) for name in produced if name in analysis.shapes},
        "valid": str(analysis.valid.condition),
        "proof": analysis.valid.proof,
        "smallest": {name: analysis.smallest(name) for name in analysis.symbols},
        "constraints": constraints,
        "valid_with_all_fixes": analysis.valid_with_fixes,
    }


def _proof_text(proof: dict) -> str:
    status = proof.get("status")
    if status is None:
        return "not proved"
    if status == "certified":
        return "proved equivalent to the conjunction of all constraints (Z3)"
    if status == "bounded":
        return "equivalent to the conjunction of all constraints on a bounded box (Z3)"
    return f"proof: {status}" + (f" ({proof['reason']})" if proof.get("reason") else "")


def text_report(analysis: Any, examples: int = 4) -> str:
    """A readable report: inputs, valid sizes and why, binding constraints with their fixes."""
    net = analysis.network
    tensors = analysis.evaluation.tensors
    lines = [f"network {net.name!r}: {len(net.nodes)} nodes"]
    for name in net.inputs:
        lines.append(f"  input {name}: {' x '.join(_dims(tensors[name].shape))}")
    for name in net.outputs:
        if name in analysis.shapes:
            lines.append(f"  output {name}: {' x '.join(_dims(analysis.shapes[name]))}")
    condition = analysis.valid.condition
    lines.append("")
    if condition is sp.true:
        lines.append("valid input sizes: every size")
    elif condition is sp.false:
        lines.append("valid input sizes: none")
    else:
        lines.append(f"valid input sizes: {condition}")
    lines.append(f"  ({_proof_text(analysis.valid.proof)})")
    for dim in analysis.symbols:
        smallest = analysis.smallest(dim)
        if smallest is None:
            lines.append(f"  {dim}: no valid size")
            continue
        bad = analysis.invalid_examples(dim, examples)
        lines.append(f"  {dim}: smallest valid size {smallest}" + ("" if bad else "; every larger size works"))
        for size, reason in bad:
            lines.append(f"    {dim}={size} fails: {reason}")
    if analysis.constraints:
        lines.append("")
        lines.append("constraints that restrict the input sizes:")
        shown: set = set()
        for c in analysis.constraints:
            lines.append(f"  {c.node} ({c.op}, {c.kind}): {c.condition}")
            lines.append(f"    why: {c.reason}")
            fix = analysis.fixes.get(c.node) if c.kind != "positive" and c.node not in shown else None
            if fix:
                shown.add(c.node)
                lines.append(f"    fix: {fix['description']} -> valid sizes after the fix: {fix['valid_after']} "
                             f"(verified by re-analysis)")
        if analysis.valid_with_fixes is not None:
            lines.append(f"with every fix above applied, valid input sizes: {analysis.valid_with_fixes}")
    return "\n".join(lines)
