"""The command line: in-process via ``main`` and as a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp

import symconv
from symconv.cli import COMMAND_MODULES, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_shape_value_and_general_formula(capsys):
    assert run(capsys, "shape", "conv", "--i", "5", "--k", "3", "--s", "2", "--p", "1")[:2] == (0, "3\n")
    code, out, _ = run(capsys, "shape", "conv_transpose", "--symbolic", "all")
    i, k, s, p, d, a = sp.symbols("i k s p d a", integer=True)
    assert code == 0
    assert sp.simplify(sp.sympify(out, locals={"i": i, "k": k, "s": s, "p": p, "d": d, "a": a})
                       - (s * (i - 1) + d * (k - 1) + 1 - 2 * p + a)) == 0
    assert run(capsys, "shape", "conv_transpose", "--i", "3", "--k", "4", "--s", "2", "--p", "1")[1] == "6\n"
    assert run(capsys, "shape", "max_pool", "--i", "5", "--k", "2", "--p", "0", "--ceil-mode")[1] == "3\n"
    assert run(capsys, "shape", "upsample", "--i", "5", "--scale-factor", "1.5")[1] == "7\n"
    assert run(capsys, "shape", "conv", "--i", "5", "--k", "3", "--s", "1", "--p", "0,1")[1] == "4\n"


def test_matrix_json_is_the_seed_matrix(capsys):
    code, out, _ = run(capsys, "matrix", "conv", "--i", "4", "--k", "3", "--dims", "2", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["shape"] == [4, 16]
    expected = symconv.conv_matrix((4, 4), 3)
    assert data["rows"] == [[str(v) for v in expected.row(r)] for r in range(4)]
    assert data["rows"][0][:4] == ["w_{0,0}", "w_{0,1}", "w_{0,2}", "0"]


def test_matrix_text_and_latex(capsys):
    code, out, _ = run(capsys, "matrix", "conv", "--i", "4", "--k", "3", "--dims", "2")
    assert code == 0 and len(out.splitlines()) == 4 and out.split()[0] == "w_{0,0}"
    code, out, _ = run(capsys, "matrix", "conv_transpose", "--i", "2", "--k", "3", "--format", "latex")
    assert code == 0 and out.startswith(r"\left[\begin{matrix}")


@pytest.mark.parametrize("argv", [
    ["shape", "conv", "--i", "x"],
    ["shape", "conv", "--i", "5", "--k", "3", "--s", "0"],
    ["shape", "conv", "--i", "2", "--k", "5", "--s", "1", "--p", "0"],
    ["shape", "nonsense"],
    ["matrix", "conv", "--k", "3"],
    ["matrix", "conv", "--i", "4", "--k", "3", "--dims", "0"],
    ["matrix", "conv", "--i", "4", "--k", "3", "--groups", "2"],
    ["shape", "conv", "--i", "__import__('os')"],
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "error" in err


@pytest.mark.parametrize("command", COMMAND_MODULES)
def test_every_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: symconv" in capsys.readouterr().out


def test_python_dash_m_matches_the_script():
    args = ["shape", "conv", "--i", "7", "--k", "3", "--s", "2", "--p", "0"]
    module = subprocess.run([sys.executable, "-m", "symconv", *args], capture_output=True, text=True, check=True)
    assert module.stdout == "3\n"
    bad = subprocess.run([sys.executable, "-m", "symconv", "shape", "conv", "--k", "-"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and bad.stdout == ""
