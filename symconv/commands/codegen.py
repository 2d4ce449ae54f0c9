"""``symconv codegen OP``: write a standalone NumPy kernel module for one operator.

``symconv codegen conv --k 3 --s 2 --p 1 --dims 2 --in-channels 3 --out-channels 8 --out kernels.py``
writes a module that imports only NumPy and exposes one function, ``conv(x, weight, bias=None)``,
with the parameters baked in. Without ``--i`` the kernel is generic in the input size; with it,
the kernel is specialised to (and checks) that size. The file is written atomically.
"""
from __future__ import annotations

import argparse
import sys

from pathlib import Path

from .._io import check_output_path, write_files
from ..codegen import module_source
from ..spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from ._args import OPERATORS, int_or_pair, integer, positive_number

NAME = "codegen"
HELP = "write a standalone NumPy module (imports only numpy) implementing one operator"
MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic")


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``codegen`` arguments."""
    parser.add_argument("op", choices=sorted(OPERATORS), help="operator")
    parser.add_argument("--out", required=True, help="file to write (e.g. kernels.py); '-' prints to stdout")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the file even if it was edited by hand or not written by symconv")
    parser.add_argument("--dims", type=integer, default=None, help="number of spatial dimensions (default 1, "
                                                                   "or 2/3 for bilinear/trilinear)")
    parser.add_argument("--i", type=integer, help="input size per spatial dimension (default: generic)")
    parser.add_argument("--k", type=integer, help="kernel size")
    parser.add_argument("--s", type=integer, help="stride (pooling and unpooling: defaults to k)")
    parser.add_argument("--p", type=int_or_pair, default=0, help="padding: an int or 'before,after' (default 0)")
    parser.add_argument("--d", type=integer, default=1, help="dilation (default 1)")
    parser.add_argument("--output-padding", dest="output_padding", type=integer, default=0,
                        help="conv-transpose: output padding")
    parser.add_argument("--in-channels", dest="in_channels", type=integer, default=1)
    parser.add_argument("--out-channels", dest="out_channels", type=integer, default=1)
    parser.add_argument("--groups", type=integer, default=1)
    parser.add_argument("--ceil-mode", action="store_true", help="pooling: round the window count up")
    parser.add_argument("--exclude-pad", action="store_true", help="avg-pool: count_include_pad=False")
    parser.add_argument("--output-size", dest="output_size", type=integer, help="max-unpool: pinned output size")
    parser.add_argument("--size", type=integer, help="upsample: output size")
    parser.add_argument("--scale-factor", dest="scale_factor", type=positive_number, help="upsample: scale factor")
    parser.add_argument("--mode", choices=MODES, default="nearest", help="upsample: interpolation mode")
    parser.add_argument("--align-corners", dest="align_corners", action="store_true",
                        help="upsample: align_corners=True (interpolating modes)")


def build_spec(args: argparse.Namespace):
    """The spec described by the arguments (validated by the spec classes)."""
    op = OPERATORS[args.op]
    if op == "upsample":
        ndim = args.dims if args.dims is not None else {"bilinear": 2, "trilinear": 3}.get(args.mode, 1)
    else:
        ndim = 1 if args.dims is None else args.dims
    if not 1 <= ndim <= 6:
        raise ValueError(f"--dims must be between 1 and 6, got --dims={ndim}")
    size = None if args.i is None else (args.i,) * ndim
    if op == "upsample":
        return UpsampleSpec(None if args.size is None else (args.size,) * ndim, args.scale_factor, args.mode,
                            True if args.align_corners else None, input_size=size, ndim=ndim)
    if args.k is None:
        raise ValueError(f"--k is required for {args.op}")
    padding = (args.p,) * ndim
    if op == "conv":
        return ConvSpec(args.k, 1 if args.s is None else args.s, padding, args.d, args.in_channels,
                        args.out_channels, args.groups, input_size=size, ndim=ndim)
    if op == "conv_transpose":
        return ConvTransposeSpec(args.k, 1 if args.s is None else args.s, padding, args.output_padding, args.d,
                                 args.in_channels, args.out_channels, args.groups, input_size=size, ndim=ndim)
    if op == "max_pool":
        return MaxPoolSpec(args.k, args.s, padding, args.d, args.ceil_mode, input_size=size, ndim=ndim)
    if op == "avg_pool":
        return AvgPoolSpec(args.k, args.s, padding, args.ceil_mode, not args.exclude_pad, input_size=size,
                           ndim=ndim)
    pinned = None if args.output_size is None else (args.output_size,) * ndim
    if pinned is not None and size is None:
        raise ValueError("--output-size needs --i (the pinned size is checked against the input size)")
    return MaxUnpoolSpec(args.k, args.s, padding, input_size=size, pinned_output_size=pinned, ndim=ndim)


def run(args: argparse.Namespace) -> int:
    """Generate the module and write it."""
    if args.out != "-":
        check_output_path(args.out, "--out")
    source = module_source(build_spec(args))
    if args.out == "-":
        sys.stdout.write(source)
        return 0
    write_files({Path(args.out): source}, force=args.force)
    print(f"wrote {args.out} ({len(source.splitlines())} lines)")
    return 0
