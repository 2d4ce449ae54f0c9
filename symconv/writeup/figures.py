r"""Figures of the derivations, drawn with matplotlib from symconv's own matrices; deterministic bytes.

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure` (no pyplot, no global
state) whose cell labels are read from the matrices they picture (every label is
``sympy.latex`` of the entry, shown with mathtext). :func:`figure_bytes` saves a figure as a
vector PDF (for LaTeX) or a PNG (for the README) with fixed rcParams, no timestamps and no
version strings, so the same code gives the same bytes.

1. :func:`seed_matrix_figure` -- the seed's :math:`C` as a grid of labelled weights, :math:`C^T` beside it;
2. :func:`zero_insertion_figure` -- a transposed conv as zero insertion + padding + flipped kernel;
3. :func:`unpool_figure` -- switches, unpooled map with zeros, nearest-neighbour copy;
4. :func:`bilinear_figure` -- bilinear upsampling as a matrix and FCN's kernel;
5. :func:`checkerboard_figure` -- overlap counts of transposed convs, k=3 vs k=4 with s=2
   (:func:`checkerboard_counts`, read from :mod:`symconv.graphs`);
6. :func:`theorem_graph_figure` -- a dependency graph, drawn in topological layers.

Examples
--------
>>> fig = seed_matrix_figure()
>>> len(cell_labels(fig, "C")), len(cell_labels(fig, "CT"))
(36, 36)
>>> figure_bytes(fig, "pdf")[:5]
b'%PDF-'
"""
from __future__ import annotations

import io
from typing import Any, Callable

import matplotlib
import networkx as nx
import numpy as np
import sympy as sp
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from .. import graphs
from ..matrix import upsample_matrix
from ..spec import ConvTransposeSpec
from ..transforms import as_direct_conv
from .equivalent import flipped_weights
from .restore import restore_matrices
from .seed import seed_matrices

__all__ = [
    "RC",
    "seed_matrix_figure",
    "zero_insertion_figure",
    "unpool_figure",
    "bilinear_figure",
    "checkerboard_figure",
    "theorem_graph_figure",
    "figure_bytes",
    "cell_labels",
    "checkerboard_counts",
    "FIGURES",
]

#: Fixed rcParams for every figure (fonts, sizes, hash salt, metadata-free output).
RC: dict = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "mathtext.fontset": "dejavusans",
    "axes.linewidth": 0.6,
    "svg.hashsalt": "symconv",
    "pdf.compression": 6,
    "pdf.fonttype": 3,
    "savefig.dpi": 100,
    "figure.dpi": 100,
    "path.simplify": True,
}

_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
_ZERO = "#f4f4f4"
_PAD = "#d9d9d9"


def _label(value: Any) -> str:
    """A mathtext label for a matrix entry: ``sympy.latex`` of it."""
    return "$" + sp.latex(sp.sympify(value)) + "$"


def _pale(colour: str, alpha: float = 0.35) -> tuple:
    r, g, b, _ = to_rgba(colour)
    return (1 - alpha + alpha * r, 1 - alpha + alpha * g, 1 - alpha + alpha * b, 1.0)


def _new_figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), dpi=RC["figure.dpi"])


def _grid(ax: Any, labels: list, faces: list, panel: str, title: str = "", fontsize: float = 7,
          indices: bool = True) -> None:
    """Draw a grid of labelled cells; each text artist carries ``gid = panel:row:col``."""
    rows, cols = len(labels), len(labels[0])
    for r in range(rows):
        for c in range(cols):
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=faces[r][c], edgecolor="#9a9a9a", linewidth=0.4))
            if labels[r][c]:
                ax.text(c + 0.5, r + 0.5, labels[r][c], ha="center", va="center", fontsize=fontsize,
                        gid=f"{panel}:{r}:{c}")
    if indices:
        for r in range(rows):
            ax.text(-0.25, r + 0.5, str(r), ha="right", va="center", fontsize=5, color="#777777")
        for c in range(cols):
            ax.text(c + 0.5, -0.2, str(c), ha="center", va="bottom", fontsize=5, color="#777777")
    ax.set_xlim(-0.8 if indices else -0.05, cols + 0.05)
    ax.set_ylim(rows + 0.05, -0.8 if indices else -0.05)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9, pad=2)


def cell_labels(fig: Figure, panel: str) -> dict:
    """The labels drawn in one panel of a figure, ``{(row, col): text}`` (for tests and checks).

    Examples
    --------
    >>> cell_labels(seed_matrix_figure(), "C")[(0, 0)]
    '$w_{0,0}$'
    """
    out = {}
    for ax in fig.axes:
        for artist in ax.texts:
            gid = artist.get_gid()
            if gid and gid.startswith(panel + ":"):
                _, r, c = gid.split(":")
                out[(int(r), int(c))] = artist.get_text()
    return out


def _tap_faces(matrix: sp.MatrixBase, kernel: sp.MatrixBase) -> list:
    taps = {sym: idx for idx, sym in enumerate(kernel)}
    return [[_pale(_PALETTE[taps[v] % len(_PALETTE)]) if v in taps else "white"
             for v in matrix.row(r)] for r in range(matrix.rows)]


def _labels(matrix: sp.MatrixBase, zero: str = "") -> list:
    return [[_label(v) if v != 0 else zero for v in matrix.row(r)] for r in range(matrix.rows)]


# --------------------------------------------------------------------------- 1. the seed's C and C^T


def seed_matrix_figure() -> Figure:
    """Figure 1: the seed's 4x16 :math:`C` with each weight in its cell, and the 16x4 :math:`C^T` beside it."""
    m = seed_matrices()
    c, ct, w = m["C"], m["CT"], m["w"]
    x = m["x"]
    fig = _new_figure(7.4, 4.6)
    outer = fig.add_gridspec(1, 2, width_ratios=(16.8, 4.8), wspace=0.08, left=0.01, right=0.99, top=0.95,
                             bottom=0.02)
    left = outer[0, 0].subgridspec(2, 2, height_ratios=(4.8, 11.2), width_ratios=(1, 1), hspace=0.12)
    ax_c = fig.add_subplot(left[0, :])
    _grid(ax_c, _labels(c), _tap_faces(c, w), "C", r"$C$ ($4\times 16$): row = output $r$, column = input")
    ax_w = fig.add_subplot(left[1, 0])
    _grid(ax_w, _labels(w), _tap_faces(w, w), "w", r"kernel $w$ (colour = tap)", fontsize=8, indices=False)
    ax_w.set_ylim(4.6, -0.6)
    ax_x = fig.add_subplot(left[1, 1])
    _grid(ax_x, _labels(x), [["white"] * x.cols for _ in range(x.rows)], "x",
          r"input $x$: column $4a+b$ of $C$ reads $x_{a,b}$", fontsize=8, indices=False)
    ax_x.set_ylim(5.2, -0.6)
    ax_t = fig.add_subplot(outer[0, 1])
    _grid(ax_t, _labels(ct), _tap_faces(ct, w), "CT", r"$C^T$ ($16\times 4$)")
    return fig


# --------------------------------------------------------------------------- 2. zero insertion


def zero_insertion_figure(i: int = 3, k: int = 3, s: int = 2, p: int = 0, output: tuple = (2, 3)) -> Figure:
    """Figure 2: a 2-D transposed conv as a stride-1 conv of the zero-inserted, padded input, flipped kernel.

    Parameters
    ----------
    i, k, s, p : int
        The transposed layer (square, one channel).
    output : tuple of int
        The output position whose kernel window is outlined.
    """
    spec = ConvTransposeSpec((k, k), s, p, input_size=(i, i))
    direct = as_direct_conv(spec)
    (before, after), _ = direct.padding
    stretched = direct.stretched_size[0]
    if before < 0 or after < 0:
        raise ValueError(f"zero_insertion_figure: padding d(k-1)-p must be >= 0 to draw, got p={p} with k={k}")
    size = stretched + before + after
    labels, faces = [], []
    for r in range(size):
        row_l, row_f = [], []
        for c in range(size):
            rr, cc = r - before, c - before
            inside = 0 <= rr < stretched and 0 <= cc < stretched
            if inside and rr % s == 0 and cc % s == 0:
                row_l.append(_label(sp.Symbol(f"u_{{{rr // s},{cc // s}}}")))
                row_f.append(_pale(_PALETTE[0], 0.45))
            elif inside:
                row_l.append(_label(0))
                row_f.append(_ZERO)
            else:
                row_l.append("")
                row_f.append(_PAD)
        labels.append(row_l)
        faces.append(row_f)
    fig = _new_figure(7.2, 3.0)
    grid = fig.add_gridspec(1, 3, width_ratios=(size, k + 1.5, spec.output_size[0]), wspace=0.15, left=0.01,
                            right=0.99, top=0.86, bottom=0.03)
    ax = fig.add_subplot(grid[0, 0])
    _grid(ax, labels, faces, "input", f"input {i}x{i}, {s - 1} zero(s) inserted, padded by {before}",
          fontsize=6)
    r0, c0 = output
    ax.add_patch(Rectangle((c0, r0), k, k, fill=False, edgecolor=_PALETTE[2], linewidth=1.6))
    flipped = sp.Matrix(flipped_weights((k, k)).tolist())
    ax_k = fig.add_subplot(grid[0, 1])
    _grid(ax_k, _labels(flipped), [[_pale(_PALETTE[2], 0.3)] * k for _ in range(k)], "kernel",
          "flipped kernel", fontsize=6)
    out = spec.output_size[0]
    ax_o = fig.add_subplot(grid[0, 2])
    faces_o = [["white"] * out for _ in range(out)]
    faces_o[r0][c0] = _pale(_PALETTE[2], 0.6)
    labels_o = [[""] * out for _ in range(out)]
    labels_o[r0][c0] = _label(sp.Symbol(f"z_{{{r0},{c0}}}"))
    _grid(ax_o, labels_o, faces_o, "output", f"output {out}x{out} (stride 1)")
    return fig


# --------------------------------------------------------------------------- 3. unpooling vs nearest


def unpool_figure() -> Figure:
    """Figure 3: max pooling's switches, the unpooled map (zeros elsewhere) and the nearest-neighbour copy."""
    m = restore_matrices()
    x, pooled = m["x"], m["pooled"]
    switches = set(int(v) for v in np.asarray(m["switches"]).ravel())
    cols = x.cols
    win = [[_pale(_PALETTE[(r // 2) * 2 + (c // 2)], 0.25) for c in range(cols)] for r in range(x.rows)]
    win_sw = [[_pale(_PALETTE[(r // 2) * 2 + (c // 2)], 0.8) if r * cols + c in switches else win[r][c]
               for c in range(cols)] for r in range(x.rows)]
    fig = _new_figure(7.4, 2.2)
    grid = fig.add_gridspec(1, 4, width_ratios=(4, 2.6, 4, 4), wspace=0.25, left=0.01, right=0.99, top=0.83,
                            bottom=0.03)
    panels = (
        ("x", x, win_sw, "x: 2x2 windows, switches"),
        ("pooled", pooled, [[_pale(_PALETTE[r * 2 + c], 0.8) for c in range(2)] for r in range(2)], "max pool"),
        ("unpooled", m["unpooled"], [[win_sw[r][c] if m["unpooled"][r, c] != 0 else _ZERO for c in range(cols)]
                                     for r in range(x.rows)], r"unpool ($P^T$): zeros"),
        ("nearest", m["nearest_map"], [[_pale(_PALETTE[(r // 2) * 2 + (c // 2)], 0.55) for c in range(cols)]
                                       for r in range(x.rows)], "nearest: copies"),
    )
    for idx, (name, matrix, faces, title) in enumerate(panels):
        ax = fig.add_subplot(grid[0, idx])
        _grid(ax, [[_label(v) for v in matrix.row(r)] for r in range(matrix.rows)], faces, name, title,
              fontsize=8)
        if name == "pooled":
            ax.set_ylim(4.05, -0.8)
    return fig


# --------------------------------------------------------------------------- 4. bilinear


def bilinear_figure() -> Figure:
    """Figure 4: bilinear upsampling 2x2 -> 4x4 as a 16x4 matrix, and FCN's 4x4 kernel."""
    m = restore_matrices()
    b, kernel = m["bilinear"], m["bilinear_kernel"]
    cmap = matplotlib.colormaps["Blues"]

    def faces(matrix: sp.MatrixBase) -> list:
        return [[cmap(0.1 + 0.6 * float(v)) if v != 0 else "white" for v in matrix.row(r)]
                for r in range(matrix.rows)]

    axis = sp.Matrix(upsample_matrix(2, scale_factor=2, mode="linear"))
    fig = _new_figure(5.4, 4.6)
    grid = fig.add_gridspec(2, 2, width_ratios=(4.8, 4.8), height_ratios=(5, 5), wspace=0.25, hspace=0.12,
                            left=0.02, right=0.98, top=0.93, bottom=0.02)
    ax_b = fig.add_subplot(grid[:, 0])
    _grid(ax_b, _labels(b), faces(b), "B", r"matrix $B$ ($16\times 4$)", fontsize=6)
    ax_k = fig.add_subplot(grid[0, 1])
    _grid(ax_k, _labels(kernel), faces(kernel), "kernel", "kernel (k=4, s=2, p=1)", fontsize=8)
    ax_a = fig.add_subplot(grid[1, 1])
    _grid(ax_a, _labels(axis), faces(axis), "B1", r"per axis $B_1$; $B = B_1 \otimes B_1$", fontsize=8)
    return fig


# --------------------------------------------------------------------------- 5. checkerboard


def checkerboard_counts(k: int, s: int, i: int = 5, p: int = 0) -> np.ndarray:
    r"""How many (input, tap) pairs write each output of a square 2-D transposed conv (:math:`C^T \mathbf{1}`).

    The figure's data: :func:`symconv.graphs.overlap_map` (the outer product of
    :func:`symconv.graphs.overlap_counts`) of the layer with kernel ``k``, stride ``s``, padding
    ``p`` on an ``i`` x ``i`` input.

    Examples
    --------
    >>> checkerboard_counts(3, 2, i=2)[0].tolist()
    [1, 1, 2, 1, 1]
    """
    return graphs.overlap_map(ConvTransposeSpec((k, k), s, p, input_size=(i, i)))


def checkerboard_figure(cases: tuple = ((3, 2), (4, 2)), i: int = 5) -> Figure:
    """Figure 5: overlap counts of transposed convs with ones, k=3 s=2 (uneven) vs k=4 s=2 (even)."""
    maps = [checkerboard_counts(k, s, i) for k, s in cases]
    top = max(int(mp.max()) for mp in maps)
    cmap = matplotlib.colormaps["viridis"]
    fig = _new_figure(7.0, 3.6)
    grid = fig.add_gridspec(1, len(cases), wspace=0.12, left=0.01, right=0.99, top=0.9, bottom=0.02)
    for idx, ((k, s), mp) in enumerate(zip(cases, maps)):
        ax = fig.add_subplot(grid[0, idx])
        faces = [[cmap(0.15 + 0.8 * v / top) for v in row] for row in mp.tolist()]
        _grid(ax, [[_label(v) for v in row] for row in mp.tolist()], faces, f"k{k}s{s}",
              f"k={k}, s={s}: {'uneven' if k % s else 'even'} overlap", fontsize=6)
        for artist in ax.texts:
            gid = artist.get_gid()
            if gid:
                _, r, c = gid.split(":")
                artist.set_color("white" if mp[int(r), int(c)] <= top / 2 else "black")
    return fig


# --------------------------------------------------------------------------- 6. theorem graph


def theorem_graph_figure(graph: nx.DiGraph, labels: dict | None = None) -> Figure:
    """A dependency graph drawn left to right in topological layers (arrows: lemma -> user).

    Within a layer, nodes are ordered by the mean height of their predecessors, then by name,
    so the drawing is deterministic and has few crossings.

    Raises
    ------
    ValueError
        The graph has a cycle.

    Examples
    --------
    >>> g = nx.DiGraph([("lemma", "theorem")])
    >>> sorted(cell_labels(theorem_graph_figure(g), "node").values())
    ['lemma', 'theorem']
    """
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("theorem_graph_figure: graph must be acyclic")
    layers = [list(layer) for layer in nx.topological_generations(graph)]
    tallest = max((len(layer) for layer in layers), default=1)
    pos: dict = {}
    for depth, layer in enumerate(layers):
        def height(node: Any) -> tuple:
            preds = [pos[u][1] for u in graph.predecessors(node) if u in pos]
            return (-(sum(preds) / len(preds)) if preds else 0.0, str(node))
        ordered = sorted(layer, key=height)
        top = (tallest - 1) / 2 - (tallest - len(ordered)) / 2
        for j, node in enumerate(ordered):
            pos[node] = (depth, top - j)
    fig = _new_figure(7.2, max(1.5, 0.2 * tallest + 0.4))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    boxes = {}
    for index, node in enumerate(sorted(graph.nodes, key=str)):
        x, y = pos[node]
        kind = graph.nodes[node].get("kind", "theorem")
        colour = _PALETTE[1] if kind == "lemma" else _PALETTE[0]
        boxes[node] = ax.text(x, y, (labels or {}).get(node, str(node)), ha="center", va="center", fontsize=6,
                              gid=f"node:{index}:0", bbox={"boxstyle": "round,pad=0.25", "facecolor": _pale(colour, 0.25),
                                                          "edgecolor": colour, "linewidth": 0.5})
    ax.set_xlim(-0.6, len(layers) - 0.4)
    ax.set_ylim(-(tallest - 1) / 2 - 0.7, (tallest - 1) / 2 + 0.7)
    renderer = FigureCanvasAgg(fig).get_renderer()
    to_data = ax.transData.inverted()

    def half_width(node: Any) -> float:
        box = boxes[node].get_window_extent(renderer)
        (x0, _), (x1, _) = to_data.transform([(box.x0, box.y0), (box.x1, box.y0)])
        return (x1 - x0) / 2 + 0.04

    for u, v in sorted(graph.edges, key=str):
        (xu, yu), (xv, yv) = pos[u], pos[v]
        ax.add_patch(FancyArrowPatch((xu + half_width(u), yu), (xv - half_width(v), yv), arrowstyle="-|>",
                                     mutation_scale=6, color="#9a9a9a", linewidth=0.5, shrinkA=0, shrinkB=0))
    ax.set_xlim(-0.6, len(layers) - 0.4)
    ax.set_ylim(-(tallest - 1) / 2 - 0.7, (tallest - 1) / 2 + 0.7)
    ax.axis("off")
    return fig


# --------------------------------------------------------------------------- saving


def figure_bytes(fig: Figure, fmt: str = "pdf") -> bytes:
    """Save a figure deterministically: no dates, no version strings, fixed rcParams.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    fmt : {'pdf', 'png', 'svg'}

    Raises
    ------
    ValueError
        Another format.

    Examples
    --------
    >>> fig = checkerboard_figure()
    >>> figure_bytes(fig, "png") == figure_bytes(checkerboard_figure(), "png")
    True
    >>> figure_bytes(fig, "jpg")
    Traceback (most recent call last):
    ...
    ValueError: figure_bytes: fmt must be one of pdf, png, svg, got fmt='jpg'
    """
    metadata = {"pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
                "png": {"Software": None}, "svg": {"Creator": None, "Date": None}}
    if fmt not in metadata:
        raise ValueError(f"figure_bytes: fmt must be one of pdf, png, svg, got fmt={fmt!r}")
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format=fmt, metadata=metadata[fmt], dpi=RC["savefig.dpi"] * (2 if fmt == "png" else 1))
    return buffer.getvalue()


#: The document's figures: file stem -> (builder, formats).
FIGURES: dict[str, tuple[Callable[[], Figure], tuple[str, ...]]] = {
    "seed_matrix": (seed_matrix_figure, ("pdf", "png")),
    "zero_insertion": (zero_insertion_figure, ("pdf",)),
    "unpool_vs_nearest": (unpool_figure, ("pdf", "png")),
    "bilinear": (bilinear_figure, ("pdf",)),
    "checkerboard": (checkerboard_figure, ("pdf",)),
}
