"""Seeded random sweeps of the numeric API against PyTorch (CPU), 1-D to 3-D.

Each op runs a few hundred small configurations: groups, dilation, asymmetric padding
(through ``F.pad`` on the torch side), output_padding / output_size, ceil_mode,
count_include_pad, every interpolation mode. Values, shapes, dtypes and indices must match.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

import symconv.numeric as sn

torch = pytest.importorskip("torch")
F = torch.nn.functional

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
MAXPOOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVGPOOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
UNPOOL = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}


def _ndims(rng: random.Random) -> int:
    return rng.choices([1, 2, 3], weights=[3, 4, 2])[0]


def _array(rng: random.Random, shape: tuple, dtype) -> np.ndarray:
    return np.random.default_rng(rng.randrange(2 ** 32)).standard_normal(shape).astype(dtype)


def _close(got: np.ndarray, expected, dtype) -> None:
    expected = expected.numpy() if hasattr(expected, "numpy") else expected
    assert got.shape == expected.shape and got.dtype == expected.dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_conv_sweep():
    rng = random.Random(0)
    for _ in range(240):
        nd = _ndims(rng)
        k = tuple(rng.randint(1, 3) for _ in range(nd))
        s = tuple(rng.randint(1, 3) for _ in range(nd))
        d = tuple(rng.randint(1, 3) for _ in range(nd))
        p = tuple((rng.randint(0, 2), rng.randint(0, 2)) for _ in range(nd))
        i = tuple(max(1, dj * (kj - 1) + 1 - pb - pa) + rng.randint(0, 4) for kj, dj, (pb, pa) in zip(k, d, p))
        groups = rng.choice([1, 1, 2, 3])
        c_in = groups * rng.choice([1, 2])
        c_out = groups * rng.choice([1, 2, 3])
        dtype = rng.choice([np.float32, np.float64])
        x, w = _array(rng, (rng.randint(1, 2), c_in) + i, dtype), _array(rng, (c_out, c_in // groups) + k, dtype)
        b = _array(rng, (c_out,), dtype) if rng.random() < 0.5 else None
        got = sn.conv(x, w, b, s, p, d, groups)
        flat = tuple(v for pair in reversed(p) for v in pair)
        xt = F.pad(torch.from_numpy(x), flat)
        expected = CONV[nd](xt, torch.from_numpy(w), None if b is None else torch.from_numpy(b), s, 0, d, groups)
        _close(got, expected, dtype)


def test_conv_same_and_valid_padding():
    rng = random.Random(1)
    for _ in range(40):
        nd = _ndims(rng)
        k = tuple(rng.randint(1, 4) for _ in range(nd))
        d = tuple(rng.randint(1, 3) for _ in range(nd))
        x = _array(rng, (1, 2) + tuple(rng.randint(1, 6) + dj * (kj - 1) for kj, dj in zip(k, d)), np.float64)
        w = _array(rng, (3, 2) + k, np.float64)
        for padding in ("same", "valid"):
            _close(sn.conv(x, w, padding=padding, dilation=d),
                   CONV[nd](torch.from_numpy(x), torch.from_numpy(w), padding=padding, dilation=d), np.float64)


def test_conv_transpose_sweep():
    rng = random.Random(2)
    done = 0
    while done < 240:
        nd = _ndims(rng)
        k = tuple(rng.randint(1, 4) for _ in range(nd))
        s = tuple(rng.randint(1, 3) for _ in range(nd))
        d = tuple(rng.randint(1, 3) for _ in range(nd))
        p = tuple(rng.randint(0, 2) for _ in range(nd))
        op = tuple(rng.randint(0, max(sj, dj) - 1) for sj, dj in zip(s, d))
        i = tuple(rng.randint(1, 4) for _ in range(nd))
        if any(sj * (ij - 1) + dj * (kj - 1) + 1 - 2 * pj + oj < 1
               for sj, ij, dj, kj, pj, oj in zip(s, i, d, k, p, op)):
            continue
        groups = rng.choice([1, 1, 2, 3])
        c_in = groups * rng.choice([1, 2])
        c_out = groups * rng.choice([1, 2, 3])
        dtype = rng.choice([np.float32, np.float64])
        x, w = _array(rng, (rng.randint(1, 2), c_in) + i, dtype), _array(rng, (c_in, c_out // groups) + k, dtype)
        b = _array(rng, (c_out,), dtype) if rng.random() < 0.5 else None
        got = sn.conv_transpose(x, w, b, s, p, op, d, groups)
        expected = CONVT[nd](torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                             s, p, op, groups, d)
        _close(got, expected, dtype)
        done += 1


def test_conv_transpose_output_size_like_the_module():
    rng = random.Random(3)
    for _ in range(40):
        nd = _ndims(rng)
        s = tuple(rng.randint(1, 3) for _ in range(nd))
        k = tuple(rng.randint(1, 4) for _ in range(nd))
        i = tuple(rng.randint(1, 4) for _ in range(nd))
        layer = {1: torch.nn.ConvTranspose1d, 2: torch.nn.ConvTranspose2d, 3: torch.nn.ConvTranspose3d}[nd](
            2, 3, k, s, bias=False).double()
        smallest = tuple(sj * (ij - 1) + kj for sj, ij, kj in zip(s, i, k))
        size = tuple(m + rng.randint(0, sj - 1) for m, sj in zip(smallest, s))
        x = _array(rng, (1, 2) + i, np.float64)
        with torch.no_grad():
            expected = layer(torch.from_numpy(x), output_size=size)
        _close(sn.conv_transpose(x, layer.weight.detach().numpy(), stride=s, output_size=size), expected, np.float64)


def _pool_config(rng: random.Random, dilation: bool) -> tuple:
    nd = _ndims(rng)
    k = tuple(rng.randint(1, 4) for _ in range(nd))
    s = tuple(rng.randint(1, 3) for _ in range(nd))
    d = tuple(rng.randint(1, 2) if dilation else 1 for _ in range(nd))
    p = tuple(rng.randint(0, kj // 2) for kj in k)
    i = tuple(max(1, dj * (kj - 1) + 1 - 2 * pj) + rng.randint(0, 5) for kj, dj, pj in zip(k, d, p))
    return nd, k, s, d, p, i


def test_max_pool_sweep_with_indices():
    rng = random.Random(4)
    for _ in range(240):
        nd, k, s, d, p, i = _pool_config(rng, True)
        ceil_mode = rng.random() < 0.5
        dtype = rng.choice([np.float32, np.float64])
        x = _array(rng, (rng.randint(1, 2), rng.randint(1, 3)) + i, dtype)
        if rng.random() < 0.2:                       # ties: first maximum in scan order wins
            x = np.round(x)
        values, indices = sn.max_pool(x, k, s, p, d, ceil_mode, return_indices=True)
        tv, ti = MAXPOOL[nd](torch.from_numpy(x), k, s, p, d, ceil_mode=ceil_mode, return_indices=True)
        _close(values, tv, dtype)
        np.testing.assert_array_equal(indices, ti.numpy())


def test_max_pool_nan_wins():
    x = np.array([[[1.0, np.nan, 3.0, 2.0, np.nan, np.nan]]])
    values, indices = sn.max_pool1d(x, 3, 1, return_indices=True)
    tv, ti = F.max_pool1d(torch.from_numpy(x), 3, 1, return_indices=True)
    np.testing.assert_array_equal(np.isnan(values), np.isnan(tv.numpy()))
    np.testing.assert_array_equal(indices, ti.numpy())


def test_avg_pool_sweep():
    rng = random.Random(5)
    for _ in range(200):
        nd, k, s, _, p, i = _pool_config(rng, False)
        ceil_mode, include = rng.random() < 0.5, rng.random() < 0.5
        dtype = rng.choice([np.float32, np.float64])
        x = _array(rng, (rng.randint(1, 2), rng.randint(1, 3)) + i, dtype)
        try:
            expected = AVGPOOL[nd](torch.from_numpy(x), k, s, p, ceil_mode, include)
        except RuntimeError:                         # torch refuses: so must we
            with pytest.raises(ValueError):
                sn.avg_pool(x, k, s, p, ceil_mode, include)
            continue
        _close(sn.avg_pool(x, k, s, p, ceil_mode, include), expected, dtype)


def test_max_unpool_sweep():
    rng = random.Random(6)
    done = 0
    while done < 150:
        nd, k, s, _, p, i = _pool_config(rng, False)
        x = _array(rng, (rng.randint(1, 2), rng.randint(1, 3)) + i, np.float64)
        values, indices = sn.max_pool(x, k, s, p, return_indices=True)
        default = tuple(sj * (o - 1) + kj - 2 * pj for sj, o, kj, pj in zip(s, values.shape[2:], k, p))
        size = tuple(max(1, m + rng.randint(-(sj - 1), sj - 1)) for m, sj in zip(default, s))
        if min(default) < 1 or indices.max() >= np.prod(size):
            continue
        ts = size if rng.random() < 0.5 else (x.shape[0], x.shape[1]) + size
        got = sn.max_unpool(values, indices, k, s, p, output_size=ts)
        expected = UNPOOL[nd](torch.from_numpy(values), torch.from_numpy(indices), k, s, p, output_size=ts)
        _close(got, expected, np.float64)
        done += 1


MODES = {1: ["nearest", "nearest-exact", "linear"], 2: ["nearest", "nearest-exact", "bilinear", "bicubic"],
         3: ["nearest", "nearest-exact", "trilinear"]}


def test_upsample_sweep():
    rng = random.Random(7)
    for _ in range(240):
        nd = _ndims(rng)
        mode = rng.choice(MODES[nd])
        i = tuple(rng.randint(1, 7) for _ in range(nd))
        if rng.random() < 0.5:
            kw = dict(size=tuple(rng.randint(1, 12) for _ in range(nd)))
        else:
            kw = dict(scale_factor=rng.choice([2, 3, 4, 0.5, 1.5, 2.5, 1.25]))
        if "scale_factor" in kw and min(int(v * kw["scale_factor"]) for v in i) < 1:
            continue
        align = rng.choice([None, True, False]) if mode in ("linear", "bilinear", "trilinear", "bicubic") else None
        dtype = rng.choice([np.float32, np.float64])
        x = _array(rng, (rng.randint(1, 2), rng.randint(1, 3)) + i, dtype)
        got = sn.upsample(x, mode=mode, align_corners=align, **kw)
        expected = F.interpolate(torch.from_numpy(x), mode=mode, align_corners=align, **kw)
        _close(got, expected, dtype)
