r"""Matrices of the operators, derived from the index relation.

``conv_matrix`` gathers along the relation :math:`c = r s + t d - p_b`; ``conv_transpose_matrix``
scatters along the same relation from its own input, so that it *equals* ``conv_matrix(...).T``
(a theorem the proof engine checks, not a construction). Pooling switches, unpooling and
interpolation are matrices too.

Rows index the flattened output ``(C_out, *o)``, columns the flattened input ``(C_in, *i)``,
row-major. Every builder returns a SymPy ``SparseMatrix`` by default; ``format='numpy'`` gives a
dense ``ndarray`` and ``format='coo'`` the ``(rows, cols, values)`` triplets.

Examples
--------
>>> C = conv_matrix((4, 4), 3)
>>> C.shape
(4, 16)
>>> C[0, :6]
Matrix([[w_{0,0}, w_{0,1}, w_{0,2}, 0, w_{1,0}, w_{1,1}]])
>>> conv_transpose_matrix((2, 2), 3) == C.T
True
"""
from __future__ import annotations

import math
from functools import lru_cache
from itertools import product
from typing import Any

import numpy as np
import sympy as sp

from .index import relations, tap_ranges
from .spec import ConvSpec, ConvTransposeSpec, MaxPoolSpec, UpsampleSpec

__all__ = [
    "resize_matrix",
    "conv_matrix",
    "conv_transpose_matrix",
    "matrix_of",
    "pool_switches",
    "pool_switch_matrix",
    "unpool_matrix",
    "upsample_matrix",
    "weight_symbols",
    "DENSE_LIMIT",
]

#: Largest dense matrix (number of entries) that ``format='numpy'`` will allocate.
DENSE_LIMIT = 50_000_000
#: Largest number of stored entries a builder will produce (SymPy needs ~1 KiB each).
NNZ_LIMIT = 5_000_000

_FORMATS = ("sympy", "numpy", "coo")


# --------------------------------------------------------------------------- structure from the relation


@lru_cache(maxsize=64)
def _spatial_pairs(rels: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (source, target, tap) triples of the spatial relation, flattened row-major.

    For each tap, the sources ``r`` (``0 <= r < o``) whose target ``r s + t d - p_b`` lies in
    ``[0, i)``. A convolution reads them as (output, input it gathers); a transposed
    convolution as (its input, output it scatters to). Ordered by tap (row-major over the
    axes' taps), then by source (row-major). Returned arrays are read-only (cached).

    Examples
    --------
    >>> from symconv.index import AxisRelation
    >>> [a.tolist() for a in _spatial_pairs((AxisRelation(i=4, o=3, k=2, s=1, d=1, p_b=1),))]
    [[1, 2, 0, 1, 2], [0, 1, 0, 1, 2], [0, 0, 1, 1, 1]]
    """
    axes = [_axis_pairs(rel) for rel in rels]   # per axis: sources, targets, taps (tap-major)
    rows, cols, taps = axes[0]
    for rel, (a_rows, a_cols, a_taps) in zip(rels[1:], axes[1:]):   # row-major product over the axes
        rows = (rows[:, None] * rel.o + a_rows[None, :]).ravel()
        cols = (cols[:, None] * rel.i + a_cols[None, :]).ravel()
        taps = (taps[:, None] * rel.k + a_taps[None, :]).ravel()
    if len(rels) > 1:
        # the product is ordered (t_0, r_0, t_1, r_1, ...); put every tap before every source
        order = np.argsort(taps * _prod(rel.o for rel in rels) + rows, kind="stable")
        rows, cols, taps = rows[order], cols[order], taps[order]
    result = (rows, cols, taps)
    for a in result:
        a.setflags(write=False)
    return result


def _axis_pairs(rel: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One axis's (source, target, tap) triples, tap by tap: the sources of each tap are its range
    from :func:`symconv.index.tap_ranges`, their targets the relation's
    :meth:`~symconv.index.AxisRelation.input_index`."""
    sources: list = []
    taps: list = []
    for t, (start, stop) in enumerate(tap_ranges(rel.i, rel.o, rel.k, rel.s, rel.d, rel.p_b)):
        sources.extend(range(start, stop))
        taps.extend([t] * (stop - start))
    rows = np.array(sources, dtype=np.int64)
    tap_array = np.array(taps, dtype=np.int64)
    return rows, np.asarray(rel.input_index(rows, tap_array), dtype=np.int64), tap_array


def _channel_blocks(spatial: tuple, n_out: int, n_in: int, out_channels: int, in_channels: int,
                    groups: int, n_taps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lift spatial (row, col, tap) triples to channels and groups.

    Output channel ``oc`` of group ``g`` reads input channel ``g*C_in/G + j`` through
    weight ``w[oc, j, tap]``. Returns (rows, cols, flat weight index).
    """
    rows, cols, taps = spatial
    if in_channels == out_channels == groups == 1:
        return rows, cols, taps
    cin_g, cout_g = in_channels // groups, out_channels // groups
    oc = np.arange(out_channels).repeat(cin_g)                 # (C_out * C_in/G,)
    j = np.tile(np.arange(cin_g), out_channels)
    ic = (oc // cout_g) * cin_g + j
    weight_base = (oc * cin_g + j) * n_taps
    all_rows = (oc[:, None] * n_out + rows[None, :]).ravel()
    all_cols = (ic[:, None] * n_in + cols[None, :]).ravel()
    all_w = (weight_base[:, None] + taps[None, :]).ravel()
    return all_rows, all_cols, all_w


def weight_symbols(weight_shape: tuple, single_channel: bool) -> np.ndarray:
    r"""Symbolic weights ``w_{a,b,...}`` in PyTorch layout; tap-only names for one channel.

    Examples
    --------
    >>> weight_symbols((1, 1, 2), True).ravel().tolist()
    [w_{0}, w_{1}]
    >>> weight_symbols((2, 1, 1), False).ravel().tolist()
    [w_{0,0,0}, w_{1,0,0}]
    """
    out = np.empty(weight_shape, dtype=object)
    for idx in np.ndindex(*weight_shape):
        label = idx[2:] if single_channel else idx
        out[idx] = sp.Symbol("w_{" + ",".join(str(v) for v in label) + "}")
    return out


def _weights(weight: Any, shape: tuple, owner: str) -> np.ndarray:
    single = shape[0] == 1 and shape[1] == 1
    if weight is None:
        return weight_symbols(shape, single)
    if type(weight) is np.ndarray and weight.dtype.kind in "iuf":
        arr = weight                        # numeric array: nothing symbolic, nothing to convert
    else:
        arr = np.asarray(weight, dtype=object) if _is_symbolic(weight) else np.asarray(weight)
    if arr.dtype.kind not in "biuf" and not all(
            isinstance(v, (sp.Basic, int, float, np.number)) and not isinstance(v, (bool, np.bool_))
            for v in arr.ravel()):
        raise TypeError(f"{owner}: weight entries must be numbers or SymPy expressions, got dtype {arr.dtype} "
                        f"(strings are never parsed)")
    if arr.dtype.kind == "b":
        raise TypeError(f"{owner}: weight must be numeric, got dtype bool")
    if single and arr.shape == shape[2:]:
        arr = arr.reshape(shape)
    if arr.shape != shape:
        raise ValueError(f"{owner}: weight must have shape {shape} (or {shape[2:]} for one channel), "
                         f"got weight.shape={arr.shape}")
    return arr


def _is_symbolic(weight: Any) -> bool:
    if isinstance(weight, (sp.MatrixBase, sp.NDimArray)):
        return True
    arr = np.asarray(weight, dtype=object)
    return any(isinstance(v, sp.Basic) for v in arr.ravel())


def _emit(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int],
          fmt: str, owner: str, unique: bool = False) -> Any:
    """One place that turns triplets into the requested matrix format.

    Entries at the same (row, col) add up; ``unique`` says that no two triplets share one.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"{owner}: format must be one of {', '.join(_FORMATS)}, got format={fmt!r}")
    if fmt == "coo":
        return rows, cols, values
    if fmt == "numpy":
        if values.dtype == object:
            try:
                values = values.astype(np.float64)
            except TypeError as exc:
                raise TypeError(f"{owner}: format='numpy' needs numeric weights (symbolic weights "
                                f"only with format='sympy')") from exc
        size = shape[0] * shape[1]
        if size > DENSE_LIMIT:
            raise ValueError(f"{owner}: a dense {shape[0]}x{shape[1]} matrix needs {size * 8 / 2**30:.1f} GiB; "
                             f"use format='coo' or 'sympy', or raise symconv.matrix.DENSE_LIMIT (now {DENSE_LIMIT})")
        dense = np.zeros(shape, dtype=np.result_type(values.dtype, np.float64) if values.size else np.float64)
        if unique and values.dtype.kind in "iu":
            dense[rows, cols] = values      # = adding to the zeros: exact for ints (no -0.0), and faster
        else:
            np.add.at(dense, (rows, cols), values)
        return dense
    entries: dict = {}
    for r, c, v in zip(rows.tolist(), cols.tolist(), values.tolist()):
        entries[(r, c)] = entries[(r, c)] + v if (r, c) in entries else v
    return sp.SparseMatrix(shape[0], shape[1], entries)


def _require_concrete(spec: Any, owner: str) -> None:
    if isinstance(spec, (ConvSpec, ConvTransposeSpec)):
        sizes = (*spec.input_size, *spec.kernel_size, *spec.stride, *spec.dilation, *sum(spec.padding, ()),
                 spec.in_channels, spec.out_channels, spec.groups)
        if set(map(type, sizes)) == {int}:
            return
    if spec.is_symbolic:
        raise ValueError(f"{owner}: concrete matrices need int sizes; for symbolic sizes use "
                         f"symconv.index.entry_formula(spec)")


def _require_small(entries: int, owner: str, what: Any) -> None:
    """Refuse, before allocating, a matrix with more stored entries than :data:`NNZ_LIMIT`.

    ``what`` names the matrix: a string, or a function returning it (built only for the error).
    """
    if entries > NNZ_LIMIT:
        what = what() if callable(what) else what
        raise ValueError(f"{owner}: {what} would store up to {entries:,} entries (about "
                         f"{entries * 1024 / 2**30:.1f} GiB as SymPy objects), over the limit of {NNZ_LIMIT:,}; "
                         f"use a smaller input, or raise symconv.matrix.NNZ_LIMIT")


def _prod(values: Any) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


# --------------------------------------------------------------------------- convolution


def conv_matrix(input_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                in_channels: int = 1, out_channels: int = 1, groups: int = 1, weight: Any = None,
                format: str = "sympy") -> Any:
    r"""The matrix :math:`C` of a convolution: ``C @ vec(x) == vec(conv(x))``.

    Parameters
    ----------
    input_size : int or tuple of int
        Spatial input size (its length sets the number of dimensions).
    kernel_size, stride, padding, dilation, in_channels, out_channels, groups
        As :class:`symconv.ConvSpec` (PyTorch names; padding also pairs, 'valid', 'same').
    weight : array-like, optional
        PyTorch layout ``(C_out, C_in/groups, *k)`` (or ``k`` alone for one channel);
        default: symbols ``w_{...}``.
    format : {'sympy', 'numpy', 'coo'}

    Returns
    -------
    sympy.SparseMatrix of shape ``(C_out * prod(o), C_in * prod(i))`` (or the chosen format).

    Raises
    ------
    ValueError
        Invalid spec (see :class:`ConvSpec`), symbolic sizes, weight of the wrong shape.

    Examples
    --------
    >>> conv_matrix(4, 3)
    Matrix([
    [w_{0}, w_{1}, w_{2},     0],
    [    0, w_{0}, w_{1}, w_{2}]])
    >>> conv_matrix(3, 2, dilation=2, padding=(0, 1), weight=[1, 2])
    Matrix([
    [1, 0, 2],
    [0, 1, 0]])

    Notes
    -----
    :math:`C[(o_c, r), (i_c, c)] = w[o_c, i_c - g C_{in}/G, t]` where :math:`c = r s + t d - p_b`
    on every axis.
    """
    ndim = len(input_size) if isinstance(input_size, (tuple, list)) else None
    spec = ConvSpec(kernel_size, stride, padding, dilation, in_channels, out_channels, groups,
                    input_size=input_size, ndim=ndim)
    return matrix_of(spec, weight, format)


def matrix_of(spec: ConvSpec | ConvTransposeSpec, weight: Any = None, format: str = "sympy") -> Any:
    """The matrix a convolution or transposed-convolution spec (with ``input_size``) determines.

    :func:`conv_matrix` and :func:`conv_transpose_matrix` build the spec from PyTorch's arguments
    and return this; a :class:`ConvSpec` gives C (gathered), a :class:`ConvTransposeSpec` the
    scatter-built matrix. ``weight`` and ``format`` as there.

    Examples
    --------
    >>> matrix_of(ConvSpec(3, input_size=4)) == conv_matrix(4, 3)
    True
    >>> matrix_of(ConvTransposeSpec(3, input_size=2), weight=[1, 2, 3], format="numpy").tolist()
    [[1.0, 0.0], [2.0, 1.0], [3.0, 2.0], [0.0, 3.0]]
    """
    if isinstance(spec, ConvTransposeSpec):
        owner, scatter, lines, what = "conv_transpose_matrix", True, spec.input_size, "the matrix"
    elif isinstance(spec, ConvSpec):
        owner, scatter, lines, what = "conv_matrix", False, spec.output_size, "C"
    else:
        raise TypeError(f"matrix_of: spec must be a ConvSpec or a ConvTransposeSpec, got {type(spec).__name__}")
    _require_concrete(spec, owner)
    _require_small(spec.out_channels * (spec.in_channels // spec.groups) * _prod(lines) * _prod(spec.kernel_size),
                   owner, lambda: f"{what} for input_size={spec.input_size}")
    return _weighted_matrix(spec, weight, format, owner, scatter)


def _weighted_matrix(spec: Any, weight: Any, fmt: str, owner: str, scatter: bool) -> Any:
    """C (gather) or the transposed layer's matrix (scatter) from the relation's (source, target, tap) triples.

    ``spec`` has been checked by :func:`matrix_of` (concrete, small enough).

    Gather: output ``r`` reads input ``r s + t d - p_b`` through ``w[o, c_local, t]``. Scatter: this
    layer's input ``c'`` is written to output ``m = c' s + t d - p_b``, input channel ``a`` feeding
    output channel ``b`` through ``w[a, b_local, t]``.
    """
    rels = relations(spec)                  # o: the side indexed by r (conv's output, the transpose's input)
    weights = _weights(weight, spec.weight_shape, owner)
    n_sources, n_targets = _prod(rel.o for rel in rels), _prod(rel.i for rel in rels)
    n_in, n_out = (n_sources, n_targets) if scatter else (n_targets, n_sources)
    n_taps = _prod(spec.kernel_size)
    triples = _spatial_pairs(rels)
    if scatter:
        cols, rows, w_index = _channel_blocks(triples, n_in, n_out, spec.in_channels, spec.out_channels,
                                              spec.groups, n_taps)
    else:
        rows, cols, w_index = _channel_blocks(triples, n_out, n_in, spec.out_channels, spec.in_channels,
                                              spec.groups, n_taps)
    shape = (spec.out_channels * n_out, spec.in_channels * n_in)
    # one entry per (row, col): a tap is fixed by (r, c) (c = r s + t d - p_b, d >= 1), j by (oc, ic)
    return _emit(rows, cols, weights.ravel()[w_index], shape, fmt, owner, unique=True)


def conv_transpose_matrix(input_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                          output_padding: Any = 0, dilation: Any = 1, in_channels: int = 1,
                          out_channels: int = 1, groups: int = 1, weight: Any = None,
                          format: str = "sympy") -> Any:
    r"""The matrix of a transposed convolution, built from its scatter definition.

    Each input position :math:`c'` adds :math:`w_t\, y[c']` to output :math:`m = c' s + t d - p_b`
    (kept when :math:`0 \le m < o'`). ``input_size`` is this layer's input, so
    ``conv_transpose_matrix((2, 2), 3)`` is the 16x4 matrix taking 2x2 to 4x4.

    Parameters
    ----------
    weight : array-like, optional
        PyTorch layout ``(C_in, C_out/groups, *k)``; default symbols.

    Examples
    --------
    >>> conv_transpose_matrix(2, 3)
    Matrix([
    [w_{0},     0],
    [w_{1}, w_{0}],
    [w_{2}, w_{1}],
    [    0, w_{2}]])
    >>> conv_transpose_matrix(2, 3) == conv_matrix(4, 3).T
    True

    Notes
    -----
    It equals ``conv_matrix(o', ...).T`` whenever ``output_padding < stride`` on every axis
    (then the convolution maps ``o'`` back to exactly ``input_size``). With
    ``stride <= output_padding < dilation`` that convolution has more outputs than this
    layer has inputs, and this matrix is its transpose with those extra columns left out.
    """
    ndim = len(input_size) if isinstance(input_size, (tuple, list)) else None
    spec = ConvTransposeSpec(kernel_size, stride, padding, output_padding, dilation, in_channels,
                             out_channels, groups, input_size=input_size, ndim=ndim)
    return matrix_of(spec, weight, format)


# --------------------------------------------------------------------------- pooling switches and unpooling


def _pool_spec_for(x: np.ndarray, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool) -> tuple[MaxPoolSpec, np.ndarray]:
    ndim = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else None
    x = np.asarray(x)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"pool_switch_matrix: x must be a real numeric array, got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError(f"pool_switch_matrix: x must not be empty, got x.shape={x.shape}")
    if ndim is None:
        ndim = x.ndim
    if x.ndim not in (ndim, ndim + 1):
        raise ValueError(f"pool_switch_matrix: x must have {ndim} spatial dimensions (optionally a leading "
                         f"channel axis), got x.shape={x.shape}")
    planes = x.reshape((-1,) + x.shape[x.ndim - ndim:])
    spec = MaxPoolSpec(kernel_size, stride, padding, dilation, ceil_mode, input_size=planes.shape[1:], ndim=ndim)
    return spec, planes


@lru_cache(maxsize=1024)
def _window_table(spec: MaxPoolSpec) -> np.ndarray:
    """``table[r, t]`` = flat input read by output ``r`` through tap ``t``, or -1 in the padding
    (cached per spec: one pooling call reads it up to three times; read-only)."""
    rows, cols, taps = _spatial_pairs(relations(spec))
    table = np.full((_prod(spec.output_size), _prod(spec.kernel_size)), -1, dtype=np.int64)
    table[rows, taps] = cols
    table.setflags(write=False)
    return table


def pool_switches(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                  ceil_mode: bool = False) -> np.ndarray:
    """The switches of max pooling: per output, the flat input position of its window's maximum.

    PyTorch's convention: positions are row-major within one plane of the unpadded input;
    the first maximum in scan order wins; NaN wins; padding never wins.

    Examples
    --------
    >>> pool_switches([1, 5, 2, 0, 3], 3, stride=1)
    array([1, 1, 4])
    """
    spec, planes = _pool_spec_for(x, kernel_size, stride, padding, dilation, ceil_mode)
    out_shape = tuple(int(v) for v in spec.output_size)
    x = np.asarray(x)
    lead = x.shape[: x.ndim - spec.ndim]
    return _plane_switches(spec, planes).reshape(lead + out_shape)


def _plane_switches(spec: MaxPoolSpec, planes: np.ndarray) -> np.ndarray:
    """Per plane and output, the flat input position of the window maximum: shape (planes, prod(o))."""
    table = _window_table(spec)
    values = np.where(table >= 0, planes.reshape(planes.shape[0], -1)[:, np.maximum(table, 0)], -np.inf)
    nan = np.isnan(values) if np.issubdtype(values.dtype, np.floating) else np.zeros(values.shape, bool)
    winner = np.where(nan.any(axis=-1), nan.argmax(axis=-1), values.argmax(axis=-1))
    switches = np.take_along_axis(np.broadcast_to(table, values.shape), winner[..., None], -1)[..., 0]
    empty = (table < 0).all(axis=-1)
    if empty.any():
        switches = np.where(empty, _empty_window_switches(spec), switches)
    return switches


def _empty_window_switches(spec: MaxPoolSpec) -> np.ndarray:
    """PyTorch's index for a window with no input element (value -inf): its first tap at a position >= 0,
    row-major over the input sizes, although that position lies past the input's end."""
    flat = np.zeros(1, dtype=np.int64)
    for rel in relations(spec):
        start = rel.input_index(np.arange(int(rel.o)), 0)
        first = start + int(rel.d) * (-(start // int(rel.d))).clip(min=0) * (start < 0)
        flat = (flat[:, None] * int(rel.i) + first[None, :]).ravel()
    return flat


def pool_switch_matrix(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                       ceil_mode: bool = False, format: str = "sympy") -> Any:
    r"""The selection matrix :math:`P(x)` with :math:`\mathrm{maxpool}(x) = P(x)\,x`.

    ``x`` is one plane (``ndim`` spatial axes) or ``(C, *spatial)``; one 1 per row, at the
    window's argmax (:func:`pool_switches`).

    Examples
    --------
    >>> pool_switch_matrix([1, 5, 2, 0, 3], 3, stride=1)
    Matrix([
    [0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0],
    [0, 0, 0, 0, 1]])
    """
    spec, planes = _pool_spec_for(x, kernel_size, stride, padding, dilation, ceil_mode)
    switches = _plane_switches(spec, planes)
    n_in, n_out = _prod(spec.input_size), switches.shape[1]
    channel = np.arange(planes.shape[0])[:, None]
    rows = (channel * n_out + np.arange(n_out)[None, :]).ravel()
    cols = (channel * n_in + switches).ravel()
    # a window with no input element (torch: -inf, index past the input) selects nothing: its row is 0
    keep = np.broadcast_to(~(_window_table(spec) < 0).all(axis=-1), switches.shape).ravel()
    rows, cols = rows[keep], cols[keep]
    shape = (planes.shape[0] * n_out, planes.shape[0] * n_in)
    return _emit(rows, cols, np.ones(rows.shape, dtype=np.int64), shape, format, "pool_switch_matrix")


def unpool_matrix(indices: Any, output_size: Any, format: str = "sympy") -> Any:
    r"""The matrix of max-unpooling: value ``r`` goes to flat position ``indices[r]``, zeros elsewhere.

    ``indices`` are switches in PyTorch's per-plane convention, shape ``(*o)`` or ``(C, *o)``;
    ``output_size`` is the spatial size of one unpooled plane. Unpooling is a scatter-*assign*:
    when two windows share an argmax the later one (row-major) wins, so this equals
    :math:`P(x)^T` exactly when no two windows share an argmax (the proof engine states it).

    Examples
    --------
    >>> unpool_matrix([1, 1, 4], 5)
    Matrix([
    [0, 0, 0],
    [0, 1, 0],
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 1]])
    """
    owner = "unpool_matrix"
    idx = np.asarray(indices)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{owner}: indices must be integers, got dtype {idx.dtype}")
    out = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,)
    ndim = len(out)
    if idx.ndim not in (ndim, ndim + 1):
        raise ValueError(f"{owner}: indices must have {ndim} spatial axes (optionally a leading channel axis), "
                         f"got indices.shape={idx.shape}")
    n_out = 1
    for j, v in enumerate(out):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{owner}: output_size must be ints >= 1, got output_size={output_size!r}")
        n_out *= int(v)
    planes = idx.reshape(-1, int(np.prod(idx.shape[idx.ndim - ndim:])))
    if planes.size and (planes.min() < 0 or planes.max() >= n_out):
        raise ValueError(f"{owner}: indices must lie in [0, {n_out}) for output_size={out}, "
                         f"got values in [{planes.min()}, {planes.max()}]")
    n_in = planes.shape[1]
    rows, cols = [], []
    for ch, plane in enumerate(planes):
        last = {}
        for r, target in enumerate(plane.tolist()):
            last[target] = r                        # scatter-assign: the last write wins
        for target, r in sorted(last.items()):
            rows.append(ch * n_out + target)
            cols.append(ch * n_in + r)
    rows_a, cols_a = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    shape = (planes.shape[0] * n_out, planes.shape[0] * n_in)
    return _emit(rows_a, cols_a, np.ones(rows_a.shape, dtype=np.int64), shape, format, owner)


# --------------------------------------------------------------------------- interpolation


def upsample_matrix(input_size: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                    align_corners: Any = None, format: str = "sympy") -> Any:
    r"""The matrix of interpolation (``F.interpolate`` semantics) with exact rational weights.

    Separable: the N-D matrix is the Kronecker product of the per-axis matrices built from
    each axis's coordinate map (:func:`symconv.index.resample_axis`).

    Examples
    --------
    >>> upsample_matrix(2, scale_factor=2)
    Matrix([
    [1, 0],
    [1, 0],
    [0, 1],
    [0, 1]])
    >>> upsample_matrix(2, scale_factor=2, mode="linear")
    Matrix([
    [   1,    0],
    [3/4, 1/4],
    [1/4, 3/4],
    [   0,    1]])
    """
    from .index import resample_axis
    ndim = len(input_size) if isinstance(input_size, (tuple, list)) else None
    spec = UpsampleSpec(size, scale_factor, mode, align_corners, input_size=input_size, ndim=ndim)
    owner = "upsample_matrix"
    _require_concrete(spec, owner)
    taps = 4 if spec.mode == "bicubic" else 2 if spec.mode in ("linear", "bilinear", "trilinear") else 1
    _require_small(_prod(spec.output_size) * taps ** spec.ndim + sum(int(o) for o in spec.output_size), owner,
                   f"the interpolation matrix for output size {spec.output_size}")
    maps = [resample_axis(spec.input_size[j], spec.output_size[j], spec.mode, spec.align_corners,
                          spec.scale_factor[j] if spec.scale_factor is not None else None)
            for j in range(spec.ndim)]
    return _separable(maps, spec.input_size, spec.output_size, format, owner)


def _separable(maps: list, input_size: tuple, output_size: tuple, fmt: str, owner: str) -> Any:
    """The Kronecker product of per-axis (rows, cols, values) maps, row-major over the axes.

    Rational weights are multiplied exactly as integer numerators over one common denominator per
    axis (int64 arrays, far cheaper than SymPy or Fraction objects); the entries come out as SymPy
    Rationals (``format='sympy'``/``'coo'``) or floats (each the correctly rounded quotient)."""
    rows, cols = np.zeros(1, np.int64), np.zeros(1, np.int64)
    n_in, n_out = 1, 1
    for (a_rows, a_cols, _vals), i_j, o_j in zip(maps, input_size, output_size):
        rows = (rows[:, None] * o_j + a_rows[None, :]).ravel()
        cols = (cols[:, None] * i_j + a_cols[None, :]).ravel()
        n_in, n_out = n_in * int(i_j), n_out * int(o_j)
    exact = _rational_kronecker([vals for _r, _c, vals in maps])
    if exact is None:                                # symbolic weights: SymPy arithmetic
        values = _objects([sp.Integer(1)])
        for _r, _c, vals in maps:
            values = (values[:, None] * vals[None, :]).ravel()
        keep = np.array([v != 0 for v in values], dtype=bool)
        return _emit(rows[keep], cols[keep], values[keep], (n_out, n_in), fmt, owner)
    numerators, denominator = exact
    keep = numerators != 0
    numerators = numerators[keep]
    if fmt == "numpy":                               # exact integers below 2**53: the division rounds once
        values = numerators / float(denominator)
    else:
        values = _objects([sp.Rational(int(v), denominator) for v in numerators])
    return _emit(rows[keep], cols[keep], values, (n_out, n_in), fmt, owner)


def _rational_kronecker(axis_values: list) -> tuple[np.ndarray, int] | None:
    """The Kronecker product of per-axis rational weights as (int64 numerators, common denominator), or
    None when a weight is not a SymPy Rational or a numerator could reach 2**53 (then floats would round)."""
    numerators, denominator = np.ones(1, dtype=np.int64), 1
    for vals in axis_values:
        if not all(isinstance(v, sp.Rational) for v in vals):
            return None
        common = math.lcm(*(int(v.q) for v in vals)) if len(vals) else 1
        axis = np.array([int(v.p) * (common // int(v.q)) for v in vals], dtype=object)
        bound = max((abs(int(v)) for v in axis), default=0) * max(int(np.abs(numerators).max(initial=0)), 1)
        if bound >= 2 ** 53 or denominator * common >= 2 ** 53:
            return None
        numerators = (numerators[:, None] * axis.astype(np.int64)[None, :]).ravel()
        denominator *= common
    return numerators, denominator


def _objects(items: list) -> np.ndarray:
    """A 1-D object array holding ``items`` as they are."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def resize_matrix(input_size: Any, scales: Any = None, sizes: Any = None, mode: str = "nearest",
                  coordinate_transformation_mode: str = "half_pixel", nearest_mode: str = "round_prefer_floor",
                  cubic_coeff_a: Any = -0.75, exclude_outside: bool = False, antialias: bool = False,
                  roi: Any = None, keep_aspect_ratio_policy: str = "stretch", format: str = "sympy") -> Any:
    r"""The matrix of ONNX Resize over the given axes, with exact rational weights.

    Separable: the Kronecker product of the per-axis maps of
    :func:`symconv.resize.resize_axis` (every ``coordinate_transformation_mode``, ``nearest_mode``,
    ``cubic_coeff_a``, ``exclude_outside``, ``antialias``; scales as their exact binary value).
    With tf_crop_and_resize the rows of extrapolated outputs are zero: the operator is then
    affine, :math:`y = Mx + e\,m` with ``extrapolation_value`` :math:`e` on those rows (:math:`m`).

    Examples
    --------
    >>> resize_matrix((4,), scales=(0.5,), mode="linear")
    Matrix([
    [1/2, 1/2,   0,   0],
    [  0,   0, 1/2, 1/2]])
    >>> resize_matrix((3,), sizes=(2,), mode="cubic", coordinate_transformation_mode="align_corners")
    Matrix([
    [1, 0, 0],
    [0, 0, 1]])
    """
    from .resize import resize_axes
    owner = "resize_matrix"
    input_size = tuple(input_size) if isinstance(input_size, (tuple, list)) else (input_size,)
    scales = None if scales is None else tuple(scales) if isinstance(scales, (tuple, list)) else (scales,)
    sizes = None if sizes is None else tuple(sizes) if isinstance(sizes, (tuple, list)) else (sizes,)
    roi = None if roi is None else tuple(roi)
    out, maps = resize_axes(input_size, scales, sizes, keep_aspect_ratio_policy, roi, mode=mode,
                            coordinate_transformation_mode=coordinate_transformation_mode, nearest_mode=nearest_mode,
                            cubic_coeff_a=cubic_coeff_a, exclude_outside=bool(exclude_outside),
                            antialias=bool(antialias))
    _require_small(_prod(len(m[0]) for m in maps), owner, f"the resize matrix for output size {out}")
    rational = [(r, c, np.array([sp.Rational(v.numerator, v.denominator) for v in w], dtype=object))
                for r, c, w, _ in maps]
    return _separable(rational, input_size, out, format, owner)
