"""``symconv codegen OP``: write a standalone NumPy kernel module for one operator.

``symconv codegen conv --k 3 --s 2 --p 1 --dims 2 --in-channels 3 --out-channels 8 --out kernels.py``
writes a module that imports only NumPy and exposes one function, ``conv(x, weight, bias=None)``,
with the parameters baked in. Without ``--i`` the kernel is generic in the input size; with it
(``--i 32`` or ``--i 32,48``), the kernel is specialised to (and checks) that size. Without
``--in-channels``/``--out-channels`` it accepts any channel counts (read from ``x`` and the
weight). Options that do not apply to the operator are refused. The file is written atomically.
"""
from __future__ import annotations

import argparse
import sys

import sympy as sp

from pathlib import Path

from .._io import check_output_path, write_files
from ..codegen import module_source
from ..operators import OPERATORS
from ..spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from ._args import (integer, operator, padding, positive_number, refuse_inapplicable, remember_defaults,
                    sizes)

NAME = "codegen"
HELP = "write a standalone NumPy module (imports only numpy) implementing one operator"
MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic")


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``codegen`` arguments."""
    parser.add_argument("op", type=operator, choices=OPERATORS,
                        help="operator (also spelled max-pool, maxpool, transposed, ...)")
    parser.add_argument("--out", required=True, help="file to write (e.g. kernels.py); '-' prints to stdout")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the file even if it was edited by hand or not written by symconv"
                             " (symconv records what it wrote in .symconv-manifest.json beside the file)")
    parser.add_argument("--dims", type=integer, default=None, help="number of spatial dimensions (default 1, "
                                                                   "or 2/3 for bilinear/trilinear)")
    parser.add_argument("--i", type=sizes, help="input size, one value or one per dimension 'H,W' "
                                                "(default: a kernel generic in the input size)")
    parser.add_argument("--k", type=integer, help="kernel size")
    parser.add_argument("--s", type=integer, help="stride (pooling and unpooling: defaults to k)")
    parser.add_argument("--p", type=padding, default=0,
                        help="padding: an int, 'before,after', 'same' (conv) or 'valid' (default 0)")
    parser.add_argument("--d", type=integer, default=1, help="dilation (default 1)")
    parser.add_argument("--output-padding", dest="output_padding", type=integer, default=0,
                        help="conv_transpose: output padding")
    parser.add_argument("--in-channels", dest="in_channels", type=integer, default=None,
                        help="conv, conv_transpose: input channels (default: any, read from x)")
    parser.add_argument("--out-channels", dest="out_channels", type=integer, default=None,
                        help="conv, conv_transpose: output channels (default: any, read from the weight)")
    parser.add_argument("--groups", type=integer, default=1, help="conv, conv_transpose: groups (default 1)")
    parser.add_argument("--ceil-mode", action="store_true", help="pooling: round the window count up")
    parser.add_argument("--exclude-pad", action="store_true", help="avg_pool: count_include_pad=False")
    parser.add_argument("--output-size", dest="output_size", type=integer, help="max_unpool: pinned output size")
    parser.add_argument("--size", type=integer, help="upsample: output size")
    parser.add_argument("--scale-factor", dest="scale_factor", type=positive_number, help="upsample: scale factor")
    parser.add_argument("--mode", choices=MODES, default="nearest", help="upsample: interpolation mode")
    parser.add_argument("--align-corners", dest="align_corners", action="store_true",
                        help="upsample: align_corners=True (interpolating modes)")
    remember_defaults(parser)


_CONVS = ("conv", "conv_transpose")
_WINDOWED = _CONVS + ("max_pool", "avg_pool", "max_unpool")
#: Which operators each option applies to.
APPLIES = {
    "k": _WINDOWED, "s": _WINDOWED, "p": _WINDOWED, "d": _CONVS + ("max_pool",),
    "output_padding": ("conv_transpose",), "in_channels": _CONVS, "out_channels": _CONVS, "groups": _CONVS,
    "ceil_mode": ("max_pool", "avg_pool"), "exclude_pad": ("avg_pool",), "output_size": ("max_unpool",),
    "size": ("upsample",), "scale_factor": ("upsample",), "mode": ("upsample",), "align_corners": ("upsample",),
}
#: The channel counts of a kernel generic in its channels (read from ``x`` and the weight at run time).
CHANNELS = (sp.Symbol("c_in", integer=True, positive=True), sp.Symbol("c_out", integer=True, positive=True))


def build_spec(args: argparse.Namespace):
    """The spec described by the arguments (validated by the spec classes)."""
    refuse_inapplicable(args, args.op, APPLIES)
    op = args.op
    if args.dims is not None:
        ndim = args.dims
    elif args.i is not None and len(args.i) > 1:
        ndim = len(args.i)
    else:
        ndim = {"bilinear": 2, "trilinear": 3}.get(args.mode, 1) if op == "upsample" else 1
    if not 1 <= ndim <= 6:
        raise ValueError(f"--dims must be between 1 and 6, got --dims={ndim}")
    if args.i is not None and len(args.i) not in (1, ndim):
        raise ValueError(f"--i must have 1 or {ndim} sizes (one per spatial dimension), got --i={args.i}")
    size = None if args.i is None else (args.i * ndim if len(args.i) == 1 else args.i)
    if op == "upsample":
        return UpsampleSpec(None if args.size is None else (args.size,) * ndim, args.scale_factor, args.mode,
                            True if args.align_corners else None, input_size=size, ndim=ndim)
    if args.k is None:
        raise ValueError(f"--k is required for {args.op}")
    padding = args.p if isinstance(args.p, str) else (args.p,) * ndim
    if op in ("conv", "conv_transpose"):
        c_in = CHANNELS[0] if args.in_channels is None else args.in_channels
        c_out = CHANNELS[1] if args.out_channels is None else args.out_channels
    if op == "conv":
        return ConvSpec(args.k, 1 if args.s is None else args.s, padding, args.d, c_in, c_out, args.groups,
                        input_size=size, ndim=ndim)
    if op == "conv_transpose":
        return ConvTransposeSpec(args.k, 1 if args.s is None else args.s, padding, args.output_padding, args.d,
                                 c_in, c_out, args.groups, input_size=size, ndim=ndim)
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
