r"""Layer stacks: sizes, receptive fields, overlap patterns and decoder checks of a whole network.

A *stack* is a list of layers (specs, :class:`Layer` objects, or dicts in the JSON format of
``symconv analyze``); :func:`analyze` runs it on an input size. What lives here:

* :mod:`.load` -- the stack format: :class:`Layer`, :class:`Stack`, :func:`load_stack` (JSON or
  YAML files, lists, objects with ``layers``), validated into specs;
* :mod:`.analysis` -- :func:`analyze` (per-layer sizes, receptive field and jump, overlap and
  checkerboard, decoder size checks), :func:`repairs` (size advice in order, verified by re-running
  the stack) and :func:`stack_graph`;
* :mod:`.advice` -- the one-parameter fixes and the kernel remedy, each accepted or refused by the
  spec's own validation;
* :mod:`.closed_form` -- :func:`repeated_layers` (receptive field and jump of ``n`` equal layers,
  proven by induction) and :func:`merge_floors`;
* :mod:`.report` -- the result classes (:class:`StackAnalysis`, :class:`LayerAnalysis`,
  :class:`Overlap`, :class:`Restore`) and how they print (table, JSON, plot).

Imports go one way: load, closed_form, report, advice -> analysis.

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
from .analysis import analyze, repairs, stack_graph
from .closed_form import ClosedForm, merge_floors, repeated_layers
from .load import OPS, SIZE_NEUTRAL, Layer, Stack, load_stack
from .report import LayerAnalysis, Overlap, Restore, StackAnalysis

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
    "repairs",
    "repeated_layers",
    "merge_floors",
    "stack_graph",
    "OPS",
    "SIZE_NEUTRAL",
]
