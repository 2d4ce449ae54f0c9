"""``symconv prove [NAME ...]``: prove the convolution-arithmetic theorems.

Prints a table (theorem, status, seconds) or, with ``--json``, a list of objects with keys
``name``, ``status`` ("proved" | "checked" | "failed"), ``seconds``, ``uses`` and, when failed,
``counterexample``. Exit code 1 when any theorem failed.
"""
from __future__ import annotations

import argparse
import json
import time

NAME = "prove"
HELP = "prove the convolution-arithmetic theorems (symbolic proof + exhaustive grid check)"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``prove`` arguments."""
    parser.add_argument("names", nargs="*", metavar="NAME", help="theorems to prove (default: all)")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--quick", action="store_true",
                        help="grid check only the configurations with input sizes <= 3 (for a fast look)")
    parser.add_argument("--list", action="store_true", help="list the theorem names and exit")


def run(args: argparse.Namespace) -> int:
    """Prove, print, and return 1 if any theorem failed."""
    from ..proofs import prove_all, theorem, theorems

    if args.list:
        for name in theorems():
            print(f"{name}\t{theorem(name).title}")
        return 0
    start = time.perf_counter()
    results = prove_all(args.names or None, grid="quick" if args.quick else "full")
    total = time.perf_counter() - start
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        width = max([len("theorem")] + [len(r.name) for r in results])
        print(f"{'theorem':<{width}}  {'status':<8}  {'seconds':>8}")
        for r in results:
            print(f"{r.name:<{width}}  {r.status:<8}  {r.seconds:>8.3f}")
        counts = {s: sum(r.status == s for r in results) for s in ("proved", "checked", "failed")}
        print(f"{len(results)} theorems: {counts['proved']} proved, {counts['checked']} checked, "
              f"{counts['failed']} failed in {total:.2f} s")
        for r in results:
            if r.status == "failed":
                print(f"FAILED {r.name}: {r.reason}; counterexample: {json.dumps(r.counterexample)}")
    return 1 if any(r.status == "failed" for r in results) else 0
