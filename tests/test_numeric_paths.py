"""Both paths of every kernel (the small-problem tables and the blocked large paths) against the loop
oracles; the dispatch cache; the dimension-explicit names and float16 against PyTorch."""
from __future__ import annotations

import importlib
import inspect
import random

import numpy as np
import pytest

import symconv
import symconv.numeric as sn
from symconv import matrix as mx
from symconv.codegen import small
from symconv.spec import ConvTransposeSpec
from tests.oracles import (avg_pool_loop, conv_loop, conv_transpose_scatter, max_pool_loop, max_unpool_loop,
                           upsample_loop)

lower_module = importlib.import_module("symconv.codegen.lower")
LIMITS = ("SMALL_COLUMNS", "SMALL_WINDOWS", "SMALL_GATHER", "SMALL_DENSE", "SMALL_INTERPOLATION", "TABLE_ENTRIES")


def _fresh() -> None:
    lower_module._lower.cache_clear()
    sn.PLANS.clear()


@pytest.fixture(params=["small", "large"])
def path(request, monkeypatch):
    """Kernels lowered with the small paths taken for every size, or for none."""
    for name in LIMITS:
        monkeypatch.setattr(small, name, 2 ** 40 if request.param == "small" else -1)
    _fresh()
    yield request.param
    monkeypatch.undo()
    _fresh()


def _configs(seed: int, count: int, channels: bool = True) -> list:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        ndim = rng.choice([1, 2, 2, 3])
        k = tuple(rng.randint(1, 3) for _ in range(ndim))
        s = tuple(rng.randint(1, 3) for _ in range(ndim))
        d = tuple(rng.randint(1, 2) for _ in range(ndim))
        p = tuple((rng.randint(0, kj // 2), rng.randint(0, kj // 2)) for kj in k)
        i = tuple(rng.randint(dj * (kj - 1) + 1, 7) for kj, dj in zip(k, d))
        groups = rng.choice([1, 2]) if channels else 1
        out.append(dict(ndim=ndim, k=k, s=s, d=d, p=p, i=i, groups=groups, n=rng.randint(1, 2),
                        seed=rng.randrange(2 ** 32)))
    return out


@pytest.mark.parametrize("cfg", _configs(0, 12))
def test_convolutions_on_both_paths_equal_the_loops(path, cfg):
    rng = np.random.default_rng(cfg["seed"])
    g = cfg["groups"]
    x = rng.standard_normal((cfg["n"], 2 * g) + cfg["i"])
    w = rng.standard_normal((3 * g, 2) + cfg["k"])
    b = rng.standard_normal(3 * g)
    got = sn.conv(x, w, b, cfg["s"], cfg["p"], cfg["d"], g)
    np.testing.assert_allclose(got, conv_loop(x, w, b, cfg["s"], cfg["p"], cfg["d"], g), atol=1e-10)
    a = tuple(rng.integers(0, max(sj, dj)) for sj, dj in zip(cfg["s"], cfg["d"]))
    wt = rng.standard_normal((2 * g, 3) + cfg["k"])
    try:
        got = sn.conv_transpose(x, wt, None, cfg["s"], cfg["p"], a, cfg["d"], g)
    except ValueError:
        return                                     # a non-positive output size: refused as torch does
    expected = conv_transpose_scatter(x, wt, None, cfg["s"], cfg["p"], a, cfg["d"], g)
    np.testing.assert_allclose(got, expected, atol=1e-10)


@pytest.mark.parametrize("cfg", _configs(1, 12, channels=False))
def test_pools_on_both_paths_equal_the_loops(path, cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["n"], 2) + cfg["i"])
    x.flat[rng.integers(0, x.size, 2)] = -np.inf                      # -inf ties with the padding
    ceil = bool(cfg["seed"] % 2)
    values, indices = sn.max_pool(x, cfg["k"], cfg["s"], cfg["p"], cfg["d"], ceil, return_indices=True)
    ref_values, ref_indices = max_pool_loop(x, cfg["k"], cfg["s"], cfg["p"], cfg["d"], ceil)
    np.testing.assert_array_equal(values, ref_values)
    np.testing.assert_array_equal(indices, ref_indices)
    x[np.isinf(x)] = np.nan                                            # NaN wins, the last NaN's index
    values, indices = sn.max_pool(x, cfg["k"], cfg["s"], cfg["p"], cfg["d"], ceil, return_indices=True)
    ref_values, ref_indices = max_pool_loop(x, cfg["k"], cfg["s"], cfg["p"], cfg["d"], ceil)
    np.testing.assert_array_equal(values, ref_values)
    np.testing.assert_array_equal(indices, ref_indices)
    x = rng.standard_normal(x.shape)
    for include in (True, False):
        got = sn.avg_pool(x, cfg["k"], cfg["s"], cfg["p"], ceil, include)
        np.testing.assert_allclose(got, avg_pool_loop(x, cfg["k"], cfg["s"], cfg["p"], ceil, include), atol=1e-12)
    values, indices = sn.max_pool(x, cfg["k"], return_indices=True)
    got = sn.max_unpool(values, indices, cfg["k"], output_size=cfg["i"])
    np.testing.assert_array_equal(got, max_unpool_loop(values, indices, cfg["i"]))


@pytest.mark.parametrize("mode, ndim", [("nearest", 1), ("nearest", 2), ("nearest-exact", 2), ("linear", 1),
                                        ("bilinear", 2), ("bicubic", 2), ("trilinear", 3), ("nearest", 3)])
def test_interpolation_on_both_paths_equals_the_loop(path, mode, ndim):
    rng = np.random.default_rng(ndim)
    x = rng.standard_normal((2, 2) + (5, 4, 3)[:ndim])
    for scale in (2, 0.7, 1.5):
        align = None if mode.startswith("nearest") else bool(scale == 2)
        got = sn.upsample(x, scale_factor=scale, mode=mode, align_corners=align)
        expected = upsample_loop(x, mode=mode, align_corners=align, scale_factor=scale)
        np.testing.assert_allclose(got, expected, atol=1e-12)
    ints = rng.integers(-5, 5, (1, 3) + (4,) * ndim)
    if mode == "nearest":
        np.testing.assert_array_equal(sn.upsample(ints, scale_factor=2), upsample_loop(ints, scale_factor=2))


def test_the_size_chooses_the_path():
    """The crossover is printed into the kernel: a tiny call takes the table, a larger one the blocked path."""
    kernel = lower_module.lower(symconv.ConvSpec(3, padding=1, in_channels=4, out_channels=4, input_size=(8, 8)))
    assert f"SMALL_COLUMNS = {small.SMALL_COLUMNS}" in kernel.source
    tables = kernel.function.__globals__["TABLES"]
    tables.clear()
    w = np.ones((4, 4, 3, 3))
    kernel(np.ones((1, 4, 8, 8)), w)
    assert list(tables) == [(8, 8)]
    tables.clear()
    big = 1 + small.SMALL_COLUMNS // (4 * 9 * 64)
    kernel(np.ones((big, 4, 8, 8)), w)
    assert not tables


# --------------------------------------------------------------------------- the dispatch cache


def test_a_cached_plan_is_only_reused_for_arguments_validated_alike():
    x, w = np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3))
    assert sn.conv(x, w, stride=2).shape == (1, 1, 2, 2)
    with pytest.raises((TypeError, ValueError), match="stride"):
        sn.conv(x, w, stride=2.0)                  # equal to 2 and with the same hash: a different key
    with pytest.raises((TypeError, ValueError), match="stride"):
        sn.conv(x, w, stride=2.5)
    assert sn.max_pool2d(x, 2).shape == (1, 1, 3, 3)
    with pytest.raises(ValueError, match="MEMORY_LIMIT"):
        limit = sn.MEMORY_LIMIT
        try:
            sn.MEMORY_LIMIT = 16
            sn.max_pool2d(x, 2)                    # the same call, now over the limit
        finally:
            sn.MEMORY_LIMIT = limit
    assert sn.conv(x, w, stride=[2, 2]).shape == (1, 1, 2, 2)
    assert sn.conv(x, w, stride=np.int64(2)).shape == (1, 1, 2, 2)   # an uncached type still runs


def test_repeated_calls_with_other_values_give_their_own_results():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 1, 3))
    for _ in range(3):
        x = rng.standard_normal((1, 1, 9))
        b = rng.standard_normal(2)
        np.testing.assert_allclose(sn.conv(x, w, b, padding=1), conv_loop(x, w, b, 1, 1), atol=1e-12)


def test_repeated_calls_convert_like_the_first_whatever_the_dtypes():
    """The lookup before any conversion only serves arrays of one floating dtype; the rest converts."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 7)), rng.standard_normal((3, 2, 3))
    want = conv_loop(x, w, None, 1, 1)
    for _ in range(2):                                   # first call builds the plan, the second finds it
        assert sn.conv(x, w, padding=1).dtype == np.float64
        got32 = sn.conv(x.astype(np.float32), w, padding=1)          # weight cast to x's dtype
        assert got32.dtype == np.float32
        np.testing.assert_allclose(got32, want, rtol=1e-5, atol=1e-5)
        got_int = sn.conv((x * 10).astype(np.int64), w.astype(np.float32), padding=1)   # int x: float64
        assert got_int.dtype == np.float64
        np.testing.assert_allclose(got_int, conv_loop((x * 10).astype(np.int64), w.astype(np.float32), None, 1, 1),
                                   rtol=1e-6)
        assert sn.avg_pool1d((x * 10).astype(np.int32), 2).dtype == np.float64


def test_conv_transpose_vjp_crops_when_output_padding_reaches_the_stride():
    """dilation 3 > stride 2 allows output_padding 2: the convolution maps back one position more than
    the input had, which the plan crops (checked against the transposed matrix, slow and cached calls)."""
    rng = np.random.default_rng(2)
    spec = ConvTransposeSpec(2, 2, 0, 2, 3, 1, 2, 1, input_size=(4,), ndim=1)
    w = rng.standard_normal(spec.weight_shape)
    g = rng.standard_normal((1, 2) + tuple(spec.output_size))
    want = mx.matrix_of(spec, w, "numpy").T @ g.reshape(-1)
    for _ in range(2):
        got = sn.conv_transpose_vjp(g, w, (4,), 2, 0, 2, 3)
        assert got.shape == (1, 1, 4)
        np.testing.assert_allclose(got.reshape(-1), want, atol=1e-12)


@pytest.mark.parametrize("name", ["conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool"])
def test_dimension_explicit_names_take_the_public_parameters_and_defaults(name):
    public = inspect.signature(getattr(sn, name)).parameters
    for d in (1, 2, 3):
        code = getattr(sn, f"{name}{d}d").__code__
        assert code.co_varnames[:code.co_argcount] == tuple(public)
        defaults = tuple(p.default for p in public.values() if p.default is not inspect.Parameter.empty)
        assert getattr(sn, f"{name}{d}d").__defaults__ == defaults


# --------------------------------------------------------------------------- PyTorch: unbatched, float16

@pytest.fixture
def tensor(torch):
    """NumPy array -> torch tensor of the same dtype."""
    return lambda a: torch.from_numpy(np.ascontiguousarray(a))


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("batched", [False, True])
def test_dimension_explicit_names_read_unbatched_inputs_as_torch(ndim, batched, F, tensor):
    rng = np.random.default_rng(ndim)
    lead = (2,) if batched else ()
    x = rng.standard_normal(lead + (3,) + (6,) * ndim).astype(np.float32)
    w = rng.standard_normal((4, 3) + (3,) * ndim).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    tf = {name: getattr(F, f"{name}{ndim}d") for name in ("conv", "conv_transpose", "max_pool", "avg_pool",
                                                          "max_unpool")}
    ours = {name: getattr(sn, f"{name}{ndim}d") for name in tf}
    got = ours["conv"](x, w, b, stride=2, padding=1)
    np.testing.assert_allclose(got, tf["conv"](tensor(x), tensor(w), tensor(b), stride=2, padding=1).numpy(), atol=1e-4)
    wt = rng.standard_normal((3, 4) + (3,) * ndim).astype(np.float32)
    got = ours["conv_transpose"](x, wt, None, stride=2, padding=1, output_padding=1)
    expected = tf["conv_transpose"](tensor(x), tensor(wt), None, stride=2, padding=1, output_padding=1).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    values, indices = ours["max_pool"](x, 2, return_indices=True)
    ref_values, ref_indices = tf["max_pool"](tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(values, ref_values.numpy())
    np.testing.assert_array_equal(indices, ref_indices.numpy())
    np.testing.assert_allclose(ours["avg_pool"](x, 3, 2, 1), tf["avg_pool"](tensor(x), 3, 2, 1).numpy(), atol=1e-6)
    got = ours["max_unpool"](values, indices, 2, output_size=x.shape[-ndim:])
    np.testing.assert_array_equal(got, tf["max_unpool"](ref_values, ref_indices, 2,
                                                        output_size=x.shape[-ndim:]).numpy())


@pytest.mark.parametrize("name", ["max_pool", "avg_pool"])
def test_rank_inferred_pools_refuse_an_unbatched_input_and_name_the_explicit_function(name):
    with pytest.raises(ValueError, match=f"call {name}2d"):
        getattr(sn, name)(np.zeros((3, 8, 8)), (2, 2))
    assert getattr(sn, f"{name}2d")(np.zeros((3, 8, 8)), 2).shape == (3, 4, 4)


@pytest.mark.parametrize("name", ["max_pool", "avg_pool", "max_unpool"])
@pytest.mark.parametrize("shape", [(3, 8, 8), (2, 3, 8, 8)])
def test_rank_inferred_pools_refuse_scalar_sizes_on_an_ambiguous_rank(name, shape):
    """(3, 8, 8) with k=2 is (N, C, L) for max_pool1d but one (C, H, W) image for max_pool2d: refused,
    naming both; a tuple kernel, stride or padding fixes the rank; a 5-D x can only be a 3-D batch."""
    batched, unbatched = len(shape) - 2, len(shape) - 1
    x = np.zeros(shape)
    args = (x, np.zeros(shape, np.int64)) if name == "max_unpool" else (x,)
    with pytest.raises(ValueError, match=f"ambiguous: call {name}{batched}d .* or {name}{unbatched}d .*"
                                         f"kernel_size as a tuple of {batched}"):
        getattr(sn, name)(*args, 2)
    twos = (2,) * batched
    assert getattr(sn, name)(*args, 2, stride=twos).shape == getattr(sn, f"{name}{batched}d")(*args, 2).shape
    assert getattr(sn, name)(*args, (2,) * batched).ndim == len(shape)
    five = (np.zeros((1, 1, 2, 2, 2)),) + ((np.zeros((1, 1, 2, 2, 2), np.int64),) if name == "max_unpool" else ())
    assert getattr(sn, name)(*five, 2).ndim == 5


def _half_error(got: np.ndarray, exact: np.ndarray) -> float:
    return float(np.max(np.abs(got.astype(np.float64) - exact)))


@pytest.mark.parametrize("case", ["conv", "conv_transpose", "avg_pool", "bilinear", "bicubic", "max_pool"])
def test_float16_accumulates_like_torch(path, case, F, tensor):
    """float16 in, float16 out; the error against the exact result is within torch's own (plus one rounding)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 8, 12, 12)).astype(np.float16)
    w = (rng.standard_normal((8, 8, 3, 3)) / 8).astype(np.float16)
    calls = {
        "conv": (lambda a, v: sn.conv(a, v, padding=1), lambda a, v: F.conv2d(a, v, padding=1)),
        "conv_transpose": (lambda a, v: sn.conv_transpose(a, v, stride=2),
                           lambda a, v: F.conv_transpose2d(a, v, stride=2)),
        "avg_pool": (lambda a, v: sn.avg_pool2d(a, 4, 2, 1), lambda a, v: F.avg_pool2d(a, 4, 2, 1)),
        "bilinear": (lambda a, v: sn.upsample(a, scale_factor=2, mode="bilinear"),
                     lambda a, v: F.interpolate(a, scale_factor=2, mode="bilinear")),
        "bicubic": (lambda a, v: sn.upsample(a, scale_factor=1.5, mode="bicubic"),
                    lambda a, v: F.interpolate(a, scale_factor=1.5, mode="bicubic")),
        "max_pool": (lambda a, v: sn.max_pool2d(a, 3, 2, 1), lambda a, v: F.max_pool2d(a, 3, 2, 1)),
    }
    ours, theirs = calls[case]
    got = ours(x, w)
    half = theirs(tensor(x), tensor(w)).numpy()
    exact = theirs(tensor(x.astype(np.float64)), tensor(w.astype(np.float64))).numpy()
    assert got.dtype == np.float16 and got.shape == half.shape
    ulp = float(np.max(np.abs(exact))) * 2.0 ** -11
    assert _half_error(got, exact) <= _half_error(half, exact) + ulp


def test_float16_window_sums_do_not_overflow():
    got = sn.avg_pool2d(np.full((1, 1, 8, 8), 10000, np.float16), 4)
    np.testing.assert_array_equal(got, np.full((1, 1, 2, 2), 10000, np.float16))
    assert got.dtype == np.float16
    x = np.full((1, 1, 8, 8), 1000, np.float16)
    got = sn.conv(x, np.ones((1, 1, 8, 8), np.float16))      # 64000: sums of float16 would be inf
    assert got.dtype == np.float16 and float(got[0, 0, 0, 0]) == 64000
