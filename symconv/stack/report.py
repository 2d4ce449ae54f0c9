r"""What :func:`symconv.stack.analyze` returns, and how it prints: result classes, table, JSON, plot.

:class:`StackAnalysis` holds one :class:`LayerAnalysis` per layer (sizes, receptive field and
jump, the :class:`Overlap` of transposed layers, the :class:`Restore` check of upsampling
layers, warnings and remedies). :meth:`StackAnalysis.table` is the text ``symconv analyze``
prints, :meth:`StackAnalysis.as_dicts` its ``--json`` output and :meth:`StackAnalysis.plot` the
overlap heat map. Nothing here computes a size: the numbers come from the analysis.

Examples
--------
>>> from symconv.stack import analyze
>>> print(analyze([{"op": "conv", "kernel_size": 3}], 5, ndim=1).table())
input 5 (1-D), symbolic input i
#  layer           output  symbolic  RF  jump  overlap  notes
0  conv k3 s1      3       i - 2     3   1
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp

from .. import graphs
from ..spec import AvgPoolSpec, ConvTransposeSpec, MaxPoolSpec, UpsampleSpec

__all__ = ["Overlap", "Restore", "LayerAnalysis", "StackAnalysis", "PLOT_INPUT", "compact", "as_number"]


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


def compact(values: Sequence[Any]) -> str:
    """One value if every axis agrees, else the values joined by ``x`` (``3x4``).

    Examples
    --------
    >>> compact((3, 3)), compact((3, 4))
    ('3', '3x4')
    """
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
            out["scale_factor"] = [_json_number(as_number(f)) if not isinstance(f, float) else f
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
        what = f"x{compact(spec.scale_factor)}" if spec.scale_factor is not None else f"to {compact(spec.size)}"
        text = f"upsample {spec.mode} {what}"
    else:
        parts = [f"k{compact(spec.kernel_size)}", f"s{compact(spec.stride)}"]
        pads = spec.padding
        if any(p != (0, 0) for p in pads):
            sym = all(b == a for b, a in pads)
            parts.append("p" + (compact([b for b, _ in pads]) if sym else compact([f"({b},{a})" for b, a in pads])))
        if any(d != 1 for d in spec.dilation):
            parts.append(f"d{compact(spec.dilation)}")
        if isinstance(spec, ConvTransposeSpec) and any(a != 0 for a in spec.output_padding):
            parts.append(f"op{compact(spec.output_padding)}")
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
            overlap = f"{o.min}" if o.even else f"{o.min}-{o.max}/{compact(o.period)}"
        notes = []
        if layer.checkerboard:
            notes.append("CHECKERBOARD")
        if layer.restore is not None:
            notes.append(f"restores #{layer.restore.of}" if layer.restore.exact
                         else f"!= #{layer.restore.of} input {compact(layer.restore.target)}")
        rows.append((str(layer.index), _describe(layer), compact(layer.output_size), sym,
                     compact(layer.receptive_field), compact(layer.jump), overlap, ", ".join(notes)))
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]
    lines = [f"input {compact(report.input_size)} ({len(report.input_size)}-D), "
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
                         f"{compact(layer.restore.output_padding_symbolic)}")
    verdict = report.restores_encoder
    if verdict is not None:
        lines.append("decoder restores every mirrored size" if verdict
                     else "decoder does NOT restore every mirrored size")
    return "\n".join(lines)


def as_number(value: Any) -> Any:
    """A receptive field, jump or factor as a Python int when integral, else an exact SymPy number.

    Examples
    --------
    >>> as_number(2.0), as_number(sp.Rational(1, 2))
    (2, 1/2)
    """
    value = sp.nsimplify(value) if not isinstance(value, sp.Basic) else value
    return int(value) if value.is_Integer else value


def _json_number(value: Any) -> Any:
    return value if isinstance(value, int) else str(value)
