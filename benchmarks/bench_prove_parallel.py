"""Benchmark: every theorem proved serially (``prove_all``) vs on worker processes
(``prove_all_parallel``), each in a fresh interpreter so neither inherits the other's caches.

Run ``python benchmarks/bench_prove_parallel.py [--quick] [--workers N] [--repeat R]``; prints the
wall time of each run (import and theorem loading included), the serial/parallel ratio of the
medians, and whether both gave the same statuses. Runs alternate (serial, parallel, serial ...)
so that a change in the machine's load hits both. On a loaded machine the wall times mostly
measure the load; the CPU times (the run's own and its workers') and the dependency graph's
critical path (each theorem weighted by its own CPU time in the serial run) estimate the wall time
on idle cores.
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

import networkx as nx


def _child(mode: str, grid: str, workers: int | None) -> None:
    t0 = time.perf_counter()
    from symconv.proofs import dependency_graph, prove, theorems
    from symconv.proofs.parallel import prove_all_parallel
    own_cpu = {}
    if mode == "serial":
        results = []
        for name in theorems():                  # topological: a theorem's lemmas are already cached
            c0 = time.process_time()
            results.append(prove(name, grid))
            own_cpu[name] = time.process_time() - c0
    else:
        results = prove_all_parallel(grid=grid, workers=workers)
    wall = time.perf_counter() - t0
    cpu = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    critical = 0.0
    if own_cpu:                                  # the longest chain of lemmas, by CPU time
        graph, finish = dependency_graph(), {}
        for name in nx.topological_sort(graph):
            finish[name] = own_cpu[name] + max((finish[u] for u in graph.predecessors(name)), default=0.0)
        critical = max(finish.values())
    print(json.dumps({"wall": wall, "cpu": cpu, "statuses": [[r.name, r.status] for r in results],
                      "busy": sum(r.seconds for r in results), "critical": critical,
                      "proofs_cpu": sum(own_cpu.values())}))


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
            if mode == "serial":
                critical = run["critical"]
            else:
                parallel_cpu = run["cpu"]
    serial, parallel = statistics.median(walls["serial"]), statistics.median(walls["parallel"])
    workers = args.workers or len(os.sched_getaffinity(0))
    print(f"CPU-time estimate for {workers} idle cores: serial ~ its CPU time; parallel ~ max(critical path "
          f"{critical:.2f} s, parallel CPU / {workers} = {parallel_cpu / workers:.2f} s)")
    same = statuses["serial"] == statuses["parallel"]
    print(f"\n{len(statuses['serial'])} theorems, grid={grid}: serial {serial:.2f} s, parallel {parallel:.2f} s, "
          f"speed-up {serial / parallel:.2f}x; same statuses: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
