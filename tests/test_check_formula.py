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
        ("(i-1)*s - 2*p + k", "conv-transpose", dict(d=1, output_padding=0)),
        ("math.floor((input_size + 2*padding - dilation*(kernel_size-1) - 1)/stride) + 1", "conv", {}),
        ("ceil((i - k + 1)/s)", "conv", dict(p=0, d=1)),                  # Keras 'valid'
        ("(i + 2*p - k + s) // s", "conv", dict(d=1)),                     # TF EXPLICIT
        ("s*i - s + d*(k-1) - p - p + a + 1", "conv-transpose", {}),
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
    result = check_formula("(i-1)*s - 2*p + k", "conv-transpose", output_padding=0)
    assert result.verdict == "conditional" and result.condition_exact
    assert result.condition_text == "d = 1 or k = 1"        # (k - 1)(1 - d) = 0


def test_counterexample_reports_pytorch_when_installed():
    pytest.importorskip("torch")
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
    assert main(["check-formula", "(i-1)*s - 2*p + k", "--op", "conv-transpose",
                 "--assume", "d=1, output_padding=0"]) == 0
    capsys.readouterr()
    assert main(["check-formula", "(i+2*p-k)/s + 1", "--op", "conv", "--assume", "d=1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "conditional" and data["condition_exact"] is True
    assert data["condition"] == "Eq(Mod(i - k + 2*p, s), 0)"
    assert main(["check-formula", "i*s", "--op", "conv-transpose", "--json"]) == 1
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
