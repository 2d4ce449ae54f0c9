"""Benchmark: ``symconv prove`` and ``symconv derive`` end to end, against the issue's targets.

Run ``python benchmarks/bench_prove_derive.py [--repeat N]``. Each command runs in a fresh
interpreter (as a user runs it); the script prints wall and CPU seconds (CPU summed over the
command's processes, so CPU / wall shows how well the cores are used), the machine's load average
before each run, and the targets (prove < 15 s, derive < 25 s on 2 cores). With the machine busy,
wall time is not comparable: read the load column and the CPU time.

The machine's speed also drifts on its own (a virtual machine whose neighbours come and go: the same
pure-Python loop took 0.96 s and 1.8 s within one afternoon), so before each run the script times a
fixed reference workload (``ref s``: 10 million additions in a Python loop, CPU seconds) and reports
the fastest run; ``wall x 1/ref`` rescales the wall time to a machine on which the reference takes 1 s.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

TARGETS = {"prove": 15.0, "derive": 25.0}


def _run(argv: list[str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "symconv", *argv], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python workload: how fast the machine is right now."""
    start = time.process_time()
    total = 0
    for n in range(10_000_000):
        total += n
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="runs per command (the fastest is reported)")
    parser.add_argument("--all", action="store_true", help="print every run, fastest first")
    args = parser.parse_args(argv)
    print(f"{'command':<8} {'load':>6} {'ref s':>6} {'wall s':>8} {'cpu s':>8} {'wall/ref':>9} {'target s':>9}  exit")
    worst = 0
    with tempfile.TemporaryDirectory() as out:
        commands = {"prove": ["prove"], "derive": ["derive", "--dir", os.path.join(out, "derivations")]}
        for name, command in commands.items():
            runs = []
            for _ in range(args.repeat):
                load, ref = os.getloadavg()[0], reference_seconds()
                runs.append((*_run(command), load, ref))
                worst = max(worst, runs[-1][2])
            for wall, cpu, code, load, ref in sorted(runs) if args.all else sorted(runs)[:1]:
                print(f"{name:<8} {load:6.2f} {ref:6.2f} {wall:8.2f} {cpu:8.2f} {wall / ref:9.2f} "
                      f"{TARGETS[name]:9.1f}  {code}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
