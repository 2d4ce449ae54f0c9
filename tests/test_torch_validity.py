"""Accepted exactly when PyTorch returns, refused exactly when it raises, with torch's sizes.

Each operator's validity rules live in :mod:`symconv.spec` / :mod:`symconv.shapes`; here they
are compared with torch 2.13 both ways, at three levels: the size functions and specs, the
NumPy functions (batched ``(N, C, ...)`` inputs, values compared in float32 and float64) and
the ``shape`` command run in-process. "Refused" means ``ValueError`` (CLI: exit 2) on our side
and ``ValueError``/``RuntimeError`` on torch's. 1-D grids are exhaustive over small ranges;
2-D and 3-D configurations are seeded random samples of the same ranges.

Known, deliberate differences (each asserted below, not skipped):

* an output size of 0: torch returns an empty tensor for max-unpooling (without looking at the
  indices) and for float32 transposed convolutions (float64 raises); symconv refuses (sizes are
  >= 1 everywhere in symconv);
* interpolation: torch's 'linear' takes 1 spatial axis and 'bicubic' 2 (NotImplementedError
  otherwise); symconv's are separable in any dimension and equal torch's bilinear/trilinear/
  bicubic where those exist (asserted); the grids use torch's (mode, ndim) pairs;
* ``avg_pool3d`` refuses an input smaller than the kernel on some axis; this is a rule of torch's
  3-D *function*, enforced by :func:`symconv.numeric.avg_pool` (arrays level), not of the
  average-pooling operator (``AvgPoolSpec``; ONNX's AveragePool has no such rule).
"""
from __future__ import annotations

import contextlib
import functools
import io
import itertools
import random
import warnings

import numpy as np
import pytest

from symconv import cli, shapes
from symconv import numeric as sn
from symconv.spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Thousands of tiny torch calls: intra-op threads only add overhead (10x on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

# exhaustive 1-D ranges: input, kernel, stride, padding, dilation
I, K, S, P, D = range(1, 11), range(1, 6), range(1, 5), range(0, 4), range(1, 4)
CEIL = (False, True)
SCALES = (0.0, -1.5, 0.1, 0.3, 0.5, 2 / 3, 1.0, 1.5, 2, 2.5, 3, 7.0)
MODES_BY_NDIM = {1: ("nearest", "nearest-exact", "linear"), 2: ("nearest", "bilinear", "bicubic"),
                 3: ("nearest-exact", "trilinear")}


def torch_result(fn):
    """``fn()``, or None when torch refuses (ValueError or RuntimeError)."""
    try:
        return fn()
    except (RuntimeError, ValueError):
        return None


def our_result(fn):
    """``fn()``, or None when symconv refuses (ValueError; anything else is a bug)."""
    try:
        return fn()
    except ValueError:
        return None


class Tally:
    """Counts of configurations both accepted, both refused, and the disagreements."""

    def __init__(self) -> None:
        self.accepted = self.refused = self.torch_empty = 0
        self.disagreements: list = []

    def add(self, config, want, *got) -> None:
        if all(g == want for g in got):
            if want is None:
                self.refused += 1
            else:
                self.accepted += 1
        else:
            self.disagreements.append((config, want, got))

    def check(self) -> None:
        assert not self.disagreements, f"{len(self.disagreements)} disagreements, e.g. {self.disagreements[:5]}"
        assert self.accepted and self.refused, (self.accepted, self.refused)   # both ways exercised


@functools.lru_cache(maxsize=None)
def zeros(*shape: int):
    return torch.zeros(shape, dtype=torch.float64)


def spatial(out) -> tuple:
    return tuple(out.shape[2:])


def random_axes(rng: random.Random, ndim: int, *ranges: range) -> list[tuple]:
    """One tuple per range, ``ndim`` draws each (a per-axis configuration)."""
    return [tuple(rng.choice(r) for _ in range(ndim)) for r in ranges]


# --------------------------------------------------------------------------- (a) sizes and specs, 1-D


def test_conv_sizes_agree_with_torch():
    tally = Tally()
    for i, k, s, p, d in itertools.product(I, K, S, P, D):
        want = torch_result(lambda: F.conv1d(zeros(1, 1, i), zeros(1, 1, k), stride=s, padding=p,
                                             dilation=d).shape[-1])
        tally.add((i, k, s, p, d), want, our_result(lambda: shapes.conv_output_size(i, k, s, p, d)),
                  our_result(lambda: ConvSpec(k, s, p, d, input_size=i).output_size[0]))
    tally.check()


def test_conv_transpose_sizes_agree_with_torch_output_padding_and_output_size():
    tally, pinned = Tally(), Tally()
    modules = {}
    for i, k, s, p, d in itertools.product(I, K, S, P, D):
        for a in range(4):              # the rule is a < max(s, d), dilation included
            want = torch_result(lambda: F.conv_transpose1d(zeros(1, 1, i), zeros(1, 1, k), stride=s, padding=p,
                                                           output_padding=a, dilation=d).shape[-1])
            tally.add((i, k, s, p, d, a), want,
                      our_result(lambda: shapes.conv_transpose_output_size(i, k, s, p, d, a)),
                      our_result(lambda: ConvTransposeSpec(k, s, p, a, d, input_size=i).output_size[0]))
            if a == 0:
                smallest = want
        layer = modules.get((k, s, p, d))
        if layer is None:
            layer = modules[(k, s, p, d)] = torch.nn.ConvTranspose1d(1, 1, k, s, p, dilation=d, bias=False).double()
        around = range(max(1, smallest - 2), smallest + s + 1) if smallest else range(1, 3)
        for o in around:                # ConvTranspose.forward(output_size=...): min <= o <= min + s - 1
            want = torch_result(lambda: layer(zeros(1, 1, i), output_size=[o]).shape[-1])
            pinned.add((i, k, s, p, d, o), want, our_result(
                lambda: ConvTransposeSpec(k, s, p, 0, d, input_size=i, pinned_output_size=o).output_size[0]))
    tally.check()
    pinned.check()


@pytest.mark.parametrize("ceil_mode", CEIL)
def test_max_pool_sizes_agree_with_torch(ceil_mode):
    tally = Tally()
    for i, k, s, p, d in itertools.product(I, K, S, P, D):
        want = torch_result(lambda: F.max_pool1d(zeros(1, 1, i), k, s, p, d, ceil_mode=ceil_mode).shape[-1])
        tally.add((i, k, s, p, d), want,
                  our_result(lambda: shapes.pool_output_size(i, k, s, p, d, ceil_mode)),
                  our_result(lambda: MaxPoolSpec(k, s, p, d, ceil_mode, input_size=i).output_size[0]))
    tally.check()


def test_avg_pool_sizes_agree_with_torch():
    tally = Tally()
    for i, k, s, p, ceil_mode in itertools.product(I, K, S, P, CEIL):
        want = torch_result(lambda: F.avg_pool1d(zeros(1, 1, i), k, s, p, ceil_mode=ceil_mode).shape[-1])
        tally.add((i, k, s, p, ceil_mode), want,
                  our_result(lambda: shapes.pool_output_size(i, k, s, p, 1, ceil_mode)),
                  our_result(lambda: AvgPoolSpec(k, s, p, ceil_mode, input_size=i).output_size[0]))
    tally.check()


@pytest.mark.parametrize("i, k, s, d, expected", [
    (2, 3, 2, 1, 1),      # F.max_pool2d(rand(1,1,2,2), 3, 2, ceil_mode=True) is 1x1 (GoogLeNet's pool)
    (1, 2, 3, 1, 1),
    (13, 6, 4, 3, 1),
])
def test_ceil_mode_accepts_a_window_larger_than_the_padded_input(i, k, s, d, expected):
    assert F.max_pool1d(zeros(1, 1, i), k, s, 0, d, ceil_mode=True).shape[-1] == expected
    assert shapes.pool_output_size(i, k, s, 0, d, ceil_mode=True) == expected
    with pytest.raises(ValueError, match=r"kernel_size with dilation spans d\*\(k-1\)\+1=.*larger than the padded"):
        shapes.pool_output_size(i, k, s, 0, d)


def test_ceil_mode_refusal_names_the_rule_and_the_values():
    with pytest.raises(ValueError, match=r"max_pool: kernel_size with dilation spans d\*\(k-1\)\+1=5, more than the "
                                         r"padded input plus stride - 1 allows in ceil_mode \(i\+p_before\+p_after"
                                         r"\+s-1=4\) \(input_size=3, padding=\(0, 0\), stride=2\)"):
        MaxPoolSpec(5, 2, ceil_mode=True, input_size=3)
    assert torch_result(lambda: F.max_pool1d(zeros(1, 1, 3), 5, 2, ceil_mode=True)) is None


@pytest.mark.parametrize("include", [True, False])
def test_avg_pool_divides_a_window_outrunning_the_padded_input_by_its_clipped_length(include):
    # i=2, k=3, s=2, ceil: the one window [0, 3) is clipped to [0, 2) -> mean of both elements;
    # p=1 on [1, 2, 3], k=3, s=3: the second window [2, 5) is clipped to the padded end 4 -> (3 + 0)/2
    # with count_include_pad, 3/1 without
    x = np.array([[[1.0, 2.0]]])
    assert sn.avg_pool1d(x, 3, 2, 0, True, include)[0, 0].tolist() == [1.5]
    assert F.avg_pool1d(torch.from_numpy(x), 3, 2, 0, True, include)[0, 0].tolist() == [1.5]
    x = np.array([[[1.0, 2.0, 3.0]]])
    want = F.avg_pool1d(torch.from_numpy(x), 3, 3, 1, True, include)[0, 0].tolist()
    assert want == ([1.0, 1.5] if include else [1.5, 3.0])
    assert sn.avg_pool1d(x, 3, 3, 1, True, include)[0, 0].tolist() == want


def test_analyze_accepts_a_ceil_mode_pool_larger_than_its_input(tmp_path, capsys):
    stack = tmp_path / "stack.json"
    stack.write_text('[{"op": "max_pool", "kernel_size": 3, "stride": 2, "ceil_mode": true}]')
    assert cli.main(["analyze", str(stack), "--i", "2", "--dims", "2", "--json"]) == 0
    assert '"output_size": [1, 1]' in capsys.readouterr().out
    assert tuple(F.max_pool2d(zeros(1, 1, 2, 2), 3, 2, ceil_mode=True).shape[2:]) == (1, 1)
    assert cli.main(["analyze", str(stack), "--i", "1", "--dims", "2"]) == 2
    assert "more than the padded input plus stride - 1 allows in ceil_mode" in capsys.readouterr().err
    assert torch_result(lambda: F.max_pool2d(zeros(1, 1, 1, 1), 3, 2, ceil_mode=True)) is None


def test_ceil_mode_symbolic_size_is_torch_formula_on_the_new_domain():
    """The Piecewise size (floor, then drop a window starting in the right padding) evaluates
    to torch's size also where the window is larger than the padded input."""
    from symconv.symbols import d, i, k, p, s
    formula = shapes.pool_output_size(i, k, s, p, d, ceil_mode=True)
    for i_, k_, s_, p_, d_ in [(2, 3, 2, 0, 1), (1, 2, 3, 0, 1), (13, 6, 4, 0, 3), (1, 3, 3, 1, 2), (4, 5, 2, 2, 1)]:
        value = formula.subs({i: i_, k: k_, s: s_, p: p_, d: d_})
        assert value == F.max_pool1d(zeros(1, 1, i_), k_, s_, p_, d_, ceil_mode=True).shape[-1]


def test_max_unpool_sizes_agree_with_torch_default_and_output_size():
    tally, pinned, empty = Tally(), Tally(), 0
    for i, k, s, p in itertools.product(I, K, S, P):
        x, index = zeros(1, 1, i), torch.zeros((1, 1, i), dtype=torch.int64)
        want = torch_result(lambda: F.max_unpool1d(x, index, k, s, p).shape[-1])
        ours = (our_result(lambda: shapes.unpool_output_size(i, k, s, p)),
                our_result(lambda: MaxUnpoolSpec(k, s, p, input_size=i).output_size[0]))
        if want == 0:                   # torch returns an empty tensor; symconv refuses (module docstring)
            assert ours == (None, None)
            empty += 1
        else:
            tally.add((i, k, s, p), want, *ours)
        default = s * (i - 1) + k - 2 * p                # torch's formula picks the candidates only
        for o in range(max(0, default - s - 1), default + s + 2):
            want = torch_result(lambda: F.max_unpool1d(x, index, k, s, p, output_size=[o]).shape[-1])
            ours = our_result(lambda: MaxUnpoolSpec(k, s, p, input_size=i, pinned_output_size=o).output_size[0])
            if want == 0:
                assert ours is None
                empty += 1
            else:
                pinned.add((i, k, s, p, o), want, ours)
    tally.check()
    pinned.check()
    assert empty


def test_max_unpool_output_size_is_not_bound_by_a_non_positive_default():
    # pool k=(2,3), p=1 on 1x2 gives 1x1; the default unpool size is (0, 1); torch takes (1, 2)
    pooled, index = F.max_pool2d(torch.rand(1, 1, 1, 2), (2, 3), padding=1, return_indices=True)
    assert tuple(F.max_unpool2d(pooled, index, (2, 3), padding=1, output_size=(1, 2)).shape) == (1, 1, 1, 2)
    assert MaxUnpoolSpec((2, 3), padding=1, input_size=(1, 1), pinned_output_size=(1, 2)).output_size == (1, 2)
    got = sn.max_unpool(pooled.numpy(), index.numpy(), (2, 3), padding=1, output_size=(1, 2))
    np.testing.assert_array_equal(got, F.max_unpool2d(pooled, index, (2, 3), padding=1, output_size=(1, 2)))


@pytest.mark.parametrize("ndim", sorted(MODES_BY_NDIM))
def test_upsample_sizes_agree_with_torch(ndim):
    tally = Tally()
    for i, mode, align in itertools.product(range(1, 6) if ndim > 1 else I, MODES_BY_NDIM[ndim],
                                            (None, False, True)):
        x = zeros(1, 1, *(i,) * ndim)
        for size, factor in [(n, None) for n in range(0, 13)] + [(None, f) for f in SCALES]:
            want = torch_result(lambda: spatial(F.interpolate(x, size, factor, mode, align)))
            got = [our_result(lambda: UpsampleSpec(size, factor, mode, align, input_size=(i,) * ndim).output_size)]
            if mode == "nearest" and align is None:   # the size rule alone, mode-free
                got.append(our_result(lambda: (shapes.upsample_output_size(i, size, factor),) * ndim))
            tally.add((i, size, factor, mode, align), want, *got)
    tally.check()


@pytest.mark.parametrize("mode, ndim, same_as", [("linear", 2, "bilinear"), ("linear", 3, "trilinear"),
                                                  ("bicubic", 1, "bicubic"), ("bicubic", 3, None)])
def test_interpolation_modes_symconv_extends_to_other_dimensions(mode, ndim, same_as):
    x = np.random.default_rng(ndim).standard_normal((2, 2) + (3,) * ndim)
    with pytest.raises(NotImplementedError):
        F.interpolate(torch.from_numpy(x), scale_factor=2, mode=mode)
    got = sn.upsample(x, scale_factor=2, mode=mode)
    assert got.shape == (2, 2) + (6,) * ndim
    if same_as and ndim > 1:
        _same(got, F.interpolate(torch.from_numpy(x), scale_factor=2, mode=same_as), np.float64)
    elif same_as:                       # 1-D bicubic = 2-D bicubic over a height-1 image
        want = F.interpolate(torch.from_numpy(x[:, :, None]), size=(1, 6), mode="bicubic")[:, :, 0]
        _same(sn.upsample(x, size=6, mode=mode), want, np.float64)


# --------------------------------------------------------------------------- (a) sizes and specs, 2-D/3-D samples


@pytest.mark.parametrize("ndim", [2, 3])
def test_window_specs_agree_with_torch_on_random_nd_configurations(ndim):
    rng = random.Random(ndim)
    pool = {2: F.max_pool2d, 3: F.max_pool3d}[ndim]
    conv, convt = {2: (F.conv2d, F.conv_transpose2d), 3: (F.conv3d, F.conv_transpose3d)}[ndim]
    tallies = {name: Tally() for name in ("conv", "convt", "max_pool", "avg_pool2d", "unpool")}
    small = range(1, 6)
    for _ in range(150):
        i, k, s, p, d = random_axes(rng, ndim, small, range(1, 4), range(1, 4), range(0, 3), range(1, 3))
        a, ceil_mode = random_axes(rng, ndim, range(0, 3))[0], rng.random() < 0.5
        x, w = zeros(1, 1, *i), zeros(1, 1, *k)
        tallies["conv"].add((i, k, s, p, d), torch_result(lambda: spatial(conv(x, w, None, s, p, d))),
                            our_result(lambda: ConvSpec(k, s, p, d, input_size=i).output_size))
        tallies["convt"].add((i, k, s, p, d, a), torch_result(lambda: spatial(convt(x, w, None, s, p, a, 1, d))),
                             our_result(lambda: ConvTransposeSpec(k, s, p, a, d, input_size=i).output_size))
        tallies["max_pool"].add((i, k, s, p, d, ceil_mode),
                                torch_result(lambda: spatial(pool(x, k, s, p, d, ceil_mode))),
                                our_result(lambda: MaxPoolSpec(k, s, p, d, ceil_mode, input_size=i).output_size))
        if ndim == 2:
            tallies["avg_pool2d"].add((i, k, s, p, ceil_mode),
                                      torch_result(lambda: spatial(F.avg_pool2d(x, k, s, p, ceil_mode))),
                                      our_result(lambda: AvgPoolSpec(k, s, p, ceil_mode, input_size=i).output_size))
        unpool = {2: F.max_unpool2d, 3: F.max_unpool3d}[ndim]
        index = torch.zeros(x.shape, dtype=torch.int64)
        want = torch_result(lambda: spatial(unpool(x, index, k, s, p)))
        if want is None or 0 not in want:
            tallies["unpool"].add((i, k, s, p), want, our_result(lambda: MaxUnpoolSpec(k, s, p, input_size=i).output_size))
    for name, tally in tallies.items():
        if name != "avg_pool2d" or ndim == 2:
            tally.check()


# --------------------------------------------------------------------------- (b) arrays: values too


def _inputs(rng: np.random.Generator, shape: tuple) -> dict:
    x = rng.standard_normal(shape)
    return {np.float32: x.astype(np.float32), np.float64: x}


def _same(got, want, dtype) -> None:
    want = want.numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _compare_arrays(tally: Tally, config, run_torch, run_ours, x: dict) -> None:
    """Acceptance, then values (and int64 indices) at every dtype of ``x``: ``{dtype: array}``.

    ``run_torch`` gets the array as a tensor, ``run_ours`` the array itself.
    """
    for dtype, array in x.items():
        want = torch_result(lambda: run_torch(torch.from_numpy(array)))
        got = our_result(lambda: run_ours(array))
        first = want[0] if isinstance(want, tuple) else want
        if first is not None and first.numel() == 0:
            tally.torch_empty += 1      # torch's empty outputs (module docstring): symconv refuses
            tally.add((config, dtype.__name__), None, got)
            continue
        tally.add((config, dtype.__name__), None if want is None else "ok", None if got is None else "ok")
        if want is None or got is None:
            continue
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            if w.dtype == torch.int64:
                np.testing.assert_array_equal(g, w.numpy())
            else:
                _same(g, w, dtype)


def test_max_pool_arrays_agree_with_torch_exhaustive_1d():
    rng, tally = np.random.default_rng(0), Tally()
    for i, k, s, p, d, ceil_mode in itertools.product(range(1, 8), range(1, 5), range(1, 4), range(0, 3),
                                                      range(1, 3), CEIL):
        _compare_arrays(tally, (i, k, s, p, d, ceil_mode),
                        lambda t: F.max_pool1d(t, k, s, p, d, ceil_mode=ceil_mode, return_indices=True),
                        lambda a: sn.max_pool1d(a, k, s, p, d, ceil_mode, return_indices=True),
                        _inputs(rng, (2, 3, i)))
    tally.check()


def test_avg_pool_arrays_agree_with_torch_exhaustive_1d():
    """Ceil-mode windows clipped at the padded end: the divisor with count_include_pad=True is the
    window clipped to [-p, i + p), else the number of input elements (torch's AvgPoolKernel)."""
    rng, tally = np.random.default_rng(1), Tally()
    for i, k, s, p, ceil_mode, include in itertools.product(range(1, 8), range(1, 5), range(1, 4), range(0, 3),
                                                            CEIL, CEIL):
        _compare_arrays(tally, (i, k, s, p, ceil_mode, include),
                        lambda t: F.avg_pool1d(t, k, s, p, ceil_mode, include),
                        lambda a: sn.avg_pool1d(a, k, s, p, ceil_mode, include), _inputs(rng, (2, 3, i)))
    tally.check()


@pytest.mark.parametrize("ndim", [2, 3])
def test_pool_arrays_agree_with_torch_random_nd(ndim):
    rng, gen, tally = random.Random(10 + ndim), np.random.default_rng(ndim), Tally()
    max_pool, avg_pool = {2: (F.max_pool2d, F.avg_pool2d), 3: (F.max_pool3d, F.avg_pool3d)}[ndim]
    for _ in range(25 if ndim == 2 else 15):
        i, k, s, p, d = random_axes(rng, ndim, range(1, 6), range(1, 4), range(1, 4), range(0, 2), range(1, 3))
        ceil_mode, include = rng.random() < 0.7, rng.random() < 0.5
        x = _inputs(gen, (2, 2, *i))
        _compare_arrays(tally, ("max", i, k, s, p, d, ceil_mode),
                        lambda t: max_pool(t, k, s, p, d, ceil_mode, True),
                        lambda a: sn.max_pool(a, k, s, p, d, ceil_mode, True), x)
        # avg_pool3d also refuses an input smaller than the kernel: numeric.avg_pool's torch rule
        _compare_arrays(tally, ("avg", i, k, s, p, ceil_mode, include),
                        lambda t: avg_pool(t, k, s, p, ceil_mode, include),
                        lambda a: sn.avg_pool(a, k, s, p, ceil_mode, include), x)
    tally.check()


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_conv_and_conv_transpose_arrays_agree_with_torch(ndim):
    rng, gen, tally = random.Random(20 + ndim), np.random.default_rng(20 + ndim), Tally()
    conv, convt = {1: (F.conv1d, F.conv_transpose1d), 2: (F.conv2d, F.conv_transpose2d),
                   3: (F.conv3d, F.conv_transpose3d)}[ndim]
    for _ in range({1: 25, 2: 15, 3: 10}[ndim]):
        i, k, s, p, d = random_axes(rng, ndim, range(1, 7), range(1, 4), range(1, 4), range(0, 3), range(1, 3))
        a = random_axes(rng, ndim, range(0, 3))[0]
        x = _inputs(gen, (2, 2, *i))
        w = gen.standard_normal((2, 3, *k))          # conv: (C_out=2, C_in=2) of it; transposed: (C_in=2, C_out=3)
        w_conv = {dt: np.ascontiguousarray(w[:, :2]).astype(dt) for dt in x}
        w_convt = {dt: w.astype(dt) for dt in x}
        _compare_arrays(tally, ("conv", i, k, s, p, d),
                        lambda t: conv(t, torch.from_numpy(w_conv[t.numpy().dtype.type]), None, s, p, d),
                        lambda x_: sn.conv(x_, w_conv[x_.dtype.type], None, s, p, d), x)
        _compare_arrays(tally, ("conv_transpose", i, k, s, p, d, a),
                        lambda t: convt(t, torch.from_numpy(w_convt[t.numpy().dtype.type]), None, s, p, a, 1, d),
                        lambda x_: sn.conv_transpose(x_, w_convt[x_.dtype.type], None, s, p, a, d), x)
    tally.check()


@pytest.mark.parametrize("ndim", [1, 2])
def test_max_unpool_arrays_agree_with_torch(ndim):
    """Indices from a real max pool; an explicit output_size in and around (default - s, default + s):
    torch's size window and its (data-dependent) index check, both ways."""
    rng, gen, tally = random.Random(30 + ndim), np.random.default_rng(30 + ndim), Tally()
    unpool = {1: F.max_unpool1d, 2: F.max_unpool2d}[ndim]
    pool = {1: F.max_pool1d, 2: F.max_pool2d}[ndim]
    for _ in range({1: 20, 2: 12}[ndim]):
        i, k, s, p = random_axes(rng, ndim, range(1, 7), range(1, 4), range(1, 4), range(0, 2))
        p = tuple(min(pj, kj // 2) for pj, kj in zip(p, k))
        pooled = torch_result(lambda: pool(torch.from_numpy(gen.standard_normal((2, 2, *i))), k, s, p,
                                           return_indices=True))
        if pooled is None:
            continue
        values, index = pooled
        default = [sj * (oj - 1) + kj - 2 * pj for sj, oj, kj, pj in zip(s, values.shape[2:], k, p)]
        sizes = [None] + [tuple(max(0, dj + rng.randint(-sj, sj)) for dj, sj in zip(default, s)) for _ in range(3)]
        for size in sizes:
            out = torch_result(lambda: unpool(values, index, k, s, p, size))
            if out is not None and out.numel() == 0:
                continue                # torch's empty outputs (module docstring)
            _compare_arrays(tally, (i, k, s, p, size), lambda t: unpool(t, index, k, s, p, size),
                            lambda a: sn.max_unpool(a, index.numpy(), k, s, p, size),
                            {dt: values.numpy().astype(dt) for dt in (np.float32, np.float64)})
    tally.check()


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_upsample_arrays_agree_with_torch(ndim):
    rng, gen, tally = random.Random(40 + ndim), np.random.default_rng(40 + ndim), Tally()
    for _ in range({1: 50, 2: 40, 3: 20}[ndim]):
        i = random_axes(rng, ndim, range(1, 6))[0]
        mode = rng.choice(MODES_BY_NDIM[ndim])
        align = rng.choice((None, True, False))
        size, factor = (random_axes(rng, ndim, range(0, 9))[0], None) if rng.random() < 0.5 else \
            (None, rng.choice((0.0, 0.2, 0.5, 1.0, 2, 3, 2.5)))
        _compare_arrays(tally, (i, mode, align, size, factor),
                        lambda t: F.interpolate(t, size, factor, mode, align),
                        lambda a: sn.upsample(a, size, factor, mode, align), _inputs(gen, (2, 2, *i)))
    tally.check()


# --------------------------------------------------------------------------- (c) the CLI


@pytest.fixture
def shape_cli(monkeypatch):
    """``symconv.cli.main(['shape', ...])`` in-process: (exit code, stdout). The parser is built once
    (building it is most of a call's time); parsing, validation and printing run as usual."""
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)

    def run(*argv) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            try:
                code = cli.main(["shape", *map(str, argv)])
            except SystemExit as exc:
                code = exc.code
        if code == 2:
            assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()
        return code, out.getvalue().strip()
    return run


def _cli_tally(tally: Tally, config, want, result) -> None:
    code, printed = result
    tally.add(config, want, int(printed) if code == 0 else None if code == 2 else ("exit", code))


def test_cli_pooling_agrees_with_torch(shape_cli):
    tally = Tally()
    for i, k, s, p, d, ceil_mode in itertools.product(I, K, S, P, D, CEIL):
        flags = ["--ceil-mode"] if ceil_mode else []
        want = torch_result(lambda: F.max_pool1d(zeros(1, 1, i), k, s, p, d, ceil_mode=ceil_mode).shape[-1])
        _cli_tally(tally, ("max_pool", i, k, s, p, d, ceil_mode), want,
                   shape_cli("max_pool", "--i", i, "--k", k, "--s", s, "--p", p, "--d", d, *flags))
        if d == 1:
            want = torch_result(lambda: F.avg_pool1d(zeros(1, 1, i), k, s, p, ceil_mode).shape[-1])
            _cli_tally(tally, ("avg_pool", i, k, s, p, ceil_mode), want,
                       shape_cli("avg_pool", "--i", i, "--k", k, "--s", s, "--p", p, *flags))
    tally.check()


def test_cli_conv_transpose_and_unpool_agree_with_torch(shape_cli):
    rng, tally = random.Random(50), Tally()
    for _ in range(300):
        i, k, s, p, d, a = (rng.choice(r) for r in (I, K, S, P, D, range(0, 4)))
        want = torch_result(lambda: F.conv1d(zeros(1, 1, i), zeros(1, 1, k), None, s, p, d).shape[-1])
        _cli_tally(tally, ("conv", i, k, s, p, d), want,
                   shape_cli("conv", "--i", i, "--k", k, "--s", s, "--p", p, "--d", d))
        want = torch_result(lambda: F.conv_transpose1d(zeros(1, 1, i), zeros(1, 1, k), None, s, p, a, 1,
                                                       d).shape[-1])
        _cli_tally(tally, ("conv_transpose", i, k, s, p, d, a), want,
                   shape_cli("conv_transpose", "--i", i, "--k", k, "--s", s, "--p", p, "--d", d,
                             "--output-padding", a))
        want = torch_result(lambda: F.max_unpool1d(zeros(1, 1, i), torch.zeros((1, 1, i), dtype=torch.int64),
                                                   k, s, p).shape[-1])
        if want != 0:                   # torch's empty outputs (module docstring)
            _cli_tally(tally, ("max_unpool", i, k, s, p), want, shape_cli("max_unpool", "--i", i, "--k", k,
                                                                           "--s", s, "--p", p))
        size, factor = rng.choice([(rng.randint(1, 12), None), (None, rng.choice(SCALES[2:]))])
        want = torch_result(lambda: F.interpolate(zeros(1, 1, i), size, factor).shape[-1])
        option = ("--size", size) if size is not None else ("--scale-factor", factor)
        _cli_tally(tally, ("upsample", i, size, factor), want, shape_cli("upsample", "--i", i, *option))
    tally.check()
