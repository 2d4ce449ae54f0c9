"""symconv: convolution arithmetic as mathematics.

Build the convolution matrix C symbolically, derive its transpose and every output-size
formula, prove the identities, write them up in LaTeX, and lower them to NumPy kernels.

Examples
--------
>>> import symconv
>>> symconv.conv_output_size(5, 3, s=2, p=1)
3
>>> symconv.conv_matrix((4, 4), 3).shape
(4, 16)
"""
from .check import check_formula
from .graphs import ReceptiveHull, graph, overlap_count, overlap_counts, overlap_map, overlap_pattern, transpose_graph
from .index import AxisRelation, entry_delta_sum, entry_formula, relations
from .matrix import (conv_matrix, conv_transpose_matrix, pool_switch_matrix, pool_switches, unpool_matrix,
                     upsample_matrix)
from .shapes import (conv_output_size, conv_transpose_output_size, lost_remainder, pool_output_size,
                     unpool_output_size, upsample_output_size)
from .spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from .stack import Layer, StackAnalysis, analyze, load_stack, repeated_layers, stack_graph

__version__ = "0.1.0"

__all__ = [
    "AvgPoolSpec",
    "AxisRelation",
    "Layer",
    "ReceptiveHull",
    "StackAnalysis",
    "ConvSpec",
    "ConvTransposeSpec",
    "MaxPoolSpec",
    "MaxUnpoolSpec",
    "UpsampleSpec",
    "analyze",
    "check_formula",
    "conv_matrix",
    "conv_output_size",
    "conv_transpose_matrix",
    "conv_transpose_output_size",
    "entry_delta_sum",
    "entry_formula",
    "graph",
    "load_stack",
    "lost_remainder",
    "overlap_count",
    "overlap_counts",
    "overlap_map",
    "overlap_pattern",
    "pool_output_size",
    "pool_switch_matrix",
    "pool_switches",
    "relations",
    "repeated_layers",
    "stack_graph",
    "transpose_graph",
    "unpool_matrix",
    "unpool_output_size",
    "upsample_matrix",
    "upsample_output_size",
]
