"""The smaller user-visible items of issue 14: shape defaults, prove's table, reprs."""
from __future__ import annotations

import json

import sympy as sp

from symconv.cli import main


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_shape_uses_pytorchs_defaults_unless_symbols_are_asked_for(capsys, torch):
    x = torch.zeros(1, 1, 101)
    assert run(capsys, "shape", "max_pool", "--i", "101", "--k", "2")[1].strip() == \
        str(torch.nn.functional.max_pool1d(x, 2).shape[-1])
    assert run(capsys, "shape", "conv_transpose", "--i", "7", "--k", "3")[1].strip() == \
        str(torch.nn.functional.conv_transpose1d(torch.zeros(1, 1, 7), torch.zeros(1, 1, 3)).shape[-1])
    code, out, _ = run(capsys, "shape", "max_pool", "--i", "101", "--k", "2", "--symbolic", "p,d")
    p, d = sp.symbols("p d", integer=True)
    value = sp.sympify(out, locals={"p": p, "d": d})
    assert code == 0 and value.free_symbols == {p, d} and value.subs({p: 0, d: 1}) == 50
    assert "--symbolic" in run(capsys, "shape", "--help")[1]


def test_shape_accepts_same_and_valid_and_refuses_options_that_do_not_apply(capsys, torch):
    for k, d in ((3, 1), (4, 2)):
        want = torch.nn.functional.conv1d(torch.zeros(1, 1, 9), torch.zeros(1, 1, k), padding="same",
                                          dilation=d).shape[-1]
        assert run(capsys, "shape", "conv", "--i", "9", "--k", str(k), "--d", str(d), "--p", "same")[1].strip() == \
            str(want)
    assert run(capsys, "shape", "conv", "--i", "9", "--k", "3", "--p", "valid")[1].strip() == "7"
    for argv, option in ((["conv", "--output-padding", "1"], "--output-padding"), (["conv", "--ceil-mode"],
                         "--ceil-mode"), (["avg_pool", "--d", "2"], "--d"), (["upsample", "--k", "2"], "--k")):
        code, _, err = run(capsys, "shape", *argv)
        assert code == 2 and option in err and "does not apply" in err


def test_prove_table_json_list_and_plural(capsys):
    code, out, _ = run(capsys, "prove", "--list", "--json")
    listed = json.loads(out)
    assert code == 0 and {"name", "title", "uses"} <= set(listed[0])
    code, out, _ = run(capsys, "prove", "--quick", listed[0]["name"])
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["theorem", "status", "smt", "seconds"]
    assert "why not proved" in lines[0]
    assert lines[-1].startswith("1 theorem: ") and "wall clock" in lines[-1]
    total = float(lines[-1].split(" in ")[1].split()[0])
    assert float(lines[1].split()[3]) <= total + 0.01          # the theorem's own time, within the wall clock
    code, out, _ = run(capsys, "prove", "--quick", "unpool_vs_gradient")
    checked = [line for line in out.splitlines() if line.startswith("unpool_vs_gradient")][0]
    assert " checked " in checked and "scatter" in checked       # the reason is in the table


def test_kernel_repr_is_short():
    from symconv.codegen import lower
    from symconv.spec import ConvSpec
    kernel = lower(ConvSpec(3, ndim=1))
    assert "def " not in repr(kernel) and repr(kernel).startswith("Kernel(name='conv', spec=ConvSpec(")
