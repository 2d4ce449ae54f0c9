"""Frozen, validated operator specifications: the single source of truth.

A spec holds an operator's parameters in canonical form: one entry per spatial
dimension, padding as ``(before, after)`` pairs, every size an ``int`` or an
integer SymPy expression. Validation happens once, in ``__post_init__``; every
view (matrices, proofs, LaTeX, code) reads a spec and never re-validates it.

Examples
--------
>>> spec = ConvSpec(kernel_size=3, padding=1, ndim=2, input_size=(5, 5))
>>> spec.padding
((1, 1), (1, 1))
>>> spec.output_size
(5, 5)
>>> ConvSpec(kernel_size=3, stride=0)
Traceback (most recent call last):
...
ValueError: conv: stride must be >= 1, got stride=0
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from numbers import Real
from typing import Any, ClassVar

import sympy as sp

from . import shapes
from ._canonical import axis_suffix, canonical_window, optional_sizes, padding_pairs, require_bool, resolve_ndim
from ._validate import Size, as_size, is_false, is_sequence, per_dim

__all__ = [
    "ConvSpec",
    "ConvTransposeSpec",
    "MaxPoolSpec",
    "AvgPoolSpec",
    "MaxUnpoolSpec",
    "UpsampleSpec",
    "UPSAMPLE_MODES",
    "CONVENTIONS",
]

#: Validity rules a pooling spec follows: PyTorch's (the default) or ONNX's (onnxruntime's checks).
CONVENTIONS = ("torch", "onnx")
UPSAMPLE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic")
_MODE_NDIM = {"bilinear": 2, "trilinear": 3}
_INTERPOLATING = ("linear", "bilinear", "trilinear", "bicubic")


# --------------------------------------------------------------------------- canonicalisation helpers


def same_padding(kernel_size: tuple, dilation: tuple) -> tuple[tuple[Size, Size], ...]:
    """'same' padding: total d(k-1), the odd unit at the end (PyTorch, ONNX SAME_UPPER)."""
    pairs = []
    for k, d in zip(kernel_size, dilation):
        total = shapes.effective_kernel(k, d) - 1
        before = shapes.floordiv(total, 2)
        pairs.append((before, total - before))
    return tuple(pairs)


_FIELD_NAMES: dict = {}


def _field_names(cls: type) -> frozenset:
    """The dataclass field names of a spec class (computed once per class)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return names


class _Spec:
    """Behaviour shared by all specs (plain mixin; specs are frozen dataclasses)."""

    op: ClassVar[str] = ""

    def _set(self, **values: Any) -> None:
        """Store canonical field values (fields only; a value already in place is left alone)."""
        names = _field_names(type(self))
        current = self.__dict__
        for name, value in values.items():
            if name in names and current.get(name) is not value:
                object.__setattr__(self, name, value)

    def with_input(self, input_size: Any) -> "_Spec":
        """The same operator applied to a given input size."""
        return replace(self, input_size=input_size)

    def require_input(self) -> tuple:
        """The input size; a ValueError naming the operator when the spec has none."""
        if self.input_size is None:
            raise ValueError(f"{self.op}: input_size is unknown; use spec.with_input(input_size)")
        return self.input_size

    @property
    def is_symbolic(self) -> bool:
        """True when any size is a SymPy expression rather than an int."""
        return any(isinstance(v, sp.Basic) for v in _flat_values(self))

    def params(self) -> dict:
        """The canonical parameters as a plain dict (for JSON and display)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _repr_latex_(self) -> str:
        """LaTeX for Jupyter (delegates to :func:`symconv.writeup.latex.repr_latex`)."""
        from .writeup.latex import repr_latex
        return repr_latex(self)


def _memo(spec: Any, name: str, compute: Any) -> Any:
    """A value derived from a spec's fields, computed once per instance (specs are frozen, so it never
    goes stale; kept out of the fields, so equality, hashing and repr ignore it)."""
    value = spec.__dict__.get(name)
    if value is None:
        value = compute()
        object.__setattr__(spec, name, value)
    return value


def _flat_values(spec: Any) -> list:
    out: list = []

    def walk(v: Any) -> None:
        if isinstance(v, tuple):
            for e in v:
                walk(e)
        else:
            out.append(v)

    for f in fields(spec):
        walk(getattr(spec, f.name))
    return out


# --------------------------------------------------------------------------- convolution


def _window_common(self: Any, owner: str, extra: dict[str, Any]) -> int:
    """Validate kernel_size/stride/dilation/padding/input_size; return ndim."""
    ndim = canonical_window(self, extra)
    if ndim is not None:
        return ndim
    padding = self.padding
    raw_dilation = self.__dict__.get("dilation", 1)
    candidates = {"kernel_size": self.kernel_size, "stride": self.stride, "dilation": raw_dilation,
                  "input_size": self.input_size, **extra}
    if is_sequence(padding) and padding and all(is_sequence(e) for e in padding):
        candidates["padding"] = padding
    ndim = resolve_ndim(owner, self.ndim, candidates)
    kernel_size = per_dim(self.kernel_size, ndim, "kernel_size", 1, owner)
    stride = per_dim(kernel_size if self.stride is None else self.stride, ndim, "stride", 1, owner)
    dilation = per_dim(raw_dilation, ndim, "dilation", 1, owner)
    if isinstance(padding, str):
        if padding == "valid":
            pairs = ((0, 0),) * ndim
        elif padding == "same" and owner == "conv":
            if any(is_false(sp.Eq(s, 1)) or not (s == 1) for s in stride):
                raise ValueError(f"{owner}: padding='same' requires stride=1 in every dimension "
                                 f"(as PyTorch), got stride={stride}")
            pairs = same_padding(kernel_size, dilation)
        else:
            allowed = "'valid', 'same'" if owner == "conv" else "'valid'"
            hint = " ('same' is not defined for transposed convolutions; see pytorch#95123)" \
                if padding == "same" else ""
            raise ValueError(f"{owner}: padding string must be one of {allowed}, got padding={padding!r}{hint}")
    else:
        pairs = padding_pairs(owner, padding, ndim)
    input_size = optional_sizes(owner, self.input_size, ndim, "input_size")
    self._set(kernel_size=kernel_size, stride=stride, dilation=dilation, padding=pairs,
              input_size=input_size, ndim=ndim)
    return ndim


def _channels(self: Any, owner: str) -> None:
    in_channels, out_channels, groups = self.in_channels, self.out_channels, self.groups
    if (type(in_channels) is int and type(out_channels) is int and type(groups) is int and groups >= 1
            and in_channels >= 1 and out_channels >= 1 and in_channels % groups == 0
            and out_channels % groups == 0):
        return                                          # plain valid ints: already canonical
    in_channels = as_size(self.in_channels, "in_channels", 1, owner)
    out_channels = as_size(self.out_channels, "out_channels", 1, owner)
    groups = as_size(self.groups, "groups", 1, owner)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if isinstance(value, int) and isinstance(groups, int):
            divisible = value % groups == 0
        else:
            divisible = sp.Eq(sp.Mod(value, groups), 0)
        if is_false(divisible):
            raise ValueError(f"{owner}: {name} must be divisible by groups, got {name}={value}, groups={groups}")
    self._set(in_channels=in_channels, out_channels=out_channels, groups=groups)


@dataclass(frozen=True)
class ConvSpec(_Spec):
    r"""An N-dimensional convolution (cross-correlation, as in deep-learning frameworks).

    Parameters
    ----------
    kernel_size, stride, dilation : int, symbol, or one per spatial dimension
    padding : int, per-dimension ints, per-dimension (before, after) pairs, 'valid' or 'same'
        'same' needs stride 1; the odd unit of padding goes at the end (PyTorch, ONNX SAME_UPPER).
    in_channels, out_channels, groups : int or symbol
        Channels must be divisible by groups.
    input_size : optional, one size per spatial dimension
        When given, the kernel must fit the padded input and ``output_size`` is known.
    ndim : int, optional
        Number of spatial dimensions; inferred from any per-dimension argument, else 1.

    Examples
    --------
    >>> ConvSpec(3, stride=2, padding=1, input_size=(5,)).output_size
    (3,)
    >>> ConvSpec((3, 3), padding="same", dilation=2).padding
    ((2, 2), (2, 2))
    >>> ConvSpec(3, in_channels=3, groups=2)
    Traceback (most recent call last):
    ...
    ValueError: conv: in_channels must be divisible by groups, got in_channels=3, groups=2

    Notes
    -----
    Output size per axis: :math:`\lfloor (i + p_b + p_a - d(k-1) - 1)/s \rfloor + 1`.
    """

    kernel_size: Any
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    in_channels: Any = 1
    out_channels: Any = 1
    groups: Any = 1
    input_size: Any = None
    ndim: Any = None
    op: ClassVar[str] = "conv"

    def __post_init__(self) -> None:
        ndim = _window_common(self, self.op, {})
        _channels(self, self.op)
        if self.input_size is not None:
            for j in range(ndim):
                shapes.require_kernel_fits(self.input_size[j], self.kernel_size[j], *self.padding[j],
                                           self.dilation[j], self.op, axis_suffix(ndim, j))

    @property
    def output_size(self) -> tuple:
        """Output size per spatial dimension (needs ``input_size``)."""
        return _memo(self, "_output_size", lambda: tuple(
            shapes.window_count_axis(i, k, s, pb, pa, d) for i, k, s, (pb, pa), d in
            zip(self.require_input(), self.kernel_size, self.stride, self.padding, self.dilation)))

    @property
    def weight_shape(self) -> tuple:
        """PyTorch weight layout ``(C_out, C_in/groups, *kernel_size)``."""
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)


@dataclass(frozen=True)
class ConvTransposeSpec(_Spec):
    r"""An N-dimensional transposed convolution (the adjoint of :class:`ConvSpec`).

    ``input_size`` is the transposed layer's own input. ``output_padding`` must be
    smaller than either stride or dilation; ``output_size`` pins the output instead
    (it must lie in ``[min, min + stride - 1]``, as ``ConvTranspose.forward``).

    Examples
    --------
    >>> ConvTransposeSpec(3, input_size=(2, 2)).output_size
    (4, 4)
    >>> ConvTransposeSpec(4, stride=2, padding=1, input_size=3).output_size
    (6,)
    >>> ConvTransposeSpec(3, stride=2, output_padding=2)
    Traceback (most recent call last):
    ...
    ValueError: conv_transpose: output_padding must be smaller than either stride or dilation (output_padding < max(stride, dilation) = 2), got output_padding=2

    Notes
    -----
    Output size per axis: :math:`s(i'-1) + d(k-1) + 1 - p_b - p_a + a`.
    """

    kernel_size: Any
    stride: Any = 1
    padding: Any = 0
    output_padding: Any = 0
    dilation: Any = 1
    in_channels: Any = 1
    out_channels: Any = 1
    groups: Any = 1
    input_size: Any = None
    pinned_output_size: Any = None
    ndim: Any = None
    op: ClassVar[str] = "conv_transpose"

    def __post_init__(self) -> None:
        ndim = _window_common(self, self.op, {"output_padding": self.output_padding,
                                              "pinned_output_size": self.pinned_output_size})
        _channels(self, self.op)
        hint = optional_sizes(self.op, self.pinned_output_size, ndim, "output_size")
        output_padding = per_dim(self.output_padding, ndim, "output_padding", 0, self.op)
        if hint is not None and self.input_size is not None:
            output_padding = self._padding_for(hint)
        for j in range(ndim):
            shapes.require_output_padding(output_padding[j], self.stride[j], self.dilation[j], self.op,
                                          axis_suffix(ndim, j))
        if output_padding is not self.output_padding or hint is not self.pinned_output_size:
            self._set(output_padding=output_padding, pinned_output_size=hint)
        if self.input_size is not None:
            for j, o in enumerate(self.output_size):
                shapes.require_positive_output(o, self.op, lambda: f"padding={self.padding[j]} on axis {j}")

    def _padding_for(self, hint: tuple) -> tuple:
        out = []
        for j, (want, i, k, s, (pb, pa), d) in enumerate(zip(hint, self.input_size, self.kernel_size,
                                                            self.stride, self.padding, self.dilation)):
            smallest = shapes.transpose_size_axis(i, k, s, pb, pa, d, 0)
            extra = want - smallest
            if isinstance(extra, int) and isinstance(s, int):
                fits = 0 <= extra < s
            else:
                fits = not (is_false(sp.Ge(extra, 0)) or is_false(sp.Lt(extra, s)))
            if not fits:
                raise ValueError(f"{self.op}: output_size{axis_suffix(len(hint), j)}={want} must lie between "
                                 f"{smallest} and {smallest} + stride - 1 for input_size={i}")
            out.append(extra if not isinstance(extra, sp.Integer) else int(extra))
        return tuple(out)

    @property
    def output_size(self) -> tuple:
        """Output size per spatial dimension (needs ``input_size``)."""
        return _memo(self, "_output_size", lambda: tuple(
            shapes.transpose_size_axis(i, k, s, pb, pa, d, a) for i, k, s, (pb, pa), d, a in
            zip(self.require_input(), self.kernel_size, self.stride, self.padding, self.dilation,
                self.output_padding)))

    @property
    def weight_shape(self) -> tuple:
        """PyTorch weight layout ``(C_in, C_out/groups, *kernel_size)``."""
        return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)

    def forward(self) -> ConvSpec:
        """The convolution whose matrix this layer transposes (channels swapped, sizes exchanged)."""
        input_size = None if self.input_size is None else self.output_size
        return ConvSpec(self.kernel_size, self.stride, self.padding, self.dilation,
                        in_channels=self.out_channels, out_channels=self.in_channels, groups=self.groups,
                        input_size=input_size, ndim=self.ndim)


# --------------------------------------------------------------------------- pooling


def _convention(owner: str, convention: Any) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"{owner}: convention must be one of {', '.join(CONVENTIONS)}, got convention={convention!r}")
    return convention


def _pool_common(self: Any, owner: str) -> int:
    ndim = _window_common(self, owner, {})
    self._set(ceil_mode=require_bool(owner, "ceil_mode", self.ceil_mode))
    convention = _convention(owner, self.convention)
    for j in range(ndim):
        shapes.require_pool_padding(self.kernel_size[j], *self.padding[j], owner, axis_suffix(ndim, j), convention)
        if self.input_size is not None:
            shapes.require_kernel_fits(self.input_size[j], self.kernel_size[j], *self.padding[j],
                                       self.dilation[j], owner, axis_suffix(ndim, j), self.stride[j], self.ceil_mode)
    return ndim


def _pool_output(self: Any) -> tuple:
    return _memo(self, "_output_size", lambda: tuple(
        shapes.window_count_axis(i, k, s, pb, pa, d, self.ceil_mode) for i, k, s, (pb, pa), d in
        zip(self.require_input(), self.kernel_size, self.stride, self.padding, self.dilation)))


@dataclass(frozen=True)
class MaxPoolSpec(_Spec):
    r"""N-dimensional max pooling; its switches (argmax positions) define the unpooling.

    ``stride`` defaults to ``kernel_size``; padding is at most half the kernel, or with
    ``convention="onnx"`` at most ``k - 1`` on each side (ONNX MaxPool).

    Examples
    --------
    >>> MaxPoolSpec(2, input_size=(5, 5)).output_size
    (2, 2)
    >>> MaxPoolSpec(2, ceil_mode=True, input_size=(5, 5)).output_size
    (3, 3)
    >>> MaxPoolSpec(2, padding=2)
    Traceback (most recent call last):
    ...
    ValueError: max_pool: padding must be at most half the kernel size (p <= k//2 = 1), got padding before=2 with kernel_size=2
    >>> MaxPoolSpec(3, stride=1, padding=2, input_size=(4,), convention="onnx").output_size
    (6,)
    """

    kernel_size: Any
    stride: Any = None
    padding: Any = 0
    dilation: Any = 1
    ceil_mode: bool = False
    input_size: Any = None
    ndim: Any = None
    convention: str = field(default="torch", repr=False)
    op: ClassVar[str] = "max_pool"

    def __post_init__(self) -> None:
        _pool_common(self, self.op)

    @property
    def output_size(self) -> tuple:
        """Output size per spatial dimension (needs ``input_size``)."""
        return _pool_output(self)


@dataclass(frozen=True)
class AvgPoolSpec(_Spec):
    r"""N-dimensional average pooling (no dilation, as PyTorch).

    ``convention="onnx"`` allows padding up to ``k - 1`` per side (ONNX AveragePool).

    Examples
    --------
    >>> AvgPoolSpec(3, stride=2, padding=1, input_size=(7,)).output_size
    (4,)
    """

    kernel_size: Any
    stride: Any = None
    padding: Any = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    input_size: Any = None
    ndim: Any = None
    convention: str = field(default="torch", repr=False)
    op: ClassVar[str] = "avg_pool"

    @property
    def dilation(self) -> tuple:
        """Always 1: average pooling has no dilation."""
        return (1,) * self.ndim

    def __post_init__(self) -> None:
        require_bool(self.op, "count_include_pad", self.count_include_pad)
        _pool_common(self, self.op)

    @property
    def output_size(self) -> tuple:
        """Output size per spatial dimension (needs ``input_size``)."""
        return _pool_output(self)


@dataclass(frozen=True)
class MaxUnpoolSpec(_Spec):
    r"""N-dimensional max-unpooling: scatter each value back to its switch position.

    ``output_size`` pins the output; PyTorch requires ``default - s < output_size < default + s``
    and nothing of the default itself, which may then be 0 or negative; ONNX (``convention="onnx"``,
    MaxUnpool's ``output_shape`` input) any positive size. Without it the default
    ``s(i-1) + k - p_b - p_a`` must be >= 1.

    Examples
    --------
    >>> MaxUnpoolSpec(2, input_size=(2, 2)).output_size
    (4, 4)
    >>> MaxUnpoolSpec(2, input_size=(2, 2), pinned_output_size=(5, 5)).output_size
    (5, 5)
    >>> MaxUnpoolSpec((2, 3), padding=1, input_size=(1, 1), pinned_output_size=(1, 2)).output_size
    (1, 2)
    >>> MaxUnpoolSpec((2, 3), padding=1, input_size=(1, 1))
    Traceback (most recent call last):
    ...
    ValueError: max_unpool: the default size s*(i-1)+k-p_b-p_a with padding=(1, 1) on axis 0 (no output_size given) gives a non-positive output size 0
    """

    kernel_size: Any
    stride: Any = None
    padding: Any = 0
    input_size: Any = None
    pinned_output_size: Any = None
    ndim: Any = None
    convention: str = field(default="torch", repr=False)
    op: ClassVar[str] = "max_unpool"

    @property
    def dilation(self) -> tuple:
        """Always 1: unpooling has no dilation (pytorch#68589)."""
        return (1,) * self.ndim

    def __post_init__(self) -> None:
        ndim = _window_common(self, self.op, {"pinned_output_size": self.pinned_output_size})
        _convention(self.op, self.convention)
        hint = optional_sizes(self.op, self.pinned_output_size, ndim, "output_size")
        self._set(pinned_output_size=hint)
        if self.input_size is None:
            return
        for j, default in enumerate(self.default_output_size):
            if hint is None:
                shapes.require_positive_output(default, self.op, f"the default size s*(i-1)+k-p_b-p_a with padding="
                                               f"{self.padding[j]} on axis {j} (no output_size given)")
            elif self.convention == "torch":    # PyTorch checks only the window around the default here
                shapes.require_unpool_output_size(hint[j], default, self.stride[j], self.op, axis_suffix(ndim, j))

    @property
    def default_output_size(self) -> tuple:
        """``s(i-1) + k - p_b - p_a`` per axis."""
        return tuple(shapes.unpool_size_axis(i, k, s, pb, pa) for i, k, s, (pb, pa) in
                     zip(self.require_input(), self.kernel_size, self.stride, self.padding))

    @property
    def output_size(self) -> tuple:
        """The pinned ``output_size`` if given, else the default."""
        self.require_input()
        return self.pinned_output_size if self.pinned_output_size is not None else self.default_output_size


# --------------------------------------------------------------------------- interpolation


@dataclass(frozen=True)
class UpsampleSpec(_Spec):
    r"""Upsampling (or resampling) by interpolation, as ``torch.nn.functional.interpolate``.

    Exactly one of ``size`` and ``scale_factor``. Modes: 'nearest', 'nearest-exact',
    'linear' (N-linear in any dimension), 'bilinear' (2-D), 'trilinear' (3-D) and
    'bicubic' (separable Keys kernel, A = -3/4). ``align_corners`` applies only to the
    interpolating modes and defaults to False for them.

    Examples
    --------
    >>> UpsampleSpec(scale_factor=2, mode="bilinear", input_size=(3, 4)).output_size
    (6, 8)
    >>> UpsampleSpec(scale_factor=2, mode="nearest", align_corners=True)
    Traceback (most recent call last):
    ...
    ValueError: upsample: align_corners can only be set with the interpolating modes linear | bilinear | trilinear | bicubic, got mode='nearest', align_corners=True
    """

    size: Any = None
    scale_factor: Any = None
    mode: str = "nearest"
    align_corners: Any = None
    input_size: Any = None
    ndim: Any = None
    op: ClassVar[str] = "upsample"

    def __post_init__(self) -> None:
        owner = self.op
        if not isinstance(self.mode, str) or self.mode not in UPSAMPLE_MODES:
            raise ValueError(f"{owner}: mode must be one of {', '.join(UPSAMPLE_MODES)}, got mode={self.mode!r}")
        if (self.size is None) == (self.scale_factor is None):
            raise ValueError(f"{owner}: exactly one of size and scale_factor must be given, "
                             f"got size={self.size!r}, scale_factor={self.scale_factor!r}")
        candidates = {"size": self.size, "scale_factor": self.scale_factor, "input_size": self.input_size}
        ndim = self.ndim
        if ndim is None and self.mode in _MODE_NDIM and not any(is_sequence(v) for v in candidates.values()):
            ndim = _MODE_NDIM[self.mode]
        ndim = resolve_ndim(owner, ndim, candidates)
        if self.mode in _MODE_NDIM and ndim != _MODE_NDIM[self.mode]:
            raise ValueError(f"{owner}: mode={self.mode!r} needs {_MODE_NDIM[self.mode]} spatial dimensions, "
                             f"got ndim={ndim}")
        if self.align_corners is None:
            align = False if self.mode in _INTERPOLATING else None  # None keeps with_input() valid
        elif self.mode not in _INTERPOLATING:
            raise ValueError(f"{owner}: align_corners can only be set with the interpolating modes "
                             f"{' | '.join(_INTERPOLATING)}, got mode={self.mode!r}, "
                             f"align_corners={self.align_corners!r}")
        else:
            align = require_bool(owner, "align_corners", self.align_corners)
        size = optional_sizes(owner, self.size, ndim, "size")
        scale = None
        if self.scale_factor is not None:
            raw = self.scale_factor if is_sequence(self.scale_factor) else (self.scale_factor,) * ndim
            if len(raw) != ndim:
                raise ValueError(f"{owner}: scale_factor must be a single value or have {ndim} entries, "
                                 f"got scale_factor={self.scale_factor!r}")
            for f in raw:
                shapes.check_scale_factor(f, owner)
            scale = tuple(int(f) if isinstance(f, Real) and not isinstance(f, float) else f for f in raw)
        input_size = optional_sizes(owner, self.input_size, ndim, "input_size")
        self._set(size=size, scale_factor=scale, align_corners=align, input_size=input_size, ndim=ndim)
        if input_size is not None:
            for o in self.output_size:
                shapes.require_positive_output(o, owner, f"scale_factor={self.scale_factor}")

    @property
    def output_size(self) -> tuple:
        """Output size per spatial dimension (needs ``input_size``)."""
        inputs = self.require_input()
        if self.size is not None:
            return self.size
        return tuple(shapes.resize_size_axis(i, None, f) for i, f in zip(inputs, self.scale_factor))


SPECS = (ConvSpec, ConvTransposeSpec, MaxPoolSpec, AvgPoolSpec, MaxUnpoolSpec, UpsampleSpec)
