"""The proof grid's own definitions and caches (symconv/proofs/grid.py)."""
from __future__ import annotations

import numpy as np
import pytest

from symconv.proofs import grid as G


@pytest.mark.parametrize("ndim", [1, 2])
def test_the_jacobian_is_the_direct_definition_applied_to_every_unit_input(ndim):
    configs = G.relation_configs(ndim)
    for cfg in configs[:: 97 if ndim == 1 else 41]:
        axes = G.axes_of(cfg)
        sizes = tuple(ax[0] for ax in axes)
        n = int(np.prod(sizes))
        weight = G.weight_of(tuple(ax[1] for ax in axes))
        columns = [G.direct_conv(np.eye(n, dtype=np.int64)[j].reshape(sizes), weight, axes).reshape(-1)
                   for j in range(n)]
        np.testing.assert_array_equal(G.jacobian(cfg), np.stack(columns, axis=1))


def test_prewarmed_models_equal_the_lazily_built_ones():
    keys = [G._restoring_key(G._values(cfg)) for cfg in G.relation_configs(2)[:40]]
    built = G._build_models(keys)
    saved = dict(G._MODELS)
    try:
        G._MODELS.clear()
        assert G.prewarm_models(2, keys) == len(keys)
        for key, (C, T, spec, tspec, J) in built.items():
            assert G._spec(key) == spec and G._tspec(key) == tspec
            np.testing.assert_array_equal(G._jacobian(G._values_of_key(key)), J)
            np.testing.assert_array_equal(G._MODELS[key][0], C)
            np.testing.assert_array_equal(G._MODELS[key][1], T)
            assert not G._MODELS[key][0].flags.writeable
        assert G.prewarm_models(2, keys) == 0                 # nothing left to build
        assert G.prewarm_models(1, keys[:1] + [("new",)]) == 0  # one worker: built lazily instead
    finally:
        G._MODELS.clear()
        G._MODELS.update(saved)


def test_an_early_prewarm_is_collected_by_the_next_prewarm(monkeypatch):
    # start_prewarm forks a pool and returns at once; prewarm_models then waits for it and keeps its matrices
    keys = [G._restoring_key(G._values(cfg)) for cfg in G.relation_configs(2)[:30]]
    built = G._build_models(keys)
    monkeypatch.setattr(G, "_matrix_grid_keys", lambda: keys)
    monkeypatch.setattr(G, "_MODELS", {})
    monkeypatch.setattr(G, "_JACOBIANS", {})
    assert G.start_prewarm(1) is False                    # one worker: nothing starts
    assert G.start_prewarm(2) is True
    assert G.start_prewarm(2) is False                    # one early prewarm at a time
    assert G.prewarm_models(2, keys) == 0                 # collected, nothing left to build
    assert not G._EARLY
    assert set(G._MODELS) == set(keys)
    for key, (C, T, _spec, _tspec, J) in built.items():
        np.testing.assert_array_equal(G._MODELS[key][0], C)
        np.testing.assert_array_equal(G._MODELS[key][1], T)
        np.testing.assert_array_equal(G._JACOBIANS[G._values_of_key(key)], J)
        assert not G._MODELS[key][1].flags.writeable
