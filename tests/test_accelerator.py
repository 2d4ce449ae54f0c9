"""The optional depthwise accelerator (symconv.accelerator) and the NumPy path it stands in for: both
against PyTorch and the direct loops, the dispatch switch, and symconv without Numba."""
from __future__ import annotations

import random
import sys

import numpy as np
import pytest

import symconv.numeric as sn
from symconv import accelerator, parallel
from symconv.codegen import lower
from symconv.spec import ConvSpec
from tests.oracles import conv_loop

MODES = ["none", pytest.param("auto", marks=pytest.mark.skipif(not accelerator.available(),
                                                               reason="Numba is not installed"))]


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    """Depthwise convolutions through the NumPy kernels ("none") or the compiled loop ("auto")."""
    monkeypatch.setattr(sn, "ACCELERATOR", request.param)
    sn.PLANS.clear()
    yield request.param
    sn.PLANS.clear()


def _configs(seed: int, count: int) -> list:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        ndim = rng.choice([1, 2, 2, 3])
        k = tuple(rng.randint(1, 4) for _ in range(ndim))
        d = tuple(rng.randint(1, 3) for _ in range(ndim))       # odd and even dilations
        s = tuple(rng.randint(1, 3) for _ in range(ndim))
        p = tuple((rng.randint(0, 3), rng.randint(0, 3)) for _ in range(ndim))
        i = tuple(rng.randint(max(1, dj * (kj - 1) + 1 - sum(pj)), 9) for kj, dj, pj in zip(k, d, p))
        out.append(dict(k=k, d=d, s=s, p=p, i=i, channels=rng.randint(1, 4), multiplier=rng.choice([1, 1, 2, 3]),
                        n=rng.randint(1, 3), dtype=rng.choice(["float32", "float64"]), bias=rng.random() < 0.7,
                        strided_input=rng.random() < 0.3, seed=rng.randrange(2 ** 32)))
    return out


def _inputs(cfg: dict) -> tuple:
    rng = np.random.default_rng(cfg["seed"])
    c, dtype = cfg["channels"], np.dtype(cfg["dtype"])
    if cfg["strided_input"]:                       # a non-contiguous view (every other sample and last-axis entry)
        x = rng.standard_normal((2 * cfg["n"], c) + cfg["i"][:-1] + (2 * cfg["i"][-1],)).astype(dtype)
        x = x[::2, ..., ::2]
    else:
        x = rng.standard_normal((cfg["n"], c) + cfg["i"]).astype(dtype)
    w = rng.standard_normal((c * cfg["multiplier"], 1) + cfg["k"]).astype(dtype)
    if cfg["strided_input"]:                       # and a weight with negative strides
        w = np.ascontiguousarray(w[..., ::-1])[..., ::-1]
    b = rng.standard_normal(c * cfg["multiplier"]).astype(dtype) if cfg["bias"] else None
    return x, w, b


def _torch_conv(torch, F, x, w, b, cfg):  # noqa: N803
    tx = torch.from_numpy(np.ascontiguousarray(x))
    tx = F.pad(tx, tuple(v for pair in reversed(cfg["p"]) for v in pair))   # (before, after) pairs, last axis first
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[len(cfg["k"])]
    tw = torch.from_numpy(np.ascontiguousarray(w))
    return conv(tx, tw, None if b is None else torch.from_numpy(b), stride=cfg["s"], dilation=cfg["d"],
                groups=cfg["channels"]).numpy()


@pytest.mark.parametrize("cfg", _configs(17, 14))
def test_depthwise_equals_torch_and_the_loops(mode, cfg, torch, F):  # noqa: N803
    x, w, b = _inputs(cfg)
    kw = dict(stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"], groups=cfg["channels"])
    got = sn.conv(x, w, b, **kw)
    again = sn.conv(x, w, b, **kw)                # the cached plan's call
    expected = _torch_conv(torch, F, x, w, b, cfg)
    tolerance = 1e-5 if cfg["dtype"] == "float32" else 1e-12
    assert got.dtype == x.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_array_equal(again, got)
    np.testing.assert_allclose(got, conv_loop(x, w, b, **kw), rtol=tolerance, atol=tolerance)


def test_the_paths_agree_and_auto_takes_the_compiled_loop(monkeypatch):
    if not accelerator.available():
        pytest.skip("Numba is not installed")
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 6, 13, 11)), rng.standard_normal((6, 1, 3, 3)), rng.standard_normal(6)
    kw = dict(stride=(2, 1), padding=((1, 2), (0, 1)), dilation=(1, 2), groups=6)
    results = {}
    for mode in ("none", "auto"):
        monkeypatch.setattr(sn, "ACCELERATOR", mode)
        results[mode] = sn.conv(x, w, b, **kw)
        kernels = {plan[0].__qualname__ for key, plan in sn.PLANS.plans.items() if key[1][1] == mode}
        assert any(("depthwise_kernel" in name) == (mode == "auto") for name in kernels)
    np.testing.assert_allclose(results["auto"], results["none"], rtol=1e-12, atol=1e-12)


def test_batch_split_over_threads(mode, monkeypatch, torch, F):  # noqa: N803
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(parallel, "THREADS", 2)
    cfg = dict(k=(3, 3), s=(1, 1), d=(1, 1), p=((1, 1), (1, 1)), channels=5)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 5, 9, 7)).astype(np.float32), rng.standard_normal((5, 1, 3, 3)).astype(np.float32)
    got = sn.conv(x, w, padding=1, groups=5)
    np.testing.assert_allclose(got, _torch_conv(torch, F, x, w, None, cfg), rtol=1e-5, atol=1e-5)


def test_uncompiled_loop_equals_the_oracle():
    """The loop Numba compiles, run as plain Python (NumPy alone): its logic, whatever Numba does."""
    for cfg in _configs(5, 6):
        x, w, b = _inputs(cfg)
        spec = ConvSpec(cfg["k"], cfg["s"], cfg["p"], cfg["d"], cfg["channels"], w.shape[0], cfg["channels"],
                        input_size=x.shape[2:], ndim=len(cfg["k"]))
        out = np.full((x.shape[0], w.shape[0]) + tuple(spec.output_size), np.nan, x.dtype)
        accelerator.depthwise_planes(*accelerator.plane_arguments(spec, x, w, b, out))
        expected = conv_loop(x, w, b, stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"], groups=cfg["channels"])
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_switched_off_by_the_environment(monkeypatch):
    for value, expected in (("none", "none"), ("OFF", "none"), ("0", "none"), ("auto", "auto"), ("", "auto")):
        monkeypatch.setenv(accelerator.ENVIRONMENT, value)
        assert accelerator.mode_from_environment() == expected
    monkeypatch.delenv(accelerator.ENVIRONMENT)
    assert accelerator.mode_from_environment() == "auto"


def test_without_numba_symconv_runs_the_numpy_kernels(monkeypatch, torch, F):  # noqa: N803
    monkeypatch.setitem(sys.modules, "numba", None)            # `import numba` raises ImportError
    accelerator._compiled.cache_clear()
    sn.PLANS.clear()
    try:
        assert not accelerator.available()
        spec = ConvSpec((3,), in_channels=2, out_channels=2, groups=2, input_size=(6,))
        assert accelerator.depthwise_kernel(spec, np.float64) is None
        x, w = np.arange(12.0).reshape(1, 2, 6), np.ones((2, 1, 3))
        np.testing.assert_allclose(sn.conv(x, w, groups=2),
                                   F.conv1d(torch.from_numpy(x), torch.from_numpy(w), groups=2).numpy())
    finally:
        accelerator._compiled.cache_clear()
        sn.PLANS.clear()


def test_unwritable_cache_compiles_in_memory(monkeypatch):
    numba = pytest.importorskip("numba")
    real = numba.njit

    def njit(*args, cache=False, **options):
        if cache:
            raise RuntimeError("cannot cache function: no locator available")
        return real(*args, **options)

    monkeypatch.setattr(numba, "njit", njit)
    accelerator._compiled.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="NUMBA_CACHE_DIR"):
            assert accelerator._compiled() is not None
    finally:
        monkeypatch.undo()
        accelerator._compiled.cache_clear()


def test_not_taken_for_other_dtypes_grouped_convs_or_large_multipliers():
    depthwise = ConvSpec((3,), in_channels=4, out_channels=4, groups=4, input_size=(6,))
    grouped = ConvSpec((3,), in_channels=4, out_channels=4, groups=2, input_size=(6,))
    wide = ConvSpec((7, 7), in_channels=1, out_channels=64, groups=1, input_size=(9, 9))
    assert accelerator.depthwise_kernel(depthwise, np.float16) is None
    assert accelerator.depthwise_kernel(grouped, np.float32) is None
    assert not accelerator.is_depthwise(wide) and accelerator.is_depthwise(depthwise)
    x16 = np.ones((1, 4, 6), np.float16)
    assert sn.conv(x16, np.ones((4, 1, 3), np.float16), groups=4).dtype == np.float16


def test_bad_bias_on_a_repeated_call(mode):
    x, w = np.ones((1, 3, 5, 5)), np.ones((3, 1, 3, 3))
    sn.conv(x, w, np.ones(3), groups=3)
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        sn.conv(x, w, np.ones(4), groups=3)


def test_generated_modules_stay_numpy_only():
    source = lower(ConvSpec((3, 3), in_channels=8, out_channels=8, groups=8, input_size=(9, 9))).source
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import numpy as np"]
    assert "numba" not in source and "accelerator" not in source
