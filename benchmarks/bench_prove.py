"""Benchmark: the full proof suite (symbolic proofs + full grids), per theorem and in total.

Run ``python benchmarks/bench_prove.py [--quick]``; prints theorem, status, proof/grid/total seconds,
grid size, and the total wall time.
"""
from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the quick grid (input sizes <= 3)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    from symconv.proofs import prove, theorems
    names = theorems()
    t_load = time.perf_counter() - t0
    print(f"{'theorem':<30} {'status':<8} {'proof s':>8} {'grid s':>8} {'total s':>8} {'grid n':>7}")
    results = []
    for name in names:
        r = prove(name, grid="quick" if args.quick else "full")
        results.append(r)
        print(f"{r.name:<30} {r.status:<8} {r.proof_seconds:8.3f} {r.grid_seconds:8.3f} {r.seconds:8.3f} "
              f"{r.grid_count:7d}", flush=True)
    total = time.perf_counter() - t0
    proof = sum(r.proof_seconds for r in results)
    grid = sum(r.grid_seconds for r in results)
    print(f"\n{len(results)} theorems; import {t_load:.2f} s, proofs {proof:.2f} s, grids {grid:.2f} s, "
          f"total wall {total:.2f} s")
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
