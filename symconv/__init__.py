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
from .codegen import Kernel, lower, module_source
from .transforms import (as_direct_conv, bilinear_as_transpose, bilinear_kernel, dilated_kernel, flip_kernel,
                     nearest_as_transpose, transpose_of, unpool_of, zero_insert)
from .graphs import ReceptiveHull, graph, overlap_count, overlap_counts, overlap_map, overlap_pattern, transpose_graph
from .index import AxisRelation, entry_delta_sum, entry_formula, relations
from .matrix import (conv_matrix, conv_transpose_matrix, pool_switch_matrix, pool_switches, resize_matrix,
                     unpool_matrix, upsample_matrix)
from .numeric import (avg_pool, avg_pool1d, avg_pool2d, avg_pool3d, conv, conv1d, conv2d, conv3d, conv_transpose,
                      conv_transpose1d, conv_transpose2d, conv_transpose3d, conv_transpose_vjp, conv_vjp, max_pool,
                      max_pool1d, max_pool2d, max_pool3d, max_unpool, max_unpool1d, max_unpool2d, max_unpool3d,
                      upsample)
from .proofs import Result, Theorem, check_claim, prove, theorems
from .shapes import (conv_output_size, conv_transpose_output_size, lost_remainder, pool_output_size,
                     unpool_output_size, upsample_output_size)
from .spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from .stack import Layer, StackAnalysis, analyze, load_stack, repeated_layers, stack_graph

__version__ = "0.1.0"

__all__ = [
    "AvgPoolSpec",
    "AxisRelation",
    "ConvSpec",
    "ConvTransposeSpec",
    "Kernel",
    "Layer",
    "MaxPoolSpec",
    "MaxUnpoolSpec",
    "ReceptiveHull",
    "Result",
    "StackAnalysis",
    "Theorem",
    "UpsampleSpec",
    "analyze",
    "as_direct_conv",
    "avg_pool",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "bilinear_as_transpose",
    "bilinear_kernel",
    "check_claim",
    "check_formula",
    "conv",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_matrix",
    "conv_output_size",
    "conv_transpose",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_transpose_matrix",
    "conv_transpose_output_size",
    "conv_transpose_vjp",
    "conv_vjp",
    "dilated_kernel",
    "entry_delta_sum",
    "entry_formula",
    "flip_kernel",
    "graph",
    "load_stack",
    "lost_remainder",
    "lower",
    "max_pool",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "module_source",
    "nearest_as_transpose",
    "overlap_count",
    "overlap_counts",
    "overlap_map",
    "overlap_pattern",
    "pool_output_size",
    "pool_switch_matrix",
    "pool_switches",
    "prove",
    "relations",
    "repeated_layers",
    "resize_matrix",
    "stack_graph",
    "theorems",
    "transpose_graph",
    "transpose_of",
    "unpool_matrix",
    "unpool_of",
    "unpool_output_size",
    "upsample",
    "upsample_matrix",
    "upsample_output_size",
    "zero_insert",
]
