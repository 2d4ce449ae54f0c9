"""``symconv shape OP``: an operator's output-size formula, or its value.

Left-out sizes become the paper's symbols (``i k s p``); dilation and output padding
are symbols too while any of ``i k s p`` is, and default to 1 and 0 once all four are
numbers, so ``symconv shape conv --i 5 --k 3 --s 2 --p 1`` prints ``3``.
"""
from __future__ import annotations

import argparse
import json

import sympy as sp

from .. import shapes, symbols
from ._args import OPERATORS, int_or_pair, integer, positive_number

NAME = "shape"
HELP = "print an operator's output-size formula (symbols where values are left out) or its value"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``shape`` arguments."""
    parser.add_argument("op", choices=sorted(OPERATORS), help="operator")
    parser.add_argument("--i", type=integer, help="input size")
    parser.add_argument("--k", type=integer, help="kernel size")
    parser.add_argument("--s", type=integer, help="stride (pooling: defaults to k)")
    parser.add_argument("--p", type=int_or_pair, help="padding: an int or 'before,after'")
    parser.add_argument("--d", type=integer, help="dilation")
    parser.add_argument("--output-padding", "--a", dest="output_padding", type=integer,
                        help="output padding (conv-transpose)")
    parser.add_argument("--ceil-mode", action="store_true", help="pooling: round the window count up")
    parser.add_argument("--size", type=integer, help="upsample: output size")
    parser.add_argument("--scale-factor", type=positive_number, help="upsample: scale factor")
    parser.add_argument("--convention", choices=("torch", "onnx"), default="torch",
                        help="pooling rules: PyTorch's (pads <= k//2, stride defaults to k) or ONNX's "
                             "(pads <= k-1, stride defaults to 1)")
    parser.add_argument("--auto-pad", choices=shapes.AUTO_PADS[1:],
                        help="ONNX auto_pad (conv, pools): padding generated from i, k, s, d")
    parser.add_argument("--format", choices=("text", "latex", "json"), default="text")


def formula(args: argparse.Namespace) -> sp.Expr | int:
    """The output size for the parsed arguments (validated by :mod:`symconv.shapes`)."""
    i = symbols.i if args.i is None else args.i
    if args.op == "upsample":
        if args.size is None and args.scale_factor is None:
            return shapes.upsample_output_size(i, scale_factor=sp.Symbol("f", positive=True, integer=True))
        return shapes.upsample_output_size(i, args.size, args.scale_factor)
    k = symbols.k if args.k is None else args.k
    s = args.s
    if s is None and (args.op not in ("max-pool", "avg-pool", "max-unpool") or args.convention == "onnx"):
        s = symbols.s if args.convention == "torch" else 1
    p = symbols.p if args.p is None or args.auto_pad else args.p
    all_numbers = all(isinstance(v, (int, tuple)) for v in (i, k, p)) and (s is None or isinstance(s, int))
    d = args.d if args.d is not None else (1 if all_numbers or args.auto_pad else symbols.d)
    if args.auto_pad:
        if args.p is not None or args.op not in ("conv", "max-pool", "avg-pool"):
            raise ValueError(f"shape: --auto-pad applies to conv, max-pool and avg-pool without --p, "
                             f"got {args.op} with p={args.p}")
        p = shapes.auto_pad_axis(i, k, k if s is None else s, d, args.auto_pad)
    a = args.output_padding if args.output_padding is not None else (0 if all_numbers else symbols.a)
    if args.op == "conv":
        return shapes.conv_output_size(i, k, s, p, d)
    if args.op == "conv-transpose":
        return shapes.conv_transpose_output_size(i, k, s, p, d, a)
    if args.op == "max-pool":
        return shapes.pool_output_size(i, k, s, p, d, args.ceil_mode, args.convention)
    if args.op == "avg-pool":
        return shapes.pool_output_size(i, k, s, p, d if args.convention == "onnx" else 1, args.ceil_mode,
                                       args.convention)
    return shapes.unpool_output_size(i, k, s, p)


def run(args: argparse.Namespace) -> int:
    """Print the formula or value."""
    value = formula(args)
    if args.format == "latex":
        print(sp.latex(value))
    elif args.format == "json":
        print(json.dumps({"op": args.op, "output_size": value if isinstance(value, int) else str(value)}))
    else:
        print(value)
    return 0
