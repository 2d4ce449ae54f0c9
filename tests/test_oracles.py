"""Check the direct-loop oracles in ``oracles.py``: against hand cases, the dense matrix and
each other without PyTorch, and against PyTorch (float64, CPU) when it is installed.

Every test draws small seeded random configurations (1-D, 2-D, 3-D) and
compares shapes, values (``rtol=1e-10``) and pooling indices (exactly).
Asymmetric padding, which PyTorch's operators do not accept, is emulated with
``F.pad`` (or, for transposed convolution, by cropping the unpadded result).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pytest

from tests import oracles

RTOL = 1e-10
ATOL = 1e-12

Pairs = list[tuple[int, int]]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def tensor(torch):
    """NumPy array -> float64 torch tensor."""
    return lambda array: torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64))


def _torch_pad_arg(pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """Translate per-axis ``(before, after)`` pairs to ``F.pad``'s argument.

    Parameters
    ----------
    pairs : sequence of (int, int)
        Padding per spatial axis, first axis first.

    Returns
    -------
    tuple of int
        ``(before_last, after_last, before_prev, after_prev, ...)``.
    """
    flat: list[int] = []
    for before, after in reversed(list(pairs)):
        flat.extend([before, after])
    return tuple(flat)


def _close(actual: np.ndarray, expected: np.ndarray) -> None:
    """Assert equal shapes and values within the test tolerance.

    Parameters
    ----------
    actual, expected : ndarray
        Arrays to compare.
    """
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def _random_pairs(rng: np.random.Generator, limits: Sequence[int], symmetric: bool) -> Pairs:
    """Draw one ``(before, after)`` padding pair per axis.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    limits : sequence of int
        Inclusive upper bound of the padding of each axis.
    symmetric : bool
        Whether ``before == after``.

    Returns
    -------
    list of (int, int)
        Padding pairs.
    """
    pairs = []
    for limit in limits:
        before = int(rng.integers(0, limit + 1))
        after = before if symmetric else int(rng.integers(0, limit + 1))
        pairs.append((before, after))
    return pairs


def _max_spatial(ndim: int) -> int:
    """Largest spatial input size drawn for ``ndim`` axes (keeps loops cheap)."""
    return {1: 9, 2: 6, 3: 4}[ndim]


SEEDS_BY_DIM = [(ndim, seed) for ndim, count in ((1, 14), (2, 12), (3, 6)) for seed in range(count)]


# ---------------------------------------------------------------------------
# without PyTorch: the oracles against the dense matrix, each other and the size formulas
# ---------------------------------------------------------------------------


def _random_conv(rng: np.random.Generator, ndim: int) -> dict:
    """A small valid convolution: groups, dilation and asymmetric padding included."""
    while True:
        groups = int(rng.integers(1, 3))
        cfg = dict(c_in=groups * int(rng.integers(1, 3)), c_out=groups * int(rng.integers(1, 3)), groups=groups,
                   kernel=[int(v) for v in rng.integers(1, 4, size=ndim)],
                   stride=[int(v) for v in rng.integers(1, 3, size=ndim)],
                   dilation=[int(v) for v in rng.integers(1, 3, size=ndim)],
                   size=[int(v) for v in rng.integers(1, 6, size=ndim)],
                   pads=_random_pairs(rng, [2] * ndim, symmetric=False))
        outs = [oracles.count_windows(i, k, s, pb, pa, d) for i, k, s, (pb, pa), d in
                zip(cfg["size"], cfg["kernel"], cfg["stride"], cfg["pads"], cfg["dilation"])]
        if min(outs) >= 1:
            return cfg


@pytest.mark.parametrize(("ndim", "seed"), [(1, s) for s in range(6)] + [(2, s) for s in range(4)])
def test_conv_loop_is_the_dense_matrix_and_the_scatter_its_adjoint(ndim: int, seed: int) -> None:
    """conv_loop(x) == C vec(x) (symconv's matrix), and <conv_loop(x), y> == <x, conv_transpose_scatter(y)>."""
    from symconv.matrix import conv_matrix

    rng = np.random.default_rng(500 + 10 * ndim + seed)
    cfg = _random_conv(rng, ndim)
    x = rng.standard_normal((1, cfg["c_in"], *cfg["size"]))
    w = rng.standard_normal((cfg["c_out"], cfg["c_in"] // cfg["groups"], *cfg["kernel"]))
    out = oracles.conv_loop(x, w, None, cfg["stride"], cfg["pads"], cfg["dilation"], cfg["groups"])
    C = conv_matrix(tuple(cfg["size"]), tuple(cfg["kernel"]), tuple(cfg["stride"]), tuple(cfg["pads"]),
                    tuple(cfg["dilation"]), cfg["c_in"], cfg["c_out"], cfg["groups"], weight=w, format="numpy")
    _close(out.ravel(), C @ x.ravel())
    # the scatter with the output padding that restores the input size is the adjoint
    restore = [i - oracles.conv_transpose_size(o, k, s, pb, pa, d) for i, o, k, s, (pb, pa), d in
               zip(cfg["size"], out.shape[2:], cfg["kernel"], cfg["stride"], cfg["pads"], cfg["dilation"])]
    y = rng.standard_normal(out.shape)
    # the same weight, read in the transposed layer's layout (C_in, C_out/groups, *k), as torch does
    back = oracles.conv_transpose_scatter(y, w, None, cfg["stride"], cfg["pads"], restore, cfg["dilation"],
                                          cfg["groups"])
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(out, y), np.vdot(x, back), rtol=1e-10)


def test_avg_pool_loop_is_a_uniform_conv_and_unpool_inverts_disjoint_max_pools() -> None:
    """Average pooling (padding counted) = conv_loop with weights 1/k; unpool(pool(x)) keeps each maximum."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 7, 6))
    for kernel, stride, pad in (((2, 3), (1, 2), [(1, 1), (0, 0)]), ((3, 3), (2, 2), [(1, 1), (1, 1)])):
        uniform = np.full((3, 1, *kernel), 1.0 / np.prod(kernel))
        _close(oracles.avg_pool_loop(x, kernel, stride, pad), oracles.conv_loop(x, uniform, None, stride, pad, 1, 3))
    values, indices = oracles.max_pool_loop(x[:, :, :6], 2)
    restored = oracles.max_unpool_loop(values, indices, [6, 6])
    windows = x[:, :, :6].reshape(2, 3, 3, 2, 3, 2)
    kept = windows == windows.max(axis=(3, 5), keepdims=True)
    np.testing.assert_array_equal(restored.reshape(windows.shape), np.where(kept, windows, 0.0))


def test_size_counters_agree_with_the_closed_formulas() -> None:
    """count_windows / conv_transpose_size (brute force) = symconv.shapes (closed forms), and the scatter's length."""
    from symconv import shapes

    for i, k, s, d in itertools.product(range(1, 8), range(1, 4), range(1, 4), range(1, 3)):
        for p in range(0, k // 2 + 1):
            for ceil_mode in (False, True):
                windows = oracles.count_windows(i, k, s, p, p, d, ceil_mode)
                if windows >= 1:
                    assert windows == shapes.pool_output_size(i, k, s, p, d, ceil_mode), (i, k, s, p, d, ceil_mode)
                else:                                       # no window: symconv refuses the configuration
                    with pytest.raises(ValueError):
                        shapes.pool_output_size(i, k, s, p, d, ceil_mode)
        for pb, pa in itertools.product(range(3), range(3)):
            windows = oracles.count_windows(i, k, s, pb, pa, d)
            if windows >= 1:
                assert windows == shapes.conv_output_size(i, k, s, (pb, pa), d)
            for a in range(max(s, d)):
                size = oracles.conv_transpose_size(i, k, s, pb, pa, d, a)
                if size >= 1:
                    assert size == shapes.conv_transpose_output_size(i, k, s, (pb, pa), d, a)
                    y = np.ones((1, 1, i))
                    assert oracles.conv_transpose_scatter(y, np.ones((1, 1, k)), None, s, [(pb, pa)], a, d).shape[-1] == size


@pytest.mark.parametrize(("mode", "align_corners"), [("nearest", None), ("linear", False), ("linear", True),
                                                     ("bicubic", False)])
def test_upsample_loop_is_the_interpolation_matrix(mode: str, align_corners) -> None:
    """upsample_loop along one axis equals symconv's exact interpolation matrix (integer scales)."""
    from symconv.matrix import upsample_matrix

    rng = np.random.default_rng(11)
    for n, size in ((3, 6), (4, 8), (5, 15), (2, 7)):
        if mode == "bicubic":
            x = rng.standard_normal((1, 1, n, 1))
            actual = oracles.upsample_loop(x, [size, 1], mode, align_corners)[0, 0, :, 0]
        else:
            x = rng.standard_normal((1, 1, n))
            actual = oracles.upsample_loop(x, [size], mode, align_corners)[0, 0]
        matrix = upsample_matrix(n, size=size, mode=mode, align_corners=align_corners, format="numpy")
        _close(actual, np.asarray(matrix, dtype=float) @ x.ravel())


# ---------------------------------------------------------------------------
# convolution
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("ndim", "seed"), SEEDS_BY_DIM)
def test_conv_loop_matches_torch(ndim: int, seed: int, F, tensor) -> None:
    """``conv_loop`` equals ``F.convNd`` (groups, dilation, asymmetric padding)."""
    rng = np.random.default_rng(1000 + 37 * ndim + seed)
    while True:
        groups = int(rng.integers(1, 4))
        c_in = groups * int(rng.integers(1, 3))
        c_out = groups * int(rng.integers(1, 3))
        kernel = [int(v) for v in rng.integers(1, 4, size=ndim)]
        stride = [int(v) for v in rng.integers(1, 4, size=ndim)]
        dilation = [int(v) for v in rng.integers(1, 3, size=ndim)]
        size = [int(v) for v in rng.integers(1, _max_spatial(ndim) + 1, size=ndim)]
        symmetric = bool(rng.integers(0, 2))
        pads = _random_pairs(rng, [3] * ndim, symmetric)
        if all(
            oracles.count_windows(size[a], kernel[a], stride[a], *pads[a], dilation[a]) >= 1
            for a in range(ndim)
        ):
            break
    batch = int(rng.integers(1, 3))
    x = rng.standard_normal((batch, c_in, *size))
    w = rng.standard_normal((c_out, c_in // groups, *kernel))
    b = rng.standard_normal(c_out) if rng.integers(0, 2) else None

    actual = oracles.conv_loop(x, w, b, stride, pads, dilation, groups)

    conv = getattr(F, f"conv{ndim}d")
    xt = F.pad(tensor(x), _torch_pad_arg(pads))
    expected = conv(
        xt, tensor(w), None if b is None else tensor(b), stride=stride, padding=0,
        dilation=dilation, groups=groups,
    ).numpy()
    if symmetric:  # also exercise torch's own padding argument
        direct = conv(
            tensor(x), tensor(w), None if b is None else tensor(b), stride=stride,
            padding=[p for p, _ in pads], dilation=dilation, groups=groups,
        ).numpy()
        _close(direct, expected)
    _close(actual, expected)


@pytest.mark.parametrize(("ndim", "seed"), SEEDS_BY_DIM)
def test_conv_transpose_scatter_matches_torch(ndim: int, seed: int, F, tensor) -> None:
    """``conv_transpose_scatter`` equals ``F.conv_transposeNd``.

    Symmetric padding is passed to torch directly (with ``output_padding <
    max(stride, dilation)``); asymmetric padding is checked by cropping
    torch's unpadded result and zero-extending it for ``output_padding``.
    """
    rng = np.random.default_rng(2000 + 37 * ndim + seed)
    while True:
        groups = int(rng.integers(1, 4))
        c_in = groups * int(rng.integers(1, 3))
        c_out = groups * int(rng.integers(1, 3))
        kernel = [int(v) for v in rng.integers(1, 4, size=ndim)]
        stride = [int(v) for v in rng.integers(1, 4, size=ndim)]
        dilation = [int(v) for v in rng.integers(1, 3, size=ndim)]
        size = [int(v) for v in rng.integers(1, _max_spatial(ndim), size=ndim)]
        out_pad = [int(rng.integers(0, max(stride[a], dilation[a]))) for a in range(ndim)]
        symmetric = bool(rng.integers(0, 2))
        pads = _random_pairs(rng, [2] * ndim, symmetric)
        out_size = [
            oracles.conv_transpose_size(
                size[a], kernel[a], stride[a], *pads[a], dilation[a], out_pad[a]
            )
            for a in range(ndim)
        ]
        if min(out_size) >= 1:
            break
    batch = int(rng.integers(1, 3))
    y = rng.standard_normal((batch, c_in, *size))
    w = rng.standard_normal((c_in, c_out // groups, *kernel))
    b = rng.standard_normal(c_out) if rng.integers(0, 2) else None

    actual = oracles.conv_transpose_scatter(y, w, b, stride, pads, out_pad, dilation, groups)

    conv_t = getattr(F, f"conv_transpose{ndim}d")
    if symmetric:
        expected = conv_t(
            tensor(y), tensor(w), None if b is None else tensor(b), stride=stride,
            padding=[p for p, _ in pads], output_padding=out_pad, groups=groups,
            dilation=dilation,
        ).numpy()
    else:
        full = conv_t(tensor(y), tensor(w), None, stride=stride, groups=groups, dilation=dilation).numpy()
        expected = np.zeros((batch, c_out, *out_size))
        region = tuple(
            slice(0, max(0, min(out_size[a], full.shape[2 + a] - pads[a][0])))
            for a in range(ndim)
        )
        source = tuple(
            slice(pads[a][0], pads[a][0] + (region[a].stop - region[a].start))
            for a in range(ndim)
        )
        expected[(Ellipsis,) + region] = full[(Ellipsis,) + source]
        if b is not None:
            expected += b.reshape((1, c_out) + (1,) * ndim)
    _close(actual, expected)


# ---------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------


def _random_pool_config(
    rng: np.random.Generator,
    ndim: int,
    symmetric: bool,
    dilated: bool,
    input_covers_kernel: bool = False,
) -> tuple[list[int], list[int], list[int], Pairs, list[int], bool]:
    """Draw a pooling configuration valid for torch.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    ndim : int
        Number of spatial axes.
    symmetric : bool
        Symmetric padding (else asymmetric, ``ceil_mode`` off).
    dilated : bool
        Whether dilation may exceed 1.
    input_covers_kernel : bool, optional
        Require ``size >= kernel`` on every axis (avg_pool3d rejects smaller
        unpadded inputs even when the padded input covers the kernel).

    Returns
    -------
    tuple
        ``(size, kernel, stride, pads, dilation, ceil_mode)``.
    """
    while True:
        kernel = [int(v) for v in rng.integers(1, 5, size=ndim)]
        stride = [int(v) for v in rng.integers(1, 4, size=ndim)]
        dilation = [int(v) for v in rng.integers(1, 3 if dilated else 2, size=ndim)]
        size = [int(v) for v in rng.integers(1, _max_spatial(ndim) + 1, size=ndim)]
        pads = _random_pairs(rng, [k // 2 for k in kernel], symmetric)
        ceil_mode = bool(rng.integers(0, 2)) if symmetric else False
        if all(
            oracles.count_windows(size[a], kernel[a], stride[a], *pads[a], dilation[a], ceil_mode)
            >= 1
            for a in range(ndim)
        ) and (not input_covers_kernel or all(size[a] >= kernel[a] for a in range(ndim))):
            return size, kernel, stride, pads, dilation, ceil_mode


def _random_pool_input(rng: np.random.Generator, shape: Sequence[int], ties: bool) -> np.ndarray:
    """Random pooling input, optionally with many ties (small integers)."""
    if ties:
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    return rng.standard_normal(shape)


@pytest.mark.parametrize(("ndim", "seed"), SEEDS_BY_DIM)
def test_max_pool_loop_matches_torch(ndim: int, seed: int, F, tensor) -> None:
    """Values and indices of ``max_pool_loop`` equal ``F.max_poolNd``."""
    rng = np.random.default_rng(3000 + 37 * ndim + seed)
    symmetric = seed % 3 != 0
    size, kernel, stride, pads, dilation, ceil_mode = _random_pool_config(
        rng, ndim, symmetric, dilated=True
    )
    x = _random_pool_input(rng, (2, 2, *size), ties=seed % 2 == 0)

    values, indices = oracles.max_pool_loop(x, kernel, stride, pads, dilation, ceil_mode)

    pool = getattr(F, f"max_pool{ndim}d")
    if symmetric:
        expected, expected_idx = pool(
            tensor(x), kernel, stride, [p for p, _ in pads], dilation, ceil_mode, return_indices=True
        )
        expected_idx = expected_idx.numpy()
    else:
        padded = F.pad(tensor(x), _torch_pad_arg(pads), value=-math.inf)
        expected, padded_idx = pool(padded, kernel, stride, 0, dilation, return_indices=True)
        # map flat indices of the padded plane back to the unpadded plane
        coords = np.unravel_index(padded_idx.numpy(), padded.shape[2:])
        coords = tuple(coords[a] - pads[a][0] for a in range(ndim))
        expected_idx = np.ravel_multi_index(coords, size)
    expected = expected.numpy()
    assert values.shape == expected.shape
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(indices, expected_idx)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_max_pool_loop_nan_matches_torch(ndim: int, F, tensor) -> None:
    """NaN propagates; with several NaNs torch reports the last one."""
    rng = np.random.default_rng(3500 + ndim)
    for _ in range(4):
        size, kernel, stride, pads, dilation, ceil_mode = _random_pool_config(
            rng, ndim, symmetric=True, dilated=True
        )
        x = _random_pool_input(rng, (1, 2, *size), ties=True)
        x[rng.random(x.shape) < 0.3] = np.nan
        values, indices = oracles.max_pool_loop(x, kernel, stride, pads, dilation, ceil_mode)
        pool = getattr(F, f"max_pool{ndim}d")
        expected, expected_idx = pool(
            tensor(x), kernel, stride, [p for p, _ in pads], dilation, ceil_mode, return_indices=True
        )
        np.testing.assert_array_equal(values, expected.numpy())
        np.testing.assert_array_equal(indices, expected_idx.numpy())


@pytest.mark.parametrize(("ndim", "seed"), SEEDS_BY_DIM)
def test_avg_pool_loop_matches_torch(ndim: int, seed: int, F, tensor) -> None:
    """``avg_pool_loop`` equals ``F.avg_poolNd`` (ceil_mode, count_include_pad).

    Asymmetric padding: torch pools ``F.pad(x)`` with ``divisor_override=1``
    (sums) and divides by the pooled in-bounds mask (``count_include_pad=False``)
    or by the full window size (``True``; windows never overhang without
    ceil_mode).
    """
    rng = np.random.default_rng(4000 + 37 * ndim + seed)
    symmetric = seed % 3 != 0
    count_include_pad = bool(rng.integers(0, 2))
    size, kernel, stride, pads, _, ceil_mode = _random_pool_config(
        rng, ndim, symmetric, dilated=False, input_covers_kernel=ndim == 3
    )
    x = rng.standard_normal((2, 2, *size))

    actual = oracles.avg_pool_loop(x, kernel, stride, pads, ceil_mode, count_include_pad)

    if symmetric:
        pool = getattr(F, f"avg_pool{ndim}d")
        expected = pool(
            tensor(x), kernel, stride, [p for p, _ in pads], ceil_mode, count_include_pad
        ).numpy()
    else:
        # avg_pool1d has no divisor_override: run 1-D as 2-D with a unit axis
        lift = 1 if ndim == 1 else 0
        pool = getattr(F, f"avg_pool{ndim + lift}d")
        k2, s2 = [1] * lift + kernel, [1] * lift + stride

        def sum_pool(array: np.ndarray) -> np.ndarray:
            padded = F.pad(tensor(array), _torch_pad_arg(pads))
            if lift:
                padded = padded.unsqueeze(2)
            pooled = pool(padded, k2, s2, 0, divisor_override=1)
            return (pooled.squeeze(2) if lift else pooled).numpy()

        sums = sum_pool(x)
        if count_include_pad:
            expected = sums / np.prod(kernel)
        else:
            expected = sums / sum_pool(np.ones_like(x))
    _close(actual, expected)


def test_pool_loops_1d_exhaustive(F, tensor) -> None:
    """1-D max/avg pooling for every small configuration, ceil_mode included.

    ``i <= 8, k <= 4, s <= 3, p <= k//2`` (max pooling also ``d <= 2``), both
    ceil modes and both ``count_include_pad`` values; inputs with ties.
    """
    rng = np.random.default_rng(4500)
    for i in range(1, 9):
        x = rng.integers(-2, 3, size=(1, 2, i)).astype(np.float64)
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, k // 2 + 1):
                    for ceil_mode in (False, True):
                        for d in (1, 2):
                            if oracles.count_windows(i, k, s, p, p, d, ceil_mode) < 1:
                                continue
                            values, indices = oracles.max_pool_loop(x, k, s, p, d, ceil_mode)
                            expected, expected_idx = F.max_pool1d(
                                tensor(x), k, s, p, d, ceil_mode, return_indices=True
                            )
                            np.testing.assert_array_equal(values, expected.numpy())
                            np.testing.assert_array_equal(indices, expected_idx.numpy())
                        if oracles.count_windows(i, k, s, p, p, 1, ceil_mode) < 1:
                            continue
                        for count_include_pad in (False, True):
                            actual = oracles.avg_pool_loop(
                                x, k, s, p, ceil_mode, count_include_pad
                            )
                            expected = F.avg_pool1d(tensor(x), k, s, p, ceil_mode, count_include_pad)
                            _close(actual, expected.numpy())


@pytest.mark.parametrize(("ndim", "seed"), SEEDS_BY_DIM)
def test_max_unpool_loop_matches_torch(ndim: int, seed: int, F, tensor) -> None:
    """``max_unpool_loop`` equals ``F.max_unpoolNd`` (incl. colliding indices).

    The values scattered are random (not the pooled maxima), so with
    overlapping windows (``k > s``) the write order matters.
    """
    rng = np.random.default_rng(5000 + 37 * ndim + seed)
    size, kernel, stride, pads, _, ceil_mode = _random_pool_config(
        rng, ndim, True, dilated=False
    )
    x = rng.standard_normal((2, 2, *size))
    pool = getattr(F, f"max_pool{ndim}d")
    pooled, idx = pool(
        tensor(x), kernel, stride, [p for p, _ in pads], ceil_mode=ceil_mode, return_indices=True
    )
    values = rng.standard_normal(tuple(pooled.shape))

    default = [
        (pooled.shape[2 + a] - 1) * stride[a] + kernel[a] - 2 * pads[a][0] for a in range(ndim)
    ]
    candidates = [list(size)]
    if np.prod(default) > idx.max().item():
        candidates.append(default)
    output_size = candidates[seed % len(candidates)]

    actual = oracles.max_unpool_loop(values, idx.numpy(), output_size)
    unpool = getattr(F, f"max_unpool{ndim}d")
    expected = unpool(
        tensor(values), idx, kernel, stride, [p for p, _ in pads], output_size=output_size
    ).numpy()
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


# ---------------------------------------------------------------------------
# interpolation
# ---------------------------------------------------------------------------

SCALES = [0.25, 1 / 3, 0.5, 0.6, 0.75, 1.0, 1.1, 1.25, 1.5, 1.7, 2.0, 2.1, 2.5, 3.0, 3.3]
MODE_DIMS = [
    ("nearest", 1), ("nearest", 2), ("nearest", 3),
    ("nearest-exact", 1), ("nearest-exact", 2), ("nearest-exact", 3),
    ("linear", 1), ("bilinear", 2), ("trilinear", 3), ("bicubic", 2),
]


@pytest.mark.parametrize(("mode", "ndim"), MODE_DIMS)
@pytest.mark.parametrize("seed", range(8))
def test_upsample_loop_matches_torch(mode: str, ndim: int, seed: int, F, tensor) -> None:
    """``upsample_loop`` equals ``F.interpolate`` for size / scale_factor inputs."""
    rng = np.random.default_rng(6000 + 101 * MODE_DIMS.index((mode, ndim)) + seed)
    use_scale = seed % 2 == 1
    if mode.startswith("nearest"):
        align_corners = None
    else:
        align_corners = bool((seed // 2) % 2)
    size = [int(v) for v in rng.integers(1, {1: 9, 2: 6, 3: 4}[ndim] + 1, size=ndim)]
    x = rng.standard_normal((1, 2, *size))
    if use_scale:
        while True:
            scale = [float(rng.choice(SCALES)) for _ in range(ndim)]
            if all(math.floor(size[a] * scale[a]) >= 1 for a in range(ndim)):
                break
        if ndim == 3:
            scale = [min(v, 2.0) for v in scale]
        actual = oracles.upsample_loop(x, None, mode, align_corners, scale)
        expected = F.interpolate(
            tensor(x), scale_factor=scale, mode=mode, align_corners=align_corners
        ).numpy()
    else:
        out = [int(v) for v in rng.integers(1, {1: 13, 2: 8, 3: 5}[ndim] + 1, size=ndim)]
        actual = oracles.upsample_loop(x, out, mode, align_corners)
        expected = F.interpolate(tensor(x), size=out, mode=mode, align_corners=align_corners).numpy()
    _close(actual, expected)


AXIS_SWEEP = [
    ("nearest", 1, 0), ("nearest", 2, 1), ("nearest", 2, 0), ("nearest", 3, 0),
    ("nearest-exact", 1, 0), ("nearest-exact", 2, 1), ("nearest-exact", 3, 2),
    ("linear", 1, 0), ("bilinear", 2, 0), ("trilinear", 3, 1), ("bicubic", 2, 1),
]


@pytest.mark.parametrize(("mode", "ndim", "axis"), AXIS_SWEEP)
def test_upsample_loop_axis_sweep(mode: str, ndim: int, axis: int, F, tensor) -> None:
    """Resample one axis (the others have size 1) over many sizes and scales.

    Input sizes 1..12 against output sizes 1..20 and every scale in SCALES;
    plus wide outputs (> 128) which send 2-D nearest modes to torch's generic
    kernel (different rounding, no fast paths).
    """
    rng = np.random.default_rng(7000 + AXIS_SWEEP.index((mode, ndim, axis)))
    corner_options = [None] if mode.startswith("nearest") else [False, True]

    def expand(value: object, fill: object) -> list:
        items = [fill] * ndim
        items[axis] = value
        return items

    cases: list[tuple[int, int | None, float | None]] = []
    for in_size in range(1, 13):
        cases += [(in_size, out_size, None) for out_size in range(1, 21)]
        cases += [(in_size, None, scale) for scale in SCALES if math.floor(in_size * scale) >= 1]
    for in_size in (35, 37, 39):
        cases += [(in_size, None, scale) for scale in (3.3, 3.7)]
        cases += [(in_size, out_size, None) for out_size in (128, 129, 133, 140)]

    for in_size, out_size, scale in cases:
        x = rng.standard_normal((1, 1, *expand(in_size, 1)))
        for align_corners in corner_options:
            if scale is None:
                size = expand(out_size, 1)
                actual = oracles.upsample_loop(x, size, mode, align_corners)
                expected = F.interpolate(tensor(x), size=size, mode=mode, align_corners=align_corners)
            else:
                factors = expand(scale, 1.0)
                actual = oracles.upsample_loop(x, None, mode, align_corners, factors)
                expected = F.interpolate(
                    tensor(x), scale_factor=factors, mode=mode, align_corners=align_corners
                )
            _close(actual, expected.numpy())


def test_upsample_loop_documented_cases() -> None:
    """Hand-checked examples of the quirks documented in ``oracles.py``."""
    ramp = np.arange(5.0).reshape(1, 1, 5)
    # nearest, in=5, scale 1.1 -> out=5: generic kernel uses r = 1/1.1 ...
    np.testing.assert_array_equal(
        oracles.upsample_loop(ramp, None, "nearest", None, [1.1])[0, 0], [0, 0, 1, 2, 3]
    )
    # ... while 2-D small outputs take the vectorized kernel's copy fast path
    plane = ramp.reshape(1, 1, 1, 5)
    copied = oracles.upsample_loop(plane, None, "nearest", None, [1.0, 1.1])
    np.testing.assert_array_equal(copied[0, 0, 0], [0, 1, 2, 3, 4])
    forced = oracles.upsample_loop(plane, None, "nearest", None, [1.0, 1.1], "generic")
    np.testing.assert_array_equal(forced[0, 0, 0], [0, 0, 1, 2, 3])
    # linear modes copy an axis whose size is unchanged, even for scale 1.1
    for mode, shape in (("linear", (5,)), ("bilinear", (5, 1)), ("trilinear", (1, 5, 1))):
        x = np.arange(5.0).reshape(1, 1, *shape)
        factors = [1.1 if n == 5 else 1.0 for n in shape]
        np.testing.assert_array_equal(oracles.upsample_loop(x, None, mode, False, factors), x)
    # output size 1 without align_corners samples the centre
    centre = oracles.upsample_loop(np.arange(4.0).reshape(1, 1, 4), [1], "linear", False)
    assert centre[0, 0, 0] == 1.5


def test_upsample_loop_documented_cases_match_torch(F, tensor) -> None:
    """The same quirks, as torch computes them."""
    plane = np.arange(5.0).reshape(1, 1, 1, 5)
    expected = F.interpolate(tensor(plane), scale_factor=[1.0, 1.1], mode="nearest").numpy()
    np.testing.assert_array_equal(oracles.upsample_loop(plane, None, "nearest", None, [1.0, 1.1]), expected)
    for mode, shape in (("linear", (5,)), ("bilinear", (5, 1)), ("trilinear", (1, 5, 1))):
        x = np.arange(5.0).reshape(1, 1, *shape)
        factors = [1.1 if n == 5 else 1.0 for n in shape]
        expected = F.interpolate(tensor(x), scale_factor=factors, mode=mode, align_corners=False)
        np.testing.assert_array_equal(oracles.upsample_loop(x, None, mode, False, factors), expected.numpy())


def test_pool_documented_cases() -> None:
    """Literal examples from REFERENCE.md section 2."""
    ramp = np.arange(1.0, 6.0).reshape(1, 1, 5)
    # a ceil-mode window running past the input is divided by its clipped length
    averaged = oracles.avg_pool_loop(ramp, 2, 2, 0, ceil_mode=True)
    np.testing.assert_allclose(averaged[0, 0], [1.5, 3.5, 5.0])
    # unpool is a scatter-assign: colliding switches keep the last write
    x = np.array([1.0, 5.0, 2.0, 0.0, 3.0]).reshape(1, 1, 5)
    _, indices = oracles.max_pool_loop(x, 3, 1)
    np.testing.assert_array_equal(indices[0, 0], [1, 1, 4])
    g = np.array([10.0, 20.0, 30.0]).reshape(1, 1, 3)
    np.testing.assert_array_equal(oracles.max_unpool_loop(g, indices, [5])[0, 0], [0, 20, 0, 0, 30])
    # NaN wins; with two NaNs torch (and the oracle) report the last one
    nan = math.nan
    values, indices = oracles.max_pool_loop(
        np.array([1.0, nan, 2.0, nan, 0.0]).reshape(1, 1, 5), 5
    )
    assert math.isnan(values[0, 0, 0]) and indices[0, 0, 0] == 3
    # a dilated window that misses the input: -inf and torch's index
    values, indices = oracles.max_pool_loop(np.full((1, 1, 1), 7.0), 2, 1, 1, 2)
    assert values[0, 0, 0] == -math.inf and indices[0, 0, 0] == 1
    # a 1x2 window dilated by 3 over a 2x2 plane padded by one column each side: one window per
    # row, whose two taps (columns -1 and 2) both fall in the padding
    values, _ = oracles.max_pool_loop(np.arange(4.0).reshape(1, 1, 2, 2), (1, 2), 1, [(0, 0), (1, 1)], (1, 3))
    np.testing.assert_array_equal(values[0, 0], [[-math.inf], [-math.inf]])


def test_pool_documented_cases_match_torch(torch, F, tensor) -> None:
    """The unpooling collision and the dilated 2-D window, as torch computes them."""
    x = np.array([1.0, 5.0, 2.0, 0.0, 3.0]).reshape(1, 1, 5)
    _, indices = oracles.max_pool_loop(x, 3, 1)
    g = np.array([10.0, 20.0, 30.0]).reshape(1, 1, 3)
    expected = F.max_unpool1d(tensor(g), torch.from_numpy(indices), 3, 1, output_size=[5])
    np.testing.assert_array_equal(oracles.max_unpool_loop(g, indices, [5]), expected.numpy())
    plane = np.arange(4.0).reshape(1, 1, 2, 2)
    values, indices = oracles.max_pool_loop(plane, (1, 2), 1, [(0, 0), (1, 1)], (1, 3))
    expected, expected_idx = F.max_pool2d(tensor(plane), (1, 2), 1, (0, 1), (1, 3), return_indices=True)
    np.testing.assert_array_equal(values, expected.numpy())
    np.testing.assert_array_equal(indices, expected_idx.numpy())


# ---------------------------------------------------------------------------
# size counters
# ---------------------------------------------------------------------------


def _torch_size(function, *args, **kwargs) -> int:
    """Spatial output size of a 1-D torch op, or 0 if torch rejects the sizes."""
    try:
        return int(function(*args, **kwargs).shape[-1])
    except RuntimeError:
        return 0


def test_count_windows_pool_sweep(torch, F) -> None:
    """``count_windows`` equals max_pool1d's output size (and avg_pool1d's for d=1).

    Every ``i <= 12, k <= 5, s <= 4, d <= 3, p <= k//2`` with and without
    ceil_mode; torch raising means zero windows.
    """
    checked = 0
    for i in range(1, 13):
        dummy = torch.zeros(1, 1, i, dtype=torch.float64)
        for k in range(1, 6):
            for s in range(1, 5):
                for d in range(1, 4):
                    for p in range(0, k // 2 + 1):
                        for ceil_mode in (False, True):
                            expected = _torch_size(
                                F.max_pool1d, dummy, k, s, p, d, ceil_mode=ceil_mode
                            )
                            got = oracles.count_windows(i, k, s, p, p, d, ceil_mode)
                            assert got == expected, (i, k, s, p, d, ceil_mode, got, expected)
                            if d == 1:
                                avg = _torch_size(F.avg_pool1d, dummy, k, s, p, ceil_mode)
                                assert got == avg, (i, k, s, p, ceil_mode, got, avg)
                            checked += 1
    assert checked > 3000


def test_count_windows_conv_sweep(torch, F) -> None:
    """``count_windows`` (floor mode) equals conv1d's output size.

    Symmetric padding up to ``k + 1`` through torch's ``padding`` argument and
    asymmetric pairs up to 3 through ``F.pad``.
    """
    for i in range(1, 13):
        dummy = torch.zeros(1, 1, i, dtype=torch.float64)
        for k in range(1, 6):
            w = torch.zeros(1, 1, k, dtype=torch.float64)
            for s in range(1, 5):
                for d in range(1, 4):
                    for p in range(0, k + 2):
                        expected = _torch_size(F.conv1d, dummy, w, None, s, p, d)
                        got = oracles.count_windows(i, k, s, p, p, d)
                        assert got == expected, (i, k, s, p, d, got, expected)
                    if i > 6:
                        continue
                    for p_b in range(4):
                        for p_a in range(4):
                            padded = F.pad(dummy, (p_b, p_a))
                            expected = _torch_size(F.conv1d, padded, w, None, s, 0, d)
                            got = oracles.count_windows(i, k, s, p_b, p_a, d)
                            assert got == expected, (i, k, s, p_b, p_a, d, got, expected)


def test_conv_transpose_size_sweep(torch, F) -> None:
    """``conv_transpose_size`` equals conv_transpose1d's output size.

    Every ``i <= 8, k <= 5, s <= 4, d <= 3, p <= 4`` and
    ``output_padding < max(s, d)``; torch raising means a size <= 0.
    """
    for i in range(1, 9):
        dummy = torch.zeros(1, 1, i, dtype=torch.float64)
        for k in range(1, 6):
            w = torch.zeros(1, 1, k, dtype=torch.float64)
            for s in range(1, 5):
                for d in range(1, 4):
                    for p in range(0, 5):
                        for op in range(max(s, d)):
                            expected = _torch_size(
                                F.conv_transpose1d, dummy, w, None, s, p, op, 1, d
                            )
                            got = oracles.conv_transpose_size(i, k, s, p, p, d, op)
                            if expected == 0:
                                assert got <= 0, (i, k, s, p, d, op, got)
                            else:
                                assert got == expected, (i, k, s, p, d, op, got, expected)
