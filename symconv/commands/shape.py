"""``symconv shape OP``: an operator's output size, or its formula.

Parameters not given take PyTorch's defaults (stride 1, or the kernel size for pooling;
padding 0; dilation 1; output padding 0); the input and kernel sizes become the paper's
symbols ``i`` and ``k`` when left out. ``--symbolic p,d`` keeps the named letters as symbols
(``--symbolic all`` every letter not given). So ``symconv shape conv --i 5 --k 3 --s 2 --p 1``
prints ``3`` and ``symconv shape conv --symbolic all`` prints Dumoulin & Visin's relation 15.
"""
from __future__ import annotations

import argparse
import json

import sympy as sp

from .. import shapes, symbols
from ..spec import ConvSpec, ConvTransposeSpec, MaxPoolSpec
from ..operators import OPERATORS
from ._args import integer, operator, padding, positive_number, refuse_inapplicable, remember_defaults

NAME = "shape"
HELP = "print an operator's output size, or its formula (PyTorch's defaults for what is not given)"

_WINDOWED = ("conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool")
#: Which operators each option applies to.
APPLIES = {
    "k": _WINDOWED, "s": _WINDOWED, "p": _WINDOWED,
    "d": ("conv", "conv_transpose", "max_pool", "avg_pool"),
    "convention": ("max_pool", "avg_pool", "max_unpool"),
    "auto_pad": ("conv", "max_pool", "avg_pool"),
    "output_padding": ("conv_transpose",),
    "ceil_mode": ("max_pool", "avg_pool"),
    "size": ("upsample",), "scale_factor": ("upsample",),
}
#: The letters ``--symbolic`` may name, and the option each stands for.
LETTERS = {"i": "i", "k": "k", "s": "s", "p": "p", "d": "d", "a": "output_padding"}


def _letters(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if names == ("all",):
        return tuple(LETTERS)
    unknown = [n for n in names if n not in LETTERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected letters among {', '.join(LETTERS)} (or 'all'), got {text!r}")
    return names


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``shape`` arguments."""
    parser.add_argument("op", type=operator, choices=OPERATORS,
                        help="operator (also spelled max-pool, maxpool, transposed, ...)")
    parser.add_argument("--i", type=integer, help="input size (default: the symbol i)")
    parser.add_argument("--k", type=integer, help="kernel size (default: the symbol k)")
    parser.add_argument("--s", type=integer, help="stride (default 1; pooling and unpooling: the kernel size)")
    parser.add_argument("--p", type=padding, help="padding: an int, 'before,after', 'same' or 'valid' (default 0)")
    parser.add_argument("--d", type=integer, help="dilation (default 1)")
    parser.add_argument("--output-padding", "--a", dest="output_padding", type=integer,
                        help="conv_transpose: output padding (default 0)")
    parser.add_argument("--ceil-mode", action="store_true", help="pooling: round the window count up")
    parser.add_argument("--size", type=integer, help="upsample: output size")
    parser.add_argument("--scale-factor", type=positive_number, help="upsample: scale factor")
    parser.add_argument("--convention", choices=("torch", "onnx"), default="torch",
                        help="pooling rules: PyTorch's (pads <= k//2, stride defaults to k) or ONNX's "
                             "(pads <= k-1, stride defaults to 1)")
    parser.add_argument("--auto-pad", choices=shapes.AUTO_PADS[1:],
                        help="ONNX auto_pad (conv, pools): padding generated from i, k, s, d")
    parser.add_argument("--symbolic", type=_letters, default=(), metavar="LETTERS",
                        help="keep these letters as symbols instead of PyTorch's defaults, e.g. 'p,d' or 'all' "
                             "(letters: i k s p d a)")
    parser.add_argument("--format", choices=("text", "latex", "json"), default="text")
    remember_defaults(parser)


def _value(args: argparse.Namespace, letter: str, default):
    """The given value, the letter's symbol if asked for, else PyTorch's default."""
    given = getattr(args, LETTERS[letter])
    if letter in args.symbolic:
        if given is not None:
            raise ValueError(f"--{LETTERS[letter].replace('_', '-')} is given, so {letter} cannot also be "
                             f"--symbolic")
        return symbols.BY_NAME[letter]
    return default if given is None else given


def _padding(op: str, k, s, d, p):
    """A 'same'/'valid' padding as the spec computes it (refused where the spec refuses it)."""
    if not isinstance(p, str):
        return p
    spec = {"conv": ConvSpec, "conv_transpose": ConvTransposeSpec}.get(op, MaxPoolSpec)
    if spec is MaxPoolSpec:
        if p == "valid":
            return 0
        raise ValueError(f"--p same is defined for conv only, not {op}")
    kwargs = {"dilation": d} if op != "max_pool" else {}
    return spec(k, stride=s, padding=p, ndim=1, **kwargs).padding[0]


def formula(args: argparse.Namespace) -> sp.Expr | int:
    """The output size for the parsed arguments (validated by :mod:`symconv.shapes`)."""
    i = _value(args, "i", symbols.i)
    if args.op == "upsample":
        if args.size is None and args.scale_factor is None:
            return shapes.upsample_output_size(i, scale_factor=sp.Symbol("f", positive=True, integer=True))
        return shapes.upsample_output_size(i, args.size, args.scale_factor)
    k = _value(args, "k", symbols.k)
    pool = args.op in ("max_pool", "avg_pool", "max_unpool")
    s = _value(args, "s", (1 if args.convention == "onnx" else k) if pool else 1)
    d = _value(args, "d", 1)
    if args.op == "avg_pool" and args.convention == "torch" and args.d is not None:
        raise ValueError("--d does not apply to avg_pool with PyTorch's convention (it has no dilation); "
                         "with --convention onnx it is AveragePool's dilations")
    if args.auto_pad:
        if args.p is not None or args.op not in ("conv", "max_pool", "avg_pool"):
            raise ValueError(f"shape: --auto-pad applies to conv, max_pool and avg_pool without --p, "
                             f"got {args.op} with p={args.p}")
        p = shapes.auto_pad_axis(i, k, s, d, args.auto_pad)
    else:
        p = _padding(args.op, k, s, d, _value(args, "p", 0))
    a = _value(args, "a", 0)
    if args.op == "conv":
        return shapes.conv_output_size(i, k, s, p, d)
    if args.op == "conv_transpose":
        return shapes.conv_transpose_output_size(i, k, s, p, d, a)
    if args.op == "max_pool":
        return shapes.pool_output_size(i, k, s, p, d, args.ceil_mode, args.convention)
    if args.op == "avg_pool":
        return shapes.pool_output_size(i, k, s, p, d if args.convention == "onnx" else 1, args.ceil_mode,
                                       args.convention)
    return shapes.unpool_output_size(i, k, s, p)


def run(args: argparse.Namespace) -> int:
    """Print the formula or value."""
    refuse_inapplicable(args, args.op, APPLIES)
    inapplicable = [n for n in args.symbolic if n != "i" and args.op not in APPLIES[LETTERS[n]]]
    if inapplicable:
        raise ValueError(f"--symbolic {inapplicable[0]}: {args.op} has no parameter {inapplicable[0]}")
    value = formula(args)
    if args.format == "latex":
        print(sp.latex(value))
    elif args.format == "json":
        print(json.dumps({"op": args.op, "output_size": value if isinstance(value, int) else str(value)}))
    else:
        print(value)
    return 0
