"""``symconv matrix OP``: the matrix of a convolution or transposed convolution.

``symconv matrix conv --i 4 --k 3 --dims 2`` prints the 4x16 matrix of the
convolution-arithmetic guide's worked example, with symbolic weights.
"""
from __future__ import annotations

import argparse
import json

import sympy as sp

from ..matrix import conv_matrix, conv_transpose_matrix
from ..spec import ConvSpec, ConvTransposeSpec
from ._args import int_or_pair, integer, operator, refuse_inapplicable, remember_defaults

NAME = "matrix"
HELP = "print the matrix C of a convolution (or of a transposed convolution) with symbolic weights"
MAX_TEXT_ENTRIES = 1_000_000


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``matrix`` arguments."""
    parser.add_argument("op", type=operator, choices=("conv", "conv_transpose"),
                        help="operator (conv_transpose also spelled conv-transpose, transposed)")
    parser.add_argument("--i", type=integer, required=True, help="input size (per spatial dimension)")
    parser.add_argument("--k", type=integer, required=True, help="kernel size")
    parser.add_argument("--s", type=integer, default=1, help="stride (default 1)")
    parser.add_argument("--p", type=int_or_pair, default=0, help="padding: an int or 'before,after' (default 0)")
    parser.add_argument("--d", type=integer, default=1, help="dilation (default 1)")
    parser.add_argument("--output-padding", dest="output_padding", type=integer, default=0,
                        help="output padding (conv_transpose)")
    parser.add_argument("--dims", type=integer, default=1, help="number of spatial dimensions (default 1)")
    parser.add_argument("--in-channels", dest="in_channels", type=integer, default=1)
    parser.add_argument("--out-channels", dest="out_channels", type=integer, default=1)
    parser.add_argument("--groups", type=integer, default=1)
    parser.add_argument("--format", choices=("text", "latex", "json"), default="text")
    remember_defaults(parser)


def build(args: argparse.Namespace) -> sp.SparseMatrix:
    """The requested matrix (validated by the specs)."""
    refuse_inapplicable(args, args.op, {"output_padding": ("conv_transpose",)})
    if not 1 <= args.dims <= 6:
        raise ValueError(f"--dims must be between 1 and 6, got --dims={args.dims}")
    size = (args.i,) * args.dims
    padding = (args.p,) * args.dims if args.dims > 1 else args.p
    _refuse_large(args)
    common = dict(stride=args.s, padding=padding, dilation=args.d, in_channels=args.in_channels,
                  out_channels=args.out_channels, groups=args.groups)
    if args.op == "conv":
        return conv_matrix(size, args.k, **common)
    return conv_transpose_matrix(size, args.k, output_padding=args.output_padding, **common)


def _refuse_large(args: argparse.Namespace) -> None:
    """Refuse a matrix with more than MAX_TEXT_ENTRIES entries before building it."""
    spec = (ConvSpec(args.k, args.s, args.p, args.d, input_size=args.i) if args.op == "conv" else
            ConvTransposeSpec(args.k, args.s, args.p, args.output_padding, args.d, input_size=args.i))
    inputs = args.i ** args.dims * args.in_channels
    outputs = spec.output_size[0] ** args.dims * args.out_channels
    if inputs * outputs > MAX_TEXT_ENTRIES:
        raise ValueError(f"the matrix would be {outputs}x{inputs} (--i {args.i}, --dims {args.dims}, --in-channels "
                         f"{args.in_channels}, --out-channels {args.out_channels}), more than {MAX_TEXT_ENTRIES} "
                         f"entries to print; use smaller values or the Python API (symconv.conv_matrix)")


def as_text(matrix: sp.MatrixBase) -> str:
    """Aligned columns of SymPy ``str`` entries."""
    cells = [[str(v) for v in matrix.row(r)] for r in range(matrix.rows)]
    width = max((len(c) for row in cells for c in row), default=1)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)


def run(args: argparse.Namespace) -> int:
    """Print the matrix."""
    matrix = build(args)
    if matrix.rows * matrix.cols > MAX_TEXT_ENTRIES:
        raise ValueError(f"the {matrix.rows}x{matrix.cols} matrix has more than {MAX_TEXT_ENTRIES} entries to print; "
                         f"use a smaller --i or the Python API (symconv.conv_matrix)")
    if args.format == "latex":
        print(sp.latex(matrix))
    elif args.format == "json":
        rows = [[str(v) for v in matrix.row(r)] for r in range(matrix.rows)]
        print(json.dumps({"shape": [matrix.rows, matrix.cols], "rows": rows}))
    else:
        print(as_text(matrix))
    return 0
