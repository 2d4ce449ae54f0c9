"""Fixes for the constraints that restrict a network's input sizes, verified by re-analysis.

For a binding equality (Concat, Add) or range constraint at node N the candidates are:

* a parameter of a symconv operator between the two sides (on a path into N that does not
  reach the other side): a transposed convolution's ``output_padding``, a pool's
  ``ceil_mode``, a strided convolution's ``padding``;
* a centre crop of the larger side to the smaller one's spatial size, right before N.

Each candidate network is evaluated again; a candidate is a fix when, at every scanned input
size where all tensors of the new network are non-empty, every constraint of N holds. The
fix kept is the one that leaves the most valid sizes (ties: the smallest change).

Examples
--------
>>> from symconv.network.model import load_dag
>>> from symconv.network.analysis import analyze_network
>>> net = load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
...     {"name": "down", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 2, "padding": 1},
...     {"name": "up", "op": "conv_transpose", "inputs": ["down"], "kernel_size": 4, "stride": 2,
...      "padding": 1},
...     {"name": "cat", "op": "concat", "inputs": ["x", "up"]}]})
>>> result = analyze_network(net)
>>> result.valid.condition
(H >= 2) & Eq(Mod(H, 2), 0)
>>> result.fixes["cat"]["description"]
"centre-crop 'up' to the spatial size of 'x' before 'cat'"
>>> result.fixes["cat"]["valid_after"]
'True'
"""
from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from .model import SPEC_OPS, Network, Node
from .shape_eval import evaluate
from .spec_ops import node_spec, spec_node_with
from .vectorize import NotVectorizable, evaluate_many

__all__ = ["find_fixes", "candidates", "apply_fix", "valid_with_all"]

_SCAN = 512
_MAX_ANCESTORS = 6


def _ancestors(net: Network, tensor: str, limit: int | None = None) -> list:
    """Nodes upstream of ``tensor``, nearest first."""
    producer = net.producer()
    seen, order, queue = set(), [], [tensor]
    while queue:
        t = queue.pop(0)
        node = producer.get(t)
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        order.append(node)
        queue.extend(i for i in node.inputs if i)
    return order if limit is None else order[:limit]


def _spec_changes(node: Node, shape: tuple) -> list:
    """Parameter changes to try on one spec node: (param, value, text)."""
    spec = node_spec(node, shape)
    out = []
    if node.op == "conv_transpose":
        limit = max(max(spec.stride), max(spec.dilation))
        for a in range(limit):
            if (a,) * spec.ndim != tuple(spec.output_padding):
                out.append(("output_padding", a, f"output_padding={a}"))
    elif node.op in ("max_pool", "avg_pool"):
        out.append(("ceil_mode", not spec.ceil_mode, f"ceil_mode={not spec.ceil_mode}"))
    elif node.op == "conv" and max(spec.stride) > 1:
        for p in range(max(spec.kernel_size)):
            if ((p, p),) * spec.ndim != tuple(spec.padding):
                out.append(("padding", p, f"padding={p}"))
    return out


def _fix_holds(net: Network, node_name: str, reuse: Any, changed: tuple) -> tuple[bool, Any]:
    """Whether every constraint of ``node_name`` holds where all tensors are non-empty."""
    try:
        result = evaluate(net, reuse=reuse, changed=changed)
    except ValueError:
        return False, None
    symbols = list(result.symbols.values())
    grid = {s: np.arange(1, _SCAN + 1, dtype=np.int64) for s in symbols}
    try:
        positive = np.ones(_SCAN, dtype=bool)
        own = np.ones(_SCAN, dtype=bool)
        for c in result.constraints:
            free = c.condition.free_symbols
            if len(free) > 1:
                return False, None
            env = {s: grid[s] for s in free}
            truth = np.broadcast_to(evaluate_many(c.condition, env), (_SCAN,))
            if c.node == node_name and c.kind != "positive":
                own &= truth
            elif c.kind == "positive":
                positive &= truth
    except NotVectorizable:
        return False, None
    if not positive.any() or (positive & ~own).any():
        return False, None
    return True, result


def _crop(net: Network, node: Node, sizes: dict) -> list:
    """A centre crop of the larger input of ``node`` to the smaller one (if one is always larger)."""
    present = [t for t in node.inputs if t]
    if len(present) != 2:
        return []
    a, b = present
    shape_a, shape_b = sizes[a], sizes[b]
    if len(shape_a) != len(shape_b) or len(shape_a) < 3:
        return []
    symbols = sorted({s for d in (*shape_a[2:], *shape_b[2:]) for s in sp.sympify(d).free_symbols}, key=str)
    grid = {s: np.arange(1, _SCAN + 1, dtype=np.int64) for s in symbols}
    try:
        a_larger = all(np.all(np.broadcast_to(evaluate_many(sp.Ge(x, y), grid), (_SCAN,)) |
                              np.broadcast_to(evaluate_many(sp.Lt(y, 1), grid), (_SCAN,)))
                       for x, y in zip(shape_a[2:], shape_b[2:]))
        b_larger = all(np.all(np.broadcast_to(evaluate_many(sp.Ge(y, x), grid), (_SCAN,)) |
                              np.broadcast_to(evaluate_many(sp.Lt(x, 1), grid), (_SCAN,)))
                       for x, y in zip(shape_a[2:], shape_b[2:]))
    except NotVectorizable:
        return []
    big, small = (b, a) if b_larger else (a, b) if a_larger else (None, None)
    if big is None:
        return []
    record = {"node": node.name, "change": "crop", "tensor": big, "like": small,
              "description": f"centre-crop {big!r} to the spatial size of {small!r} before {node.name!r}"}
    return [(apply_fix(net, record), record)]


def apply_fix(net: Network, record: dict) -> Network:
    """``net`` with one fix record applied (a crop inserted or a parameter changed)."""
    node = next(n for n in net.nodes if n.name == record["node"])
    if record["change"] == "crop":
        big, small = record["tensor"], record["like"]
        crop_name = f"{node.name}__crop_{big}"
        crop = Node(crop_name, "CropLike", (big, small), (crop_name,), {})
        rewired = Node(node.name, node.op, tuple(crop_name if t == big else t for t in node.inputs),
                       node.outputs, node.attrs)
        return net.replace_node(node.name, [crop, rewired])
    return net.replace_node(node.name, spec_node_with(node, **{record["change"]: record["value"]}))


def candidates(net: Network, node: Node, sizes: dict) -> list:
    """(changed network, fix record) pairs for a constraint at ``node``."""
    present = [t for t in node.inputs if t]
    near: list = []
    if len(present) >= 2:
        sides = [{n.name for n in _ancestors(net, t)} for t in present[:2]]
        for t, other in ((present[0], sides[1]), (present[1], sides[0])):
            near += [n for n in _ancestors(net, t) if n.name not in other and n.op in SPEC_OPS]
    else:
        near = [n for n in _ancestors(net, present[0]) if n.op in SPEC_OPS]
    out = []
    for target in near[:_MAX_ANCESTORS]:
        shape = sizes[target.inputs[0]]
        for param, value, text in _spec_changes(target, shape):
            record = {"node": target.name, "change": param, "value": value,
                      "description": f"set {text} on {target.name!r}"}
            try:
                out.append((apply_fix(net, record), record))
            except (TypeError, ValueError):
                continue
    if node.op in ("Concat", "Add", "Sub", "Mul", "Sum"):
        out += _crop(net, node, sizes)
    return out


def _valid_count(result: Any) -> int:
    symbols = list(result.symbols.values())
    grid = {s: np.arange(1, _SCAN + 1, dtype=np.int64) for s in symbols}
    ok = np.ones(_SCAN, dtype=bool)
    for c in result.constraints:
        env = {s: grid[s] for s in c.condition.free_symbols}
        ok &= np.broadcast_to(evaluate_many(c.condition, env), (_SCAN,))
    return int(ok.sum())


def find_fixes(analysis: Any) -> dict:
    """Node name -> the best verified fix of its binding (non-positivity) constraints."""
    from .valid_set import valid_set
    net = analysis.network
    by_name = {n.name: n for n in net.nodes}
    sizes = {name: info.shape for name, info in analysis.evaluation.tensors.items()}
    fixes: dict = {}
    for c in analysis.constraints:
        if c.kind == "positive" or c.node in fixes or c.node not in by_name:
            continue
        best = None
        for changed, record in candidates(net, by_name[c.node], sizes):
            holds, result = _fix_holds(changed, c.node, analysis.evaluation, (record["node"], c.node))
            if not holds:
                continue
            count = _valid_count(result)
            if best is None or count > best[0]:
                best = (count, record, result)
        if best is not None:
            _, record, result = best
            after = valid_set([k.condition for k in result.constraints], list(result.symbols.values()),
                              prove=False)
            record["valid_after"] = str(after.condition)
            record["verified"] = "re-analysis"
            fixes[c.node] = record
    return fixes


def valid_with_all(analysis: Any) -> str | None:
    """The valid-set condition once every fix found is applied together (re-analysed)."""
    from .valid_set import valid_set
    if not analysis.fixes:
        return None
    net = analysis.network
    for record in analysis.fixes.values():
        net = apply_fix(net, record)
    result = evaluate(net)
    after = valid_set([c.condition for c in result.constraints], list(result.symbols.values()), prove=False)
    return str(after.condition)
