"""``symconv analyze STACK.json``: per-layer sizes, receptive fields, overlap and decoder checks.

``symconv analyze stack.json --i 224`` prints one row per layer (output size, symbolic output
size, receptive field, jump, overlap of transposed layers) followed by the checkerboard and
size warnings; ``--json`` prints a list with one object per layer; ``--plot out.png`` also
writes a heat map of every transposed layer's overlap map. The input size comes from ``--i``,
else the file's ``input_size``, else 224.
"""
from __future__ import annotations

import argparse
import json

from .._io import check_output_path
from ..network.command import network_source, parse_dim_names, run_network
from ..stack import analyze, load_stack
from ._args import integer, sizes

NAME = "analyze"
HELP = "analyse a stack of layers (JSON file): sizes, receptive fields, checkerboard overlap, decoder sizes"
DEFAULT_INPUT = 224
PLOT_FORMATS = (".png", ".svg", ".pdf")


def _dims(text: str) -> int | tuple:
    """A number of spatial dimensions (stacks) or spatial axis names 'H,W' (networks)."""
    if text.strip().lstrip("-").isdigit():
        return integer(text)
    try:
        return parse_dim_names(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``analyze`` arguments."""
    parser.add_argument("stack", help="JSON file: a list of layers {\"op\": ..., PyTorch argument names}, "
                                      "or an object with 'layers' (YAML if PyYAML is installed)")
    parser.add_argument("--i", type=sizes, default=None,
                        help=f"input size, one value or one per dimension 'H,W' (default: the file's "
                             f"input_size, else {DEFAULT_INPUT})")
    parser.add_argument("--dims", type=_dims, default=None,
                        help="number of spatial dimensions (default: from the file, else 2); for a network "
                             "(.onnx or DAG JSON), the names of its spatial axes 'H,W' (or 'H,W=64' to fix one)")
    parser.add_argument("--json", action="store_true", help="print a JSON list with one object per layer")
    parser.add_argument("--plot", metavar="OUT.png", default=None,
                        help="write a heat map of the transposed layers' overlap maps (.png, .svg or .pdf)")
    parser.add_argument("--force", action="store_true",
                        help="--plot: overwrite the file even if symconv did not write it or it was edited"
                             " (symconv records what it wrote in .symconv-manifest.json beside the file)")


def run(args: argparse.Namespace) -> int:
    """Analyse the stack and print the table (or JSON); a network file goes to symconv.network."""
    network = network_source(args.stack)
    if network is not None:
        return run_network(args, network)
    if isinstance(args.dims, tuple):
        raise ValueError(f"--dims for a stack is the number of spatial dimensions, got axis names {args.dims}")
    if args.dims is not None and not 1 <= args.dims <= 6:
        raise ValueError(f"--dims must be between 1 and 6, got --dims={args.dims}")
    if args.force and args.plot is None:
        raise ValueError("--force applies to --plot only (it allows overwriting the plot file)")
    if args.plot is not None:
        check_output_path(args.plot, "--plot", PLOT_FORMATS)
    size = None
    if args.i is not None:
        size = args.i[0] if len(args.i) == 1 else args.i
    stack = load_stack(args.stack, ndim=args.dims, input_size=size)
    if size is None and stack.input_size is None:
        size = DEFAULT_INPUT
    report = analyze(stack, size)
    if args.plot is not None:
        report.plot(args.plot, force=args.force)
    if args.json:
        print("[\n" + ",\n".join(json.dumps(layer) for layer in report.as_dicts()) + "\n]")
    else:
        print(report.table())
    return 0
