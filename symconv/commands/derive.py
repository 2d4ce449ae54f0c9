"""``symconv derive``: write the ``derivations/`` folder, check it, or derive one layer.

* ``symconv derive [--dir derivations]`` regenerates every file (LaTeX sections, one per theorem,
  figures) deterministically and writes only what changed, each file atomically;
* ``symconv derive --check`` writes nothing and exits 1 when the folder differs from what the
  code generates now (listing the stale paths);
* ``symconv derive conv_transpose --k 4 --s 2 --p 1 [--i 3] [--out layer.tex] [--fragment]``
  writes a derivation specialised to one layer (standalone document, or a fragment to ``\\input``);
  without ``--out`` it prints to standard output.

The work is done by the write-up package :mod:`symconv.writeup` (:func:`~symconv.writeup.document.regenerate`
for the folder, :mod:`symconv.writeup.layer` for one layer); this module parses and reports.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._args import int_or_pair, integer, operator

NAME = "derive"
HELP = "write the LaTeX derivations (derivations/), check they are current, or derive one layer"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``derive`` arguments."""
    parser.add_argument("layer", nargs="?", type=operator, choices=("conv_transpose",),
                        help="derive one layer instead of the whole folder")
    parser.add_argument("--dir", default="derivations", help="the derivations folder (default: derivations)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the folder differs from what the code generates")
    parser.add_argument("--k", type=integer, help="layer: kernel size")
    parser.add_argument("--s", type=integer, default=1, help="layer: stride (default 1)")
    parser.add_argument("--p", type=int_or_pair, default=0, help="layer: padding, an int or 'before,after'")
    parser.add_argument("--d", type=integer, default=1, help="layer: dilation (default 1)")
    parser.add_argument("--output-padding", "--a", dest="output_padding", type=integer, default=0,
                        help="layer: output padding (default 0)")
    parser.add_argument("--i", type=integer, default=3, help="layer: input size of the worked matrix (default 3)")
    parser.add_argument("--dims", type=integer, default=1, help="layer: spatial dimensions, 1-3 (default 1)")
    parser.add_argument("--out", help="layer: output .tex file (default, or '-': standard output)")
    parser.add_argument("--fragment", action="store_true", help="layer: a fragment to \\input, not a document")
    parser.add_argument("--force", action="store_true",
                        help="overwrite (or remove) files that were edited by hand or not written by symconv"
                             " (symconv records what it wrote in .symconv-manifest.json beside the file)")


def _run_layer(args: argparse.Namespace) -> int:
    from .._io import check_output_path, write_files
    from ..writeup.layer import layer_document, layer_fragment
    if args.k is None:
        raise ValueError("derive conv_transpose needs --k (the kernel size)")
    if args.check:
        raise ValueError("--check applies to the derivations folder, not to a single layer")
    if args.dir != "derivations":
        raise ValueError("--dir applies to the derivations folder, not to a single layer (use --out)")
    if args.out == "-":
        args.out = None
    if args.out is not None:
        check_output_path(args.out, "--out", (".tex",))
    build = layer_fragment if args.fragment else layer_document
    body = build(args.k, args.s, args.p, i=args.i, d=args.d, output_padding=args.output_padding, dims=args.dims)
    if args.out is None:
        sys.stdout.write(body)
        return 0
    write_files({Path(args.out): body}, force=args.force)
    print(f"wrote {args.out}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Write, check, or derive one layer."""
    if args.layer is not None:
        return _run_layer(args)
    layer_only = [name for name in ("out", "k") if getattr(args, name) is not None] + \
        (["fragment"] if args.fragment else [])
    if layer_only:
        raise ValueError(f"--{layer_only[0]} needs a layer (symconv derive conv_transpose ...)")
    from ..writeup.document import regenerate
    changed, total = regenerate(args.dir, check=args.check, force=args.force)
    if args.check:
        if changed:
            print(f"{args.dir} is stale ({len(changed)} file(s) differ); run `symconv derive`:")
            for path in changed:
                print(f"  {path}")
            return 1
        print(f"{args.dir} is up to date ({total} files)")
        return 0
    print(f"{args.dir}: {len(changed)} file(s) written or removed, {total} files in total")
    return 0
