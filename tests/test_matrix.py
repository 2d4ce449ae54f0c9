"""Matrices from the index relation against independent loops, the seed example, and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from tests.oracles import (conv_loop, conv_transpose_scatter, max_pool_loop, max_unpool_loop,
                           upsample_loop)
from tests.strategies import conv_configs


def _apply(matrix: np.ndarray, x: np.ndarray, out_shape: tuple) -> np.ndarray:
    return (matrix @ x.reshape(-1)).reshape(out_shape)


# --------------------------------------------------------------------------- the seed example


def test_seed_example_full_matrix_written_out_independently():
    """Dumoulin & Visin's worked example: i=4, k=3, s=1, p=0 in 2-D gives this 4x16 matrix."""
    w = [[sp.Symbol(f"w_{{{a},{b}}}") for b in range(3)] for a in range(3)]
    expected = sp.zeros(4, 16)
    for out_row in range(2):
        for out_col in range(2):
            for a in range(3):
                for b in range(3):
                    expected[out_row * 2 + out_col, (out_row + a) * 4 + (out_col + b)] = w[a][b]
    C = symconv.conv_matrix((4, 4), 3)
    assert C == expected
    first = [w[0][0], w[0][1], w[0][2], 0, w[1][0], w[1][1], w[1][2], 0, w[2][0], w[2][1], w[2][2], 0, 0, 0, 0, 0]
    assert list(C.row(0)) == first
    assert C.T.shape == (16, 4)
    assert symconv.conv_transpose_matrix((2, 2), 3) == C.T


def test_seed_example_reshaped_product_is_the_direct_convolution():
    rng = np.random.default_rng(0)
    x, w = rng.integers(-5, 5, (4, 4)), rng.integers(-5, 5, (3, 3))
    C = symconv.conv_matrix((4, 4), 3, weight=w)
    y = np.array((C * sp.Matrix(x.reshape(-1))).tolist(), dtype=np.int64).reshape(2, 2)
    assert (y == conv_loop(x[None, None].astype(float), w[None, None].astype(float))[0, 0]).all()


# --------------------------------------------------------------------------- property tests


@settings(max_examples=80, deadline=None)
@given(conv_configs(), st.integers(0, 2**32 - 1))
def test_conv_matrix_times_x_equals_loop_convolution(cfg, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["in_channels"], *cfg["input_size"]))
    spec = symconv.ConvSpec(**cfg)
    w = rng.standard_normal(spec.weight_shape)
    C = symconv.conv_matrix(**cfg, weight=w, format="numpy")
    expected = conv_loop(x[None], w, stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
                         groups=cfg["groups"])[0]
    np.testing.assert_allclose(_apply(C, x, expected.shape), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(conv_configs(), st.integers(0, 3), st.integers(0, 2**32 - 1))
def test_conv_transpose_matrix_equals_scatter_loop_and_the_transpose_of_c(cfg, a_seed, seed):
    rng = np.random.default_rng(seed)
    fwd = symconv.ConvSpec(**cfg)
    out = fwd.output_size
    a = tuple(a_seed % max(s, d) for s, d in zip(cfg["stride"], cfg["dilation"]))
    common = dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                  dilation=cfg["dilation"], in_channels=cfg["out_channels"], out_channels=cfg["in_channels"],
                  groups=cfg["groups"])
    sizes = [symconv.shapes.transpose_size_axis(o, k, s, pb, pa, d, aj) for o, k, s, (pb, pa), d, aj in
             zip(out, cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], a)]
    if min(sizes) < 1:
        return
    tspec = symconv.ConvTransposeSpec(**common, output_padding=a, input_size=out)
    w = rng.standard_normal(tspec.weight_shape)
    y = rng.standard_normal((cfg["out_channels"], *out))
    CT = symconv.conv_transpose_matrix(out, **common, output_padding=a, weight=w, format="numpy")
    expected = conv_transpose_scatter(y[None], w, stride=cfg["stride"], padding=cfg["padding"],
                                      output_padding=a, dilation=cfg["dilation"], groups=cfg["groups"])[0]
    np.testing.assert_allclose(_apply(CT, y, expected.shape), expected, rtol=1e-12, atol=1e-12)
    # the same layer is the transpose of the convolution on its output size (when a < s the
    # forward conv maps that size back to exactly this layer's input size)
    if any(aj >= sj for aj, sj in zip(a, cfg["stride"])):
        return
    forward = dict(cfg, input_size=tspec.output_size)
    C = symconv.conv_matrix(**forward, weight=w, format="numpy")
    np.testing.assert_array_equal(CT, C.T)


def test_symbolic_transposed_matrix_equals_symbolic_transpose_with_channels_and_groups():
    kw = dict(kernel_size=(2, 3), stride=(2, 1), padding=((1, 0), (0, 2)), dilation=(1, 2), groups=2)
    C = symconv.conv_matrix((6, 4), in_channels=4, out_channels=2, **kw)
    spec = symconv.ConvSpec(input_size=(6, 4), in_channels=4, out_channels=2, **kw)
    CT = symconv.conv_transpose_matrix(spec.output_size, in_channels=2, out_channels=4, **kw,
                                       output_padding=(1, 0))
    assert CT.shape == C.T.shape and CT == C.T


def test_formats_agree():
    w = np.arange(1.0, 10.0).reshape(3, 3)
    dense = symconv.conv_matrix((5, 5), 3, stride=2, padding=1, weight=w, format="numpy")
    rows, cols, vals = symconv.conv_matrix((5, 5), 3, stride=2, padding=1, weight=w, format="coo")
    sym = symconv.conv_matrix((5, 5), 3, stride=2, padding=1, weight=w)
    rebuilt = np.zeros_like(dense)
    rebuilt[rows, cols] = vals
    np.testing.assert_array_equal(rebuilt, dense)
    np.testing.assert_array_equal(np.array(sym.tolist(), dtype=float), dense)


@pytest.mark.parametrize("kernel, stride, padding, dilation, size", [
    ((3, 2), (2, 1), ((1, 0), (0, 1)), (1, 2), (7, 6)),
    ((2, 3, 1), (1, 2, 3), ((1, 1), (2, 0), (0, 0)), (2, 1, 1), (3, 5, 4)),
    ((5,), (3,), ((4, 0),), (1,), (2,)),                # taps whose window misses the input
])
def test_coo_triplets_come_tap_by_tap_then_row_major(kernel, stride, padding, dilation, size):
    """The order of ``format='coo'`` from a direct loop: taps row-major, then outputs row-major."""
    w = np.arange(1, int(np.prod(kernel)) + 1).reshape(kernel)
    spec = symconv.ConvSpec(kernel, stride, padding, dilation, input_size=size)
    rows, cols, vals = symconv.matrix.matrix_of(spec, w, "coo")
    want = []
    for taps in np.ndindex(*kernel):
        for outs in np.ndindex(*spec.output_size):
            pos = [o * s + t * d - pb for o, t, s, d, (pb, _pa) in zip(outs, taps, stride, dilation, padding)]
            if all(0 <= c < i for c, i in zip(pos, size)):
                want.append((np.ravel_multi_index(outs, spec.output_size), np.ravel_multi_index(pos, size), w[taps]))
    assert list(zip(rows.tolist(), cols.tolist(), vals.tolist())) == want
    assert rows.dtype == cols.dtype == np.int64


def test_matrix_errors_name_the_argument():
    with pytest.raises(ValueError, match="weight must have shape"):
        symconv.conv_matrix(4, 3, weight=[1, 2])
    with pytest.raises(ValueError, match="format must be one of"):
        symconv.conv_matrix(4, 3, format="csr")
    with pytest.raises(TypeError, match="numeric weights"):
        symconv.conv_matrix(4, 3, format="numpy")
    with pytest.raises(ValueError, match="concrete matrices need int sizes"):
        symconv.conv_matrix(sp.Symbol("n", integer=True, positive=True), 3)
    with pytest.raises(ValueError, match="GiB"):
        symconv.conv_matrix((300, 300), 1, weight=[[1.0]], format="numpy")


# --------------------------------------------------------------------------- symbolic entry formula


@pytest.mark.parametrize("params", [
    dict(kernel_size=3, stride=2, padding=(1, 0), dilation=1),
    dict(kernel_size=3, stride=3, padding=(1, 2), dilation=2),   # odd offsets: the guard matters
    dict(kernel_size=2, stride=1, padding=(0, 1), dilation=3),
])
def test_entry_formula_evaluates_to_the_concrete_matrix(params):
    n = 9
    spec = symconv.ConvSpec(**params, input_size=n)
    w = sp.IndexedBase("w")
    C = symconv.conv_matrix(n, **params, weight=[w[t] for t in range(params["kernel_size"])])
    formula = symconv.index.entry_formula(spec, weight=w)
    r, c = sp.symbols("r_0 c_0", integer=True, nonnegative=True)
    for row in range(C.rows):
        for col in range(C.cols):
            assert formula.subs({r: row, c: col}) == C[row, col], (row, col)


def test_delta_summation_drops_the_divisibility_guard_but_entry_formula_keeps_it():
    spec = symconv.ConvSpec(2, dilation=2, input_size=5)
    r, c = sp.symbols("r_0 c_0", integer=True, nonnegative=True)
    w = sp.IndexedBase("w")
    summed = symconv.index.entry_delta_sum(spec, weight=w).doit()
    guarded = symconv.index.entry_formula(spec, weight=w)
    # output 0 does not read input 1 (offset 1 is not a multiple of d = 2) ...
    assert guarded.subs({r: 0, c: 1}) == 0
    assert symconv.conv_matrix(5, 2, dilation=2)[0, 1] == 0
    # ... but SymPy's closed-form delta summation claims it does (a weight at a fractional tap)
    assert summed.subs({r: 0, c: 1}) != 0


# --------------------------------------------------------------------------- pooling, unpooling


@settings(max_examples=50, deadline=None)
@given(conv_configs(max_ndim=2, channels=False), st.booleans(), st.integers(0, 2**32 - 1))
def test_switch_matrix_selects_the_max_and_unpool_matches_loop(cfg, ceil_mode, seed):
    k, p = cfg["kernel_size"], cfg["padding"]
    if any(max(pb, pa) > kj // 2 for kj, (pb, pa) in zip(k, p)):
        return
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, (2, *cfg["input_size"])).astype(float)    # ties on purpose
    kw = dict(kernel_size=k, stride=cfg["stride"], padding=p, dilation=cfg["dilation"], ceil_mode=ceil_mode)
    values, indices = max_pool_loop(x[None], **kw)
    P = symconv.pool_switch_matrix(x, **kw, format="numpy")
    # a window with no input element gives -inf (and torch's index past the input): P's row is 0 there
    empty = np.isneginf(values[0])
    np.testing.assert_array_equal(np.where(empty, 0.0, values[0]), _apply(P, x, values[0].shape))
    np.testing.assert_array_equal(symconv.pool_switches(x, **kw), indices[0])
    if empty.any():
        return                       # torch's max_unpool refuses those indices
    U = symconv.unpool_matrix(indices[0], cfg["input_size"], format="numpy")
    g = rng.standard_normal(values[0].shape)
    expected = max_unpool_loop(g[None], indices, cfg["input_size"])[0]
    np.testing.assert_array_equal(_apply(U, g, expected.shape), expected)


def test_unpool_is_switch_transpose_without_shared_argmax_and_assign_with_it():
    x = np.array([1.0, 5.0, 2.0, 0.0, 3.0])
    P = symconv.pool_switch_matrix(x, 3, stride=1)
    U = symconv.unpool_matrix(symconv.pool_switches(x, 3, stride=1), 5)
    g = sp.Matrix([10, 20, 30])
    assert list(U * g) == [0, 20, 0, 0, 30]          # scatter-assign: one write survives
    assert list(P.T * g) == [0, 30, 0, 0, 30]        # the pooling gradient adds
    x2 = np.arange(16.0).reshape(4, 4)
    P2 = symconv.pool_switch_matrix(x2, 2)
    assert symconv.unpool_matrix(symconv.pool_switches(x2, 2), (4, 4)) == P2.T


def test_switches_let_nan_win_and_never_pick_padding():
    x = np.array([-5.0, np.nan, -1.0, -7.0])
    assert symconv.pool_switches(x, 2).tolist() == [1, 2]
    assert symconv.pool_switches(np.array([-3.0, -4.0]), 3, stride=1, padding=1).tolist() == [0, 0]


def test_unpool_matrix_rejects_out_of_range_indices():
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 4\)"):
        symconv.unpool_matrix([0, 4], 4)


# --------------------------------------------------------------------------- interpolation


UPSAMPLE_CASES = [
    dict(size=(7,), mode="nearest"), dict(size=(7,), mode="nearest-exact"),
    dict(scale_factor=2, mode="nearest"), dict(scale_factor=3, mode="nearest-exact"),
    dict(size=(8,), mode="linear"), dict(size=(8,), mode="linear", align_corners=True),
    dict(scale_factor=2, mode="linear"), dict(scale_factor=1.5, mode="linear"),
    dict(size=(1,), mode="linear"), dict(size=(3,), mode="linear"),
    dict(size=(9,), mode="bicubic"), dict(scale_factor=2, mode="bicubic", align_corners=True),
    dict(size=(2,), mode="bicubic"),
]


@pytest.mark.parametrize("case", UPSAMPLE_CASES)
def test_upsample_matrix_equals_loop_1d(case):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 1, 5))
    U = symconv.upsample_matrix((5,), format="numpy", **case)
    expected = upsample_loop(x, **case)
    np.testing.assert_allclose(_apply(U, x, expected.shape), expected, rtol=1e-12, atol=1e-12)


def test_upsample_matrix_2d_is_separable_and_matches_loop():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 1, 3, 4))
    for mode in ("nearest", "bilinear", "bicubic"):
        U = symconv.upsample_matrix((3, 4), size=(5, 7), mode=mode, format="numpy")
        expected = upsample_loop(x, size=(5, 7), mode=mode)
        np.testing.assert_allclose(_apply(U, x, expected.shape), expected, rtol=1e-12, atol=1e-12)


def test_bilinear_weights_are_exact_rationals():
    U = symconv.upsample_matrix(2, scale_factor=2, mode="linear")
    assert U.row(1).tolist() == [[sp.Rational(3, 4), sp.Rational(1, 4)]]


# --------------------------------------------------------------------------- PyTorch


def test_matrices_match_torch_on_a_seeded_sweep(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    for _ in range(40):
        ndim = int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, ndim))
        s = tuple(int(v) for v in rng.integers(1, 3, ndim))
        d = tuple(int(v) for v in rng.integers(1, 3, ndim))
        p = tuple(int(rng.integers(0, kj)) for kj in k)
        i = tuple(max(dj * (kj - 1) + 1, int(rng.integers(1, 6))) for kj, dj in zip(k, d))
        groups = int(rng.integers(1, 3))
        cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        conv = getattr(F, f"conv{ndim}d")
        conv_t = getattr(F, f"conv_transpose{ndim}d")
        x = rng.standard_normal((1, cin, *i))
        w = rng.standard_normal((cout, cin // groups, *k))
        C = symconv.conv_matrix(i, k, s, p, d, cin, cout, groups, weight=w, format="numpy")
        ref = conv(torch.tensor(x), torch.tensor(w), stride=s, padding=p, dilation=d, groups=groups).numpy()[0]
        np.testing.assert_allclose(_apply(C, x[0], ref.shape), ref, rtol=1e-10, atol=1e-10)
        a = tuple(int(rng.integers(0, max(sj, dj))) for sj, dj in zip(s, d))
        y = rng.standard_normal((1, cout, *ref.shape[1:]))
        CT = symconv.conv_transpose_matrix(ref.shape[1:], k, s, p, a, d, cout, cin, groups, weight=w,
                                           format="numpy")
        ref_t = conv_t(torch.tensor(y), torch.tensor(w), stride=s, padding=p, output_padding=a, dilation=d,
                       groups=groups).numpy()[0]
        np.testing.assert_allclose(_apply(CT, y[0], ref_t.shape), ref_t, rtol=1e-10, atol=1e-10)


def test_upsample_matrices_match_torch(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 1, 4, 5))
    for mode, ac in (("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True),
                     ("bicubic", False), ("bicubic", True)):
        for size in ((8, 10), (7, 3), (1, 2)):
            U = symconv.upsample_matrix((4, 5), size=size, mode=mode, align_corners=ac, format="numpy")
            ref = F.interpolate(torch.tensor(x), size=size, mode=mode, align_corners=ac).numpy()[0, 0]
            np.testing.assert_allclose(_apply(U, x[0, 0], ref.shape), ref, rtol=1e-10, atol=1e-10)


def test_pool_switches_match_torch_indices(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (2, 7, 6)).astype(float)
    for k, s, p, d, ceil in ((2, 2, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False), (2, 3, 1, 1, True)):
        _, idx = F.max_pool2d(torch.tensor(x)[None], k, s, p, d, ceil_mode=ceil, return_indices=True)
        np.testing.assert_array_equal(symconv.pool_switches(x, (k, k), s, p, d, ceil), idx.numpy()[0])


def test_a_window_without_input_has_torchs_index_and_a_zero_row(torch):
    """i=1, k=2, d=2, p=1: the window reads positions -1 and 1, both outside the input."""
    x = np.array([3.0])
    assert symconv.pool_switches(x, 2, stride=1, padding=1, dilation=2).tolist() == [1]     # torch: index 1, -inf
    assert symconv.pool_switch_matrix(x, 2, stride=1, padding=1, dilation=2, format="numpy").tolist() == [[0.0]]
    values, indices = torch.nn.functional.max_pool1d(torch.tensor([[[3.0]]]), 2, stride=1, padding=1, dilation=2,
                                                     return_indices=True)
    assert indices.flatten().tolist() == [1] and torch.isinf(values).all()
