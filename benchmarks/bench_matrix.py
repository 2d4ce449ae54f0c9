"""Time C and C^T with symbolic weights from the index relation, against the entry-formula route.

Targets (issue 2): 2-D 64x64, k=3 (3844x4096, 34,596 non-zeros) under 0.5 s; 128x128
(15,876x16,384, 142,884 non-zeros) under 2 s. The peer measured in the same run is the
route the issue warns against: evaluating the symbolic entry formula entry by entry
(``Piecewise.subs`` for every (r, c)), at 16x16 where it is still affordable.

Run: ``python benchmarks/bench_matrix.py``
"""
from __future__ import annotations

import statistics
import time

import sympy as sp

import symconv
from symconv import matrix as mx


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        mx._spatial_pairs.cache_clear()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def relation_route(n: int) -> tuple[float, float, int]:
    spec = symconv.ConvSpec((3, 3), input_size=(n, n))
    t_c = best_of(lambda: symconv.conv_matrix((n, n), 3))
    t_ct = best_of(lambda: symconv.conv_transpose_matrix(spec.output_size, 3))
    return t_c, t_ct, symconv.conv_matrix((n, n), 3).nnz()


def entry_formula_route(n: int) -> float:
    spec = symconv.ConvSpec((3, 3), input_size=(n, n))
    w = sp.IndexedBase("w")
    formula = symconv.index.entry_formula(spec, weight=w)
    r = sp.symbols("r_0:2", integer=True, nonnegative=True)
    c = sp.symbols("c_0:2", integer=True, nonnegative=True)
    o = spec.output_size
    start = time.perf_counter()
    entries = {}
    for r0 in range(o[0]):
        for r1 in range(o[1]):
            for c0 in range(n):
                for c1 in range(n):
                    value = formula.subs({r[0]: r0, r[1]: r1, c[0]: c0, c[1]: c1})
                    if value != 0:
                        entries[(r0 * o[1] + r1, c0 * n + c1)] = value
    sp.SparseMatrix(o[0] * o[1], n * n, entries)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'input':>9} {'shape':>15} {'nnz':>8} {'C (s)':>8} {'C^T (s)':>8} {'target':>7}")
    for n, target in ((16, None), (64, 0.5), (128, 2.0)):
        t_c, t_ct, nnz = relation_route(n)
        o = n - 2
        flag = "" if target is None else ("ok" if max(t_c, t_ct) < target else "MISSED")
        print(f"{n:>4}x{n:<4} {o*o:>7}x{n*n:<7} {nnz:>8} {t_c:8.3f} {t_ct:8.3f} {flag:>7}")
    t_fast = statistics.median(best_of(lambda: symconv.conv_matrix((16, 16), 3), 1) for _ in range(5))
    t_slow = entry_formula_route(16)
    print(f"16x16 entry-formula route: {t_slow:.2f} s; relation route {t_fast * 1e3:.1f} ms; "
          f"ratio {t_slow / t_fast:.0f}x")


if __name__ == "__main__":
    main()
