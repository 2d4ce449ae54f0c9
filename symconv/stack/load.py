r"""Loading a stack: the layer list format, file reading (JSON, optional YAML) and validation.

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
PyYAML happens to be installed); nothing is evaluated. Every layer becomes a validated spec
(:mod:`symconv.spec`), so a bad parameter is refused here, with the layer named.

Examples
--------
>>> stack = load_stack([{"op": "conv", "kernel_size": 3}, {"op": "max_pool", "kernel_size": 2}])
>>> len(stack), stack.ndim, stack.layers[1].op
(2, 2, 'max_pool')
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..operators import canonical
from ..spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec

__all__ = ["Layer", "Stack", "load_stack", "read_file", "input_tuple", "OPS", "SIZE_NEUTRAL"]

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
_DEFAULT_NDIM = 2


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


def read_file(path: Path) -> Any:
    """The parsed content of a stack file: JSON, or YAML when the suffix says so and PyYAML is installed.

    Raises ``ValueError`` (one line naming the file) for an unreadable, non-UTF-8 or invalid file.
    """
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
        source = read_file(Path(source))
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
    sizes = None if file_input is None else input_tuple(file_input, ndim)
    return Stack(tuple(layers), ndim, sizes)


def input_tuple(input_size: Any, ndim: int) -> tuple[int, ...]:
    """An input size (an int, or one int per axis) as a tuple of ``ndim`` positive Python ints.

    Examples
    --------
    >>> input_tuple(5, 2)
    (5, 5)
    """
    values = tuple(input_size) if isinstance(input_size, (list, tuple)) else (input_size,) * ndim
    if len(values) != ndim:
        raise ValueError(f"analyze: input_size must be an int or {ndim} ints, got input_size={input_size!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"analyze: input_size must be ints, got input_size={input_size!r}")
        if v < 1:
            raise ValueError(f"analyze: input_size must be >= 1, got input_size={input_size!r}")
    return tuple(int(v) for v in values)
