"""Parallel proving (symconv.proofs.parallel): the same results as the serial prove_all, the lemmas'
statuses passed along the dependency graph, errors raised in the caller."""
from __future__ import annotations

from dataclasses import replace

import pytest

from symconv.proofs import engine, prove_all, theorem
from symconv.proofs.parallel import prove_all_parallel

CHEAP = ["output_padding_restores", "dv_rel_03", "bilinear_size", "round_trip", "dv_rel_09"]


@pytest.mark.parametrize("workers", [2, 1])
def test_parallel_results_equal_serial_ones(workers):
    serial = prove_all(CHEAP, grid="quick")
    parallel = prove_all_parallel(CHEAP, grid="quick", workers=workers)
    assert [r.name for r in parallel] == [r.name for r in serial]         # same (topological) order, no lemmas
    assert [(r.status, r.reason, r.grid_count, len(r.steps)) for r in parallel] == \
           [(r.status, r.reason, r.grid_count, len(r.steps)) for r in serial]
    assert all(r.theorem is theorem(r.name) for r in parallel)
    assert {r.status for r in parallel} == {"proved"}


def test_the_callers_heap_is_unfrozen_afterwards_even_on_an_error(monkeypatch):
    # the forked phase freezes the heap (gc.freeze) so the workers' collections skip what they inherit
    import gc
    monkeypatch.setattr(engine, "_RESULTS", {})
    before = gc.get_freeze_count()
    prove_all_parallel(["dv_rel_03", "dv_rel_09", "round_trip"], grid="quick", workers=2)
    assert gc.get_freeze_count() == before

    def broken(thm, lemma_status, level="full"):
        assert gc.get_freeze_count() > 0                   # inside the forked phase it is frozen
        raise ZeroDivisionError("broken")
    monkeypatch.setattr(engine, "_RESULTS", {})
    monkeypatch.setattr(engine, "prove_one", broken)
    with pytest.raises(ZeroDivisionError):
        prove_all_parallel(["dv_rel_03", "dv_rel_09", "round_trip"], grid="quick", workers=2)
    assert gc.get_freeze_count() == before


def _failing(name):
    real = engine.prove_one

    def prove_one(thm, lemma_status, level="full"):
        result = real(thm, lemma_status, level)
        return replace(result, status="failed", reason="forced") if thm.name == name else result
    return prove_one


def test_a_lemmas_status_reaches_the_theorems_proved_on_other_workers(monkeypatch):
    # the workers are forked after the patch, so they run it; nothing remembered from earlier tests
    monkeypatch.setattr(engine, "_RESULTS", {})
    monkeypatch.setattr(engine, "prove_one", _failing("conv_output_size"))
    results = {r.name: r for r in prove_all_parallel(["dv_rel_03", "dv_rel_09", "round_trip"], grid="quick", workers=2)}
    assert results["dv_rel_03"].status == "failed" and "conv_output_size" in results["dv_rel_03"].reason
    assert results["round_trip"].status == "failed"
    assert results["dv_rel_09"].status == "proved"                        # rests on transpose_output_size only


def test_an_exception_on_a_worker_is_raised_in_the_caller(monkeypatch):
    def broken(thm, lemma_status, level="full"):
        raise ZeroDivisionError(f"broken {thm.name}")
    monkeypatch.setattr(engine, "_RESULTS", {})
    monkeypatch.setattr(engine, "prove_one", broken)
    with pytest.raises(ZeroDivisionError, match="broken"):
        prove_all_parallel(["dv_rel_03"], grid="quick", workers=2)


@pytest.mark.parametrize("kwargs, error, needle", [
    ({"workers": 0}, ValueError, "workers must be >= 1"),
    ({"workers": "2"}, TypeError, "workers must be an int"),
    ({"grid": "slow"}, ValueError, "grid must be one of"),
    ({"names": ["no_such_theorem"]}, ValueError, "unknown theorem"),
])
def test_bad_arguments_are_refused(kwargs, error, needle):
    with pytest.raises(error, match=needle):
        prove_all_parallel(**{"names": ["dv_rel_03"], **kwargs})


def test_an_engine_results_cache_is_reused_and_filled(monkeypatch):
    cache = {}
    monkeypatch.setattr(engine, "_RESULTS", cache, raising=False)
    lemma = prove_all(["conv_output_size"], grid="quick")[0]
    cache[("conv_output_size", "quick")] = replace(lemma, status="failed", reason="planted")
    results = prove_all_parallel(["dv_rel_03", "round_trip"], grid="quick", workers=2)
    assert [r.status for r in results] == ["failed", "failed"]                 # the planted lemma was used
    assert cache[("dv_rel_03", "quick")] is results[0]
    assert cache[("transpose_output_size", "quick")].status == "proved"       # a lemma proved on the way
    again = prove_all_parallel(["dv_rel_03"], grid="quick", workers=2)          # all known: no worker needed
    assert again[0] is results[0]
