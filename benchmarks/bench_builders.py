"""Microbenchmark: the concrete-int builders the proof grids call, per configuration.

The proof grids (``symconv.proofs.grid``) build, per matrix-grid configuration
(:func:`~symconv.proofs.grid.relation_configs`, 1-D and 2-D), a :class:`~symconv.ConvSpec`, the
:class:`~symconv.ConvTransposeSpec` with the restoring output padding, and both dense matrices with
``matrix_of(spec, weight, "numpy")``. This script times exactly that, fresh (no spec or matrix
cache), and prints microseconds per call and the ratio to two peers timed in the same run:

* ``loop``: a fixed pure-Python loop (``sum(range(200))``), for the Python-bound spec constructors;
* ``zeros``: ``np.zeros((8, 8))`` plus ``np.arange(5)``, for the NumPy-call-bound matrix builders.

The ratios are what to compare between machines and runs (the machine is shared). Run
``python benchmarks/bench_builders.py [--limit N] [--src DIR]`` (``--limit`` keeps the first N
configurations of each grid; ``--src`` times another checkout's symconv, e.g. ``git archive``'d from an
older commit, for a before/after comparison on the same machine state).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def _source() -> str:
    """The checkout whose symconv to time: ``--src DIR`` (e.g. an exported older commit), default this one."""
    if "--src" in sys.argv[:-1]:
        return sys.argv[sys.argv.index("--src") + 1]
    return str(Path(__file__).resolve().parents[1])


sys.path.insert(0, _source())

from symconv import matrix as mx
from symconv.index import _relations
from symconv.proofs import grid
from symconv.spec import ConvSpec, ConvTransposeSpec


def _keys(limit: int | None) -> list[tuple]:
    keys = []
    for ndim in (1, 2):
        configs = grid.relation_configs(ndim)[:limit]
        keys += list(dict.fromkeys(grid._restoring_key(grid._values(cfg)) for cfg in configs))
    return keys


def _spec_args(key: tuple) -> tuple:
    i, k, s, d, pb, pa, a = key
    return i, k, s, tuple(zip(pb, pa)), d, a


def _per_call(fn, calls: int, repeat: int = 3) -> float:
    """Best of ``repeat`` runs of ``fn()`` (which makes ``calls`` calls): microseconds per call."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def _peers() -> dict[str, float]:
    n = 2000

    def loop() -> None:
        for _ in range(n):
            sum(range(200))

    def zeros() -> None:
        for _ in range(n):
            np.zeros((8, 8))
            np.arange(5)

    return {"loop": _per_call(loop, n), "zeros": _per_call(zeros, n)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="configurations per grid (default: all)")
    parser.add_argument("--src", default=None, help="time the symconv of this checkout (default: this one)")
    args = parser.parse_args(argv)
    keys = _keys(args.limit)
    argsets = [_spec_args(key) for key in keys]
    n = len(argsets)

    def conv_specs() -> list:
        return [ConvSpec(k, s, p, d, input_size=i, ndim=len(i)) for i, k, s, p, d, _a in argsets]

    convs = conv_specs()
    outs = [c.output_size for c in convs]

    def transpose_specs() -> list:
        return [ConvTransposeSpec(k, s, p, a, d, input_size=o, ndim=len(i))
                for (i, k, s, p, d, a), o in zip(argsets, outs)]

    def output_sizes() -> None:
        for c in convs:
            c.output_size

    transposes = transpose_specs()
    weights = [grid.weight_of(c.kernel_size) for c in convs]

    def matrices() -> None:
        mx._spatial_pairs.cache_clear()
        _relations.cache_clear()
        for c, t, w in zip(convs, transposes, weights):
            mx.matrix_of(c, w, "numpy")
            mx.matrix_of(t, w, "numpy")

    peers = _peers()
    rows = [("ConvSpec(...)", _per_call(conv_specs, n), "loop"),
            ("ConvTransposeSpec(...)", _per_call(transpose_specs, n), "loop"),
            ("ConvSpec.output_size", _per_call(output_sizes, n), "loop"),
            ("matrix_of C + T (numpy)", _per_call(matrices, n, repeat=2), "zeros")]
    print(f"symconv from {Path(mx.__file__).parents[1]}")
    print(f"{n} configurations (1-D and 2-D matrix grids, restoring output padding)")
    print(f"peers: loop {peers['loop']:.2f} us, zeros {peers['zeros']:.2f} us")
    print(f"{'builder':<26} {'us/call':>9} {'x peer':>8}")
    for name, us, peer in rows:
        print(f"{name:<26} {us:9.2f} {us / peers[peer]:8.2f}  ({peer})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
