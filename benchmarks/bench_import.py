"""Time ``import symconv`` against ``import numpy`` (the peer), each in a fresh interpreter.

Target (issue 12): ``import symconv`` under 0.5 s on this machine. The top level loads its
submodules on first use (PEP 562), so importing the package loads neither SymPy, networkx nor
the proof engine; ``import numpy`` is timed in the same run as the yardstick, and so is the
first everyday call (``symconv.conv_output_size``, which loads SymPy) to show where the cost went.

Run: ``python benchmarks/bench_import.py [--runs 7]``
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

#: What each fresh interpreter runs; it prints the seconds the timed statement took.
_TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"

CASES = {
    "import numpy": "import numpy",
    "import symconv": "import symconv",
    "import symconv; symconv.conv_output_size(5, 3)": "import symconv; symconv.conv_output_size(5, 3)",
}


def fresh_seconds(stmt: str) -> float:
    """Seconds ``stmt`` takes in a new interpreter (bytecode caches warm, as for a user)."""
    out = subprocess.run([sys.executable, "-c", _TIMER.format(stmt=stmt)], check=True, capture_output=True,
                         text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per case (median reported)")
    args = parser.parse_args(argv)
    for stmt in CASES.values():                    # warm the bytecode caches once
        fresh_seconds(stmt)
    medians = {name: statistics.median(fresh_seconds(stmt) for _ in range(args.runs)) for name, stmt in CASES.items()}
    peer = medians["import numpy"]
    for name, seconds in medians.items():
        print(f"{name:50s} {seconds * 1000:8.1f} ms  ({seconds / peer:5.2f}x numpy)")
    verdict = "meets" if medians["import symconv"] < 0.5 else "MISSES"
    print(f"import symconv {verdict} the 0.5 s target (median of {args.runs} fresh interpreters)")


if __name__ == "__main__":
    main()
