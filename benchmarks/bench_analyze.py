"""Benchmark: ``symconv.stack.analyze`` on a 20-layer encoder-decoder at 512x512.

Targets (issue 6): under 5 s and under 1 GiB. The analysis uses per-axis relations,
quasi-periodic receptive-field hulls and closed forms, never the full 2-D graph (which
would have about 10^8 edges here). Prints wall time, peak traced Python memory and the
process's peak RSS.

Run: ``python benchmarks/bench_analyze.py [--size 512] [--layers 20]``
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc


def build_stack(layers: int) -> list[dict]:
    """Alternating conv / strided conv down, then transposed conv (k=3, s=2: checkerboard) / conv up."""
    half = layers // 2
    down, up = [], []
    for j in range(half):
        stride = 2 if j % 2 else 1
        down.append({"op": "conv", "kernel_size": 3, "stride": stride, "padding": 1})
    for j in range(layers - half):
        if j % 2 == 0:
            up.append({"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1})
        else:
            up.append({"op": "conv", "kernel_size": 3, "padding": 1})
    return down + up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--layers", type=int, default=20)
    args = parser.parse_args(argv)

    from symconv.stack import analyze  # imported here so import time is not in the figures

    stack = build_stack(args.layers)
    tracemalloc.start()
    start = time.perf_counter()
    report = analyze(stack, (args.size, args.size))
    text = report.table()
    payload = json.dumps(report.as_dicts())
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    start = time.perf_counter()
    analyze(stack, (args.size, args.size)).table()
    warm = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

    last = report.layers[-1]
    print(f"stack: {args.layers} layers on {args.size}x{args.size} -> output {last.output_size}, "
          f"receptive field {last.receptive_field}, checkerboard layers "
          f"{sum(layer.checkerboard for layer in report.layers)}, restores encoder: {report.restores_encoder}")
    print(f"analyze + table + json: {elapsed:.3f} s first call, {warm:.3f} s warm (target < 5 s)")
    print(f"peak traced Python memory: {peak / 2**20:.1f} MiB; peak RSS: {rss / 2**20:.1f} MiB (target < 1024 MiB)")
    print(f"table: {len(text.splitlines())} lines, json: {len(payload)} bytes")
    ok = elapsed < 5 and rss < 2**30
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
