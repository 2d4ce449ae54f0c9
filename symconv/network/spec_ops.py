"""Shape rules of the symconv operators inside a network: every size comes from a spec.

A node with op ``conv``, ``conv_transpose``, ``max_pool``, ``avg_pool``, ``max_unpool`` or
``upsample`` holds its spec (from a loader) or the spec's parameters (from the DAG JSON form,
completed here with the input's rank and channels). The output size is the spec's
``output_size`` for the symbolic input size; the rules below only add the batch and channel
axes and the constraints a runtime checks (channels match, unpooling target in range).

Examples
--------
>>> import sympy as sp
>>> from symconv.network.model import Node
>>> H = sp.Symbol("H", integer=True, positive=True)
>>> node = Node("c", "conv", ("x",), ("c",), {"spec_params": {"kernel_size": 3, "stride": 2}})
>>> shape, conditions = spec_output(node, (1, 1, H))
>>> shape
(1, 1, floor(H/2 - 3/2) + 1)
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ..spec import MaxUnpoolSpec
from .model import SPEC_OPS

__all__ = ["spec_output", "resolve_auto_pad", "node_spec", "spec_node_with", "rebuild"]

_CHANNEL_OPS = ("conv", "conv_transpose")


def resolve_auto_pad(op: str, auto_pad: str, spec: Any, input_size: tuple) -> tuple:
    """(before, after) padding pairs for ONNX ``auto_pad`` SAME_UPPER / SAME_LOWER / VALID.

    ``SAME_*`` targets ``o = ceil(i/s)`` for windows (total ``max(0, (o-1)s + d(k-1)+1 - i)``) and
    ``o = i*s`` for transposed convolutions; UPPER puts the odd unit at the end, LOWER at the start
    (ONNX ``op_conv.py`` / ``op_conv_transpose.py``, see REFERENCE.md section 3).
    """
    from .. import shapes
    if auto_pad == "VALID":
        return ((0, 0),) * len(input_size)
    pairs = []
    for j, i in enumerate(input_size):
        k, s, d = spec.kernel_size[j], spec.stride[j], spec.dilation[j]
        if op == "conv_transpose":
            pairs.append(shapes.conv_transpose_pads_axis(i, k, s, d, spec.output_padding[j], auto_pad=auto_pad))
        else:                       # the same resolution symconv.onnx uses (clipped at 0 as Conv does)
            pairs.append(shapes.auto_pad_axis(i, k, s, d, auto_pad, clip=True))
    return tuple(pairs)


def node_spec(node: Any, shape: tuple) -> Any:
    """The node's spec for an input of this full shape (N, C, *spatial), without input_size."""
    ndim = len(shape) - 2
    if ndim < 1:
        raise ValueError(f"network: node {node.describe()}: needs an input with at least one spatial "
                         f"axis (N, C, ...), got shape {shape}")
    if "spec" in node.attrs:
        spec = node.attrs["spec"]
    else:
        params = dict(node.attrs["spec_params"])
        params.setdefault("ndim", ndim)
        if node.op in _CHANNEL_OPS and "in_channels" not in params and isinstance(shape[1], int):
            params["in_channels"] = shape[1]
            params.setdefault("out_channels", shape[1])
        try:
            spec = SPEC_OPS[node.op](**params)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"network: node {node.describe()}: {exc}") from None
    if spec.ndim != ndim:
        raise ValueError(f"network: node {node.describe()}: the spec has {spec.ndim} spatial dimensions, "
                         f"its input {shape} has {ndim}")
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    if auto_pad not in ("NOTSET", ""):
        from dataclasses import replace
        spec = replace(spec, padding=resolve_auto_pad(node.op, auto_pad, spec, tuple(shape[2:])))
    return spec


_OUTPUT_CACHE: dict = {}


def _output_size(spec: Any, sizes: tuple) -> tuple[tuple, list]:
    """``spec.with_input(sizes).output_size``; a size the spec rejects gives a false condition."""
    key = (spec, sizes)
    try:
        found = _OUTPUT_CACHE.get(key)
    except TypeError:                                   # an unhashable parameter: no caching
        return _compute_output_size(spec, sizes)
    if found is None:
        if len(_OUTPUT_CACHE) > 20000:
            _OUTPUT_CACHE.clear()
        found = _OUTPUT_CACHE[key] = _compute_output_size(spec, sizes)
    return found[0], list(found[1])


_TEMPLATES: dict = {}


def _template(spec: Any, ndim: int) -> tuple[tuple, tuple]:
    """The spec's output size for fresh symbolic inputs (validation on plain symbols is cheap)."""
    key = (type(spec), tuple((k, v) for k, v in spec.params().items()
                             if k not in ("in_channels", "out_channels", "groups", "input_size")))
    found = _TEMPLATES.get(key)
    if found is None:
        dummies = sp.symbols(f"_i0:{ndim}", integer=True, positive=True)
        from .decide import simplify_on
        out = tuple(simplify_on(_indicator_form(sp.sympify(o)), sp.true)
                    for o in spec.with_input(dummies).output_size)
        found = _TEMPLATES[key] = (dummies, out)
    return found


def _indicator_form(expr: Any) -> Any:
    """``Piecewise((a, l >= r), (b, True))`` over integers as ``b + (a - b)*Min(1, Max(0, l - r + 1))``.

    The same value for every integer input, but free of ``Piecewise``: SymPy folds a
    Piecewise's conditions with ``evalf``, which fails on nested floors.
    """
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Piecewise):
        return expr
    if isinstance(expr, sp.Piecewise) and len(expr.args) == 2 and expr.args[1][1] is sp.true:
        (a, cond), (b, _) = expr.args
        if isinstance(cond, (sp.Ge, sp.Gt, sp.Le, sp.Lt)):
            gap = {sp.Ge: cond.lhs - cond.rhs + 1, sp.Gt: cond.lhs - cond.rhs,
                   sp.Le: cond.rhs - cond.lhs + 1, sp.Lt: cond.rhs - cond.lhs}[type(cond)]
            indicator = sp.Min(1, sp.Max(0, gap, evaluate=False), evaluate=False)
            return _indicator_form(b) + (_indicator_form(a) - _indicator_form(b)) * indicator
    return expr.func(*[_indicator_form(arg) for arg in expr.args])


def _substitute(expr: Any, subs: dict) -> Any:
    """``expr.xreplace(subs)``, rebuilding ``Max``/``Min`` and relations unevaluated."""
    if expr in subs:
        return subs[expr]
    if not expr.args or not (expr.free_symbols & subs.keys()):
        return expr
    args = [_substitute(arg, subs) for arg in expr.args]
    return rebuild(expr.func, *args)


def rebuild(func: Any, *args: Any) -> Any:
    """``func(*args)``, unevaluated where SymPy's simplification is slow or fails.

    ``Max``/``Min`` and relations are never simplified (pairwise comparisons of nested
    floors), and neither is a ``floor``/``ceiling``/``Mod`` of an argument holding a
    ``Max``/``Min`` (its integer test expands them without end).
    """
    if all(getattr(a, "is_Number", False) for a in args):
        return func(*args)
    if func in (sp.Max, sp.Min) or issubclass(func, sp.core.relational.Relational):
        return func(*args, evaluate=False)
    if func in (sp.floor, sp.ceiling, sp.Mod) and any(a.has(sp.Max, sp.Min) for a in args):
        return func(*args, evaluate=False)
    return func(*args)


def _compute_output_size(spec: Any, sizes: tuple) -> tuple[tuple, list]:
    if all(isinstance(v, int) for v in sizes):
        try:
            return tuple(spec.with_input(sizes).output_size), []
        except ValueError as exc:
            conditions = [(sp.false, str(exc), "positive")]
    else:
        conditions = []                   # symbolic sizes: only positivity can fail, checked by the caller
    dummies, out = _template(spec, len(sizes))
    subs = dict(zip(dummies, (sp.sympify(v) for v in sizes)))
    out = tuple(_substitute(o, subs) for o in out)
    return tuple(int(o) if isinstance(o, sp.Integer) else o for o in out), conditions


def spec_output(node: Any, shape: tuple, target: tuple | None = None) -> tuple[tuple, list]:
    """Output shape (N, C, *spatial) of a spec node and the conditions it imposes.

    Parameters
    ----------
    node : Node
    shape : tuple
        The full input shape.
    target : tuple, optional
        For ``max_unpool``: the spatial output size asked for (ONNX ``output_shape``, or the
        size of the tensor whose pooling it undoes).

    Returns
    -------
    shape, conditions
        ``conditions`` is a list of ``(condition, reason, kind)``.
    """
    from .values import same_size               # values imports this module
    spec = node_spec(node, shape)
    sizes = tuple(shape[2:])
    conditions: list = []
    channels = shape[1]
    if node.op in _CHANNEL_OPS:
        if not same_size(channels, spec.in_channels):
            conditions.append((sp.Eq(channels, spec.in_channels),
                               f"{node.op} expects {spec.in_channels} input channels, gets {channels}", "fixed"))
        channels = spec.out_channels
    if node.op == "max_unpool" and target is not None:
        return (shape[0], channels, *target), conditions + _unpool_range(node, spec, sizes, target)
    out, extra = _output_size(spec, sizes)
    if node.op == "conv_transpose" and node.attrs.get("output_shape") is not None:
        out = tuple(node.attrs["output_shape"])
    return (shape[0], channels, *out), conditions + extra


def _unpool_range(node: Any, spec: MaxUnpoolSpec, sizes: tuple, target: tuple) -> list:
    """ONNX Runtime: target >= the default size; PyTorch: default - s < target < default + s."""
    default, extra = _output_size(spec, sizes)
    conditions = list(extra)
    torch_rule = node.attrs.get("unpool_rule", "onnx") == "torch"
    for j, (want, base) in enumerate(zip(target, default)):
        s = spec.stride[j]
        if torch_rule:
            cond = sp.And(sp.Gt(want, base - s), sp.Lt(want, base + s))
            reason = f"max_unpool: output size {want} must lie strictly between {base - s} and {base + s} (axis {j})"
        else:
            cond = sp.Ge(want, base)
            reason = f"max_unpool: output_shape {want} must be >= the default size {base} (axis {j})"
        if cond is not sp.true:
            conditions.append((cond, reason, "range"))
    return conditions


def spec_node_with(node: Any, **changes: Any) -> Any:
    """A copy of a spec node with changed parameters (used by fixes)."""
    from dataclasses import replace
    from .model import Node
    attrs = dict(node.attrs)
    if "spec" in attrs:
        attrs["spec"] = replace(attrs["spec"], **changes)
    else:
        params = dict(attrs["spec_params"])
        params.update(changes)
        SPEC_OPS[node.op](**params)
        attrs["spec_params"] = params
    return Node(node.name, node.op, node.inputs, node.outputs, attrs)

