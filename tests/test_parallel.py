"""Threaded numeric calls and the kernels' ``out=``: slices of one call agree with the loop oracles."""
from __future__ import annotations

import signal
import threading

import numpy as np
import pytest

import symconv.parallel as par
import symconv.numeric as sn
from symconv.codegen import lower
from symconv.codegen._runtime import _repeat_last
from symconv.spec import ConvSpec, MaxPoolSpec, UpsampleSpec
from tests.oracles import (avg_pool_loop, conv_loop, conv_transpose_scatter, max_pool_loop, max_unpool_loop,
                           upsample_loop)


@pytest.fixture
def threaded(monkeypatch):
    """Split every call, however small, over 3 threads (also on a one-core machine)."""
    monkeypatch.setattr(par, "THREADS", 3)
    monkeypatch.setattr(par, "MIN_ELEMENTS", 0)
    calls = []

    real_parts = par._parts

    def recording(*args):
        calls.append(real_parts(*args))
        return calls[-1]

    monkeypatch.setattr(par, "_parts", recording)
    return calls


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_threaded_convolutions_equal_the_loop_oracles(threaded, batch):
    x, w, b = _rand(batch, 4, 7, 6), _rand(6, 2, 3, 2, seed=1), _rand(6, seed=2)
    got = sn.conv(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    np.testing.assert_allclose(got, conv_loop(x, w, b, (2, 1), 1, (1, 2), 2), atol=1e-12)
    wt = _rand(4, 3, 3, 3, seed=3)
    got = sn.conv_transpose(x, wt, None, stride=2, padding=(1, 0), output_padding=1)
    np.testing.assert_allclose(got, conv_transpose_scatter(x, wt, None, 2, (1, 0), 1), atol=1e-12)
    # a batch of several is split by sample; one sample runs whole (channels mix in a convolution)
    expected = (0, min(3, batch)) if batch > 1 else (0, 1)
    assert threaded[-1] == expected


@pytest.mark.parametrize("batch", [1, 4])
def test_threaded_plane_operators_equal_the_loop_oracles(threaded, batch):
    x = _rand(batch, 5, 9, 8)
    values, indices = sn.max_pool2d(x, 3, 2, 1, return_indices=True)
    ref_values, ref_indices = max_pool_loop(x, 3, 2, 1)
    np.testing.assert_array_equal(values, ref_values)
    np.testing.assert_array_equal(indices, ref_indices)
    np.testing.assert_array_equal(sn.max_pool2d(x, 2), max_pool_loop(x, 2)[0])
    np.testing.assert_allclose(sn.avg_pool2d(x, 3, 2, 1), avg_pool_loop(x, 3, 2, 1), atol=1e-12)
    np.testing.assert_array_equal(sn.max_unpool2d(values, indices, 3, 2, 1, output_size=(9, 8)),
                                  max_unpool_loop(values, indices, (9, 8)))
    np.testing.assert_array_equal(sn.upsample(x, scale_factor=2), upsample_loop(x, scale_factor=2))
    np.testing.assert_allclose(sn.upsample(x, size=(13, 5), mode="bilinear"),
                               upsample_loop(x, size=(13, 5), mode="bilinear"), atol=1e-12)
    # a single sample is split by channel: planes are independent
    assert threaded[-1] == ((0, min(3, batch)) if batch > 1 else (1, 3))


def test_an_error_in_any_slice_reaches_the_caller(threaded):
    values, indices = sn.max_pool2d(_rand(4, 2, 6, 6), 2, return_indices=True)
    indices[3, 1, 0, 0] = 36                     # only the last slice sees it
    with pytest.raises(ValueError, match="indices must lie in"):
        sn.max_unpool2d(values, indices, 2)


def _blas_threads():
    controller = par._blas_controller()
    return None if controller is None else [lib.num_threads for lib in controller.select(user_api="blas").lib_controllers]


def test_blas_threads_are_restored_also_when_callers_overlap(threaded):
    before = _blas_threads()
    x, w = _rand(4, 8, 12, 12), _rand(8, 8, 3, 3, seed=1)
    expected = conv_loop(x, w, None, 1, 1)
    errors = []

    def work():
        try:
            for _ in range(5):
                np.testing.assert_allclose(sn.conv(x, w, padding=1), expected, atol=1e-10)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors
    assert _blas_threads() == before
    assert par._blas_users == 0


def test_kernels_write_into_out_and_check_it():
    x, w = _rand(2, 3, 6, 6), _rand(4, 3, 3, 3, seed=1)
    kernel = lower(ConvSpec((3, 3), 1, 1, in_channels=3, out_channels=4, input_size=(6, 6)))
    out = np.full((2, 4, 6, 6), np.nan)
    assert kernel(x, w, out=out) is out
    np.testing.assert_allclose(out, conv_loop(x, w, None, 1, 1), atol=1e-12)
    for bad, rule in ((np.empty((2, 4, 6, 5)), "shape"), (np.empty((2, 4, 6, 6), np.float32), "dtype"),
                      (np.empty((2, 4, 6, 12))[..., ::2], "C-contiguous"), ([0.0], "list")):
        with pytest.raises(ValueError, match=rf"conv: out must be a C-contiguous array .*{rule}"):
            kernel(x, w, out=bad)
    pool = lower(MaxPoolSpec(2, ndim=2))
    values, indices = np.empty((2, 3, 3, 3)), np.empty((2, 3, 3, 3), np.int64)
    got = pool(x, return_indices=True, out=(values, indices))
    assert got[0] is values and got[1] is indices
    ref_values, ref_indices = max_pool_loop(x, 2)
    np.testing.assert_array_equal(values, ref_values)
    np.testing.assert_array_equal(indices, ref_indices)
    with pytest.raises(ValueError, match=r"max_pool: out\[1\] must be .*int64"):
        pool(x, return_indices=True, out=(values, np.empty((2, 3, 3, 3))))
    up = lower(UpsampleSpec(None, 2, "nearest", ndim=2))
    target = np.empty((2, 3, 12, 12))
    assert up(x, out=target) is target
    np.testing.assert_array_equal(target, upsample_loop(x, scale_factor=2))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.float16, np.float32, np.int32, np.float64])
@pytest.mark.parametrize("factor", [2, 3, 4])
def test_repeat_last_is_numpy_repeat(dtype, factor):
    x = (np.random.default_rng(factor).standard_normal((3, 4, 5)) * 50).astype(dtype)
    x.view(f"u{x.itemsize}")[0, 0, 0] = -1 % 2 ** (8 * x.itemsize)   # all bits set: a carry would show
    out = np.empty((3, 4, 5 * factor), dtype)
    _repeat_last(x, factor, out)
    np.testing.assert_array_equal(out, np.repeat(x, factor, axis=-1))
    strided = x[:, :, ::2]                       # a non-contiguous input is fine too
    out = np.empty((3, 4, 3 * factor), dtype)
    _repeat_last(strided, factor, out)
    np.testing.assert_array_equal(out, np.repeat(strided, factor, axis=-1))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_worker_threads(threaded, monkeypatch):
    import os

    monkeypatch.setattr(par, "THREADS", 2)       # one worker thread: the child's copy of it is dead
    monkeypatch.setattr(par, "_pool", None)
    x = _rand(4, 2, 6, 6)
    expected = max_pool_loop(x, 2)[0]
    np.testing.assert_array_equal(sn.max_pool2d(x, 2), expected)      # the parent's pool exists now
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)                                             # a hang fails instead of blocking                                                     # child: would hang on the parent's pool
        ok = False
        try:
            ok = np.array_equal(sn.max_pool2d(x, 2), expected)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_without_threadpoolctl_convolutions_run_whole(threaded, monkeypatch):
    """BLAS cannot be limited: a split convolution would oversubscribe the cores, so it runs inline."""
    monkeypatch.setattr(par, "_controller", False)
    x, w = _rand(4, 3, 6, 6), _rand(5, 3, 3, 3, seed=1)
    np.testing.assert_allclose(sn.conv(x, w, padding=1), conv_loop(x, w, None, 1, 1), atol=1e-12)
    assert threaded[-1] == (0, 1)
    np.testing.assert_array_equal(sn.max_pool2d(x, 2), max_pool_loop(x, 2)[0])
    assert threaded[-1] == (0, 3)                   # plane-wise operators still split
