"""``symconv prove [NAME ...]``: prove the convolution-arithmetic theorems.

Prints a table (theorem, status, Z3's verdict, the theorem's own seconds, and why a theorem is only
``checked`` or ``failed``; theorems run side by side on the usable cores, and the last line gives the
wall clock) or, with ``--json``, a list of objects with keys ``name``, ``status`` ("proved" |
"checked" | "failed"), ``smt`` ("certified" | "bounded" | "refuted" | "unknown" | "n/a"),
``seconds``, ``uses``, ``grid_count``, ``grid_statement_count``, ``reason``, ``grid_only`` and, when
failed, ``counterexample``. ``--list`` lists the names (``--list --json``: name, title, uses). Exit code
1 when any theorem failed; an unknown name exits 2 and points to ``--list``.
"""
from __future__ import annotations

import argparse
import json
import time

NAME = "prove"
HELP = "prove the convolution-arithmetic theorems (symbolic proof + exhaustive grid check)"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``prove`` arguments."""
    parser.add_argument("names", nargs="*", metavar="NAME", help="theorems to prove (default: all; see --list)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table (also with --list)")
    parser.add_argument("--quick", action="store_true",
                        help="grid check only the configurations with input sizes <= 3 (for a fast look)")
    parser.add_argument("--list", action="store_true", help="list the theorem names and exit")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _list(as_json: bool) -> int:
    from ..proofs import theorem, theorems
    rows = [theorem(name) for name in theorems()]
    if as_json:
        print(json.dumps([{"name": t.name, "title": t.title, "uses": list(t.uses)} for t in rows], indent=2))
    else:
        for t in rows:
            print(f"{t.name}\t{t.title}")
    return 0


def _names(requested: list) -> list:
    """The theorems to prove, in dependency order; an unknown name is refused (pointing to --list)."""
    from ..proofs import theorems
    order = theorems()
    unknown = [n for n in requested if n not in order]
    if unknown:
        raise ValueError(f"unknown theorem {unknown[0]!r}; `symconv prove --list` lists the "
                         f"{len(order)} theorem names")
    wanted = set(requested)
    return [n for n in order if not requested or n in wanted]


def run(args: argparse.Namespace) -> int:
    """Prove, print, and return 1 if any theorem failed."""
    if args.list:
        if args.names or args.quick:
            raise ValueError("--list takes no theorem names and no --quick")
        return _list(args.json)
    from .. import proofs
    # every theorem: None lets prove_all start building the grid matrices before the theorems load
    names = _names(args.names) if args.names else None
    grid = "quick" if args.quick else "full"
    start = time.perf_counter()
    results = proofs.prove_all(names, grid)            # on every usable core
    total = time.perf_counter() - start
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        print(_table(results))
        counts = {s: sum(r.status == s for r in results) for s in ("proved", "checked", "failed")}
        print(f"{_plural(len(results), 'theorem')}: {counts['proved']} proved, {counts['checked']} checked, "
              f"{counts['failed']} failed in {total:.2f} s (wall clock)")
        for r in results:
            if r.status == "failed":
                print(f"FAILED {r.name}: {r.reason}; counterexample: {json.dumps(r.counterexample, default=str)}")
    return 1 if any(r.status == "failed" for r in results) else 0


def _table(results: list) -> str:
    """theorem, status, Z3's verdict, seconds (the theorem's own: theorems run side by side on the cores, so
    they add up to more than the wall clock printed below) and why not proved."""
    width = max([len("theorem")] + [len(r.name) for r in results])
    lines = [f"{'theorem':<{width}}  {'status':<8}  {'smt':<9}  {'seconds':>8}  why not proved"]
    for r in results:
        why = r.reason if r.status != "proved" else ""
        lines.append(f"{r.name:<{width}}  {r.status:<8}  {r.smt:<9}  {r.seconds:>8.3f}  {why}".rstrip())
    return "\n".join(lines)
