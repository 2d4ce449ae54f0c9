"""Tests for symconv.transforms: derived specs agree with the direct-loop oracles."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

from symconv import shapes
from symconv.transforms import (as_direct_conv, bilinear_as_transpose, bilinear_border, bilinear_kernel,
                            dilated_kernel, flip_kernel, nearest_as_transpose, transpose_of, undilated, unpool_of,
                            zero_insert)
from symconv.spec import ConvSpec, ConvTransposeSpec, MaxPoolSpec
from symconv.symbols import a, d, k, p_a, p_b, s

from tests.oracles import conv_loop, conv_transpose_scatter

CONFIGS = [(i_, k_, s_, d_, pb, pa) for i_, k_, s_, d_ in itertools.product((3, 5, 8), (1, 2, 3), (1, 2, 3), (1, 2))
           for pb in range(d_ * (k_ - 1) + 1) for pa in range(d_ * (k_ - 1) + 1)
           if i_ + pb + pa >= d_ * (k_ - 1) + 1]


@pytest.mark.parametrize("cfg", CONFIGS[::3])
def test_transpose_of_restores_input_size(cfg):
    i_, k_, s_, d_, pb, pa = cfg
    spec = ConvSpec(k_, s_, ((pb, pa),), d_, input_size=i_)
    t = transpose_of(spec)
    assert t.output_size == (i_,)
    assert t.forward() == spec
    assert t.output_padding == (shapes.lost_remainder_axis(i_, k_, s_, pb, pa, d_),)


def test_transpose_of_symbolic_and_explicit_padding():
    t = transpose_of(ConvSpec(k, s, ((p_b, p_a),), d))
    assert t.input_size is None and t.output_padding == (0,)
    assert transpose_of(ConvSpec(3, 2, input_size=8), output_padding=0).output_size == (7,)
    with pytest.raises(TypeError):
        transpose_of(ConvTransposeSpec(3))


def test_as_direct_conv_symbolic_padding():
    dc = as_direct_conv(ConvTransposeSpec(k, s, ((p_b, p_a),), a, d))
    assert sp.simplify(dc.padding[0][0] - (d * (k - 1) - p_b)) == 0
    assert sp.simplify(dc.padding[0][1] - (d * (k - 1) - p_a + a)) == 0
    with pytest.raises(TypeError):
        as_direct_conv(ConvSpec(3))


@pytest.mark.parametrize("cfg", CONFIGS[::2])
def test_direct_conv_equals_scatter_oracle(cfg):
    i_, k_, s_, d_, pb, pa = cfg
    spec = ConvSpec(k_, s_, ((pb, pa),), d_, input_size=i_)
    t = transpose_of(spec)
    dc = as_direct_conv(t)
    rng = np.random.default_rng(sum(cfg))
    y = rng.integers(-5, 6, (1, 1) + t.input_size).astype(float)
    w = rng.integers(-5, 6, (1, 1, k_)).astype(float)
    expected = conv_transpose_scatter(y, w, stride=s_, padding=[(pb, pa)], output_padding=t.output_padding,
                                      dilation=d_)
    got = conv_loop(zero_insert(y, s_, 1), flip_kernel(w), padding=list(dc.padding), dilation=d_)
    assert np.array_equal(got, expected)
    assert dc.spec.output_size == t.output_size


def test_unflipped_kernel_is_wrong():
    t = transpose_of(ConvSpec(3, 2, 1, input_size=5))
    dc = as_direct_conv(t)
    y = np.array([[[1.0, 0.0, 0.0]]])
    w = np.array([[[1.0, 2.0, 3.0]]])
    expected = conv_transpose_scatter(y, w, stride=2, padding=1, output_padding=t.output_padding)
    assert np.array_equal(conv_loop(zero_insert(y, 2, 1), flip_kernel(w), padding=list(dc.padding)), expected)
    assert not np.array_equal(conv_loop(zero_insert(y, 2, 1), w, padding=list(dc.padding)), expected)


def test_flip_kernel_channels_and_groups():
    w = np.arange(2 * 3 * 2).reshape(2, 3, 2)          # (C_in=2, C_out/G=3, k=2), groups=1
    out = flip_kernel(w, groups=1)
    assert out.shape == (3, 2, 2)
    assert out[1, 0].tolist() == w[0, 1, ::-1].tolist()
    w2 = np.arange(4 * 1 * 3).reshape(4, 1, 3)          # groups=2: C_in=4, C_out=2
    out2 = flip_kernel(w2, groups=2)
    assert out2.shape == (2, 2, 3)
    assert out2[1, 1].tolist() == w2[3, 0, ::-1].tolist()


@pytest.mark.parametrize("cfg", [c for c in CONFIGS if c[3] > 1][::4])
def test_dilated_kernel_equals_dilation(cfg):
    i_, k_, s_, d_, pb, pa = cfg
    spec = ConvSpec(k_, s_, ((pb, pa),), d_, input_size=i_)
    x = np.arange(1, i_ + 1, dtype=float).reshape(1, 1, i_)
    w = np.arange(1, k_ + 1, dtype=float).reshape(1, 1, k_)
    plain = undilated(spec)
    assert plain.output_size == spec.output_size and plain.kernel_size == (d_ * (k_ - 1) + 1,)
    assert np.array_equal(conv_loop(x, dilated_kernel(w, d_, 1), stride=s_, padding=[(pb, pa)]),
                          conv_loop(x, w, stride=s_, padding=[(pb, pa)], dilation=d_))


def test_zero_insert_and_dilated_kernel_values():
    assert zero_insert([1, 2, 3], 3).tolist() == [1, 0, 0, 2, 0, 0, 3]
    assert dilated_kernel([[1, 2], [3, 4]], (2, 1)).tolist() == [[1, 2], [0, 0], [3, 4]]


def test_nearest_as_transpose():
    spec, w = nearest_as_transpose(2, channels=3, ndim=2, input_size=(2, 3))
    assert spec.groups == 3 and spec.kernel_size == (2, 2) and spec.stride == (2, 2)
    assert spec.output_size == (4, 6) and w.shape == (3, 1, 2, 2) and (w == 1).all()


def test_bilinear_kernel_values_match_fcn():
    assert bilinear_kernel(4) == [sp.Rational(1, 4), sp.Rational(3, 4), sp.Rational(3, 4), sp.Rational(1, 4)]
    assert bilinear_kernel(5) == [sp.Rational(1, 3), sp.Rational(2, 3), 1, sp.Rational(2, 3), sp.Rational(1, 3)]
    assert bilinear_kernel(8) == [sp.Rational(v, 8) for v in (1, 3, 5, 7, 7, 5, 3, 1)]


@pytest.mark.parametrize("f", range(1, 9))
def test_bilinear_as_transpose_sizes(f):
    spec, w = bilinear_as_transpose(f, channels=2, ndim=2, input_size=(3, 5))
    assert spec.kernel_size == (2 * f - f % 2,) * 2
    assert spec.padding == (((f - 1 + 1) // 2,) * 2,) * 2
    assert spec.output_size == (3 * f, 5 * f)
    assert w.shape == (2, 1, 2 * f - f % 2, 2 * f - f % 2)
    assert bilinear_border(f) == f // 2


def test_unpool_of():
    u = unpool_of(MaxPoolSpec(3, 2, 1, input_size=(7, 8)))
    assert u.input_size == (4, 4) and u.output_size == (7, 8)
    with pytest.raises(ValueError):
        unpool_of(MaxPoolSpec(2, dilation=2, input_size=6))
    with pytest.raises(TypeError):
        unpool_of(ConvSpec(2))
