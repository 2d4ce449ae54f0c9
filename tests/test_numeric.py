"""The numeric API: equal to the symbolic matrices (C x, C^T y, P x, U x), to loop oracles, and the swap."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv.numeric as sn
from symconv import matrix as mx
from symconv.spec import ConvSpec, ConvTransposeSpec
from tests.oracles import avg_pool_loop, max_pool_loop, upsample_loop
from tests.strategies import conv_configs

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _per_sample(matrix: np.ndarray, x: np.ndarray, out_channels_shape: tuple) -> np.ndarray:
    """``matrix @ vec(x[n])`` for every sample n."""
    flat = x.reshape(x.shape[0], -1)
    return (flat @ matrix.T).reshape((x.shape[0],) + out_channels_shape)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- kernels = symbolic matrices


@SETTINGS
@given(conv_configs(), st.integers(0, 2 ** 16))
def test_conv_is_C_times_x(cfg, seed):
    spec = ConvSpec(cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["in_channels"],
                    cfg["out_channels"], cfg["groups"], input_size=cfg["input_size"])
    rng = _rng(seed)
    x = rng.standard_normal((2, spec.in_channels) + spec.input_size)
    w = rng.standard_normal(spec.weight_shape)
    C = mx.matrix_of(spec, w, "numpy")
    got = sn.conv(x, w, None, spec.stride, spec.padding, spec.dilation, spec.groups)
    np.testing.assert_allclose(got, _per_sample(C, x, (spec.out_channels,) + spec.output_size), atol=1e-10)


@SETTINGS
@given(conv_configs(), st.integers(0, 2 ** 16), st.data())
def test_conv_transpose_is_CT_times_y_and_the_adjoint(cfg, seed, data):
    conv_spec = ConvSpec(cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["in_channels"],
                         cfg["out_channels"], cfg["groups"], input_size=cfg["input_size"])
    a = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(conv_spec.stride, conv_spec.dilation))
    try:
        spec = ConvTransposeSpec(conv_spec.kernel_size, conv_spec.stride, conv_spec.padding, a, conv_spec.dilation,
                                 conv_spec.out_channels, conv_spec.in_channels, conv_spec.groups,
                                 input_size=conv_spec.output_size)
    except ValueError:
        return
    rng = _rng(seed)
    y = rng.standard_normal((2, spec.in_channels) + spec.input_size)
    w = rng.standard_normal(spec.weight_shape)
    CT = mx.matrix_of(spec, w, "numpy")
    got = sn.conv_transpose(y, w, None, spec.stride, spec.padding, spec.output_padding, spec.dilation, spec.groups)
    np.testing.assert_allclose(got, _per_sample(CT, y, (spec.out_channels,) + spec.output_size), atol=1e-10)
    # <conv(x), y> = <x, conv_transpose(y)> whenever conv maps the output size back to the input size
    if all(op < s for op, s in zip(spec.output_padding, spec.stride)):
        x = rng.standard_normal(got.shape)
        forward = sn.conv(x, w, None, spec.stride, spec.padding, spec.dilation, spec.groups)
        assert np.isclose(np.vdot(forward, y), np.vdot(x, got))


@SETTINGS
@given(conv_configs(channels=False), st.booleans(), st.integers(0, 2 ** 16))
def test_max_pool_is_P_times_x_and_switches(cfg, ceil_mode, seed):
    k = cfg["kernel_size"]
    padding = tuple((min(pb, kj // 2), min(pa, kj // 2)) for (pb, pa), kj in zip(cfg["padding"], k))
    size = tuple(max(i, d * (kj - 1) + 1) for i, kj, d in zip(cfg["input_size"], k, cfg["dilation"]))
    x = _rng(seed).standard_normal((2, 3) + size)
    values, indices = sn.max_pool(x, k, cfg["stride"], padding, cfg["dilation"], ceil_mode, return_indices=True)
    planes = x.reshape((6,) + size)
    P = mx.pool_switch_matrix(planes, k, cfg["stride"], padding, cfg["dilation"], ceil_mode, format="numpy")
    np.testing.assert_array_equal(values.reshape(-1), P @ x.reshape(-1))
    switches = mx.pool_switches(planes, k, cfg["stride"], padding, cfg["dilation"], ceil_mode)
    np.testing.assert_array_equal(indices.reshape(switches.shape), switches)
    assert indices.dtype == np.int64 and values.dtype == x.dtype
    only_values = sn.max_pool(x, k, cfg["stride"], padding, cfg["dilation"], ceil_mode)
    np.testing.assert_array_equal(only_values, values)


@SETTINGS
@given(conv_configs(channels=False), st.integers(0, 2 ** 16))
def test_max_unpool_is_U_times_x(cfg, seed):
    k, s = cfg["kernel_size"], cfg["stride"]
    padding = tuple((min(pb, kj // 2),) * 2 for (pb, _), kj in zip(cfg["padding"], k))
    size = tuple(max(i, kj) for i, kj in zip(cfg["input_size"], k))
    rng = _rng(seed)
    x = rng.standard_normal((1, 2) + size)
    values, indices = sn.max_pool(x, k, s, padding, return_indices=True)
    out_size = tuple(sj * (o - 1) + kj - 2 * p for sj, o, kj, (p, _) in zip(s, values.shape[2:], k, padding))
    if min(out_size) < 1 or indices.max() >= np.prod(out_size):
        return
    got = sn.max_unpool(values, indices, k, s, padding)
    U = mx.unpool_matrix(indices[0], out_size, format="numpy")
    np.testing.assert_array_equal(got.reshape(-1), U @ values.reshape(-1))


@SETTINGS
@given(st.integers(1, 3), st.sampled_from(["nearest", "nearest-exact", "linear", "bicubic"]), st.data())
def test_upsample_is_the_interpolation_matrix(ndim, mode, data):
    size = tuple(data.draw(st.integers(1, 5)) for _ in range(ndim))
    if data.draw(st.booleans()):
        kw = dict(size=tuple(data.draw(st.integers(1, 8)) for _ in range(ndim)))
    else:
        kw = dict(scale_factor=data.draw(st.sampled_from([2, 3, 0.5, 1.5, 2.5])))
    align = data.draw(st.sampled_from([None, True, False])) if mode in ("linear", "bicubic") else None
    x = _rng(ndim).standard_normal((2, 2) + size)
    try:
        got = sn.upsample(x, mode=mode, align_corners=align, **kw)
    except ValueError:
        return
    M = mx.upsample_matrix(size, kw.get("size"), kw.get("scale_factor"), mode, align, format="numpy")
    np.testing.assert_allclose(got.reshape(4, -1), x.reshape(4, -1) @ M.astype(float).T, atol=1e-6)


@SETTINGS
@given(conv_configs(channels=False), st.booleans(), st.booleans(), st.integers(0, 2 ** 16))
def test_avg_pool_equals_the_loop_oracle(cfg, ceil_mode, include_pad, seed):
    k = cfg["kernel_size"]
    padding = tuple((min(pb, kj // 2), min(pa, kj // 2)) for (pb, pa), kj in zip(cfg["padding"], k))
    size = tuple(max(i, kj) for i, kj in zip(cfg["input_size"], k))
    x = _rng(seed).standard_normal((2, 2) + size)
    got = sn.avg_pool(x, k, cfg["stride"], padding, ceil_mode, include_pad)
    np.testing.assert_allclose(got, avg_pool_loop(x, k, cfg["stride"], padding, ceil_mode, include_pad),
                               atol=1e-12)


# --------------------------------------------------------------------------- the swap, executable


@SETTINGS
@given(conv_configs(), st.integers(0, 2 ** 16))
def test_vjp_of_conv_is_conv_transpose(cfg, seed):
    rng = _rng(seed)
    spec = ConvSpec(cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["in_channels"],
                    cfg["out_channels"], cfg["groups"], input_size=cfg["input_size"])
    x = rng.standard_normal((1, spec.in_channels) + spec.input_size)
    w = rng.standard_normal(spec.weight_shape)
    g = rng.standard_normal((1, spec.out_channels) + spec.output_size)
    vjp = sn.conv_vjp(g, w, spec.input_size, spec.stride, spec.padding, spec.dilation, spec.groups)
    assert vjp.shape == x.shape
    # closed form: C^T g
    C = mx.matrix_of(spec, w, "numpy")
    np.testing.assert_allclose(vjp.reshape(-1), C.T @ g.reshape(-1), atol=1e-10)
    # finite difference along a random direction
    v, eps = rng.standard_normal(x.shape), 1e-6
    f = lambda z: np.vdot(g, sn.conv(z, w, None, spec.stride, spec.padding, spec.dilation, spec.groups))
    assert np.isclose((f(x + eps * v) - f(x - eps * v)) / (2 * eps), np.vdot(vjp, v), rtol=1e-5, atol=1e-6)


@SETTINGS
@given(conv_configs(), st.integers(0, 2 ** 16))
def test_vjp_of_conv_transpose_is_conv(cfg, seed):
    rng = _rng(seed)
    k, s, p, d, g_ = cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    try:
        spec = ConvTransposeSpec(k, s, p, 0, d, cfg["in_channels"], cfg["out_channels"], g_,
                                 input_size=cfg["input_size"])
    except ValueError:
        return
    y = rng.standard_normal((1, spec.in_channels) + spec.input_size)
    w = rng.standard_normal(spec.weight_shape)
    g = rng.standard_normal((1, spec.out_channels) + spec.output_size)
    vjp = sn.conv_transpose_vjp(g, w, spec.input_size, s, p, 0, d, g_)
    CT = mx.matrix_of(spec, w, "numpy")
    np.testing.assert_allclose(vjp.reshape(-1), CT.T @ g.reshape(-1), atol=1e-10)
    v, eps = rng.standard_normal(y.shape), 1e-6
    f = lambda z: np.vdot(g, sn.conv_transpose(z, w, None, s, p, 0, d, g_))
    assert np.isclose((f(y + eps * v) - f(y - eps * v)) / (2 * eps), np.vdot(vjp, v), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ndim,k", [(1, 2), (2, 2), (2, 3), (3, 2)])
def test_vjp_of_max_pool_is_max_unpool_for_non_overlapping_windows(ndim, k):
    rng = _rng(ndim * 10 + k)
    size = (k * 3,) * ndim
    x = rng.permutation(np.arange(2 * 2 * np.prod(size), dtype=float)).reshape((2, 2) + size) / 7.0
    values, indices = sn.max_pool(x, (k,) * ndim, return_indices=True)
    g = rng.standard_normal(values.shape)
    vjp = sn.max_unpool(g, indices, (k,) * ndim, output_size=size)
    eps = 1e-4      # smaller than half the gap between distinct values: the argmax is stable
    for _ in range(3):
        v = rng.standard_normal(x.shape)
        f = lambda z: np.vdot(g, sn.max_pool(z, (k,) * ndim))
        assert np.isclose((f(x + eps * v) - f(x - eps * v)) / (2 * eps), np.vdot(vjp, v), rtol=1e-6)
    # exactly: the gradient is the scatter of g to the switches
    expected = np.zeros_like(x).reshape(4, -1)
    np.put_along_axis(expected, indices.reshape(4, -1), g.reshape(4, -1), axis=1)
    np.testing.assert_array_equal(vjp.reshape(4, -1), expected)


# --------------------------------------------------------------------------- dtypes and errors


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    x = np.ones((1, 2, 6, 6), dtype)
    assert sn.conv(x, np.ones((3, 2, 3, 3)), np.ones(3)).dtype == dtype
    assert sn.conv_transpose(x, np.ones((2, 3, 3, 3)), stride=2).dtype == dtype
    values, indices = sn.max_pool2d(x, 2, return_indices=True)
    assert values.dtype == dtype and indices.dtype == np.int64
    assert sn.avg_pool2d(x, 3, 2, 1).dtype == dtype
    assert sn.max_unpool2d(values, indices, 2).dtype == dtype
    for mode in ("nearest", "bilinear", "bicubic"):
        assert sn.upsample(x, scale_factor=2, mode=mode).dtype == dtype


def test_results_match_loop_oracles_in_float32():
    rng = _rng(5)
    x = rng.standard_normal((2, 4, 9, 7)).astype(np.float32)
    values, indices = sn.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    ref_values, ref_indices = max_pool_loop(x, 3, 2, 1, 1, True)
    np.testing.assert_array_equal(values, ref_values.astype(np.float32))
    np.testing.assert_array_equal(indices, ref_indices)
    np.testing.assert_allclose(sn.upsample(x, size=(13, 5), mode="bilinear", align_corners=True),
                               upsample_loop(x.astype(float), (13, 5), "bilinear", True), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call,match", [
    (lambda: sn.conv(np.ones((5,)), np.ones((1, 1, 3))), "x must have 3, 4 or 5 dimensions"),
    (lambda: sn.conv(np.ones((2, 5)), np.ones((1, 1, 3))), "one axis fewer .* call conv1d"),
    (lambda: sn.conv(np.ones((1, 2, 5)), np.ones((1, 1, 3, 3, 3))), "weight must have 3 dimensions"),
    (lambda: sn.conv(np.ones((1, 2, 5)), np.ones((1, 1, 3, 3))), "one axis fewer .* call conv2d"),
    (lambda: sn.conv2d(np.ones((1, 2, 5)), np.ones((1, 1, 3))), "weight must have 4 dimensions"),
    (lambda: sn.conv2d(np.ones((2, 5)), np.ones((1, 1, 3, 3))), "x must have 4 dimensions"),
    (lambda: sn.conv(np.ones((1, 3, 5)), np.ones((1, 2, 3))), "x has 3 channels"),
    (lambda: sn.conv(np.ones((1, 4, 5)), np.ones((3, 2, 3)), groups=2), "out_channels must be divisible by groups"),
    (lambda: sn.conv(np.ones((1, 1, 2)), np.ones((1, 1, 3))), "kernel_size"),
    (lambda: sn.conv(np.ones((1, 1, 0)), np.ones((1, 1, 1))), "input_size"),
    (lambda: sn.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), stride=0), "stride"),
    (lambda: sn.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding="same", stride=2), "same"),
    (lambda: sn.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), np.ones(2)), "bias"),
    (lambda: sn.conv_transpose(np.ones((1, 2, 5)), np.ones((1, 1, 3))), "x has 2 channels"),
    (lambda: sn.conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), stride=2, output_padding=2),
     "output_padding"),
    (lambda: sn.conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), stride=2, output_size=(9,)), "output_size"),
    (lambda: sn.conv_transpose(np.ones((1, 1, 1)), np.ones((1, 1, 1)), padding=1), "non-positive"),
    (lambda: sn.max_pool(np.ones((1, 1, 4)), (2, 2)), "one axis fewer .* call max_pool2d"),
    (lambda: sn.max_pool(np.ones((1, 4)), (2, 2)), "x must have 4 dimensions"),
    (lambda: sn.max_pool2d(np.ones((4, 4)), 2), "x must have 4 dimensions"),
    (lambda: sn.max_pool1d(np.ones((1, 1, 4)), 2, padding=2), "padding"),
    (lambda: sn.max_pool1d(np.ones((1, 1, 1)), 3), "kernel_size"),
    (lambda: sn.avg_pool1d(np.ones((1, 1, 4)), 0), "kernel_size"),
    (lambda: sn.max_unpool1d(np.ones((1, 1, 2)), np.array([[[0, 7]]]), 2), "indices must lie in"),
    (lambda: sn.max_unpool1d(np.ones((1, 1, 2)), np.array([[[0, -1]]]), 2), "indices must lie in"),
    (lambda: sn.max_unpool1d(np.ones((1, 1, 2)), np.zeros((1, 1, 3), int), 2), "indices must have the shape"),
    (lambda: sn.max_unpool1d(np.ones((1, 1, 2)), np.zeros((1, 1, 2)), 2), "indices must be integers"),
    (lambda: sn.max_unpool1d(np.ones((1, 1, 2)), np.zeros((1, 1, 2), int), 2, output_size=(6,)), "output_size"),
    (lambda: sn.upsample(np.ones((1, 1, 4))), "exactly one of size and scale_factor"),
    (lambda: sn.upsample(np.ones((1, 1, 4)), scale_factor=2, mode="bilinear"), "mode='bilinear'"),
    (lambda: sn.upsample(np.ones((1, 1, 4)), scale_factor=2, mode="area"), "mode must be one of"),
    (lambda: sn.upsample(np.ones((1, 1, 4)), scale_factor=2, align_corners=True), "align_corners"),
    (lambda: sn.upsample(np.ones((1, 1, 4)), scale_factor=-1.0), "scale_factor"),
    (lambda: sn.upsample(np.ones((1, 1, 4)), size=0), "size"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_output_size_and_padding_pairs():
    y = np.ones((1, 1, 3))
    w = np.ones((1, 1, 3))
    assert sn.conv_transpose(y, w, stride=2, output_size=(8,)).shape == (1, 1, 8)
    assert sn.conv_transpose(y, w, stride=2, output_size=(1, 1, 7)).shape == (1, 1, 7)
    assert sn.conv_transpose(y, w, stride=2, padding=((1, 0),)).shape == (1, 1, 6)
    values, indices = sn.max_pool2d(np.arange(25.0).reshape(1, 1, 5, 5), 2, return_indices=True)
    assert sn.max_unpool2d(values, indices, 2, output_size=(5, 5)).shape == (1, 1, 5, 5)
    assert sn.conv(np.ones((1, 1, 5)), w, padding=((2, 0),)).shape == (1, 1, 5)
    assert sn.conv(np.ones((1, 1, 5)), w, padding="valid").shape == (1, 1, 3)


@pytest.mark.parametrize("factor", [2, 3, 4])
@pytest.mark.parametrize("shape", [(2, 3, 5), (1, 2, 3, 4), (2, 1, 3, 7, 4)])
def test_periodic_linear_interpolation_equals_the_loop(factor, shape):
    """Integer factors take the periodic (difference) path, flat along the last axis; the
    edge samples of every line, where the flat difference crosses into the next line, must
    come out as the loop's."""
    x = np.random.default_rng(factor).standard_normal(shape)
    mode = {3: "linear", 4: "bilinear", 5: "trilinear"}[len(shape)]
    got = sn.upsample(x, scale_factor=factor, mode=mode)
    np.testing.assert_allclose(got, upsample_loop(x, scale_factor=factor, mode=mode), atol=1e-12)
    got32 = sn.upsample(x.astype(np.float32), scale_factor=factor, mode=mode)
    np.testing.assert_allclose(got32, upsample_loop(x, scale_factor=factor, mode=mode), atol=1e-5)
