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

The first cases are issue 17's: every API function on a tiny (1, 1, 8, 8) input (their time is
the fixed overhead, printed per case under "fixed us" for the case's API function) and the small
problems where set-up costs dominate. The last lines check its targets: geometric mean, worst
case, worst tiny case and worst dense convolution.

Optional accelerator (:mod:`symconv.accelerator`, Numba): with ``--accelerator both`` (the
default) a case whose call runs an accelerated kernel is also timed with
``symconv.numeric.ACCELERATOR = "none"`` (the NumPy kernels), as a third side in the same
rounds; its ratio is printed under "numpy" and the target lines are printed for both (the
NumPy-only geometric mean takes the NumPy ratio where there is one). ``auto`` or ``none``
time one mode only.

Run: ``python benchmarks/bench_kernels.py [--repeat 7] [--rounds 3] [--only conv] [--threads 1]
[--alternate [--gap S]] [--accelerator both|auto|none]``
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "1")   # must precede the NumPy import

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

# time the checkout this script is in, not whichever symconv is installed
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import symconv.numeric as sn  # noqa: E402
from symconv import accelerator, parallel  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
except ImportError:  # pragma: no cover
    raise SystemExit("bench_kernels.py compares against PyTorch; install torch (CPU) to run it")


#: The tiny cases take microseconds: time this many times more calls.
TINY_REPEAT = 30


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


def tiny_cases() -> list[dict]:
    """Every API function on a (1, 1, 8, 8) input: what a call costs when there is no work (fixed overhead)."""
    x, w, b = _rand(1, 1, 8, 8), _rand(1, 1, 3, 3), _rand(1)
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    vals, idx = sn.max_pool2d(x, 2, return_indices=True)
    tv, ti = torch.from_numpy(vals), torch.from_numpy(idx)
    g = _rand(1, 1, 4, 4)
    tg = torch.from_numpy(g)
    calls = [
        ("conv", lambda: sn.conv(x, w, b, padding=1), lambda: F.conv2d(tx, tw, tb, padding=1)),
        ("conv_transpose", lambda: sn.conv_transpose(x, w, b, stride=2, padding=1),
         lambda: F.conv_transpose2d(tx, tw, tb, stride=2, padding=1)),
        ("max_pool", lambda: sn.max_pool2d(x, 2), lambda: F.max_pool2d(tx, 2)),
        ("max_pool+indices", lambda: sn.max_pool2d(x, 2, return_indices=True),
         lambda: F.max_pool2d(tx, 2, return_indices=True)),
        ("avg_pool", lambda: sn.avg_pool2d(x, 2), lambda: F.avg_pool2d(tx, 2)),
        ("max_unpool", lambda: sn.max_unpool2d(vals, idx, 2), lambda: F.max_unpool2d(tv, ti, 2)),
        ("upsample nearest", lambda: sn.upsample(x, scale_factor=2), lambda: F.interpolate(tx, scale_factor=2)),
        ("upsample bilinear", lambda: sn.upsample(x, scale_factor=2, mode="bilinear"),
         lambda: F.interpolate(tx, scale_factor=2, mode="bilinear")),
        ("upsample bicubic", lambda: sn.upsample(x, scale_factor=2, mode="bicubic"),
         lambda: F.interpolate(tx, scale_factor=2, mode="bicubic")),
        ("conv_vjp", lambda: sn.conv_vjp(g, w, (8, 8), stride=2, padding=1),
         lambda: torch.nn.grad.conv2d_input((1, 1, 8, 8), tw, tg, stride=2, padding=1)),
        ("conv_transpose_vjp", lambda: sn.conv_transpose_vjp(x, w, (4, 4), stride=2, padding=1, output_padding=1),
         lambda: F.conv2d(tx, tw, stride=2, padding=1)),
    ]
    return [dict(name=f"tiny {name} (1,1,8,8)", api=name.split()[0].split("+")[0], inputs=(x,), ours=ours,
                 theirs=theirs, flops=None) for name, ours, theirs in calls]


def small_cases() -> list[dict]:
    """The small problems of issue 17, where fixed costs and per-call set-up dominate."""
    out = []

    def conv_case(name, xs, ws, groups=1, transpose=False, **kw):
        x, w = _rand(*xs), _rand(*ws)
        c_out = ws[1] * groups if transpose else ws[0]
        b = _rand(c_out)
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        if transpose:
            tf = {3: F.conv_transpose1d, 4: F.conv_transpose2d, 5: F.conv_transpose3d}[x.ndim]
            ours, flops = (lambda: sn.conv_transpose(x, w, b, groups=groups, **kw)), _convt_flops
        else:
            tf = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
            ours, flops = (lambda: sn.conv(x, w, b, groups=groups, **kw)), _conv_flops
        out.append(dict(name=name, api="conv_transpose" if transpose else "conv", inputs=(x, w, b), ours=ours,
                        theirs=lambda: tf(tx, tw, tb, groups=groups, **kw), flops=lambda y: flops(x, w, y)))

    conv_case("small conv 3->16 k3 s2 p1 (1,3,224,224)", (1, 3, 224, 224), (16, 3, 3, 3), stride=2, padding=1)
    conv_case("small conv3d 16->16 k3 s2 p1 (2,16,16,32,32)", (2, 16, 16, 32, 32), (16, 16, 3, 3, 3),
              stride=2, padding=1)
    conv_case("small conv_transpose3d 16->16 k3 s2 p1 (2,16,8,16,16)", (2, 16, 8, 16, 16), (16, 16, 3, 3, 3),
              transpose=True, stride=2, padding=1, output_padding=1)
    conv_case("small RGB conv_transpose 16->3 k4 s2 p1 (1,16,112,112)", (1, 16, 112, 112), (16, 3, 4, 4),
              transpose=True, stride=2, padding=1)
    conv_case("small depthwise k3 p1 (1,32,56,56) groups=32", (1, 32, 56, 56), (32, 1, 3, 3), groups=32, padding=1)
    return out


def cases() -> list[dict]:
    """(name, symconv call, torch call, flops or None) on the issue's shapes (float32)."""
    out = tiny_cases() + small_cases()

    def conv_case(name, xs, ws, groups=1, **kw):
        x, w, b = _rand(*xs), _rand(*ws), _rand(ws[0])
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        tf = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
        out.append(dict(name=name, api="conv", dense=groups == 1, inputs=(x, w, b),
                        ours=lambda: sn.conv(x, w, b, groups=groups, **kw),
                        theirs=lambda: tf(tx, tw, tb, groups=groups, **kw), flops=lambda y: _conv_flops(x, w, y)))

    conv_case("conv 64->64 k3 s1 p1 (8,64,56,56)", (8, 64, 56, 56), (64, 64, 3, 3), padding=1)
    x, w, b = _rand(8, 128, 28, 28), _rand(128, 64, 4, 4), _rand(64)
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    out.append(dict(name="conv_transpose 128->64 k4 s2 p1 (8,128,28,28)", api="conv_transpose", dense=True,
                    inputs=(x, w, b),
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
        vals, idx = sn.max_pool2d(xp, k, s, p, return_indices=True)
        tv, ti = torch.from_numpy(vals), torch.from_numpy(idx)
        out.append(dict(name=f"max_pool k{k} s{s} p{p} +indices (8,64,112,112)", api="max_pool", inputs=(xp,),
                        ours=lambda k=k, s=s, p=p: sn.max_pool2d(xp, k, s, p, return_indices=True),
                        theirs=lambda k=k, s=s, p=p: F.max_pool2d(txp, k, s, p, return_indices=True), flops=None))
        out.append(dict(name=f"max_unpool k{k} s{s} p{p} -> (8,64,112,112)", api="max_unpool",
                        inputs=(vals, idx),
                        ours=lambda vals=vals, idx=idx, k=k, s=s, p=p: sn.max_unpool2d(vals, idx, k, s, p,
                                                                                     output_size=(112, 112)),
                        theirs=lambda tv=tv, ti=ti, k=k, s=s, p=p: F.max_unpool2d(tv, ti, k, s, p,
                                                                                   output_size=(112, 112)),
                        flops=None))
    out.append(dict(name="avg_pool k3 s2 p1 (8,64,112,112)", api="avg_pool", inputs=(xp,),
                    ours=lambda: sn.avg_pool2d(xp, 3, 2, 1), theirs=lambda: F.avg_pool2d(txp, 3, 2, 1), flops=None))
    xu = _rand(8, 64, 56, 56)
    txu = torch.from_numpy(xu)
    out.append(dict(name="upsample nearest x2 (8,64,56,56)", api="upsample", inputs=(xu,),
                    ours=lambda: sn.upsample(xu, scale_factor=2),
                    theirs=lambda: F.interpolate(txu, scale_factor=2), flops=None))
    out.append(dict(name="upsample bilinear x2 (8,64,56,56)", api="upsample", inputs=(xu,),
                    ours=lambda: sn.upsample(xu, scale_factor=2, mode="bilinear"),
                    theirs=lambda: F.interpolate(txu, scale_factor=2, mode="bilinear"), flops=None))
    return out


def _nbytes(value) -> int:
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    return value.nbytes


def _in_mode(fn, mode: str):
    """``fn`` with ``symconv.numeric.ACCELERATOR`` set to ``mode`` first (a plan per mode is cached)."""
    def call():
        sn.ACCELERATOR = mode
        return fn()
    return call


def _accelerated() -> bool:
    """Whether a plan built since the last ``sn.PLANS.clear()`` runs an accelerator kernel."""
    return any(getattr(plan[0], "accelerated", False) for plan in list(sn.PLANS.plans.values()))


def run(case: dict, repeat: int, rounds: int = 3, alternate: bool = False, gap: float = 0.0,
        accelerator: str = "both") -> dict:
    sn.PLANS.clear()
    ours, theirs = _in_mode(case["ours"], "none" if accelerator == "none" else "auto"), case["theirs"]
    result = ours()
    numpy_side = _in_mode(case["ours"], "none") if accelerator == "both" and _accelerated() else None
    reference = theirs()
    ref = reference[0] if isinstance(reference, tuple) else reference
    got = result[0] if isinstance(result, tuple) else result
    error = float(np.max(np.abs(got - ref.numpy()))) / max(1.0, float(np.max(np.abs(ref.numpy()))))
    t_ours, t_theirs, t_numpy = [], [], []
    sides = [(theirs, t_theirs), (ours, t_ours)] + ([(numpy_side, t_numpy)] if numpy_side else [])
    for _ in range(2):
        for fn, _times in sides:
            fn()
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
    numpy_ratio = statistics.median(t_numpy) / m_theirs if t_numpy else None
    in_bytes = sum(a.nbytes for a in case["inputs"])
    budget = 2 * _nbytes(result) + in_bytes
    if case["flops"] is not None:
        rate = f"{case['flops'](got) / m_ours / 1e9:7.1f} GF/s (torch {case['flops'](got) / m_theirs / 1e9:5.1f})"
    else:
        rate = f"{(in_bytes + _nbytes(result)) / m_ours / 1e9:7.1f} GB/s"
    return dict(name=case["name"], ours=m_ours, theirs=m_theirs, ratio=m_ours / m_theirs, rate=rate,
                peak=peak, budget=budget, error=error, numpy_ratio=numpy_ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alternate", action="store_true", help="alternate the sides call by call")
    parser.add_argument("--gap", type=float, default=0.0, help="with --alternate: seconds of sleep before each call")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for both sides (torch intra-op, symconv.parallel.THREADS, BLAS); 0: defaults. "
                             "One thread each compares the work, not the scheduling, on a loaded machine")
    parser.add_argument("--accelerator", choices=("both", "auto", "none"), default="both",
                        help="symconv.numeric.ACCELERATOR for the symconv side; both: accelerated cases are also "
                             "timed on the NumPy kernels (column 'numpy')")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        parallel.THREADS = args.threads
        threadpool_limits(args.threads, user_api="blas")
    settle_allocator()
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}, median of {args.rounds}x{args.repeat} "
          f"(x{TINY_REPEAT} for tiny cases), "
          f"{f'alternating, {args.gap:g} s apart' if args.alternate else f'{args.rounds} rounds'}, "
          f"load average {os.getloadavg()[0]:.2f}, accelerator {args.accelerator} "
          f"(Numba {'importable' if accelerator.available() else 'missing'})")
    header = (f"{'case':56s} {'symconv ms':>10s} {'torch ms':>9s} {'ratio':>6s} {'numpy':>6s} {'fixed us':>8s}  "
              f"{'rate':30s} "
              f"{'peak MB':>8s} {'budget':>7s} {'err':>8s}")
    print(header)
    print("-" * len(header))
    results, fixed = [], {}
    for case in cases():
        if args.only and args.only not in case["name"]:
            continue
        tiny = case["name"].startswith("tiny")
        r = run(case, args.repeat * (TINY_REPEAT if tiny else 1), args.rounds, args.alternate, args.gap,
                args.accelerator)
        r.update(tiny=tiny, dense=case.get("dense", False))
        if tiny:
            fixed.setdefault(case["api"], r["ours"])
        results.append(r)
        overhead = fixed.get(case.get("api"))
        numpy_ratio = "-" if r["numpy_ratio"] is None else f"{r['numpy_ratio']:.2f}"
        print(f"{r['name']:56s} {r['ours'] * 1e3:10.3f} {r['theirs'] * 1e3:9.3f} {r['ratio']:6.2f} {numpy_ratio:>6s} "
              f"{'-' if overhead is None else f'{overhead * 1e6:.0f}':>8s}  {r['rate']:30s} "
              f"{r['peak'] / 1e6:8.1f} {r['peak'] / r['budget']:6.2f}x {r['error']:8.1e}", flush=True)
    summarize(results)


def summarize(results: list[dict]) -> None:
    """The target lines of issue 17 (geometric mean, worst case, worst tiny and worst dense ratio), for the
    symconv side as run and, when some case was also timed on the NumPy kernels, for NumPy alone."""
    if not results:
        return
    labels = [("", "ratio")]
    if any(r["numpy_ratio"] is not None for r in results):
        labels.append((" [NumPy kernels only]", "numpy_ratio"))
    for suffix, field in labels:
        ratio = {r["name"]: r[field] if r[field] is not None else r["ratio"] for r in results}
        geomean = math.exp(sum(math.log(v) for v in ratio.values()) / len(ratio))
        worst = max(results, key=lambda r: ratio[r["name"]])
        print(f"geometric mean symconv/torch over {len(ratio)} cases{suffix}: {geomean:.2f} (target <= 1.2); "
              f"worst {ratio[worst['name']]:.2f} ({worst['name']}; target <= 2)")
        for label, key, target in (("tiny", "tiny", 3.0), ("dense conv", "dense", 1.3)):
            picked = [r for r in results if r[key]]
            if picked:
                top = max(picked, key=lambda r: ratio[r["name"]])
                print(f"worst {label} ratio{suffix}: {ratio[top['name']]:.2f} ({top['name']}; target <= {target:g})")
    print(f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
