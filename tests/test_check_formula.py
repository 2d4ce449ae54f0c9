"""check-formula: verdicts against independent reasoning, the safe parser, the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sympy as sp

from symconv import symbols
from symconv.check import CATALOGUE, check_catalogue, check_formula, parse_assumptions, prove_zero
from symconv.cli import main
from symconv.formula import FormulaError, parse_formula

LETTERS = {n: symbols.BY_NAME[n] for n in ("i", "k", "s", "p", "d", "a", "p_b", "p_a")}


# --------------------------------------------------------------------------- verdicts


def test_equivalent_forms_are_proved():
    for text, op, assume in [
        ("(i-1)*s - 2*p + k", "conv_transpose", dict(d=1, output_padding=0)),
        ("math.floor((input_size + 2*padding - dilation*(kernel_size-1) - 1)/stride) + 1", "conv", {}),
        ("ceil((i - k + 1)/s)", "conv", dict(p=0, d=1)),                  # Keras 'valid'
        ("(i + 2*p - k + s) // s", "conv", dict(d=1)),                     # TF EXPLICIT
        ("s*i - s + d*(k-1) - p - p + a + 1", "conv_transpose", {}),
    ]:
        result = check_formula(text, op, **assume)
        assert result.verdict == "equivalent", text
        assert result.proved, text


def test_domain_dependent_equivalence_is_proved_by_z3_not_by_rewriting():
    # max(i - k + 1, 1) equals i - k + 1 only because a valid conv has i >= k here
    result = check_formula("max(i - k + 1, 1)", "conv", p=0, s=1, d=1)
    assert result.verdict == "equivalent" and result.proof == "z3" and result.checked > 100
    assert not prove_zero(result.user - result.derived)[0]          # SymPy alone cannot close it


def test_conditional_formula_states_its_condition_and_a_counterexample_outside_it():
    result = check_formula("(i + 2*p - k)/s + 1", "conv", d=1)
    assert result.verdict == "conditional" and result.condition_exact
    i, k, p, s = (LETTERS[n] for n in "ikps")
    assert sp.sympify(result.condition, locals=LETTERS) == sp.Eq(sp.Mod(i - k + 2 * p, s), 0)
    ce = result.counterexample
    params = ce["params"]
    assert (params["i"] + 2 * params["p"] - params["k"]) % params["s"] != 0   # outside the condition
    assert Fraction(ce["formula"]) != ce["symconv"]
    # independently: the PyTorch formula at the counterexample
    assert ce["symconv"] == (params["i"] + 2 * params["p"] - params["k"]) // params["s"] + 1


def test_wrong_formula_gives_the_smallest_counterexample():
    result = check_formula("ceil(i/s)", "conv", d=1)
    assert result.verdict == "wrong"
    params = result.counterexample["params"]
    assert params == {"i": 1, "k": 1, "s": 1, "p": 1, "d": 1}
    assert result.counterexample["formula"] == 1 and result.counterexample["symconv"] == 3


def test_missing_dilation_gives_the_exact_set_d_1_or_k_1():
    result = check_formula("(i-1)*s - 2*p + k", "conv_transpose", output_padding=0)
    assert result.verdict == "conditional" and result.condition_exact
    assert result.condition_text == "d = 1 or k = 1"        # (k - 1)(1 - d) = 0


def test_counterexample_reports_pytorch_when_installed(torch):
    result = check_formula("ceil(i/s)", "conv", d=1)
    assert result.counterexample["pytorch"] == result.counterexample["symconv"]


def test_catalogue_verdicts_match_what_it_records():
    rows = check_catalogue()
    assert len(rows) == len(CATALOGUE) >= 12
    for source, result, expected in rows:
        assert result.verdict == expected, source
    assert {r.verdict for _, r, _ in rows} == {"equivalent", "conditional", "wrong"}


def test_assumptions_are_parsed_without_evaluation():
    assert parse_assumptions("d=1, output_padding=0") == {"d": 1, "a": 0}
    assert parse_assumptions("d=1+1") == {"d": 2}                 # a constant expression, parsed safely
    for bad in ("d=__import__('os')", "x=1", "d", "d=1=2", "ceil_mode=maybe", "d=1/2", "p=p+1"):
        with pytest.raises(ValueError):
            parse_assumptions(bad)


def test_names_the_operator_does_not_have_are_rejected():
    with pytest.raises(ValueError, match="has no parameter 'a'"):
        check_formula("i - k + 1 + a", "conv")
    with pytest.raises(ValueError, match="op must be one of"):
        check_formula("i", "deconv")


# --------------------------------------------------------------------------- the safe parser

ATTACKS = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('{marker}', 'w')",
    "exec('open(\"{marker}\", \"w\")')",
    "eval('1')",
    "(lambda: open('{marker}', 'w'))()",
    "[open('{marker}', 'w') for _ in 'a']",
    "i.__class__",
    "math.os",
    "9**9**9",
    "10**100000",
    "i" * 1001,
    "'a' * 10",
    "floor(i, k=1)",
    "floor(*[i])",
    "i @ k",
    "i ^ 2",
    "i if k else s",
    "{i: k}",
    "i[0]",
    "",
    "1" * 20,
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_parser_rejects_code_and_nothing_happens(tmp_path, attack):
    marker = tmp_path / "pwned"
    text = attack.replace("{marker}", str(marker))
    with pytest.raises(FormulaError) as exc:
        parse_formula(text)
    assert "\n" not in str(exc.value)
    assert not marker.exists()


def test_cli_rejects_injection_with_exit_2_and_no_file(tmp_path, capsys):
    marker = tmp_path / "x"
    code = main(["check-formula", f"__import__('os').system('touch {marker}')", "--op", "conv"])
    assert code == 2 and not marker.exists()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parser_fuzz_either_parses_or_raises_formula_error(text):
    try:
        formula = parse_formula(text)
    except FormulaError:
        return
    env = {"i": 7, "k": 3, "s": 2, "p": 1, "d": 1, "a": 0, "p_b": 1, "p_a": 0}
    try:
        formula.evaluate(env)
    except ZeroDivisionError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.sampled_from(["i", "k", "s", "p", "1", "2"]),
                    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "%"]), inner)
                    .map(lambda t: f"({t[0]} {t[1]} {t[2]})"), max_leaves=8))
def test_exact_evaluation_matches_python_integer_arithmetic(text):
    env = {"i": 7, "k": 3, "s": 2, "p": 1}
    try:
        expected = eval(text, {"__builtins__": {}}, dict(env))   # test-only oracle on generated arithmetic
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            parse_formula(text).evaluate(env)
        return
    assert parse_formula(text).evaluate(env) == expected


# --------------------------------------------------------------------------- CLI


def test_cli_exit_codes_and_json(capsys):
    assert main(["check-formula", "(i-1)*s - 2*p + k", "--op", "conv_transpose",
                 "--assume", "d=1, output_padding=0"]) == 0
    capsys.readouterr()
    assert main(["check-formula", "(i+2*p-k)/s + 1", "--op", "conv", "--assume", "d=1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "conditional" and data["condition_exact"] is True
    assert data["condition"] == "Eq(Mod(i - k + 2*p, s), 0)"
    assert main(["check-formula", "i*s", "--op", "conv_transpose", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["counterexample"]["params"]["s"] == 2
    assert main(["check-formula", "--catalogue"]) == 0


def test_cli_subprocess_on_garbage_arguments(tmp_path):
    cases = [
        (["check-formula"], 2),
        (["check-formula", "i", "--op", "nope"], 2),
        (["check-formula", "i +", "--op", "conv"], 2),
        (["check-formula", "i", "--op", "conv", "--assume", "d==1"], 2),
        (["shape", "conv", "--k", "\u2603"], 2),
        (["--no-such-flag"], 2),
        (["check-formula", "i - k + 1", "--op", "conv", "--assume", "p=0, s=1, d=1"], 0),
        (["check-formula", "i", "--op", "conv"], 1),
    ]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    for argv, expected in cases:
        proc = subprocess.run([sys.executable, "-m", "symconv", *argv], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=60)
        assert proc.returncode == expected, (argv, proc.stderr)
        if expected == 2:
            assert len(proc.stderr.strip().splitlines()) == 1, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- exact conditions (issue 14)


def _agreement_matches_condition(result, envs, user, oracle):
    """The JSON condition, parsed back by SymPy, is true exactly where the formula agrees with the oracle."""
    condition = sp.sympify(result.to_dict()["condition"], locals=LETTERS)
    assert isinstance(condition, (sp.core.relational.Relational, sp.logic.boolalg.BooleanFunction))
    assert {x.name for x in condition.free_symbols} <= set("iksdpa") | {"p_b", "p_a"}
    checked = 0
    for env in envs:
        holds = bool(condition.subs({LETTERS[n]: v for n, v in env.items()}))
        assert holds == (user(env) == oracle(env)), env
        checked += 1
    return checked


def test_transposed_formula_with_max_holds_exactly_when_k_at_least_s():
    result = check_formula("i*s + max(k - s, 0)", "conv_transpose", d=1, p=0, output_padding=0)
    assert result.verdict == "conditional" and result.condition_exact and result.condition_proof == "certified"
    assert result.condition_text == "k >= s"
    envs = [dict(i=i, k=k, s=s) for i in range(1, 8) for k in range(1, 9) for s in range(1, 6)]
    # oracle: PyTorch's documented ConvTranspose size with d=1, p=0, output_padding=0, written out here
    n = _agreement_matches_condition(result, envs, lambda e: e["i"] * e["s"] + max(e["k"] - e["s"], 0),
                                     lambda e: (e["i"] - 1) * e["s"] + e["k"])
    assert n == 280


def _torch_ceil_pool(torch, env):
    x = torch.zeros(1, 1, env["i"])
    return torch.nn.functional.max_pool1d(x, env["k"], env["s"], env["p"], env["d"], ceil_mode=True).shape[-1]


def test_ceil_mode_formula_condition_is_exact_and_holds_at_i5_k2_s2(torch):
    text = "ceil((i + 2*p - d*(k-1) - 1)/s) + 1"
    result = check_formula(text, "max_pool", ceil_mode="true")
    assert result.verdict == "conditional" and result.condition_exact
    condition = sp.sympify(result.condition, locals=LETTERS)
    assert condition.subs({LETTERS["i"]: 5, LETTERS["k"]: 2, LETTERS["s"]: 2, LETTERS["p"]: 0, LETTERS["d"]: 1})
    envs = [dict(i=i, k=k, s=s, p=p, d=d) for i in range(1, 10) for k in range(1, 5) for s in range(1, 4)
            for p in range(0, k // 2 + 1) for d in range(1, 3) if i + 2 * p >= d * (k - 1) + 1]
    user = lambda e: -(-(e["i"] + 2 * e["p"] - e["d"] * (e["k"] - 1) - 1) // e["s"]) + 1  # noqa: E731
    assert _agreement_matches_condition(result, envs, user, lambda env: _torch_ceil_pool(torch, env)) > 200


def test_unproved_condition_is_labelled_for_example(capsys):
    assert main(["check-formula", "floor(i/2)", "--op", "max_pool", "--assume", "k=2", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "conditional" and data["condition_exact"] is False
    assert data["defaults"] == {"s": "k"} and data["counterexample"]["params"]["s"] == 2
    condition = sp.sympify(data["condition"], locals=LETTERS)
    assert condition.subs({LETTERS["d"]: 1, LETTERS["p"]: 0}) is sp.true
    assert main(["check-formula", "floor(i/2)", "--op", "max_pool", "--assume", "k=2"]) == 1
    assert "for example when: d = 1 and p = 0" in capsys.readouterr().out


def test_pooling_stride_default_is_pytorchs_kernel_size_as_in_shape(capsys):
    result = check_formula("floor(i/2)", "max_pool", k=2, p=0, d=1)
    assert result.verdict == "equivalent" and result.defaults == {"s": "k"}
    assert main(["shape", "max_pool", "--i", "101", "--k", "2"]) == 0
    assert capsys.readouterr().out.strip() == "50" == str(101 // 2)


def test_equivalent_needs_a_proof(monkeypatch):
    import symconv.check as check
    monkeypatch.setattr(check, "prove", lambda *a, **k: ("unknown", None))
    result = check.check_formula("max(i - k + 1, 1)", "conv", p=0, s=1, d=1)
    assert result.verdict == "unproved" and result.proof is None
    assert check.check_formula("(i + 2*p - k) // s + 1", "conv", d=1).proof == "sympy"


def test_z3_counterexample_beyond_the_grid_is_not_called_equivalent():
    # agrees on every sampled i <= 10^4 + a few, differs for i >= 20000
    result = check_formula("i - k + 1 + max(i - 20000, 0)", "conv", p=0, s=1, d=1)
    assert result.verdict == "conditional" and result.condition_text == "i <= 20000" and result.condition_exact
    assert result.counterexample["params"]["i"] >= 20001


@pytest.mark.parametrize("assume, op, fragment", [
    ("s=0", "conv", "s must be >= 1"),
    ("k=-1", "conv", "k must be >= 1"),
    ("d=0", "max_pool", "d must be >= 1"),
    ("p=-1", "conv", "p must be >= 0"),
    ("i=0", "conv_transpose", "i must be >= 1"),
    ("s=0", "max_unpool", "s must be >= 1"),
    ("a=2, s=2, d=1", "conv_transpose", "a < Max(d, s)"),
    ("p=2, k=2", "max_pool", "p <= floor(k/2)"),
    ("s=k, k=s", "conv", "in terms of each other"),
    ("p_b=1, p_a=2", "conv", "write the formula with p_b and p_a"),
    ("padding=same", "conv_transpose", "defined for conv only"),
    ("padding=same, s=2", "conv", "requires s=1"),
])
def test_assumptions_are_validated_with_the_spec_rules(capsys, assume, op, fragment):
    assert main(["check-formula", "i - k + 1 + 0*p", "--op", op, "--assume", assume]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_assumptions_in_other_letters_and_padding_modes():
    for text, assume in [("floor((i + 2*p - k)/s) + 1", dict(p="k//2", d=1)),
                         ("floor((i + 2*p - k)/s) + 1", dict(p="(k-1)//2", d=1)),
                         ("floor((i - k)/k) + 1", dict(s="k", p=0, d=1)),
                         ("i", dict(padding="same")),
                         ("i - d*(k-1)", dict(padding="valid", s=1)),
                         ("floor((i + 2*p - k)/s) + 1", dict(p_b=1, p_a=1, d=1))]:
        assert check_formula(text, "conv", **assume).verdict == "equivalent", (text, assume)
    # p = k//2 keeps an odd kernel's size with stride 1: i exactly when k is odd
    result = check_formula("i", "conv", p="k//2", s=1, d=1)
    assert result.condition_exact
    assert sp.sympify(result.condition, locals=LETTERS) == sp.Ne(sp.Mod(LETTERS["k"], 2), 0)


def test_implicit_multiplication_and_huge_assumed_kernel():
    result = check_formula("(i-k+2p)/s+1", "conv", d=1)
    assert result.verdict == "conditional" and result.condition_exact
    result = check_formula("i - k + 1", "conv", k=10**9, p=0, s=1, d=1)
    assert result.verdict == "equivalent" and result.checked > 0
