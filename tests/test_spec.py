"""Spec canonicalisation and validation."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symconv import ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from tests.oracles import conv_loop


def test_canonical_forms_are_equal_and_hashable():
    a = ConvSpec(3, padding=1, ndim=2)
    b = ConvSpec((3, 3), stride=(1, 1), padding=((1, 1), (1, 1)))
    assert a == b and hash(a) == hash(b)
    assert ConvSpec(3, padding=(1, 2)).padding == ((1, 2),)              # 1-D: a (before, after) pair
    assert ConvSpec((3, 3), padding=(1, 2)).padding == ((1, 1), (2, 2))  # 2-D: per-dimension
    assert ConvSpec(3, padding="valid", ndim=3).padding == ((0, 0),) * 3
    assert MaxPoolSpec(3).stride == (3,)


@pytest.mark.parametrize("cls, args, kwargs", [
    (ConvSpec, ((3, 2), (2, 1), ((1, 0), (0, 2)), (1, 2)), dict(input_size=(6, 5))),
    (ConvSpec, (3, 2, (1, 2), 2), dict(input_size=9)),
    (ConvSpec, ((3, 2), 1, (1, 0)), dict(input_size=(6, 5), ndim=2)),
    (ConvTransposeSpec, ((3, 2), (2, 2), ((1, 0), (0, 1)), (1, 0), (1, 2)), dict(input_size=(3, 4))),
    (MaxPoolSpec, ((3, 2), None, ((1, 0), (1, 1))), dict(input_size=(6, 5))),
])
def test_canonical_int_arguments_give_the_spec_of_the_general_path(cls, args, kwargs):
    """Tuples of ints take a fast path; the same values as lists take the general one."""
    def as_lists(v):
        return [as_lists(e) for e in v] if isinstance(v, tuple) else v

    fast = cls(*args, **kwargs)
    general = cls(*(as_lists(a) for a in args), **{n: as_lists(v) for n, v in kwargs.items()})
    assert fast == general and repr(fast) == repr(general) and fast.output_size == general.output_size


@pytest.mark.parametrize("args, kwargs", [
    (((3, 0), 1), {}), (((3, 2), (1, 2, 1)), {}), (((3, 2), 1, ((1, 0), (0, -1))), {}),
    (((3, 2), 1, 0, (1, True)), {}), ((3, 1, 0, 1), dict(input_size=(1,))), (((3, 3),), dict(ndim=3)),
])
def test_canonical_int_arguments_keep_the_general_paths_errors(args, kwargs):
    def as_lists(v):
        return [as_lists(e) for e in v] if isinstance(v, tuple) else v

    with pytest.raises((ValueError, TypeError)) as fast:
        ConvSpec(*args, **kwargs)
    with pytest.raises((ValueError, TypeError)) as general:
        ConvSpec(*(as_lists(a) for a in args), **{n: as_lists(v) for n, v in kwargs.items()})
    assert type(fast.value) is type(general.value) and str(fast.value).replace("[", "(").replace("]", ")") \
        == str(general.value).replace("[", "(").replace("]", ")")


def test_symbolic_sizes_are_accepted_and_flow_into_output_size():
    n = sp.Symbol("n", integer=True, positive=True)
    spec = ConvSpec(3, stride=2, padding=1, input_size=(n, 8))
    assert spec.is_symbolic
    assert spec.output_size == (sp.floor((n - 1) / 2) + 1, 4)


@pytest.mark.parametrize("k, d", [(3, 1), (4, 1), (3, 2), (2, 3), (4, 2)])
def test_same_padding_puts_the_odd_unit_at_the_end_and_keeps_the_size(k, d):
    spec = ConvSpec(k, padding="same", dilation=d, input_size=7)
    total = d * (k - 1)
    assert spec.padding == ((total // 2, total - total // 2),)
    assert spec.output_size == (7,)


def test_same_padding_matches_torch(torch):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 1, 6, 7)), rng.standard_normal((1, 1, 4, 3))
    spec = ConvSpec((4, 3), padding="same", dilation=(1, 2), input_size=(6, 7))
    ours = conv_loop(x, w, padding=spec.padding, dilation=spec.dilation)
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding="same", dilation=(1, 2)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


@pytest.mark.parametrize("make, kind, message", [
    (lambda: ConvSpec(3, stride=(2, 0)), ValueError, r"stride\[1\] must be >= 1, got stride\[1\]=0"),
    (lambda: ConvSpec(0), ValueError, "kernel_size must be >= 1"),
    (lambda: ConvSpec(3, dilation=0), ValueError, "dilation must be >= 1"),
    (lambda: ConvSpec(3, padding=-1), ValueError, "padding must be >= 0"),
    (lambda: ConvSpec(3, padding="full"), ValueError, "padding string must be one of"),
    (lambda: ConvSpec(3, padding="same", stride=2), ValueError, "requires stride=1"),
    (lambda: ConvSpec(3, in_channels=4, out_channels=3, groups=2), ValueError, "out_channels must be divisible"),
    (lambda: ConvSpec(5, input_size=3), ValueError, "larger than the padded input"),
    (lambda: ConvSpec((3, 3), stride=(1, 1, 1)), ValueError, "disagree on the number of dimensions"),
    (lambda: ConvSpec(3, ndim=0), ValueError, "ndim must be an int >= 1"),
    (lambda: ConvTransposeSpec(3, padding="same"), ValueError, "pytorch#95123"),
    (lambda: ConvTransposeSpec(3, stride=2, output_padding=2), ValueError, "smaller than either stride or dilation"),
    (lambda: ConvTransposeSpec(3, stride=2, input_size=3, pinned_output_size=10), ValueError, "must lie between"),
    (lambda: MaxPoolSpec(3, padding=2), ValueError, "at most half the kernel size"),
    (lambda: MaxUnpoolSpec(2, input_size=2, pinned_output_size=6), ValueError, "strictly between"),
    (lambda: UpsampleSpec(), ValueError, "exactly one of size and scale_factor"),
    (lambda: UpsampleSpec(size=4, mode="area"), ValueError, "mode must be one of"),
    (lambda: UpsampleSpec(size=(4, 4, 4), mode="bilinear"), ValueError, "needs 2 spatial dimensions"),
    (lambda: UpsampleSpec(scale_factor=2, align_corners=True), ValueError, "align_corners can only be set"),
    (lambda: ConvSpec(3.5), TypeError, "kernel_size must be an int"),
    (lambda: ConvSpec(True), TypeError, "kernel_size must be an int"),
    (lambda: ConvSpec(sp.Symbol("x")), TypeError, "integer SymPy symbol"),
    (lambda: MaxPoolSpec(2, ceil_mode="yes"), TypeError, "ceil_mode must be a bool"),
    (lambda: UpsampleSpec(scale_factor="2"), TypeError, "scale_factor must be a positive number"),
])
def test_invalid_specs_name_the_parameter(make, kind, message):
    with pytest.raises(kind, match=message):
        make()


def test_transposed_spec_pins_output_size_like_torch_forward_output_size():
    spec = ConvTransposeSpec(3, stride=2, padding=1, input_size=4, pinned_output_size=8)
    assert spec.output_padding == (1,) and spec.output_size == (8,)
    forward = spec.forward()
    assert forward.input_size == (8,) and forward.output_size == (4,)


def test_output_padding_may_reach_dilation_minus_one_when_stride_is_one():
    assert ConvTransposeSpec(2, dilation=3, output_padding=2, input_size=3).output_size == (8,)


def test_unpool_pinned_output_size():
    assert MaxUnpoolSpec(2, input_size=(2, 3), pinned_output_size=(5, 7)).output_size == (5, 7)
    assert MaxUnpoolSpec(3, stride=2, padding=1, input_size=4).output_size == (7,)


def test_upsample_defaults_and_dimensions():
    spec = UpsampleSpec(scale_factor=(2, 3), mode="bilinear", input_size=(3, 3))
    assert spec.align_corners is False and spec.output_size == (6, 9)
    assert UpsampleSpec(size=5, mode="trilinear").ndim == 3
    assert UpsampleSpec(scale_factor=1.5, input_size=5).output_size == (7,)
