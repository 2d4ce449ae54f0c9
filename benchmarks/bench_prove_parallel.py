"""Benchmark: every theorem proved serially (``prove_all``) vs on worker processes
(``prove_all_parallel``), each in a fresh interpreter so neither inherits the other's caches.

Run ``python benchmarks/bench_prove_parallel.py [--quick] [--workers N] [--repeat R]``; prints the
wall time of each run (import and theorem loading included), the serial/parallel ratio of the
medians, and whether both gave the same statuses. Runs alternate (serial, parallel, serial ...)
so that a change in the machine's load hits both.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def _child(mode: str, grid: str, workers: int | None) -> None:
    t0 = time.perf_counter()
    from symconv.proofs import prove_all
    from symconv.proofs.parallel import prove_all_parallel
    results = prove_all(grid=grid) if mode == "serial" else prove_all_parallel(grid=grid, workers=workers)
    wall = time.perf_counter() - t0
    cpu = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(json.dumps({"wall": wall, "cpu": cpu, "statuses": [[r.name, r.status] for r in results],
                      "busy": sum(r.seconds for r in results)}))


def _run(mode: str, grid: str, workers: int | None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--grid", grid]
    if workers:
        cmd += ["--workers", str(workers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the quick grid (input sizes <= 3)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the cores)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (alternating)")
    parser.add_argument("--child", choices=("serial", "parallel"), help=argparse.SUPPRESS)
    parser.add_argument("--grid", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    grid = args.grid or ("quick" if args.quick else "full")
    if args.child:
        _child(args.child, grid, args.workers)
        return 0
    walls: dict[str, list[float]] = {"serial": [], "parallel": []}
    statuses = {}
    for _ in range(args.repeat):
        for mode in ("serial", "parallel"):
            run = _run(mode, grid, args.workers)
            walls[mode].append(run["wall"])
            statuses[mode] = run["statuses"]
            print(f"{mode:<9} wall {run['wall']:7.2f} s, CPU {run['cpu']:7.2f} s, sum of per-theorem times "
                  f"{run['busy']:7.2f} s; load average {os.getloadavg()[0]:.1f}", flush=True)
    serial, parallel = statistics.median(walls["serial"]), statistics.median(walls["parallel"])
    same = statuses["serial"] == statuses["parallel"]
    print(f"\n{len(statuses['serial'])} theorems, grid={grid}: serial {serial:.2f} s, parallel {parallel:.2f} s, "
          f"speed-up {serial / parallel:.2f}x; same statuses: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
