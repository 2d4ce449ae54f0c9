"""Output sizes: brute-force window counts always, PyTorch when installed, symbols vs ints."""
from __future__ import annotations

import itertools

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv import shapes
from symconv.symbols import d, i, k, p, s
from tests.oracles import conv_transpose_size, count_windows

GRID = [(iv, kv, sv, dv, pb, pa)
        for iv, kv, sv, dv in itertools.product(range(1, 13), range(1, 6), range(1, 5), range(1, 4))
        for pb in range(0, 3) for pa in range(0, 3)
        if iv + pb + pa >= dv * (kv - 1) + 1]


def test_conv_size_matches_brute_force_count_on_full_grid():
    for iv, kv, sv, dv, pb, pa in GRID:
        assert symconv.conv_output_size(iv, kv, sv, (pb, pa), dv) == count_windows(iv, kv, sv, pb, pa, dv), \
            (iv, kv, sv, dv, pb, pa)


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_size_matches_brute_force_count_on_full_grid(ceil_mode):
    checked = 0
    for iv, kv, sv, dv, pb, pa in GRID:
        if max(pb, pa) > kv // 2:
            continue
        got = symconv.pool_output_size(iv, kv, sv, (pb, pa), dv, ceil_mode)
        assert got == count_windows(iv, kv, sv, pb, pa, dv, ceil_mode), (iv, kv, sv, dv, pb, pa, ceil_mode)
        checked += 1
    assert checked > 1000


def test_conv_transpose_size_matches_brute_force_scatter_extent():
    for iv, kv, sv, dv, pb, pa in GRID:
        for a in range(max(sv, dv)):
            if sv * (iv - 1) + dv * (kv - 1) + 1 - pb - pa + a < 1:
                continue
            got = symconv.conv_transpose_output_size(iv, kv, sv, (pb, pa), dv, a)
            assert got == conv_transpose_size(iv, kv, sv, pb, pa, dv, a)


def test_transposed_with_lost_remainder_restores_input_size():
    for iv, kv, sv, dv, pb, pa in GRID:
        o = symconv.conv_output_size(iv, kv, sv, (pb, pa), dv)
        a = symconv.shapes.lost_remainder(iv, kv, sv, (pb, pa), dv)
        if a >= max(sv, dv):
            continue
        assert symconv.conv_transpose_output_size(o, kv, sv, (pb, pa), dv, a) == iv


def test_symbolic_formulas_in_floor_form():
    assert symconv.conv_output_size(i, k, s, p, d) == sp.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1
    assert symconv.conv_transpose_output_size(i, k, s, p, d, 0) == s * (i - 1) + d * (k - 1) + 1 - 2 * p
    assert symconv.unpool_output_size(i, k, s, p) == s * (i - 1) + k - 2 * p
    assert symconv.upsample_output_size(i, scale_factor=3) == 3 * i


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2), st.integers(1, 3),
       st.booleans())
def test_symbolic_expression_evaluates_to_the_integer_result(iv, kv, sv, pv, dv, ceil_mode):
    if iv + 2 * pv < dv * (kv - 1) + 1 or pv > kv // 2:
        return
    values = {i: iv, k: kv, s: sv, p: pv, d: dv}
    assert symconv.conv_output_size(i, k, s, p, d).subs(values) == symconv.conv_output_size(iv, kv, sv, pv, dv)
    symbolic_pool = shapes.window_count_axis(i, k, s, p, p, d, ceil_mode)
    assert symbolic_pool.subs(values) == symconv.pool_output_size(iv, kv, sv, pv, dv, ceil_mode)


def test_ints_in_give_python_ints_out():
    for value in (symconv.conv_output_size(7, 3, 2, 1), symconv.pool_output_size(7, 3, 2, 1, ceil_mode=True),
                  symconv.conv_transpose_output_size(3, 3, 2, 1, output_padding=1),
                  symconv.unpool_output_size(3, 2), symconv.upsample_output_size(3, scale_factor=2.5)):
        assert type(value) is int


@pytest.mark.parametrize("call, message", [
    (lambda: symconv.conv_output_size(5, 3, s=0), "s must be >= 1, got s=0"),
    (lambda: symconv.conv_output_size(5, 3, p=-1), "p must be >= 0"),
    (lambda: symconv.conv_output_size(2, 5), "larger than the padded input"),
    (lambda: symconv.conv_output_size(5, 3, p=(1, 2, 3)), "(before, after) pair"),
    (lambda: symconv.conv_transpose_output_size(3, 3, s=2, output_padding=2), "output_padding must be smaller"),
    (lambda: symconv.conv_transpose_output_size(1, 1, p=1), "non-positive output size"),
    (lambda: symconv.pool_output_size(5, 2, p=2), "at most half the kernel size"),
    (lambda: symconv.upsample_output_size(5), "exactly one of size and scale_factor"),
    (lambda: symconv.upsample_output_size(5, scale_factor=-2.0), "scale_factor must be a finite number > 0"),
    (lambda: symconv.upsample_output_size(2, scale_factor=0.1), "non-positive output size"),
])
def test_invalid_values_raise_value_error_naming_the_rule(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


@pytest.mark.parametrize("call", [
    lambda: symconv.conv_output_size(5.0, 3),
    lambda: symconv.conv_output_size(5, True),
    lambda: symconv.conv_output_size(5, None),
    lambda: symconv.conv_output_size("5", 3),
    lambda: symconv.conv_output_size(sp.Symbol("x"), 3),
    lambda: symconv.pool_output_size(5, 2, ceil_mode=1),
])
def test_wrong_types_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


# --------------------------------------------------------------------------- PyTorch


def test_sizes_agree_with_torch_on_every_valid_grid_configuration(torch):
    F = torch.nn.functional
    w_cache = {}
    for iv, kv, sv, dv, pv in {(a, b, c, e, f) for a, b, c, e, f, g in GRID if f == g}:
        x = torch.zeros(1, 1, iv)
        w = w_cache.setdefault(kv, torch.zeros(1, 1, kv))
        assert F.conv1d(x, w, stride=sv, padding=pv, dilation=dv).shape[-1] == \
            symconv.conv_output_size(iv, kv, sv, pv, dv)
        for a in range(max(sv, dv)):
            if sv * (iv - 1) + dv * (kv - 1) + 1 - 2 * pv + a < 1:
                continue
            got = F.conv_transpose1d(x, w, stride=sv, padding=pv, output_padding=a, dilation=dv).shape[-1]
            assert got == symconv.conv_transpose_output_size(iv, kv, sv, pv, dv, a)
        if pv <= kv // 2:
            for ceil_mode in (False, True):
                got = F.max_pool1d(x, kv, sv, pv, dv, ceil_mode=ceil_mode).shape[-1]
                assert got == symconv.pool_output_size(iv, kv, sv, pv, dv, ceil_mode)
                if dv == 1:
                    got = F.avg_pool1d(x, kv, sv, pv, ceil_mode=ceil_mode).shape[-1]
                    assert got == symconv.pool_output_size(iv, kv, sv, pv, 1, ceil_mode)


def test_unpool_and_upsample_sizes_agree_with_torch(torch):
    F = torch.nn.functional
    for iv, kv, sv, pv in itertools.product(range(1, 8), range(1, 5), range(1, 4), range(0, 3)):
        if pv > kv // 2 or sv * (iv - 1) + kv - 2 * pv < 1:
            continue
        x = torch.zeros(1, 1, iv)
        idx = torch.zeros(1, 1, iv, dtype=torch.int64)
        assert F.max_unpool1d(x, idx, kv, sv, pv).shape[-1] == symconv.unpool_output_size(iv, kv, sv, pv)
    for iv in range(1, 9):
        for factor in (1, 2, 3, 0.5, 1.5, 2.25, 1.1, 3.7):
            if int(iv * factor) < 1:
                continue
            got = F.interpolate(torch.zeros(1, 1, iv), scale_factor=factor, mode="nearest").shape[-1]
            assert got == symconv.upsample_output_size(iv, scale_factor=factor), (iv, factor)
