"""The proof engine: statuses, refutation of false variants, the dependency graph, the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from symconv import cli
from symconv.proofs import (Grid, Range, Theorem, check_claim, dependency_graph, export_graph, prove, prove_all,
                            step, theorem, theorems)
from symconv.proofs import engine
from symconv.proofs import grid as G
from symconv.proofs import pooling
from symconv.symbols import a, d, i, k, p_a, p_b, s

CHECKED = {"bilinear_as_transpose", "unpool_vs_gradient", "checkerboard_condition", "nd_kronecker"}
FAMILIES = set(range(1, 14))


@pytest.fixture(scope="module")
def quick_results():
    return {r.name: r for r in prove_all(grid="quick")}


def test_every_family_and_all_15_relationships_are_registered():
    names = theorems()
    assert {theorem(n).family for n in names} == FAMILIES
    assert all(f"dv_rel_{n:02d}" in names for n in range(1, 16))
    assert len(names) == len(set(names))


def test_suite_statuses_on_the_quick_grid(quick_results):
    statuses = {name: r.status for name, r in quick_results.items()}
    assert not [n for n, st in statuses.items() if st == "failed"]
    assert {n for n, st in statuses.items() if st == "checked"} == CHECKED
    for name in CHECKED:
        assert quick_results[name].reason          # says why the symbolic proof is missing
    for name, r in quick_results.items():
        assert r.grid_count > 0, name
        if r.status == "proved":                    # verified steps, or Z3's unsat over unbounded integers
            assert (r.steps and all(sr.ok for sr in r.steps)) or (r.theorem.proof is None and r.smt == "certified")


def test_result_objects(quick_results):
    r = quick_results["zero_insertion"]
    data = r.to_dict()
    assert set(data) >= {"name", "status", "seconds", "uses"}
    assert data["uses"] == ["transpose_is_scatter", "transpose_output_size"]
    assert r._repr_latex_().startswith("$") and "sum" in r._repr_latex_()
    assert r.steps[0].step.rule == "reindex"
    assert isinstance(r.theorem.statement, sp.Basic)
    assert theorem("round_trip")._repr_latex_().startswith("$")


def test_lemmas_are_proved_before_theorems():
    order = theorems()
    for name in order:
        for used in theorem(name).uses:
            assert order.index(used) < order.index(name)


# --------------------------------------------------------------------------- false variants are refuted


def test_transposed_size_with_plus_2p_fails_with_smallest_counterexample():
    wrong = s * (i - 1) + d * (k - 1) + 1 + p_b + p_a + a
    r = check_claim("transpose_output_size", rhs=wrong, grid="quick")
    assert r.status == "failed"
    cfg = r.counterexample["config"]
    assert cfg["p_b"] + cfg["p_a"] == 1           # the first configuration with any padding
    assert r.counterexample["lhs"] != r.counterexample["rhs"]


def test_transposed_conv_with_unflipped_kernel_fails():
    from symconv.transforms import as_direct_conv, zero_insert

    def unflipped(cfg):
        cfg = G.restoring(cfg)
        tspec = G.tspec_of(cfg)
        dc = as_direct_conv(tspec)
        yv = G.probe(int(np.prod(tspec.input_size)), 6).reshape(tspec.input_size)
        u = zero_insert(yv, dc.stretch)
        axes = tuple((n, kk, 1, dd, pb, pa) for n, kk, dd, (pb, pa) in
                     zip(u.shape, dc.kernel_size, dc.dilation, dc.padding))
        return G.direct_conv(u, G.weight_of(tspec.kernel_size), axes).ravel()   # no flip

    r = prove(theorem("zero_insertion").variant("unflipped", lhs=unflipped), grid="quick")
    assert r.status == "failed"
    assert r.counterexample["config"]["k"] == 2        # the smallest non-symmetric kernel


def test_unpool_equals_nearest_upsampling_fails():
    r = prove(theorem("nearest_vs_unpool").variant("unpool=nearest", lhs=pooling.unpool_side,
                                                   rhs=pooling.nearest_side), grid="quick")
    assert r.status == "failed"
    assert r.counterexample["config"] == {"i": 1, "f": 2, "C": 1}


def test_true_variant_without_proof_is_only_checked():
    right = s * (i - 1) + d * (k - 1) + 1 - p_b - p_a + a
    r = check_claim("transpose_output_size", rhs=right, grid="quick")
    assert r.status == "checked" and r.counterexample is None


def test_a_step_sympy_cannot_verify_fails_the_theorem():
    F = sp.floor((i - k) / s)
    thm = Theorem(name="bogus", title="floor is exact", statement=sp.Eq(s * F, i - k),
                  proof=lambda: [step(s * F, i - k, "floor-mod", "wrong")])
    r = prove(thm)
    assert r.status == "failed" and "not verified" in r.reason
    # SymPy's delta summation drops the divisibility guard: the engine refuses the step
    base = theorem("conv_matrix_entry")
    first = base.proof()[0]
    bad = Theorem(name="unguarded", title="", statement=sp.Eq(first.before, first.before.doit()),
                  proof=lambda: [step(first.before, first.before.doit(), "delta-sum", "sympy")])
    assert prove(bad).status == "failed"


def test_steps_must_establish_the_statement():
    thm = Theorem(name="unrelated", title="", statement=sp.Eq(i, k),
                  proof=lambda: [step(i + 1 - 1, i, "algebra")])
    r = prove(thm)
    assert r.status == "failed" and "do not establish" in r.reason


def test_a_failing_grid_gives_the_first_counterexample():
    grid = Grid("toy", lambda: [{"i": v} for v in range(1, 10)], lambda c: c["i"] % 4, lambda c: c["i"])
    r = prove(Theorem(name="toy", title="", statement=sp.Eq(sp.Mod(i, 4), i), grid=grid, reason="toy"))
    # the statement itself is evaluated first on each configuration, then the two definitions
    assert r.status == "failed" and r.counterexample == {"config": {"i": 4}, "statement": False}
    agnostic = prove(Theorem(name="toy2", title="", statement=sp.Eq(sp.Mod(k, 4), k), grid=grid, reason="toy"))
    assert agnostic.counterexample == {"config": {"i": 4}, "lhs": 0, "rhs": 4}


def test_checked_lemma_makes_user_theorem_checked():
    lhs = s * sp.floor(i / s) + sp.Mod(i, s)
    thm = Theorem(name="uses_checked", title="", statement=sp.Eq(lhs, i), uses=("checkerboard_condition",),
                  proof=lambda: [step(lhs, i, "floor-mod")])
    r = prove(thm, grid="quick")
    assert r.status == "checked" and "checkerboard_condition" in r.reason


# --------------------------------------------------------------------------- graph


def test_dependency_graph_is_a_dag_and_exports():
    graph = dependency_graph()
    assert graph.has_edge("conv_output_size", "dv_rel_06")
    assert graph.has_edge("transpose_is_scatter", "swap_conv_gradient")
    data = export_graph("json")
    assert {n["id"] for n in data["nodes"]} == set(theorems())
    dot = export_graph("dot")
    assert dot.startswith("digraph theorems {") and '"round_trip"' in dot
    with pytest.raises(ValueError):
        export_graph("svg")


def test_a_cycle_is_an_error(monkeypatch):
    registry = dict(engine._REGISTRY)
    registry["cyc_a"] = Theorem(name="cyc_a", title="", statement=sp.true, uses=("cyc_b",))
    registry["cyc_b"] = Theorem(name="cyc_b", title="", statement=sp.true, uses=("cyc_a",))
    monkeypatch.setattr(engine, "_REGISTRY", registry)
    with pytest.raises(ValueError, match="cycle"):
        dependency_graph()


def test_unknown_theorem_and_bad_grid_level():
    with pytest.raises(ValueError, match="unknown theorem"):
        prove("no_such_theorem")
    with pytest.raises(ValueError, match="grid"):
        prove("dv_rel_01", grid="huge")


def test_assumptions_are_printable():
    thm = theorem("size_ambiguity")
    rels = thm.assumption_relations()
    assert rels and all(isinstance(rel, sp.Basic) for rel in rels)
    assert isinstance(thm.assumptions[0], Range)


# --------------------------------------------------------------------------- command line


def test_cli_table_and_json(capsys):
    assert cli.main(["prove", "dv_rel_01", "dv_rel_15", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "dv_rel_15" in out and "proved" in out
    assert cli.main(["prove", "round_trip", "--json", "--quick"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d_["name"] for d_ in data] == ["round_trip"]
    assert set(data[0]) >= {"name", "status", "seconds", "uses"} and data[0]["status"] == "proved"


def test_cli_exit_code_1_when_a_theorem_fails(monkeypatch, capsys):
    toy = Grid("toy", lambda: [{"i": 1}], lambda c: 1, lambda c: 2)
    failing = prove(Theorem(name="toy_fail", title="", statement=sp.Eq(sp.Mod(i, 4), i), grid=toy, reason="toy"))
    monkeypatch.setattr("symconv.proofs.prove_all", lambda names=None, grid="full": [failing])
    assert cli.main(["prove", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data[0]["status"] == "failed" and data[0]["counterexample"]["config"] == {"i": 1}


def test_cli_unknown_name_is_a_usage_error(capsys):
    assert cli.main(["prove", "nope"]) == 2
