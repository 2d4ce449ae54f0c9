r"""Layer stacks: sizes, receptive fields, overlap patterns and decoder checks of a whole network.

A *stack* is a list of layers -- specs, :class:`Layer` objects, or dicts in the JSON
format of ``symconv analyze`` (one object per layer, PyTorch argument names)::

    [{"op": "conv", "kernel_size": 3, "padding": 1},
     {"op": "max_pool", "kernel_size": 2},
     {"op": "max_unpool", "of": 1},
     {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}]

``op`` is one of ``conv``, ``conv_transpose``, ``max_pool``, ``avg_pool``, ``max_unpool``,
``upsample``; ``"of": INDEX`` (0-based) names the layer whose input size an upsampling layer
should restore (for ``max_unpool``: the pool it inverts, whose kernel, stride and padding it
inherits when left out). A file may also be an object ``{"input_size": ..., "ndim": ...,
"layers": [...]}``. JSON is read with :mod:`json` only (YAML with ``yaml.safe_load`` when
PyYAML happens to be installed); nothing is evaluated.

:func:`analyze` runs the stack on an input size and reports, per layer, the output size (int
and symbolic in ``i``), the receptive field and jump in closed form, the overlap pattern and
checkerboard verdict of transposed layers, and whether upsampling layers restore the encoder's
sizes (with the ``output_padding`` that would).

Examples
--------
>>> report = analyze([{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1},
...                   {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1}], 7, ndim=1)
>>> [(layer.output_size, layer.receptive_field, layer.jump) for layer in report.layers]
[((4,), (3,), (2,)), ((7,), (5,), (1,))]
>>> report.layers[1].checkerboard, report.layers[1].overlap.pattern
(True, ((1, 2),))
>>> report.layers[1].restore.exact
True
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import sympy as sp

from . import graphs, shapes
from .operators import canonical
from .spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec

__all__ = [
    "Layer",
    "Stack",
    "Overlap",
    "Restore",
    "LayerAnalysis",
    "StackAnalysis",
    "ClosedForm",
    "load_stack",
    "analyze",
    "repeated_layers",
    "stack_graph",
    "OPS",
]

#: Layer ``op`` names and their spec classes.
OPS = {
    "conv": ConvSpec,
    "conv_transpose": ConvTransposeSpec,
    "max_pool": MaxPoolSpec,
    "avg_pool": AvgPoolSpec,
    "max_unpool": MaxUnpoolSpec,
    "upsample": UpsampleSpec,
}

_PARAMS = {
    "conv": ("kernel_size", "stride", "padding", "dilation", "in_channels", "out_channels", "groups"),
    "conv_transpose": ("kernel_size", "stride", "padding", "output_padding", "dilation", "in_channels",
                       "out_channels", "groups", "output_size"),
    "max_pool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avg_pool": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "max_unpool": ("kernel_size", "stride", "padding", "output_size"),
    "upsample": ("size", "scale_factor", "mode", "align_corners"),
}
_LAYER_KEYS = ("op", "of", "name")
#: PyTorch arguments that do not change sizes: accepted in a stack file and ignored.
SIZE_NEUTRAL = {
    "conv": ("bias", "padding_mode", "device", "dtype"),
    "conv_transpose": ("bias", "padding_mode", "device", "dtype"),
    "max_pool": ("return_indices",),
    "avg_pool": ("divisor_override",),
    "max_unpool": (),
    "upsample": ("recompute_scale_factor", "antialias"),
}
_GATHER = (ConvSpec, MaxPoolSpec, AvgPoolSpec)
_SCATTER = (ConvTransposeSpec, MaxUnpoolSpec)
_INTERP_SPAN = {"nearest": 1, "nearest-exact": 1, "linear": 2, "bilinear": 2, "trilinear": 2, "bicubic": 4}
_DEFAULT_NDIM = 2


# --------------------------------------------------------------------------- stack description


@dataclass(frozen=True)
class Layer:
    """One layer of a stack: a spec (its ``input_size`` is ignored), and optionally ``of`` and ``name``.

    ``of`` is the 0-based index of an earlier layer whose input size this (upsampling) layer
    should restore; a ``max_unpool`` names the ``max_pool`` it inverts.

    Examples
    --------
    >>> Layer(MaxUnpoolSpec(2), of=0).of
    0
    """

    spec: Any
    of: int | None = None
    name: str | None = None

    @property
    def op(self) -> str:
        """The spec's operator name."""
        return self.spec.op


@dataclass(frozen=True)
class Stack:
    """A validated list of layers, their number of spatial dimensions and an optional default input size."""

    layers: tuple[Layer, ...]
    ndim: int
    input_size: tuple | None = None

    def __len__(self) -> int:
        return len(self.layers)


def _read_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"stack: cannot read {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"stack: {str(path)!r} is not UTF-8 text (byte {exc.start}); write the stack as JSON "
                         f"in UTF-8") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # optional; only used when installed
        except ImportError:
            raise ValueError(f"stack: reading {str(path)!r} needs PyYAML, which is not installed; "
                             f"write the stack as JSON") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"stack: {str(path)!r} is not valid YAML: {exc}".splitlines()[0]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"stack: {str(path)!r} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError(f"stack: {str(path)!r} is nested too deeply") from None


def _sequence_length(value: Any) -> int | None:
    """Per-dimension length of a parameter value (a list of sizes or of padding pairs), if it has one."""
    if isinstance(value, (list, tuple)):
        return len(value)
    return None


def _infer_ndim(entries: Sequence[Any], input_size: Any) -> int:
    if isinstance(input_size, (list, tuple)):
        return len(input_size)
    for entry in entries:
        spec = entry.spec if isinstance(entry, Layer) else entry
        if isinstance(spec, tuple(OPS.values())):
            return spec.ndim
    for entry in entries:
        if isinstance(entry, dict):
            for key in ("kernel_size", "stride", "dilation", "output_padding", "scale_factor", "size"):
                n = _sequence_length(entry.get(key))
                if n is not None:
                    return n
            pad = entry.get("padding")
            if isinstance(pad, (list, tuple)) and pad and all(isinstance(e, (list, tuple)) for e in pad):
                return len(pad)
    return _DEFAULT_NDIM


def _layer_from_dict(entry: dict, index: int, ndim: int, previous: Sequence[Layer]) -> Layer:
    where = f"stack: layer {index}"
    op = canonical(entry.get("op"))
    if op not in OPS:
        raise ValueError(f"{where}: op must be one of {', '.join(OPS)}, got op={op!r}")
    allowed = _PARAMS[op]
    unknown = sorted(set(entry) - set(allowed) - set(_LAYER_KEYS) - set(SIZE_NEUTRAL[op]))
    if unknown:
        raise ValueError(f"{where} ({op}): unknown key {unknown[0]!r}; allowed keys are "
                         f"{', '.join(_LAYER_KEYS + allowed + SIZE_NEUTRAL[op])}")
    of = entry.get("of")
    if of is not None:
        if isinstance(of, bool) or not isinstance(of, int) or not 0 <= of < index:
            raise ValueError(f"{where} ({op}): of must be the index of an earlier layer (0 <= of < {index}), "
                             f"got of={of!r}")
        if op == "max_unpool" and previous[of].op != "max_pool":
            raise ValueError(f"{where} (max_unpool): of must name a max_pool layer, layer {of} is "
                             f"{previous[of].op}")
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{where} ({op}): name must be a string, got {name!r}")
    kwargs = {key: entry[key] for key in allowed if key in entry}
    if op == "max_unpool" and of is not None and "kernel_size" not in kwargs:
        pool = previous[of].spec
        kwargs.setdefault("kernel_size", pool.kernel_size)
        kwargs.setdefault("stride", pool.stride)
        kwargs.setdefault("padding", pool.padding)
    if "output_size" in kwargs:
        kwargs["pinned_output_size"] = kwargs.pop("output_size")
    if op != "upsample" and "kernel_size" not in kwargs:
        raise ValueError(f"{where} ({op}): kernel_size is required")
    try:
        spec = OPS[op](**kwargs, ndim=ndim)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}: {exc}") from None
    return Layer(spec, of, name)


def load_stack(source: Any, ndim: int | None = None, input_size: Any = None) -> Stack:
    """Read a stack from a JSON (or YAML) file, a list of layers, or an object with ``layers``.

    Parameters
    ----------
    source : str, os.PathLike, list or dict
        A path, a list of specs / :class:`Layer` / dicts, or ``{"layers": [...], "input_size": ...,
        "ndim": ...}``.
    ndim : int, optional
        Number of spatial dimensions; inferred from ``input_size``, specs or list-valued
        parameters, else 2 (images).
    input_size : int or sequence of int, optional
        Only used to infer ``ndim``.

    Returns
    -------
    Stack

    Raises
    ------
    TypeError, ValueError
        A bad file, an unknown op or key, a bad ``of``, or a layer its spec rejects (the
        message names the layer).

    Examples
    --------
    >>> stack = load_stack([{"op": "max_pool", "kernel_size": 2}, {"op": "max_unpool", "of": 0}])
    >>> stack.ndim, stack.layers[1].spec.kernel_size
    (2, (2, 2))
    >>> load_stack([{"op": "conv", "kernel": 3}])
    Traceback (most recent call last):
    ...
    ValueError: stack: layer 0 (conv): unknown key 'kernel'; allowed keys are op, of, name, kernel_size, stride, padding, dilation, in_channels, out_channels, groups, bias, padding_mode, device, dtype
    """
    if isinstance(source, (str, os.PathLike)):
        source = _read_file(Path(source))
    file_input = None
    if isinstance(source, dict):
        unknown = sorted(set(source) - {"layers", "input_size", "ndim", "name"})
        if unknown or "layers" not in source:
            raise ValueError(f"stack: an object must have a 'layers' list (and optionally input_size, ndim, "
                             f"name), got keys {sorted(source)}")
        file_input = source.get("input_size")
        ndim = source.get("ndim") if ndim is None else ndim
        source = source["layers"]
    if not isinstance(source, (list, tuple)) or not source:
        raise ValueError(f"stack: expected a non-empty list of layers, got {type(source).__name__}")
    if ndim is not None and (isinstance(ndim, bool) or not isinstance(ndim, int) or ndim < 1):
        raise ValueError(f"stack: ndim must be an int >= 1, got ndim={ndim!r}")
    ndim = ndim or _infer_ndim(source, input_size if input_size is not None else file_input)
    layers: list[Layer] = []
    for index, entry in enumerate(source):
        if isinstance(entry, dict):
            layer = _layer_from_dict(entry, index, ndim, layers)
        elif isinstance(entry, Layer):
            layer = entry
        elif isinstance(entry, tuple(OPS.values())):
            layer = Layer(entry)
        else:
            raise TypeError(f"stack: layer {index} must be a spec, a Layer or a dict, got {type(entry).__name__}")
        if layer.spec.ndim != ndim:
            raise ValueError(f"stack: layer {index} ({layer.op}) has {layer.spec.ndim} spatial dimensions, "
                             f"the stack has {ndim}")
        if layer.of is not None and not 0 <= layer.of < index:
            raise ValueError(f"stack: layer {index} ({layer.op}): of must be the index of an earlier layer, "
                             f"got of={layer.of}")
        layers.append(layer)
    sizes = None if file_input is None else _input_tuple(file_input, ndim)
    return Stack(tuple(layers), ndim, sizes)


def _input_tuple(input_size: Any, ndim: int) -> tuple[int, ...]:
    values = tuple(input_size) if isinstance(input_size, (list, tuple)) else (input_size,) * ndim
    if len(values) != ndim:
        raise ValueError(f"analyze: input_size must be an int or {ndim} ints, got input_size={input_size!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"analyze: input_size must be ints, got input_size={input_size!r}")
        if v < 1:
            raise ValueError(f"analyze: input_size must be >= 1, got input_size={input_size!r}")
    return tuple(int(v) for v in values)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Overlap:
    """Overlap of a transposed layer: contributions per output position (the output nodes' in-degrees).

    ``min``/``max`` are taken over the interior of the N-D output (products of the per-axis
    extremes); ``pattern`` is one period per axis, indexed by output position mod stride,
    and ``period`` its smallest period per axis (1 means even).
    """

    min: int
    max: int
    period: tuple[int, ...]
    pattern: tuple[tuple[int, ...], ...]

    @property
    def even(self) -> bool:
        """True when every interior output receives the same number of contributions."""
        return self.min == self.max


@dataclass(frozen=True)
class Restore:
    """Whether an upsampling layer gives back the size of the layer it mirrors.

    ``target`` is the input size of layer ``of``; ``exact`` compares it with the output size.
    ``output_padding`` is the value that would restore it (transposed conv, when one exists),
    ``output_padding_symbolic`` the same as a function of the symbolic input size, and
    ``fix`` a one-line suggestion.
    """

    of: int
    target: tuple[int, ...]
    exact: bool
    output_padding: tuple[int, ...] | None
    output_padding_symbolic: tuple | None
    fix: str | None


@dataclass(frozen=True)
class LayerAnalysis:
    """The analysis of one layer (see :func:`analyze`)."""

    index: int
    op: str
    name: str | None
    spec: Any
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    output_size_symbolic: tuple | None
    receptive_field: tuple
    jump: tuple
    overlap: Overlap | None = None
    checkerboard: bool = False
    warnings: tuple[str, ...] = ()
    remedies: tuple[str, ...] = ()
    restore: Restore | None = None

    def as_dict(self) -> dict:
        """A JSON-ready dict (ints stay ints, fractions and expressions become strings)."""
        out = {
            "index": self.index, "op": self.op, "name": self.name, "params": _params(self.spec),
            "input_size": list(self.input_size), "output_size": list(self.output_size),
            "output_size_symbolic": None if self.output_size_symbolic is None
            else [str(v) for v in self.output_size_symbolic],
            "receptive_field": [_json_number(v) for v in self.receptive_field],
            "jump": [_json_number(v) for v in self.jump],
            "overlap": None if self.overlap is None else {
                "min": self.overlap.min, "max": self.overlap.max, "period": list(self.overlap.period),
                "pattern": [list(p) for p in self.overlap.pattern]},
            "checkerboard": self.checkerboard,
            "warnings": list(self.warnings),
            "remedies": list(self.remedies),
            "restore": None,
        }
        if self.restore is not None:
            r = self.restore
            out["restore"] = {
                "of": r.of, "target": list(r.target), "exact": r.exact,
                "output_padding": None if r.output_padding is None else list(r.output_padding),
                "output_padding_symbolic": None if r.output_padding_symbolic is None
                else [str(v) for v in r.output_padding_symbolic],
                "fix": r.fix}
        return out


@dataclass(frozen=True)
class StackAnalysis:
    """Per-layer results of :func:`analyze`, with the input size and the symbols used."""

    input_size: tuple[int, ...]
    input_symbols: tuple
    layers: tuple[LayerAnalysis, ...]

    @property
    def output_size(self) -> tuple[int, ...]:
        """The stack's final output size."""
        return self.layers[-1].output_size

    @property
    def checkerboard(self) -> bool:
        """True when any transposed layer overlaps unevenly."""
        return any(layer.checkerboard for layer in self.layers)

    @property
    def restores_encoder(self) -> bool | None:
        """True when every upsampling layer with a mirrored layer restores its size; None if there is none."""
        checks = [layer.restore.exact for layer in self.layers if layer.restore is not None]
        return all(checks) if checks else None

    def __repr__(self) -> str:
        notes = [f"checkerboard at layer {', '.join(str(l.index) for l in self.layers if l.checkerboard)}"] \
            if self.checkerboard else []
        if self.restores_encoder is not None:
            notes.append("restores every mirrored size" if self.restores_encoder else "does NOT restore every "
                         "mirrored size")
        plural = "" if len(self.layers) == 1 else "s"
        return (f"<StackAnalysis: {len(self.layers)} layer{plural}, input {list(self.input_size)} -> output "
                f"{list(self.output_size)}{'; ' if notes else ''}{'; '.join(notes)}>")

    def _repr_html_(self) -> str:
        """The table, for Jupyter."""
        import html
        return f"<pre>{html.escape(self.table())}</pre>"

    def as_dicts(self) -> list[dict]:
        """One JSON-ready dict per layer (the ``--json`` output)."""
        return [layer.as_dict() for layer in self.layers]

    def table(self) -> str:
        """The per-layer table printed by ``symconv analyze``, followed by the warnings."""
        return _format_table(self)

    def plot(self, path: Any, force: bool = False) -> str:
        """Write a heat map of every transposed layer's overlap map (:func:`symconv.graphs.plot_overlap`).

        An existing file symconv did not write (or that was edited since) is kept unless ``force``.
        """
        panels = [(f"layer {layer.index}: {_describe(layer)}\n"
                   + ("checkerboard" if layer.checkerboard else "even"), _plotted(layer.spec))
                  for layer in self.layers if layer.overlap is not None]
        return graphs.plot_overlap(panels, path, force=force)


#: The heat map shows at most this many input positions per axis (the pattern repeats).
PLOT_INPUT = 16


def _plotted(spec: Any) -> Any:
    """The layer on an input small enough to draw (the overlap map is periodic away from borders)."""
    small = tuple(min(i, PLOT_INPUT) for i in spec.input_size)
    try:
        return spec.with_input(small)
    except ValueError:
        return spec


@dataclass(frozen=True)
class ClosedForm:
    r"""Receptive field and jump of ``n`` equal layers, with the induction that proves them.

    ``base`` and ``step`` are the residuals of :math:`RF_0 = 1, J_0 = 1` and of the
    recurrence :math:`RF_{n+1} - RF_n - (\sigma - 1) J_n`, :math:`J_{n+1} - s J_n`
    (:math:`\sigma = d(k-1)+1`, forward stack); ``holds`` is True when all of them are zero.
    """

    n: sp.Symbol
    span: Any
    factor: Any
    receptive_field: sp.Expr
    jump: sp.Expr
    base: tuple
    step: tuple

    @property
    def holds(self) -> bool:
        """True when the base case and the induction step simplify to zero (branch by branch)."""
        return all(_is_zero(v) for v in self.base + self.step)


def _on_branch(expr: Any, condition: Any) -> Any:
    """``expr`` with an ``Eq`` condition's single solution substituted (for display)."""
    if isinstance(condition, sp.Eq) and condition.free_symbols:
        var = sorted(condition.free_symbols, key=str)[0]
        solutions = sp.solve(condition.lhs - condition.rhs, var)
        if len(solutions) == 1:
            return expr.subs(var, solutions[0])
    return expr


def _is_zero(expr: Any) -> bool:
    """Decide ``expr == 0``; a ``Piecewise`` branch guarded by ``Eq`` is checked on its solutions."""
    expr = sp.piecewise_fold(sp.sympify(expr))
    if not isinstance(expr, sp.Piecewise):
        return sp.simplify(expr) == 0
    for branch, condition in expr.args:
        if isinstance(condition, sp.Eq) and condition.free_symbols:
            var = sorted(condition.free_symbols, key=str)[0]
            solutions = sp.solve(condition.lhs - condition.rhs, var)
            if not all(_is_zero(branch.subs(var, v)) for v in solutions):
                return False
        elif not _is_zero(branch):
            return False
    return True


# --------------------------------------------------------------------------- closed forms


def repeated_layers(kernel_size: Any = None, stride: Any = None, dilation: Any = 1, n: Any = None,
                    transposed: bool = False) -> ClosedForm:
    r"""Receptive field and jump of ``n`` equal convolutions, in closed form, proven by induction.

    The recurrences :math:`RF_l = RF_{l-1} + d(k-1) J_{l-1}`, :math:`J_l = s J_{l-1}`,
    :math:`RF_0 = J_0 = 1` unroll to :math:`J_n = s^n` and
    :math:`RF_n = 1 + d(k-1) \sum_{l=1}^{n} s^{l-1}`, which ``sympy.summation`` evaluates
    (a ``Piecewise`` on :math:`s = 1` for a symbolic stride); ``holds`` re-checks base case and
    induction step.

    ``n`` equal *transposed* convolutions are the transpose of the composed forward stack, a
    single window of span :math:`RF_n` and stride :math:`s^n`, so an output sees at most
    :math:`\lceil RF_n / s^n 
ceil` input pixels and the jump is :math:`s^{-n}` (checked against
    the composed hulls of :func:`analyze` in the tests).

    Parameters
    ----------
    kernel_size, stride, dilation, n : int or integer symbol, optional
        Default: the symbols ``k``, ``s``, ``d = 1`` and ``n``.
    transposed : bool
        Stack of transposed convolutions.

    Returns
    -------
    ClosedForm

    Examples
    --------
    >>> from symconv.symbols import k, s
    >>> cf = repeated_layers(k, s)
    >>> cf.jump, cf.holds
    (s**n, True)
    >>> cf.receptive_field
    Piecewise((n*(k - 1) + 1, Eq(s, 1)), ((k - 1)*(s**n - 1)/(s - 1) + 1, True))
    >>> repeated_layers(3, 2, n=4).receptive_field, repeated_layers(3, 1, n=4).receptive_field
    (31, 9)
    >>> repeated_layers(3, 2, n=2, transposed=True).receptive_field
    2
    >>> repeated_layers(transposed=True).jump
    s**(-n)
    """
    from .symbols import d as d_sym, k as k_sym, s as s_sym
    k = k_sym if kernel_size is None else kernel_size
    s = s_sym if stride is None else stride
    d = d_sym if dilation is None else dilation
    n_sym = sp.Symbol("n", integer=True, nonnegative=True)
    l = sp.Symbol("l", integer=True, positive=True)
    span, factor = shapes.effective_kernel(k, d), sp.sympify(s)
    jump = factor ** n_sym
    rf = 1 + (span - 1) * sp.summation(factor ** (l - 1), (l, 1, n_sym))
    base = (rf.subs(n_sym, 0) - 1, jump.subs(n_sym, 0) - 1)
    step = (rf.subs(n_sym, n_sym + 1) - rf - (span - 1) * jump, jump.subs(n_sym, n_sym + 1) - factor * jump)
    step = tuple(sp.piecewise_fold(v) for v in step)
    rf = sp.piecewise_fold(rf)
    if isinstance(rf, sp.Piecewise):
        rf = sp.Piecewise(*((1 + sp.factor(sp.simplify(_on_branch(e, c) - 1)), c) for e, c in rf.args))
    if transposed:
        rf, jump = sp.ceiling(rf / jump), 1 / jump
    if n is not None:
        rf, jump = sp.simplify(rf.subs(n_sym, n)), sp.simplify(jump.subs(n_sym, n))
    return ClosedForm(n_sym if n is None else n, span, factor, rf, jump, base, step)


def merge_floors(expr: Any) -> Any:
    r"""Rewrite :math:`\lfloor (\lfloor x \rfloor + a)/m \rfloor` as :math:`\lfloor (x + a)/m \rfloor` (``a`` integer, ``m`` a positive int).

    Keeps composed output sizes short: ten stride-2 layers give one floor, not ten.

    Examples
    --------
    >>> from symconv.symbols import i
    >>> merge_floors(sp.floor((sp.floor(i / 2) - 1) / 2))
    floor(i/4 - 1/2)
    """
    def rule(f: Any) -> Any:
        arg = sp.expand(f.args[0])
        nested = [term for term in sp.Add.make_args(arg) if term.has(sp.floor)]
        if len(nested) != 1:
            return f
        coeff, inner = nested[0].as_coeff_Mul()
        if not isinstance(inner, sp.floor) or not coeff.is_Rational or coeff <= 0 or coeff.p != 1:
            return f
        rest = arg - nested[0]
        if (rest * coeff.q).is_integer is not True:
            return f
        return sp.floor(coeff * inner.args[0] + rest)
    if not isinstance(expr, sp.Basic):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.floor), rule)


# --------------------------------------------------------------------------- analysis


def _down(spec: Any) -> bool:
    return isinstance(spec, _GATHER) and any(s != 1 for s in spec.stride)


def _up(spec: Any) -> bool:
    if isinstance(spec, ConvTransposeSpec):
        return any(s != 1 for s in spec.stride)
    if isinstance(spec, MaxUnpoolSpec):
        return True
    if isinstance(spec, UpsampleSpec):
        return any(o != i for i, o in zip(spec.input_size, spec.output_size))
    return False


def _period(pattern: tuple[int, ...]) -> int:
    n = len(pattern)
    for q in range(1, n + 1):
        if n % q == 0 and all(pattern[j] == pattern[(j + q) % n] for j in range(n)):
            return q
    return n


def _overlap(spec: ConvTransposeSpec) -> Overlap:
    patterns = tuple(graphs.overlap_pattern(k, s, pb, d) for k, s, (pb, _pa), d in
                     zip(spec.kernel_size, spec.stride, spec.padding, spec.dilation))
    lows, highs = [], []
    for j, (low, high) in enumerate(graphs.interior(spec)):
        # interior outputs receive every contribution their phase can have: the pattern, without
        # materialising the counts (the output may be huge)
        s = spec.stride[j]
        values = [patterns[j][m % s] for m in range(low, min(high, low + s))] if high > low else patterns[j]
        lows.append(int(min(values)))
        highs.append(int(max(values)))
    return Overlap(int(np.prod(lows)), int(np.prod(highs)), tuple(_period(p) for p in patterns), patterns)


def sizes_fixed(sizes: tuple, spec: ConvTransposeSpec) -> bool:
    """True when the remedy's sizes differ from the layer's own (earlier fixes changed them)."""
    return tuple(sizes) != tuple(zip(spec.input_size, spec.output_size))


def _checkerboard(spec: ConvTransposeSpec, overlap: Overlap, sizes: tuple) -> tuple[list[str], list[str]]:
    """Warnings and remedies of an uneven overlap; ``sizes`` is (input, output to produce) per axis."""
    from .advice import kernel_remedy
    warnings, remedies, kernels = [], [], {}
    uneven = [j for j, p in enumerate(overlap.pattern) if min(p) != max(p)]
    grouped: dict[str, list[int]] = {}
    for j in uneven:
        k, s, d = spec.kernel_size[j], spec.stride[j], spec.dilation[j]
        p = overlap.pattern[j]
        g = math.gcd(s, d)
        if g > 1 and min(p) == 0:
            why = (f"dilation={d} and stride={s} share the factor {g}, so outputs at {s - s // g} of every "
                   f"{s} phases receive no contribution at all")
        elif d == 1:
            why = f"kernel_size % stride = {k} % {s} = {k % s} != 0"
        else:
            why = f"kernel_size={k} is not divisible by stride/gcd(stride, dilation) = {s // g}"
        text = (f"{why}; interior outputs receive {min(p)} to {max(p)} contributions (pattern {list(p)} by "
                f"output position mod {s}, period {overlap.period[j]})")
        grouped.setdefault(text, []).append(j)
        kernels[j] = kernel_remedy(spec, j, *sizes[j])
    for text, axes in grouped.items():
        where = "" if spec.ndim == 1 else (" on every axis" if len(axes) == spec.ndim
                                           else f" on axis {', '.join(map(str, axes))}")
        warnings.append(f"checkerboard{where}: {text}")
    if uneven and spec.ndim > 1:
        warnings.append(f"checkerboard: the per-axis patterns multiply, interior overlap ranges from "
                        f"{overlap.min} to {overlap.max} in {spec.ndim}-D")
    if uneven:
        fixed = {j: kr for j, kr in kernels.items() if kr}
        if fixed:
            same = len(set(fixed.values())) == 1 and len(fixed) == spec.ndim
            text = (next(iter(fixed.values())) + (" on every axis" if spec.ndim > 1 else "") if same else
                    "; ".join(f"axis {j}: {kr}" for j, kr in sorted(fixed.items())))
            target = _compact([t for _, t in sizes])
            why = "the restoring size" if sizes_fixed(sizes, spec) else "unchanged"
            remedies.append(f"kernel divisible by stride: {text} (even overlap; output {target}, {why}; "
                            f"learned kernels may still show milder artefacts)")
        stride = spec.stride[0] if len(set(spec.stride)) == 1 else list(spec.stride)
        remedies.append(f"resize-then-conv: upsample(scale_factor={stride}, mode='nearest') followed by "
                        f"conv(kernel_size={_compact(spec.kernel_size)}, stride=1, padding='same') "
                        f"(Odena, Dumoulin & Olah 2016)")
    return warnings, remedies


def _restore(spec: Any, size_in: tuple, size_out: tuple, sym_in: tuple | None, target: tuple,
             target_sym: tuple | None, of: int) -> Restore:
    exact = tuple(size_out) == tuple(target)
    padding, padding_sym, fix = None, None, None
    if isinstance(spec, ConvTransposeSpec):
        base = [shapes.transpose_size_axis(i, k, s, pb, pa, d, 0) for i, k, s, (pb, pa), d in
                zip(size_in, spec.kernel_size, spec.stride, spec.padding, spec.dilation)]
        need = tuple(int(t - b) for t, b in zip(target, base))
        ok = all(0 <= a < max(s, d) for a, s, d in zip(need, spec.stride, spec.dilation))
        padding = need if ok else None
        if sym_in is not None and target_sym is not None:
            padding_sym = tuple(merge_floors(sp.expand(t - shapes.transpose_size_axis(i, k, s, pb, pa, d, 0)))
                                for t, i, k, s, (pb, pa), d in
                                zip(target_sym, sym_in, spec.kernel_size, spec.stride, spec.padding,
                                    spec.dilation))
        if not exact:
            if ok:
                from .advice import per_axis
                fix = f"use {per_axis('output_padding', need)} (or forward(x, output_size={list(target)}))"
            else:
                fix = (f"no output_padding restores {list(target)} (needed {_compact(need)}, allowed "
                       f"0 <= output_padding < max(stride, dilation)); change padding/kernel_size, or pad or crop "
                       f"to the mirrored size")
    elif not exact and isinstance(spec, MaxUnpoolSpec):
        default = spec.default_output_size
        if all(dv - s < t < dv + s for dv, t, s in zip(default, target, spec.stride)):
            fix = f"pass output_size={list(target)} (PyTorch: unpool(x, indices, output_size=...))"
        else:
            fix = f"output_size={list(target)} is out of reach (must lie strictly within default {list(default)} +- stride)"
    elif not exact:
        fix = f"use size={list(target)}"
    return Restore(of, tuple(target), exact, padding, padding_sym, fix)


def _symbols_for(input_size: tuple) -> tuple:
    if len(set(input_size)) == 1:
        i = sp.Symbol("i", integer=True, positive=True)
        return (i,) * len(input_size)
    return tuple(sp.Symbol(f"i_{j}", integer=True, positive=True) for j in range(len(input_size)))


def _symbolic_output(spec: Any, sym_in: tuple | None) -> tuple | None:
    if sym_in is None:
        return None
    try:
        out = spec.with_input(sym_in).output_size
    except (TypeError, ValueError):
        return None
    return tuple(_settle(merge_floors(v)) for v in out)


def _settle(expr: Any) -> Any:
    """A ``Piecewise`` size whose branch Z3 decides for every positive input, as that branch.

    Ceil-mode pooling's "drop a last window that starts in the padding" is a ``Piecewise`` in
    the symbolic input; with no left padding that branch is never taken, and the size reads
    as one expression.
    """
    if not isinstance(expr, sp.Piecewise):
        return expr
    from .condition import prove
    positive = [sp.Ge(x, 1) for x in expr.free_symbols]
    for value, condition in expr.args:
        if condition is sp.true or prove(condition, positive, 500)[0] == "certified":
            return value
        if prove(sp.Not(condition), positive, 500)[0] != "certified":
            return expr
    return expr


def analyze(stack: Any, input_size: Any = None, ndim: int | None = None, symbolic: bool = True,
            advise: bool = True) -> StackAnalysis:
    r"""Analyse a stack of layers on an input size.

    Parameters
    ----------
    stack : Stack, list of layers, dict with ``layers``, or path of a JSON/YAML file
        See :func:`load_stack`.
    input_size : int or sequence of int, optional
        Spatial input size; defaults to the file's ``input_size``.
    ndim : int, optional
        Number of spatial dimensions (see :func:`load_stack`).
    symbolic : bool
        Also derive the symbolic sizes (default); False skips SymPy for speed.
    advise : bool
        Size advice in order (default): each fix assumes the earlier ones applied and is verified
        by re-running the stack (:func:`symconv.advice.repairs`).

    Returns
    -------
    StackAnalysis
        Per layer (:class:`LayerAnalysis`): ``output_size`` (ints) and ``output_size_symbolic``
        (in ``i``, or ``i_0, i_1...`` for non-square inputs); ``receptive_field`` and ``jump``
        per axis in input pixels (exact rationals once the jump drops below 1); for transposed
        convolutions ``overlap`` (:class:`Overlap`), ``checkerboard`` with the triggering condition
        in ``warnings`` and the usual fixes in ``remedies``; for upsampling layers that mirror a
        downsampling one, ``restore`` (:class:`Restore`).

    Raises
    ------
    TypeError, ValueError
        A bad stack or input size, or a layer that does not fit its input (the message names the
        layer); a ``max_unpool`` whose input is not the size its pool produced.

    Examples
    --------
    >>> stack = [{"op": "max_pool", "kernel_size": 2}, {"op": "max_unpool", "of": 0}]
    >>> report = analyze(stack, (5, 6))
    >>> report.layers[0].output_size, report.layers[1].output_size
    ((2, 3), (4, 6))
    >>> report.layers[1].restore.fix
    'use output_size=[5, 6] (PyTorch: unpool(x, indices, output_size=...)) (verified: the stack then restores [5, 6])'
    >>> report.layers[0].output_size_symbolic
    (floor(i_0/2), floor(i_1/2))

    Notes
    -----
    Receptive field and jump are exact for an output away from the borders. Each layer maps an
    output to a set of sources (conv/pool: :math:`r s - p_b + t d`; transposed conv/unpool:
    :math:`(m + p_b - t d)/s` where integral; interpolation: its taps with nonzero weight), and
    the hull :math:`[lo(n), hi(n)]` of input pixels seen by output ``n`` is quasi-periodic,
    :math:`lo(n + P) = lo(n) + Q`; one period per layer is composed, the receptive field is the
    largest :math:`hi - lo + 1` and the jump is :math:`Q/P` (a rational below 1 once the stack
    upsamples past its input). For convolutions and pooling this is the closed form
    :math:`RF_L = 1 + \sum_{l=1}^{L} d_l (k_l - 1) \prod_{m<l} s_m`, :math:`J_L = \prod_l s_l`
    (proven for equal layers by :func:`repeated_layers`); after transposed layers the hulls are
    not translates of each other and the mean-jump formula can be off, which is why the hulls
    are composed instead.
    The decoder check pairs each upsampling layer with ``of`` or, by default, the most recent
    unpaired downsampling layer (stride > 1), as in an encoder-decoder.
    """
    if not isinstance(stack, Stack):
        stack = load_stack(stack, ndim=ndim, input_size=input_size)
    if input_size is None:
        input_size = stack.input_size
    if input_size is None:
        raise ValueError("analyze: input_size is required (pass it, or put input_size in the stack file)")
    size = start = _input_tuple(input_size, stack.ndim)
    fixes, repaired = [], None
    if advise and any(isinstance(layer.spec, _SCATTER + (UpsampleSpec,)) or layer.of is not None
                      for layer in stack.layers):
        from .advice import repairs
        try:
            fixes, repaired = repairs(stack, start)
        except (TypeError, ValueError):
            fixes, repaired = [], None
    symbols = _symbols_for(size)
    sym: tuple | None = symbols if symbolic else None
    hulls = [graphs.ReceptiveHull.identity()] * stack.ndim
    rf: list = [1] * stack.ndim
    jump: list = [sp.Integer(1)] * stack.ndim
    results: list[LayerAnalysis] = []
    open_down: list[int] = []
    for index, layer in enumerate(stack.layers):
        where = f"analyze: layer {index} ({layer.op})"
        if isinstance(layer.spec, MaxUnpoolSpec) and layer.of is not None:
            pooled = results[layer.of].output_size
            if tuple(size) != tuple(pooled):
                raise ValueError(f"{where}: its input size {list(size)} differs from the size {list(pooled)} "
                                 f"max_pool layer {layer.of} produced (the indices would not match)")
        try:
            spec = layer.spec.with_input(size)
            out = tuple(int(v) for v in spec.output_size)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where} on input {list(size)}: {exc}") from None
        out_sym = _symbolic_output(layer.spec, sym)
        for j in range(stack.ndim):
            hulls[j] = hulls[j].then(spec, j)
            rf[j] = hulls[j].receptive_field
            jump[j] = hulls[j].jump
        overlap, checker, warnings, remedies = None, False, [], []
        if isinstance(spec, ConvTransposeSpec):
            overlap = _overlap(spec)
            checker = not overlap.even
            if checker:
                after = repaired.layers[index] if repaired is not None else None
                sizes = tuple(zip(after.input_size, after.output_size)) if after is not None else \
                    tuple(zip(size, out))
                warnings, remedies = _checkerboard(spec, overlap, sizes)
        restore = None
        if _down(spec):
            open_down.append(index)
        if _up(spec) or layer.of is not None:
            partner = layer.of
            if partner is None and open_down:
                partner = open_down.pop()
            elif partner is not None and partner in open_down:
                open_down.remove(partner)
            if partner is not None:
                mirrored = results[partner]
                target_sym = None
                if sym is not None and mirrored.input_size is not None:
                    target_sym = _symbolic_input(results, partner, symbols)
                restore = _restore(spec, size, out, sym, mirrored.input_size, target_sym, partner)
                if not restore.exact:
                    restore = replace(restore, fix=_in_order(index, restore, fixes, repaired))
                    warnings.append(f"size: output {list(out)} does not restore {list(restore.target)}, the input "
                                    f"of layer {partner} it mirrors; {restore.fix}")
        results.append(LayerAnalysis(index, layer.op, layer.name, spec, tuple(size), out, out_sym,
                                     tuple(_number(v) for v in rf), tuple(_number(v) for v in jump), overlap,
                                     checker, tuple(warnings), tuple(remedies), restore))
        size, sym = out, out_sym
    return StackAnalysis(start, symbols, tuple(results))


def _in_order(index: int, restore: Restore, fixes: list, repaired: Any) -> str:
    """The size advice for layer ``index`` given the (verified) fixes of the layers before it."""
    earlier = [f for f in fixes if f.index < index]
    before = "; ".join(f"layer {f.index}: {f.change}" for f in earlier)
    own = next((f for f in fixes if f.index == index), None)
    if own is not None:
        given = f", given the fix above ({before})" if earlier else ""
        return f"use {own.change}{given} (verified: the stack then restores {list(own.target)})"
    if repaired is not None and index < len(repaired.layers) and repaired.layers[index].restore is not None \
            and repaired.layers[index].restore.exact and earlier:
        return f"nothing to change here: it restores {list(restore.target)} once the fix above is applied ({before})"
    if earlier:
        return f"{restore.fix} (judged on the sizes before the fix above, {before})"
    return restore.fix


def _symbolic_input(results: list[LayerAnalysis], index: int, symbols: tuple) -> tuple | None:
    return symbols if index == 0 else results[index - 1].output_size_symbolic


def _number(value: Any) -> Any:
    value = sp.nsimplify(value) if not isinstance(value, sp.Basic) else value
    return int(value) if value.is_Integer else value


def _json_number(value: Any) -> Any:
    return value if isinstance(value, int) else str(value)


# --------------------------------------------------------------------------- display


def _compact(values: Sequence[Any]) -> str:
    values = list(values)
    if len(set(map(str, values))) == 1:
        return str(values[0])
    return "x".join(str(v) for v in values)


def _per_axis_text(values: Sequence[Any]) -> str:
    """One value if every axis agrees, else ``(a, b)``: symbolic sizes stay readable (no 'x' joins)."""
    values = list(values)
    if len(set(map(str, values))) == 1:
        return str(values[0])
    return "(" + ", ".join(str(v) for v in values) + ")"


def _params(spec: Any) -> dict:
    if isinstance(spec, UpsampleSpec):
        out = {"mode": spec.mode}
        if spec.scale_factor is not None:
            out["scale_factor"] = [_json_number(_number(f)) if not isinstance(f, float) else f
                                   for f in spec.scale_factor]
        else:
            out["size"] = list(spec.size)
        return out
    out = {"kernel_size": list(spec.kernel_size), "stride": list(spec.stride),
           "padding": [list(p) for p in spec.padding]}
    if any(d != 1 for d in spec.dilation):
        out["dilation"] = list(spec.dilation)
    if isinstance(spec, ConvTransposeSpec) and any(a != 0 for a in spec.output_padding):
        out["output_padding"] = list(spec.output_padding)
    if isinstance(spec, (MaxPoolSpec, AvgPoolSpec)) and spec.ceil_mode:
        out["ceil_mode"] = True
    return out


def _describe(layer: LayerAnalysis) -> str:
    spec = layer.spec
    if isinstance(spec, UpsampleSpec):
        what = f"x{_compact(spec.scale_factor)}" if spec.scale_factor is not None else f"to {_compact(spec.size)}"
        text = f"upsample {spec.mode} {what}"
    else:
        parts = [f"k{_compact(spec.kernel_size)}", f"s{_compact(spec.stride)}"]
        pads = spec.padding
        if any(p != (0, 0) for p in pads):
            sym = all(b == a for b, a in pads)
            parts.append("p" + (_compact([b for b, _ in pads]) if sym else _compact([f"({b},{a})" for b, a in pads])))
        if any(d != 1 for d in spec.dilation):
            parts.append(f"d{_compact(spec.dilation)}")
        if isinstance(spec, ConvTransposeSpec) and any(a != 0 for a in spec.output_padding):
            parts.append(f"op{_compact(spec.output_padding)}")
        if isinstance(spec, (MaxPoolSpec, AvgPoolSpec)) and spec.ceil_mode:
            parts.append("ceil")
        if isinstance(spec, AvgPoolSpec) and not spec.count_include_pad and any(p != (0, 0) for p in pads):
            parts.append("excl-pad")
        text = f"{layer.op} " + " ".join(parts)
    if layer.name:
        text = f"{layer.name}: {text}"
    return text


def _format_table(report: StackAnalysis) -> str:
    header = ("#", "layer", "output", "symbolic", "RF", "jump", "overlap", "notes")
    rows = []
    for layer in report.layers:
        sym = "?" if layer.output_size_symbolic is None else _per_axis_text(layer.output_size_symbolic)
        overlap = ""
        if layer.overlap is not None:
            o = layer.overlap
            overlap = f"{o.min}" if o.even else f"{o.min}-{o.max}/{_compact(o.period)}"
        notes = []
        if layer.checkerboard:
            notes.append("CHECKERBOARD")
        if layer.restore is not None:
            notes.append(f"restores #{layer.restore.of}" if layer.restore.exact
                         else f"!= #{layer.restore.of} input {_compact(layer.restore.target)}")
        rows.append((str(layer.index), _describe(layer), _compact(layer.output_size), sym,
                     _compact(layer.receptive_field), _compact(layer.jump), overlap, ", ".join(notes)))
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]
    lines = [f"input {_compact(report.input_size)} ({len(report.input_size)}-D), "
             f"symbolic input {_per_axis_text(report.input_symbols)}"]
    for row in [header] + rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if any(layer.overlap is not None for layer in report.layers):
        lines.append("overlap: contributions per interior output of a transposed layer; 'a-b/P' means uneven, "
                     "from a to b, repeating every P outputs per axis (a checkerboard); one number means even")
    for layer in report.layers:
        for text in layer.warnings:
            lines.append(f"layer {layer.index}: {text}")
        for text in layer.remedies:
            lines.append(f"layer {layer.index}: remedy: {text}")
        if layer.restore is not None and layer.restore.output_padding_symbolic is not None \
                and any(v != 0 for v in layer.restore.output_padding_symbolic):
            lines.append(f"layer {layer.index}: output_padding needed for a general input: "
                         f"{_compact(layer.restore.output_padding_symbolic)}")
    verdict = report.restores_encoder
    if verdict is not None:
        lines.append("decoder restores every mirrored size" if verdict
                     else "decoder does NOT restore every mirrored size")
    return "\n".join(lines)


# --------------------------------------------------------------------------- graphs of stacks


def stack_graph(stack: Any, input_size: Any = None, axis: int | None = None) -> Any:
    """The connectivity graph of a whole stack: nodes ``(layer, position)``, layer 0 the input.

    Layer ``l + 1`` holds the outputs of stack layer ``l``; edges keep their ``tap``. Meant for
    small sizes (see :data:`symconv.graphs.GRAPH_EDGE_LIMIT`); ``axis=j`` builds one axis.

    Examples
    --------
    >>> import networkx as nx
    >>> g = stack_graph([ConvSpec(3, stride=2), ConvSpec(3, stride=2)], 11)
    >>> sorted(p for (layer, p) in nx.ancestors(g, (2, (1,))) if layer == 0)[:3], len(nx.ancestors(g, (2, (1,))))
    ([(4,), (5,), (6,)], 10)
    """
    import networkx as nx
    report = analyze(stack, input_size, symbolic=False)
    g = nx.DiGraph()
    for layer in report.layers:
        part = graphs.graph(layer.spec, axis=axis)
        level = {"in": layer.index, "out": layer.index + 1}
        g.add_nodes_from((level[side], pos) for side, pos in part.nodes)
        g.add_edges_from(((level[u[0]], u[1]), (level[v[0]], v[1]), data) for u, v, data in part.edges(data=True))
    return g
