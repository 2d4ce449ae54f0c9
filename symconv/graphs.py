r"""Connectivity graphs: which inputs feed which outputs, as networkx views of the index relation.

A sliding-window operator is the relation :math:`c = r s + t d - p_b` on every axis
(:mod:`symconv.index`). Its *connectivity graph* is the bipartite ``DiGraph`` with an
edge from input node ``("in", c)`` to output node ``("out", r)`` labelled ``tap=t``:
a convolution or pooling layer gathers along the relation, so its edges run
``c -> r``; a transposed convolution (and max-unpooling) scatters along the *same*
relation, so its edges run ``r -> c``. The graph of a transposed convolution is
therefore exactly the reverse of its forward convolution's graph, with the input and
output sides swapped (:func:`transpose_graph`; tested, not constructed).

Edges are read off the relation solved for ``r`` (:func:`symconv.index.tap_progressions`),
never by testing pairs. Every axis is independent, so the N-D graph is the tensor
product of the per-axis graphs (``axis=j`` builds one), and every degree is the product
of the per-axis degrees: the scalable analyses (:func:`overlap_counts`,
:mod:`symconv.stack`) use per-axis arrays and closed forms, and the full graph only for
small sizes.

Examples
--------
>>> from symconv import ConvSpec, ConvTransposeSpec
>>> g = graph(ConvSpec(3, stride=2), input_size=5)
>>> sorted(g.in_degree(n) for n in g if n[0] == "out")
[3, 3]
>>> g.edges[("in", (2,)), ("out", (1,))]["tap"]
(0,)
>>> t = graph(ConvTransposeSpec(3, stride=2), input_size=2)
>>> same_graph(transpose_graph(g), t)
True
>>> overlap_counts(ConvTransposeSpec(3, stride=2), input_size=4)
(array([1, 1, 2, 1, 2, 1, 2, 1, 1]),)
"""
from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from itertools import product
from math import gcd
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import sympy as sp

from ._io import write_files
from .index import MODE_FAMILY, AxisRelation, cubic_weight, relations, resample_axis, source_coordinate, source_step, \
    tap_progressions
from .spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec

__all__ = [
    "graph",
    "transpose_graph",
    "same_graph",
    "overlap_counts",
    "overlap_map",
    "overlap_count",
    "overlap_pattern",
    "interior",
    "ReceptiveHull",
    "plot_overlap",
    "GRAPH_EDGE_LIMIT",
]

#: Largest graph (number of edges) that :func:`graph` builds; use ``axis=j`` or the closed forms beyond it.
GRAPH_EDGE_LIMIT = 2_000_000

_GATHER = (ConvSpec, MaxPoolSpec, AvgPoolSpec)
_SCATTER = (ConvTransposeSpec, MaxUnpoolSpec)
_WINDOW = _GATHER + _SCATTER


def _resolve(spec: Any, input_size: Any, owner: str) -> Any:
    """The spec with ``input_size`` applied (if given), checked to be concrete."""
    if not isinstance(spec, _WINDOW + (UpsampleSpec,)):
        raise TypeError(f"{owner}: spec must be a symconv spec (ConvSpec, ConvTransposeSpec, MaxPoolSpec, "
                        f"AvgPoolSpec, MaxUnpoolSpec or UpsampleSpec), got {type(spec).__name__}")
    if input_size is not None:
        spec = spec.with_input(input_size)
    if spec.input_size is None:
        raise ValueError(f"{owner}: input_size is unknown; pass input_size or use spec.with_input(size)")
    if spec.is_symbolic:
        raise ValueError(f"{owner}: graphs need int sizes, got a symbolic spec; for symbolic sizes use "
                         f"symconv.graphs.overlap_count or symconv.index.entry_formula")
    return spec


def _axes(spec: Any, axis: Any, owner: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(spec.ndim))
    if isinstance(axis, bool) or not isinstance(axis, int) or not 0 <= axis < spec.ndim:
        raise ValueError(f"{owner}: axis must be an int in [0, {spec.ndim}) or None, got axis={axis!r}")
    return (axis,)


def _axis_edges(spec: Any, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Per-axis (source, target, tap, weight) arrays, sources and targets as *this layer's* positions."""
    if isinstance(spec, UpsampleSpec):
        scale = spec.scale_factor[j] if spec.scale_factor is not None else None
        dst, src, weight = resample_axis(spec.input_size[j], spec.output_size[j], spec.mode, spec.align_corners,
                                         scale)
        return src, dst, None, weight
    rel = relations(spec)[j]
    starts, stops = tap_progressions(rel.i, rel.o, rel.k, rel.s, rel.d, rel.p_b)
    r = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)]).astype(np.int64)
    t = np.repeat(np.arange(rel.k), stops - starts).astype(np.int64)
    c = rel.input_index(r, t)
    if isinstance(spec, _GATHER):
        return c, r, t, None            # input c feeds output r
    return r, c, t, None                # input r is scattered to output c


def graph(spec: Any, input_size: Any = None, axis: int | None = None) -> nx.DiGraph:
    r"""The bipartite connectivity graph of one layer: input positions -> output positions.

    Parameters
    ----------
    spec : ConvSpec, ConvTransposeSpec, MaxPoolSpec, AvgPoolSpec, MaxUnpoolSpec or UpsampleSpec
        The layer; its ``input_size`` is used unless ``input_size`` is given.
    input_size : int or tuple of int, optional
        The layer's own input size (for a transposed layer: the small side).
    axis : int, optional
        Build the 1-D graph of one spatial axis only (positions are then 1-tuples).

    Returns
    -------
    networkx.DiGraph
        Nodes ``("in", position)`` (attribute ``bipartite=0``) and ``("out", position)``
        (``bipartite=1``), positions as tuples; every position is a node, connected or not.
        Edges carry ``tap`` (the kernel tap, a tuple) for sliding-window layers; for
        upsampling, ``weight`` (the exact interpolation weight) and ``tap=None``. For max
        pooling the edges are the *possible* switches; unpooling reverses them.

    Raises
    ------
    TypeError
        ``spec`` is not a symconv spec.
    ValueError
        Unknown or symbolic sizes, a bad ``axis``, or more than :data:`GRAPH_EDGE_LIMIT` edges.

    Examples
    --------
    >>> g = graph(ConvSpec(2), input_size=3)
    >>> sorted(g.edges(data="tap"))
    [(('in', (0,)), ('out', (0,)), (0,)), (('in', (1,)), ('out', (0,)), (1,)), (('in', (1,)), ('out', (1,)), (0,)), (('in', (2,)), ('out', (1,)), (1,))]
    >>> g2 = graph(ConvSpec((3, 3), padding=1), input_size=(4, 4))
    >>> g2.number_of_edges(), g2.in_degree(("out", (0, 0))), g2.in_degree(("out", (1, 1)))
    (100, 4, 9)
    >>> graph(ConvSpec((3, 3), padding=1), input_size=(4, 4), axis=1).number_of_edges()
    10

    Notes
    -----
    Edge ``c -> r`` (gather) or ``r -> c`` (scatter) iff :math:`c = r s + t d - p_b` with
    :math:`0 \le r < o`, :math:`0 \le t < k`, :math:`0 \le c < i` on every axis, where the
    relation of a transposed layer is its forward convolution's (:func:`symconv.index.relations`).
    """
    owner = "graph"
    spec = _resolve(spec, input_size, owner)
    axes = _axes(spec, axis, owner)
    per_axis = [_axis_edges(spec, j) for j in axes]
    n_edges = int(np.prod([len(e[0]) for e in per_axis]))
    if n_edges > GRAPH_EDGE_LIMIT:
        raise ValueError(f"{owner}: the graph would have {n_edges} edges (limit GRAPH_EDGE_LIMIT="
                         f"{GRAPH_EDGE_LIMIT}); build one axis with axis=j (degrees multiply across axes) "
                         f"or use symconv.graphs.overlap_counts")
    in_shape = tuple(int(spec.input_size[j]) for j in axes)
    out_shape = tuple(int(spec.output_size[j]) for j in axes)
    g = nx.DiGraph(op=spec.op, input_size=in_shape, output_size=out_shape)
    g.add_nodes_from((("in", pos) for pos in np.ndindex(*in_shape)), bipartite=0)
    g.add_nodes_from((("out", pos) for pos in np.ndindex(*out_shape)), bipartite=1)
    lists = [[(int(a), int(b), None if tap is None else int(tap[e]), None if w is None else w[e])
              for e, (a, b) in enumerate(zip(src.tolist(), dst.tolist()))]
             for src, dst, tap, w in per_axis]
    for combo in product(*lists):
        source = tuple(e[0] for e in combo)
        target = tuple(e[1] for e in combo)
        if combo and combo[0][3] is not None:
            weight = sp.Mul(*(e[3] for e in combo))
            g.add_edge(("in", source), ("out", target), tap=None, weight=weight)
        else:
            g.add_edge(("in", source), ("out", target), tap=tuple(e[2] for e in combo))
    return g


def transpose_graph(g: nx.DiGraph) -> nx.DiGraph:
    """The reversed graph with the sides renamed: ``("out", r) -> ("in", c)`` becomes ``("in", r) -> ("out", c)``.

    For a convolution ``g`` this is the graph of the transposed convolution that maps its
    output size back (same kernel, stride, padding, dilation) -- the graph form of
    :math:`C^T`.

    Examples
    --------
    >>> g = graph(ConvSpec(3), input_size=4)
    >>> t = transpose_graph(g)
    >>> sorted(t.successors(("in", (0,))))
    [('out', (0,)), ('out', (1,)), ('out', (2,))]
    >>> same_graph(transpose_graph(t), g)
    True
    """
    swap = {"in": "out", "out": "in"}
    out = nx.DiGraph(**{key: value for key, value in g.graph.items()
                        if key not in ("input_size", "output_size", "op")})
    if "input_size" in g.graph and "output_size" in g.graph:
        out.graph.update(input_size=g.graph["output_size"], output_size=g.graph["input_size"])
    out.add_nodes_from(((swap[side], pos), {**data, "bipartite": 1 - data.get("bipartite", 0)})
                       for (side, pos), data in g.nodes(data=True))
    out.add_edges_from(((swap[v[0]], v[1]), (swap[u[0]], u[1]), dict(data)) for u, v, data in g.edges(data=True))
    return out


def same_graph(g: nx.DiGraph, h: nx.DiGraph) -> bool:
    """True when two graphs have the same nodes, the same edges and the same edge attributes.

    Examples
    --------
    >>> same_graph(graph(ConvSpec(2), input_size=3), graph(ConvSpec(2), input_size=4))
    False
    """
    return (set(g.nodes) == set(h.nodes) and set(g.edges) == set(h.edges)
            and all(g.edges[e] == h.edges[e] for e in g.edges))


# --------------------------------------------------------------------------- overlap (in-degree) analysis


def overlap_counts(spec: Any, input_size: Any = None) -> tuple[np.ndarray, ...]:
    r"""Per-axis in-degree of every output position (how many input-tap pairs write to it).

    For a transposed convolution this is the overlap map of Odena et al. (2016): the N-D
    count at position ``m`` is the product over axes of ``counts[j][m_j]`` -- equivalently
    the row sums of :math:`C^T` with an all-ones kernel, or the column sums of :math:`C`.
    For a convolution or pooling layer it is the number of taps that land inside the
    input (the padding-clipped window size).

    Parameters
    ----------
    spec : a sliding-window spec
    input_size : int or tuple of int, optional

    Returns
    -------
    tuple of ndarray
        One int64 array per axis, of length ``output_size[j]``.

    Examples
    --------
    >>> overlap_counts(ConvTransposeSpec((4, 3), stride=(2, 3)), input_size=(3, 3))
    (array([1, 1, 2, 2, 2, 2, 1, 1]), array([1, 1, 1, 1, 1, 1, 1, 1, 1]))
    >>> overlap_counts(ConvSpec(3, padding=1), input_size=4)
    (array([2, 3, 3, 2]),)
    """
    owner = "overlap_counts"
    spec = _resolve(spec, input_size, owner)
    if not isinstance(spec, _WINDOW):
        raise TypeError(f"{owner}: spec must be a sliding-window spec, got {type(spec).__name__}")
    out = []
    for j in range(spec.ndim):
        _source, target, _tap, _w = _axis_edges(spec, j)
        out.append(np.bincount(target, minlength=int(spec.output_size[j])).astype(np.int64))
    return tuple(out)


def overlap_map(spec: Any, input_size: Any = None) -> np.ndarray:
    """The N-D overlap map: the outer product of :func:`overlap_counts` (the output nodes' in-degrees).

    Examples
    --------
    >>> overlap_map(ConvTransposeSpec((3, 3), stride=2), input_size=(3, 3))[1:5, 1:5]
    array([[1, 2, 1, 2],
           [2, 4, 2, 4],
           [1, 2, 1, 2],
           [2, 4, 2, 4]])
    """
    counts = overlap_counts(spec, input_size)
    result = counts[0]
    for c in counts[1:]:
        result = np.multiply.outer(result, c)
    return result


def interior(spec: Any, input_size: Any = None) -> tuple[tuple[int, int], ...]:
    r"""Per axis, the half-open range of output positions that receive *every* possible contribution.

    For a scatter (transposed convolution, unpooling) output ``m`` is interior when all
    sources :math:`r = (m + p_b - t d)/s` it could have lie inside the input:
    :math:`d(k-1) - p_b \le m \le s(o-1) - p_b` (``o`` the layer's input size); for a
    gather, when its whole window lies inside the input. Ranges may be empty.

    Examples
    --------
    >>> interior(ConvTransposeSpec(3, stride=2), input_size=4)
    ((2, 7),)
    >>> interior(ConvSpec(3, padding=1), input_size=4)
    ((1, 3),)
    """
    spec = _resolve(spec, input_size, "interior")
    return tuple(rel.interior(scatter=isinstance(spec, _SCATTER)) for rel in relations(spec))


def overlap_count(m: Any, k: Any, s: Any, p: Any = 0, d: Any = 1) -> Any:
    r"""Closed form: contributions to interior output ``m`` of a transposed convolution (one axis).

    With unit dilation (Odena et al.; REFERENCE section 7):

    .. math:: n(m) = \left\lfloor \frac{k - 1 - ((m + p) \bmod s)}{s} \right\rfloor + 1 .

    Dilated generalisation (``d`` and ``s`` ints): the taps writing to ``m`` are the
    :math:`t \in [0, k)` with :math:`t d \equiv m + p \pmod s`. With :math:`g = \gcd(d, s)`,
    :math:`s' = s/g` there are none unless :math:`g \mid m + p`; otherwise they form the
    progression :math:`t \equiv t_0 \pmod{s'}`,
    :math:`t_0 = ((m + p)/g)\,(d/g)^{-1} \bmod s'`, so

    .. math:: n(m) = [\,g \mid m + p\,] \left( \left\lfloor \frac{k - 1 - t_0}{s'} \right\rfloor + 1 \right).

    Parameters
    ----------
    m : int or integer symbol
        Output position (interior: see :func:`interior`).
    k, s, d : int or integer symbol
        Kernel size, stride, dilation; ``d != 1`` needs int ``s`` and ``d``.
    p : int or integer symbol
        Padding before (``p_b``).

    Examples
    --------
    >>> [overlap_count(m, 3, 2) for m in range(4)]
    [2, 1, 2, 1]
    >>> [overlap_count(m, 5, 3) for m in range(3)], [overlap_count(m, 4, 3) for m in range(3)]
    ([2, 2, 1], [2, 1, 1])
    >>> from symconv.symbols import k, s, p
    >>> m = sp.Symbol("m", integer=True, nonnegative=True)
    >>> overlap_count(m, k, s, p)
    floor((k - Mod(m + p, s) - 1)/s) + 1
    >>> [overlap_count(m, 3, 4, d=2) for m in range(4)]
    [2, 0, 1, 0]
    """
    owner = "overlap_count"
    if d == 1:
        if all(isinstance(v, int) for v in (m, k, s, p)):
            return (k - 1 - (m + p) % s) // s + 1
        return sp.floor((k - 1 - sp.Mod(m + p, s)) / s) + 1
    if not (isinstance(d, int) and isinstance(s, int)) or isinstance(d, bool) or isinstance(s, bool):
        raise TypeError(f"{owner}: with dilation != 1, stride and dilation must be ints (a modular inverse is "
                        f"involved), got stride={s!r}, dilation={d!r}")
    if d < 1 or s < 1:
        raise ValueError(f"{owner}: stride and dilation must be >= 1, got stride={s}, dilation={d}")
    g = gcd(d, s)
    s1 = s // g
    inverse = pow(d // g, -1, s1) if s1 > 1 else 0
    if all(isinstance(v, int) for v in (m, k, p)):
        if (m + p) % g:
            return 0
        t0 = ((m + p) // g * inverse) % s1
        return (k - 1 - t0) // s1 + 1
    t0 = sp.Mod(inverse * (m + p), s) / g          # = ((m+p)/g * inverse) mod s'  when g | m+p
    return sp.Piecewise((sp.floor((k - 1 - t0) / s1) + 1, sp.Eq(sp.Mod(m + p, g), 0)), (0, True))


def overlap_pattern(k: int, s: int, p: int = 0, d: int = 1) -> tuple[int, ...]:
    r"""One period of the interior overlap counts of a transposed convolution, by output phase.

    Entry ``j`` is :func:`overlap_count` at any interior ``m`` with :math:`m \equiv j \pmod s`.
    Uniform (all equal) iff there is no checkerboard; with ``d = 1`` iff :math:`s \mid k`.

    Examples
    --------
    >>> overlap_pattern(3, 2), overlap_pattern(4, 2), overlap_pattern(3, 2, p=1)
    ((2, 1), (2, 2), (1, 2))
    """
    return tuple(int(overlap_count(j, k, s, p, d)) for j in range(s))


# --------------------------------------------------------------------------- receptive fields on an unbounded axis


@dataclass(frozen=True, eq=False)
class ReceptiveHull:
    r"""Receptive-field hulls on one unbounded axis: output ``n`` sees input pixels ``[lo(n), hi(n)]``.

    After any stack of layers the hulls are quasi-periodic, :math:`lo(n + P) = lo(n) + Q` (and
    the same for ``hi``), so one period of length ``period`` = :math:`P` determines all of them;
    the jump is :math:`Q/P`. :meth:`then` composes one more layer exactly (its sources per
    output are read off the index relation), so the receptive field of an output away from the
    borders is exact even where transposed layers make the hulls differ from output to output.
    ``ok[n]`` is False where an output has no source (a dilated transposed layer whose dilation
    and stride share a factor).

    Examples
    --------
    >>> h = ReceptiveHull.identity().then(ConvSpec(3, stride=2)).then(ConvTransposeSpec(3, stride=2))
    >>> h.receptive_field, h.jump, h.period
    (5, 1, 2)
    >>> [(int(lo), int(hi)) for lo, hi in zip(h.lo, h.hi)]
    [(-2, 2), (0, 2)]
    """

    period: int
    shift: int
    lo: np.ndarray
    hi: np.ndarray
    ok: np.ndarray

    @classmethod
    def identity(cls) -> "ReceptiveHull":
        """The input itself: pixel ``n`` sees ``[n, n]``."""
        return cls(1, 1, np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1, bool))

    def at(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``lo(n)``, ``hi(n)`` and ``ok(n)`` at any integer positions."""
        q, r = np.divmod(n, self.period)
        return self.lo[r] + self.shift * q, self.hi[r] + self.shift * q, self.ok[r]

    @property
    def receptive_field(self) -> int:
        r"""The largest hull, :math:`\max_n hi(n) - lo(n) + 1`."""
        return int((self.hi - self.lo + 1)[self.ok].max()) if self.ok.any() else 0

    @property
    def jump(self) -> sp.Rational:
        """Input pixels per output position, :math:`Q/P` (exact)."""
        return sp.Rational(self.shift, self.period)

    def then(self, spec: Any, axis: int = 0) -> "ReceptiveHull":
        """The hulls after one more layer (``spec`` needs its ``input_size`` for interpolation only)."""
        _probe, a, b = _unbounded_sources(spec, axis, np.zeros(1, np.int64))
        period = b * self.period // math.gcd(a, self.period) if a else b
        shift = self.shift * (period // b) * a // self.period if a else 0
        taps, _a, _b = _unbounded_sources(spec, axis, np.arange(period, dtype=np.int64))
        big = np.iinfo(np.int64).max
        lo, hi = np.full(period, big, np.int64), np.full(period, -big, np.int64)
        ok = np.zeros(period, bool)
        for src, valid in taps:
            s_lo, s_hi, s_ok = self.at(src)
            use = valid & s_ok
            lo = np.where(use, np.minimum(lo, s_lo), lo)
            hi = np.where(use, np.maximum(hi, s_hi), hi)
            ok |= use
        return ReceptiveHull(int(period), int(shift), np.where(ok, lo, 0), np.where(ok, hi, -1), ok)


def _unbounded_sources(spec: Any, j: int, m: np.ndarray) -> tuple[list, int, int]:
    """Per tap, the sources of outputs ``m`` on an unbounded axis and where they exist.

    Also returns ``(a, b)`` with ``sources(m + b) = sources(m) + a``: ``(s, 1)`` for a gather,
    ``(1, s)`` for a scatter, the source step ``a/b`` for interpolation.
    """
    if isinstance(spec, UpsampleSpec):
        i, o = spec.input_size[j], spec.output_size[j]
        if spec.mode in ("linear", "bilinear", "trilinear") and o == i:
            return [(m.copy(), np.ones(m.shape, bool))], 1, 1
        scale = spec.scale_factor[j] if spec.scale_factor is not None else None
        step = sp.Rational(source_step(i, o, spec.align_corners, scale))
        half = sp.Rational(1, 2)
        family = MODE_FAMILY[spec.mode]
        offsets = {"nearest": (0,), "nearest-exact": (0,), "bicubic": (-1, 0, 1, 2)}.get(spec.mode, (0, 1))
        srcs = np.zeros((len(offsets), len(m)), np.int64)
        valid = np.zeros((len(offsets), len(m)), bool)
        for col, dst in enumerate(m.tolist()):
            # no clamp at 0 (nor at the far edge): an unbounded axis has no border, and the
            # period sampled here must be the interior's (a clamped sample 0 would shift every hull)
            x = source_coordinate(dst, step, family, spec.align_corners, half, clamp=None)
            base = int(sp.floor(x))
            frac = x - base
            for row, off in enumerate(offsets):
                if spec.mode == "bicubic":
                    weight = cubic_weight(frac - off)
                elif len(offsets) == 2:
                    weight = 1 - frac if off == 0 else frac
                else:
                    weight = 1
                srcs[row, col], valid[row, col] = base + off, weight != 0
        return list(zip(srcs, valid)), int(step.p), int(step.q)
    rel = AxisRelation(None, None, spec.kernel_size[j], spec.stride[j], spec.dilation[j], spec.padding[j][0])
    if isinstance(spec, _GATHER):
        return [(rel.input_index(m, t), np.ones(m.shape, bool)) for t in range(rel.k)], rel.s, 1
    return [(rel.scaled_reader(m, t) // rel.s, rel.scaled_reader(m, t) % rel.s == 0) for t in range(rel.k)], 1, rel.s


# --------------------------------------------------------------------------- heat map


def plot_overlap(panels: Any, path: Any, max_side: int = 32, force: bool = False) -> str:
    """Write heat maps of overlap maps (the output nodes' in-degrees) to an image file.

    Parameters
    ----------
    panels : sequence of (title, spec)
        Sliding-window specs with ``input_size``; N-D maps show their middle 2-D slice.
    path : str or os.PathLike
        Output file; the format follows the suffix (default PNG). Written atomically by
        :func:`symconv._io.write_files`, which refuses a file edited by hand unless ``force``.
    max_side : int
        Larger maps show their top-left ``max_side`` corner (the pattern is periodic).

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "overlap.png")
    >>> plot_overlap([("k=3, s=2", ConvTransposeSpec((3, 3), stride=2, input_size=(4, 4)))], out) == out
    True
    >>> open(out, "rb").read(4)
    b'\x89PNG'
    """
    from matplotlib.figure import Figure  # optional dependency, no pyplot state

    panels = list(panels)
    path = os.fspath(path)
    cols = min(max(len(panels), 1), 4)
    rows = -(-max(len(panels), 1) // cols)
    fig = Figure(figsize=(4 * cols, 4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    if not panels:
        axes[0].text(0.5, 0.5, "no transposed layers", ha="center", va="center")
    for ax, (title, spec) in zip(axes, panels):
        data = overlap_map(spec)
        while data.ndim > 2:
            data = data[..., data.shape[-1] // 2]
        data = (data[None, :] if data.ndim == 1 else data)[:max_side, :max_side]
        image = ax.imshow(data, cmap="viridis", interpolation="nearest")
        fig.colorbar(image, ax=ax, fraction=0.046)
        ax.set_title(str(title), fontsize=8)
    fig.tight_layout()
    suffix = os.path.splitext(path)[1] or ".png"
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix.lstrip("."), dpi=100)
    write_files({Path(path): buffer.getvalue()}, force=force)
    return path
