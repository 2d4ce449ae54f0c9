r"""The concrete configurations every theorem is cross-checked on, and the cached core-model matrices.

1-D grid (exhaustive): :math:`1 \le i \le 12`, :math:`1 \le k \le 5`, :math:`1 \le s \le 4`,
:math:`1 \le d \le 3` (``d = 1`` only when ``k = 1``: dilation does not act on a single tap), and
every padding pair :math:`0 \le p_b, p_a \le d(k-1)` -- asymmetric included -- for which the kernel
fits (:math:`i + p_b + p_a \ge d(k-1)+1`): 23,224 configurations. (With :math:`p > d(k-1)` whole
windows lie in the padding and the transposed conv's equivalent padding :math:`d(k-1)-p` is a crop.)
Transposed convolutions add every output padding :math:`0 \le a < \max(s, d)` allowed by PyTorch.

2-D grid: every 1-D configuration with :math:`i \le 7, k \le 3, s \le 3, d \le 2` on the first axis,
paired with each of four fixed second-axis configurations (asymmetric padding, stride, dilation,
a 1-tap kernel), so that each axis parameter is exercised against a different other axis.

Matrix theorems run on :func:`relation_configs`: one configuration per distinct per-axis index relation
``(i, o, k, s, d, p_b)`` -- ``p_a`` reaches the core model's matrices only through ``o`` -- which is
13,502 of the 23,224 1-D configurations and 2,656 of the 3,684 2-D ones. Size theorems use every
configuration. Transposed layers in matrix theorems use the output padding that restores the conv's
input (``a < s``); the size theorems cover every ``a < max(s, d)``.

Deliberately literal: the brute-force definitions below (:func:`count_windows`, :func:`scatter_length`,
:func:`gather_table` with its own :math:`r s + t d - p_b`, :func:`direct_conv`, :func:`jacobian`) are
written from the definitions, independently of ``shapes`` and ``index``, because they are what the
library is checked against (issue 11). The library enters only as the thing checked (the core-model
matrices :func:`conv_C`/:func:`conv_T`, built once per configuration and shared by the proof workers,
:func:`prewarm_models`) and to enumerate configurations (``relation_configs`` keys them by the
library's window count: a wrong count could only merge configurations, each still checked).

Configurations are sorted smallest first (by the sum of their parameters), so the first failure is the
smallest counterexample. ``prove(..., grid='quick')`` keeps only those with input sizes <= 3 (tests).

Examples
--------
>>> len(conv_axes())
23224
>>> conv_axes()[0]
(1, 1, 1, 1, 0, 0)
"""
from __future__ import annotations

import gc
import math
from functools import lru_cache
from itertools import product

import numpy as np

from ..matrix import matrix_of
from ..shapes import lost_remainder_axis, window_count_axis
from ..spec import ConvSpec, ConvTransposeSpec

__all__ = ["conv_axes", "conv_configs", "relation_configs", "restoring", "transpose_configs", "configs_2d", "spec_of", "tspec_of", "weight_of",
           "conv_C", "conv_T", "prewarm_models", "start_prewarm", "count_windows", "GRID_1D", "GRID_2D", "PARTNERS"]

GRID_1D = ("1-D: i<=12, k<=5, s<=4, d<=3, all paddings 0<=p_b,p_a<=d(k-1) with the kernel fitting")
GRID_2D = ("2-D: first axis i<=7, k<=3, s<=3, d<=2 with all its paddings, times 4 fixed second axes")

#: The fixed second axes of the 2-D grid, as (i, k, s, d, p_b, p_a).
PARTNERS = ((3, 2, 1, 1, 0, 1), (5, 3, 2, 1, 1, 0), (6, 2, 2, 2, 2, 1), (4, 1, 3, 1, 0, 0))


@lru_cache(maxsize=None)
def conv_axes(max_i: int = 12, max_k: int = 5, max_s: int = 4, max_d: int = 3) -> tuple:
    """All valid one-axis configurations ``(i, k, s, d, p_b, p_a)``, smallest first."""
    out = []
    for i, k, s, d in product(range(1, max_i + 1), range(1, max_k + 1), range(1, max_s + 1), range(1, max_d + 1)):
        if k == 1 and d > 1:
            continue
        full = d * (k - 1)
        for pb, pa in product(range(full + 1), repeat=2):
            if i + pb + pa >= full + 1:
                out.append((i, k, s, d, pb, pa))
    out.sort(key=lambda c: (sum(c), c))
    return tuple(out)


def _as_dict(axes: tuple) -> dict:
    """A configuration dict: scalars for one axis, per-axis tuples for several."""
    names = ("i", "k", "s", "d", "p_b", "p_a")
    if len(axes) == 1:
        return dict(zip(names, axes[0]))
    return {n: tuple(ax[j] for ax in axes) for j, n in enumerate(names)}


def conv_configs(ndim: int = 1) -> list:
    """Convolution configurations as dicts (``ndim`` 1 or 2)."""
    return list(_conv_configs(ndim))


@lru_cache(maxsize=None)
def _conv_configs(ndim: int) -> tuple:
    if ndim == 1:
        return tuple(_as_dict((ax,)) for ax in conv_axes())
    return tuple(_as_dict(axes) for axes in configs_2d())


def freeze(cfg: dict) -> tuple:
    """A hashable form of a configuration dict."""
    return tuple(sorted(cfg.items()))


def per_config(fn):
    """Cache a function of one configuration dict (the grid calls lhs and rhs on the same one)."""
    @lru_cache(maxsize=4096)
    def cached(frozen: tuple):
        return fn(dict(frozen))

    def wrapper(cfg: dict):
        return cached(freeze(cfg))
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


@lru_cache(maxsize=None)
def configs_2d() -> tuple:
    """The 2-D grid as pairs of axis configurations."""
    first = [ax for ax in conv_axes() if ax[0] <= 7 and ax[1] <= 3 and ax[2] <= 3 and ax[3] <= 2]
    return tuple((ax, partner) for ax in first for partner in PARTNERS)


def transpose_configs(ndim: int = 1, restoring: bool = False):
    """Transposed-conv configurations: a conv configuration plus output padding ``a``.

    ``i`` stays the *conv's* input size; the transposed layer's input is the conv's output. With
    ``restoring`` only ``a < s`` (then the conv maps the transposed output back to its input size).
    """
    out = []
    for cfg in conv_configs(ndim):
        s, d = cfg["s"], cfg["d"]
        if ndim == 1:
            limit = s if restoring else max(s, d)
            out += [dict(cfg, a=a) for a in range(limit)]
        else:
            out.append(dict(cfg, a=(0,) * ndim))
            rem = tuple(lost_remainder_axis(i, k, ss, pb, pa, dd) for i, k, ss, dd, pb, pa in
                        zip(cfg["i"], cfg["k"], cfg["s"], cfg["d"], cfg["p_b"], cfg["p_a"]))
            if any(rem):
                out.append(dict(cfg, a=rem))
    return out


def as_tuple(v) -> tuple:
    """A per-axis value as a tuple: ``3`` as ``(3,)``, a tuple unchanged."""
    return tuple(v) if isinstance(v, tuple) else (v,)


_NAMES = ("i", "k", "s", "d", "p_b", "p_a")


def _values(cfg: dict) -> tuple:
    """The raw axis parameters of a configuration, in :data:`_NAMES` order (a cheap hashable key)."""
    return (cfg["i"], cfg["k"], cfg["s"], cfg["d"], cfg["p_b"], cfg["p_a"])


@lru_cache(maxsize=None)
def _key(values: tuple, a) -> tuple:
    return tuple(as_tuple(v) for v in values) + (as_tuple(a),)


def key_of(cfg: dict) -> tuple:
    """A hashable key of a configuration (per-axis tuples)."""
    return _key(_values(cfg), cfg.get("a", 0))


def _shared(cache: dict):
    """Memoise a function of one hashable key in ``cache``: a plain dict, so that
    :func:`prewarm_models` can fill it before the proof workers fork and they share the entries."""
    def decorate(build):
        def cached(key):
            try:
                return cache[key]
            except KeyError:
                value = cache[key] = build(key)
                return value
        cached.__doc__ = build.__doc__
        return cached
    return decorate


#: What the proof workers share (filled lazily, or by :func:`prewarm_models` before they fork).
_SPECS: dict = {}
_TSPECS: dict = {}
_MODELS: dict = {}
_JACOBIANS: dict = {}


def _spec(key: tuple) -> ConvSpec:
    return _conv_spec(key[:6])                      # the output padding a is not the conv's


@_shared(_SPECS)
def _conv_spec(conv_key: tuple) -> ConvSpec:
    i, k, s, d, pb, pa = conv_key
    return ConvSpec(k, s, tuple(zip(pb, pa)), d, input_size=i, ndim=len(i))


def spec_of(cfg: dict) -> ConvSpec:
    """The :class:`ConvSpec` of a configuration."""
    return _spec(key_of(cfg))


@_shared(_TSPECS)
def _tspec(key: tuple) -> ConvTransposeSpec:
    i, k, s, d, pb, pa, a = key
    return ConvTransposeSpec(k, s, tuple(zip(pb, pa)), a, d, input_size=_spec(key).output_size, ndim=len(i))


def tspec_of(cfg: dict) -> ConvTransposeSpec:
    """The transposed layer of a configuration: input = the conv's output, output padding ``a``."""
    return _tspec(key_of(cfg))


def weight_of(kernel_size: tuple) -> np.ndarray:
    """Fixed integer weights ``1, 2, ..., K`` (no symmetry, so a missing flip shows); read-only, cached."""
    return _weight(as_tuple(kernel_size))


@lru_cache(maxsize=None)
def _weight(kernel_size: tuple) -> np.ndarray:
    out = np.arange(1, int(np.prod(kernel_size)) + 1, dtype=np.int64).reshape(kernel_size)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=None)
def _remainder(values: tuple):
    """The restoring output padding of a configuration (per axis tuple, or an int for one axis)."""
    rem = tuple(lost_remainder_axis(i, k, s, pb, pa, d) for (i, k, s, d, pb, pa) in _axes(values))
    return rem if isinstance(values[0], tuple) else rem[0]


def restoring(cfg: dict) -> dict:
    """The configuration with the output padding ``a`` that restores the conv's input size."""
    return dict(cfg, a=_remainder(_values(cfg)))


@lru_cache(maxsize=None)
def _restoring_key(values: tuple) -> tuple:
    return _key(values, _remainder(values))


@_shared(_MODELS)
def _models(key: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The core model's C and transposed matrix for a restoring key (read-only)."""
    spec = _spec(key)
    weight = weight_of(spec.kernel_size)
    C = matrix_of(spec, weight, "numpy")
    T = matrix_of(_tspec(key), weight, "numpy")     # built right after C: same relation
    C.setflags(write=False)
    T.setflags(write=False)
    return C, T


def _values_of_key(key: tuple) -> tuple:
    """A configuration's raw values from its key (scalars for one axis, as the 1-D configurations hold)."""
    return tuple(v[0] for v in key[:6]) if len(key[0]) == 1 else key[:6]


def _build_models(keys: list) -> dict:
    return {key: (*_models(key), _spec(key), _tspec(key), _jacobian(_values_of_key(key))) for key in keys}


def _build_packed(keys: list) -> tuple:
    """:func:`_build_models` for a pool worker, its arrays packed into two flat buffers (pickling ~50,000
    small arrays one by one cost more than building them): ``(keys, specs, tspecs, shapes, floats, ints)``."""
    built = _build_models(keys)
    matrices = [(C, T) for C, T, *_ in built.values()]
    shapes = [(C.shape, T.shape, J.shape) for C, T, _s, _t, J in built.values()]
    floats = np.concatenate([a.ravel() for pair in matrices for a in pair]) if matrices else np.zeros(0)
    ints = np.concatenate([J.ravel() for *_, J in built.values()]) if built else np.zeros(0, np.int64)
    return (list(built), [b[2] for b in built.values()], [b[3] for b in built.values()], shapes, floats, ints)


def _unpack(packed: tuple):
    """The ``(key, C, T, spec, tspec, J)`` of :func:`_build_packed`'s output, the arrays as read-only views."""
    keys, specs, tspecs, shapes, floats, ints = packed
    floats.setflags(write=False)
    ints.setflags(write=False)
    at_float = at_int = 0
    for key, spec, tspec, (c_shape, t_shape, j_shape) in zip(keys, specs, tspecs, shapes):
        c_size, t_size, j_size = math.prod(c_shape), math.prod(t_shape), math.prod(j_shape)
        C = floats[at_float: at_float + c_size].reshape(c_shape)
        T = floats[at_float + c_size: at_float + c_size + t_size].reshape(t_shape)
        J = ints[at_int: at_int + j_size].reshape(j_shape)
        at_float, at_int = at_float + c_size + t_size, at_int + j_size
        yield key, C, T, spec, tspec, J


@lru_cache(maxsize=None)
def _matrix_grid_keys() -> tuple:
    """The restoring key of every matrix-grid configuration (:func:`relation_configs`, 1-D and 2-D)."""
    return tuple(dict.fromkeys(_restoring_key(_values(cfg)) for ndim in (1, 2) for cfg in relation_configs(ndim)))


#: A prewarm started early by :func:`start_prewarm`: ``(pool, pending result)``, or empty.
_EARLY: list = []


def start_prewarm(workers: int) -> bool:
    """Begin :func:`prewarm_models` for every matrix-grid configuration on ``workers`` forked processes
    and return at once (``True`` if started), so the caller can load the theorems meanwhile; the next
    :func:`prewarm_models` collects the matrices. The pool forks from the caller's heap as it is now
    (before the theorems exist, it is small). Nothing starts with one worker or without ``fork``."""
    import multiprocessing

    if _EARLY or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    pool = multiprocessing.get_context("fork").Pool(workers)
    # each process enumerates the configurations itself (0.3-0.5 s) and builds its share of them
    _EARLY.append((pool, pool.map_async(_build_share, [(j, workers) for j in range(workers)])))
    return True


def _build_share(part: tuple) -> tuple:
    """Share ``j`` of ``workers`` of the matrix-grid keys not built yet, built and packed."""
    j, workers = part
    gc.disable()                    # building only: no cycles to collect, and collections cost ~10 %
    return _build_packed([key for key in _matrix_grid_keys() if key not in _MODELS][j::workers])


def _collect_early() -> None:
    """Wait for the prewarm :func:`start_prewarm` began, if any, and keep what it built."""
    if not _EARLY:
        return
    pool, pending = _EARLY.pop()
    _matrix_grid_keys()             # cached for prewarm_models and the workers, while the pool still works
    try:
        _keep(pending.get())
    finally:
        pool.terminate()
        pool.join()


def _keep(parts: list) -> None:
    for part in parts:
        for key, C, T, spec, tspec, J in _unpack(part):
            _MODELS[key] = C, T
            _SPECS.setdefault(key[:6], spec)
            _TSPECS.setdefault(key, tspec)
            _JACOBIANS.setdefault(_values_of_key(key), J)


def prewarm_models(workers: int, keys: list | None = None) -> int:
    """Build the core-model matrices (with their specs, and the direct definition's Jacobian) of every
    matrix-grid configuration
    (:func:`relation_configs`, 1-D and 2-D) on ``workers`` forked processes, into this process's
    caches, so that processes forked afterwards (the proof workers) share them instead of each
    building them again. Returns the number of matrix pairs built; 0 with one worker or without ``fork`` (they are built lazily).
    ``keys`` (default: every matrix-grid configuration's restoring key) limits the work. A prewarm
    begun by :func:`start_prewarm` is collected first (its pairs are not counted again).
    """
    import multiprocessing

    _collect_early()
    if keys is None:
        keys = _matrix_grid_keys()
    missing = [key for key in keys if key not in _MODELS]
    if workers < 2 or not missing or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        _keep(pool.map(_build_packed, [missing[j::workers] for j in range(workers)]))
    return len(missing)


def conv_C(cfg: dict) -> np.ndarray:
    """The core model's dense ``C`` (weights :func:`weight_of`), cached."""
    return _models(_restoring_key(_values(cfg)))[0]


def conv_T(cfg: dict) -> np.ndarray:
    """The core model's dense transposed-conv matrix (scatter definition) with the restoring output
    padding, cached."""
    return _models(_restoring_key(_values(cfg)))[1]


@lru_cache(maxsize=None)
def relation_configs(ndim: int = 1) -> tuple:
    """:func:`conv_configs` with one configuration per distinct index relation ``(i, o, k, s, d, p_b)``
    per axis: ``p_a`` enters the core model's matrices only through ``o``, so configurations that
    share the relation give identical matrices and are checked once."""
    seen, out = set(), []
    for cfg in conv_configs(ndim):
        key = tuple((i, window_count_axis(i, k, s, pb, pa, d), k, s, d, pb) for (i, k, s, d, pb, pa) in axes_of(cfg))
        if key not in seen:
            seen.add(key)
            out.append(cfg)
    return tuple(out)


def count_windows(i: int, k: int, s: int, d: int, p_b: int, p_a: int, ceil_mode: bool = False) -> int:
    """Brute force: the windows ``r = 0, 1, ...`` whose last tap lies in the padded input (floor
    mode), or that start before the padded end and inside the input or left padding (ceil mode).

    Examples
    --------
    >>> count_windows(5, 3, 2, 1, 1, 1), count_windows(5, 2, 2, 1, 0, 0, ceil_mode=True)
    (3, 3)
    """
    last = i + p_b + p_a - 1
    n = 0
    for r in range(i + p_b + p_a + 1):
        start = r * s
        if ceil_mode:
            ok = start <= last and start + d * (k - 1) <= last + s - 1 and start < i + p_b
        else:
            ok = start + d * (k - 1) <= last
        n += ok
    return n


def scatter_length(i: int, k: int, s: int, d: int, p_b: int, p_a: int, a: int) -> int:
    """Brute force: the transposed output length -- last position written by the scatter
    ``m = c s + t d`` (uncropped) plus one, minus both crops, plus the output padding.

    Examples
    --------
    >>> scatter_length(3, 4, 2, 1, 1, 1, 0)
    6
    """
    last = max(c * s + t * d for c in range(i) for t in range(k))
    return last + 1 - p_b - p_a + a


# --------------------------------------------------------------------------- direct definitions (no matrices)


def axes_of(cfg: dict) -> tuple:
    """Per-axis tuples ``(i, k, s, d, p_b, p_a)`` of a configuration."""
    return _axes(_values(cfg))


@lru_cache(maxsize=None)
def _axes(values: tuple) -> tuple:
    return tuple(zip(*(as_tuple(v) for v in values)))


@lru_cache(maxsize=None)
def gather_table(axes: tuple) -> tuple[np.ndarray, tuple, int]:
    r"""The gather of the direct definition (written here on purpose, not taken from ``index``): ``table[r, t]``
    is the flat (row-major, unpadded) input
    position that output ``r`` reads through tap ``t`` -- position :math:`r s + t d - p_b` on every
    axis -- or ``prod(i)`` (one extra slot, holding the padding value) where that lies in the padding.
    Also returns the output shape and ``prod(i)``. Cached per ``axes``; read-only.

    Examples
    --------
    >>> gather_table(((4, 2, 2, 1, 0, 1),))[0].tolist()
    [[0, 1], [2, 3]]
    """
    n_in = math.prod(ax[0] for ax in axes)
    out_shape = tuple((i + pb + pa - d * (k - 1) - 1) // s + 1 for (i, k, s, d, pb, pa) in axes)
    flat = valid = None
    for (i, k, s, d, pb, _pa), o in zip(axes, out_shape):
        pos = np.add.outer(np.arange(o) * s, np.arange(k) * d) - pb                   # (o, k): r s + t d - p_b
        inside = (pos >= 0) & (pos < i)
        if flat is None:
            flat, valid = pos, inside
        else:                                      # row-major over the axes, outputs and taps alike
            flat = (flat[:, None, :, None] * i + pos[None, :, None, :]).reshape(flat.shape[0] * o, -1)
            valid = (valid[:, None, :, None] & inside[None, :, None, :]).reshape(flat.shape)
    table = np.where(valid, flat, n_in)
    table.setflags(write=False)
    return table, out_shape, n_in


def gather(x: np.ndarray, axes: tuple, fill=0) -> tuple[np.ndarray, tuple]:
    """``x`` (leading batch axes allowed) read through :func:`gather_table`, padding value ``fill``:
    shape ``(batch, prod(o), prod(k))``, and the output shape."""
    table, out_shape, n_in = gather_table(axes)
    lead = x.shape[: x.ndim - len(axes)]
    flat = x.reshape(-1, n_in)
    ext = np.empty((flat.shape[0], n_in + 1), dtype=flat.dtype if fill == 0 else np.result_type(flat.dtype, fill))
    ext[:, :n_in] = flat
    ext[:, n_in] = fill
    return ext[:, table], lead + out_shape


def direct_conv(x: np.ndarray, weight: np.ndarray, axes: tuple) -> np.ndarray:
    r"""The definition of a convolution, by gathering: :math:`y_r = \sum_t w_t \tilde x_{r s + t d}` on the
    zero-padded input. ``x`` may carry leading batch axes.

    Examples
    --------
    >>> direct_conv(np.array([1, 2, 3, 4]), np.array([1, 10]), ((4, 2, 2, 1, 0, 1),)).tolist()
    [21, 43]
    """
    x = np.asarray(x)
    gathered, shape = gather(x, axes)                                        # (batch, o, k)
    return (gathered @ np.asarray(weight).reshape(-1)).reshape(shape)


@_shared(_JACOBIANS)
def _jacobian(values: tuple) -> np.ndarray:
    out = _jacobian_of(dict(zip(_NAMES, values)))
    out.setflags(write=False)
    return out


def jacobian(cfg: dict) -> np.ndarray:
    """The Jacobian of :func:`direct_conv` (weights :func:`weight_of`): the conv applied to every unit
    input (cached per configuration; read-only)."""
    return _jacobian(_values(cfg))


def _jacobian_of(cfg: dict) -> np.ndarray:
    """Column ``j`` is :func:`direct_conv` of the unit input ``e_j``: output ``r`` reads position
    ``table[r, t]`` through ``w_t``, so ``J[r, j]`` sums the ``w_t`` with ``table[r, t] = j``
    (the padding slot ``prod(i)`` is dropped)."""
    axes = axes_of(cfg)
    table, _shape, n_in = gather_table(axes)
    taps = weight_of(tuple(ax[1] for ax in axes)).reshape(-1)
    rows = table.shape[0]
    flat = (np.arange(rows)[:, None] * (n_in + 1) + table).ravel()          # (r, table[r, t]) flattened
    sums = np.bincount(flat, weights=np.broadcast_to(taps, table.shape).ravel(), minlength=rows * (n_in + 1))
    return sums.astype(np.int64).reshape(rows, n_in + 1)[:, :n_in]         # small integer sums: exact in floats


def probe(n: int, salt: int = 0) -> np.ndarray:
    """A fixed integer test vector of length ``n`` (distinct small primes-like values); read-only, cached."""
    return _probe(int(n), int(salt))


@lru_cache(maxsize=None)
def _probe(n: int, salt: int) -> np.ndarray:
    out = (np.arange(n, dtype=np.int64) * 7 + 3 + salt) % 23 - 11
    out.setflags(write=False)
    return out
