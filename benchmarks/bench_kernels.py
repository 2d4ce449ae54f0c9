"""Time every numeric API function (lowered kernels) against PyTorch CPU on the issue's shapes.

Both run in this process on the same arrays. Each case is timed in ``--rounds`` rounds (default
3); in a round each side makes one untimed call and then ``--repeat`` timed calls back to back,
and the side that goes first alternates between rounds; the medians of all timed calls are
compared. Printed per case: the
medians, the symconv/torch ratio, the achieved GFLOP/s of the convolutions (GB/s moved for
the memory-bound operators), and the peak extra memory of one symconv call (``tracemalloc``,
which sees NumPy's allocations) against the budget "2 x output + input". The last line is the
geometric mean of the ratios.

Fair timing: OpenBLAS worker threads keep spinning ~0.1 s after each NumPy matmul and slow
the next torch call 2-3x; ``OPENBLAS_THREAD_TIMEOUT`` (read when NumPy loads OpenBLAS) stops
that, so this script sets it to 1 before importing NumPy unless it is already set. Absolute
times drift on a shared machine; compare ratios from one run.

Page faults: glibc serves large blocks by fresh ``mmap`` (page-faulted on first touch) until a
freed block raises its dynamic threshold (up to 32 MB). Which side allocated what before decides
whether a call pays the faults: torch's conv 3->16 takes 5.3 ms or 1.0 ms in the same process
depending on it. The script frees one 30 MB block first (:func:`settle_allocator`), so both sides
reuse heap memory from the start.

Spinning threads, both ways: after a call, torch's OpenMP workers (like OpenBLAS's) spin for a
while before they sleep, and a call of the other side that follows at once runs on the cores
they hold: with calls alternating one by one, conv 3->16 took 4.4 ms right after each torch call
and 2.9 ms after its own. Sleeping between alternating calls is no cure either: an idle pause of
10 ms makes torch's next conv 3->16 take 2.7 ms instead of 1.1-1.4 ms. Hence the rounds of
back-to-back calls; ``--alternate [--gap S]`` times call by call for comparison.

On a machine shared with other jobs, multi-threaded BLAS calls wait for descheduled worker
threads and single runs swing by 2x or more; run the script several times and compare.

Run: ``python benchmarks/bench_kernels.py [--repeat 7] [--rounds 3] [--only conv] [--alternate [--gap S]]``
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "1")   # must precede the NumPy import

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

import symconv.numeric as sn  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
except ImportError:  # pragma: no cover
    raise SystemExit("bench_kernels.py compares against PyTorch; install torch (CPU) to run it")


def _rand(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape, dtype=np.float32)


def _conv_flops(x: np.ndarray, w: np.ndarray, out: np.ndarray) -> float:
    return 2.0 * out.size * w[0].size


def _convt_flops(x: np.ndarray, w: np.ndarray, out: np.ndarray) -> float:
    return 2.0 * x.size * w[0].size


def settle_allocator() -> None:
    """Raise glibc's dynamic mmap threshold to ~30 MB by freeing one block of that size."""
    block = np.ones(30 * 2**20 // 8)
    del block


def cases() -> list[dict]:
    """(name, symconv call, torch call, flops or None) on the issue's shapes (float32)."""
    out = []

    def conv_case(name, xs, ws, groups=1, **kw):
        x, w, b = _rand(*xs), _rand(*ws), _rand(ws[0])
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        tf = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
        out.append(dict(name=name, inputs=(x, w, b),
                        ours=lambda: sn.conv(x, w, b, groups=groups, **kw),
                        theirs=lambda: tf(tx, tw, tb, groups=groups, **kw), flops=lambda y: _conv_flops(x, w, y)))

    conv_case("conv 64->64 k3 s1 p1 (8,64,56,56)", (8, 64, 56, 56), (64, 64, 3, 3), padding=1)
    x, w, b = _rand(8, 128, 28, 28), _rand(128, 64, 4, 4), _rand(64)
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    out.append(dict(name="conv_transpose 128->64 k4 s2 p1 (8,128,28,28)", inputs=(x, w, b),
                    ours=lambda: sn.conv_transpose(x, w, b, stride=2, padding=1),
                    theirs=lambda: F.conv_transpose2d(tx, tw, tb, stride=2, padding=1),
                    flops=lambda y: _convt_flops(x, w, y)))
    conv_case("conv 3->16 k3 s2 p1 (8,3,224,224)", (8, 3, 224, 224), (16, 3, 3, 3), stride=2, padding=1)
    conv_case("depthwise conv k3 p1 (8,64,56,56) groups=64", (8, 64, 56, 56), (64, 1, 3, 3), groups=64, padding=1)
    conv_case("conv 64->64 k3 d2 p2 (8,64,56,56)", (8, 64, 56, 56), (64, 64, 3, 3), dilation=2, padding=2)
    conv_case("conv1d 64->64 k5 p2 (16,64,2048)", (16, 64, 2048), (64, 64, 5), padding=2)
    conv_case("conv3d 32->32 k3 p1 (4,32,16,32,32)", (4, 32, 16, 32, 32), (32, 32, 3, 3, 3), padding=1)

    xp = _rand(8, 64, 112, 112)
    txp = torch.from_numpy(xp)
    for k, s, p in ((2, 2, 0), (3, 2, 1)):
        vals, idx = sn.max_pool(xp, k, s, p, return_indices=True)
        tv, ti = torch.from_numpy(vals), torch.from_numpy(idx)
        out.append(dict(name=f"max_pool k{k} s{s} p{p} +indices (8,64,112,112)", inputs=(xp,),
                        ours=lambda k=k, s=s, p=p: sn.max_pool(xp, k, s, p, return_indices=True),
                        theirs=lambda k=k, s=s, p=p: F.max_pool2d(txp, k, s, p, return_indices=True), flops=None))
        out.append(dict(name=f"max_unpool k{k} s{s} p{p} -> (8,64,112,112)", inputs=(vals, idx),
                        ours=lambda vals=vals, idx=idx, k=k, s=s, p=p: sn.max_unpool(vals, idx, k, s, p,
                                                                                     output_size=(112, 112)),
                        theirs=lambda tv=tv, ti=ti, k=k, s=s, p=p: F.max_unpool2d(tv, ti, k, s, p,
                                                                                   output_size=(112, 112)),
                        flops=None))
    out.append(dict(name="avg_pool k3 s2 p1 (8,64,112,112)", inputs=(xp,),
                    ours=lambda: sn.avg_pool(xp, 3, 2, 1), theirs=lambda: F.avg_pool2d(txp, 3, 2, 1), flops=None))
    xu = _rand(8, 64, 56, 56)
    txu = torch.from_numpy(xu)
    out.append(dict(name="upsample nearest x2 (8,64,56,56)", inputs=(xu,),
                    ours=lambda: sn.upsample(xu, scale_factor=2),
                    theirs=lambda: F.interpolate(txu, scale_factor=2), flops=None))
    out.append(dict(name="upsample bilinear x2 (8,64,56,56)", inputs=(xu,),
                    ours=lambda: sn.upsample(xu, scale_factor=2, mode="bilinear"),
                    theirs=lambda: F.interpolate(txu, scale_factor=2, mode="bilinear"), flops=None))
    return out


def _nbytes(value) -> int:
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    return value.nbytes


def run(case: dict, repeat: int, rounds: int = 3, alternate: bool = False, gap: float = 0.0) -> dict:
    ours, theirs = case["ours"], case["theirs"]
    result = ours()
    reference = theirs()
    ref = reference[0] if isinstance(reference, tuple) else reference
    got = result[0] if isinstance(result, tuple) else result
    error = float(np.max(np.abs(got - ref.numpy()))) / max(1.0, float(np.max(np.abs(ref.numpy()))))
    for _ in range(2):
        ours()
        theirs()
    t_ours, t_theirs = [], []
    sides = [(theirs, t_theirs), (ours, t_ours)]
    with torch.no_grad():
        if alternate:         # call by call, optionally a sleep apart
            for _ in range(repeat * rounds):
                for fn, times in sides:
                    if gap:
                        time.sleep(gap)
                    start = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - start)
        else:                 # rounds: each side's calls back to back after one untimed call
            for round_ in range(rounds):
                for fn, times in (sides if round_ % 2 == 0 else sides[::-1]):
                    fn()
                    for _ in range(repeat):
                        start = time.perf_counter()
                        fn()
                        times.append(time.perf_counter() - start)
    tracemalloc.start()
    ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    m_ours, m_theirs = statistics.median(t_ours), statistics.median(t_theirs)
    in_bytes = sum(a.nbytes for a in case["inputs"])
    budget = 2 * _nbytes(result) + in_bytes
    if case["flops"] is not None:
        rate = f"{case['flops'](got) / m_ours / 1e9:7.1f} GF/s (torch {case['flops'](got) / m_theirs / 1e9:5.1f})"
    else:
        rate = f"{(in_bytes + _nbytes(result)) / m_ours / 1e9:7.1f} GB/s"
    return dict(name=case["name"], ours=m_ours, theirs=m_theirs, ratio=m_ours / m_theirs, rate=rate,
                peak=peak, budget=budget, error=error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alternate", action="store_true", help="alternate the sides call by call")
    parser.add_argument("--gap", type=float, default=0.0, help="with --alternate: seconds of sleep before each call")
    args = parser.parse_args()
    settle_allocator()
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}, median of {args.rounds}x{args.repeat}, "
          f"{f'alternating, {args.gap:g} s apart' if args.alternate else f'{args.rounds} rounds'}, load average {os.getloadavg()[0]:.2f}")
    header = f"{'case':48s} {'symconv ms':>10s} {'torch ms':>9s} {'ratio':>6s}  {'rate':30s} {'peak MB':>8s} {'budget':>7s} {'err':>8s}"
    print(header)
    print("-" * len(header))
    ratios = []
    for case in cases():
        if args.only and args.only not in case["name"]:
            continue
        r = run(case, args.repeat, args.rounds, args.alternate, args.gap)
        ratios.append(r["ratio"])
        print(f"{r['name']:48s} {r['ours'] * 1e3:10.2f} {r['theirs'] * 1e3:9.2f} {r['ratio']:6.2f}  {r['rate']:30s} "
              f"{r['peak'] / 1e6:8.1f} {r['peak'] / r['budget']:6.2f}x {r['error']:8.1e}", flush=True)
    geomean = math.exp(sum(math.log(v) for v in ratios) / len(ratios))
    print(f"geometric mean symconv/torch over {len(ratios)} cases: {geomean:.2f} "
          f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
