"""One vocabulary: each operator has one name everywhere, and the other spellings are accepted."""
from __future__ import annotations

import pytest

from symconv import numeric, spec
from symconv.check import check_formula
from symconv.cli import main
from symconv.operators import ALIASES, OPERATORS, canonical, operator_name
from symconv.stack import load_stack

SPELLINGS = {"conv_transpose": ("conv_transpose", "conv-transpose", "ConvTranspose", "transposed"),
             "max_pool": ("max_pool", "max-pool", "MaxPool", "maxpool", "MAX_POOL", "pool"),
             "avg_pool": ("avg-pool", "AveragePool"), "max_unpool": ("max-unpool", "MaxUnpool", "unpool")}


def test_the_name_is_the_spec_op_and_the_numpy_function():
    specs = [spec.ConvSpec, spec.ConvTransposeSpec, spec.MaxPoolSpec, spec.AvgPoolSpec, spec.MaxUnpoolSpec,
             spec.UpsampleSpec]
    assert tuple(cls.op for cls in specs) == OPERATORS
    assert all(callable(getattr(numeric, name)) for name in OPERATORS)
    assert set(ALIASES.values()) <= set(OPERATORS)


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_every_spelling_names_the_operator(name):
    for text in SPELLINGS[name]:
        assert operator_name(text) == name == canonical(text)


@pytest.mark.parametrize("text", ["deconv", "softmax", "conv__2d", "", "max pool2d"])
def test_other_names_are_refused(text):
    with pytest.raises(ValueError, match=f"op must be one of conv, conv_transpose.*got op={text!r}"):
        operator_name(text)
    assert canonical(text) == text
    with pytest.raises(TypeError, match="op must be an operator name"):
        operator_name(3)


def test_the_cli_reads_every_spelling_and_prints_the_name(capsys):
    outs = set()
    for text in SPELLINGS["max_pool"]:
        assert main(["shape", text, "--i", "7", "--k", "2", "--format", "json"]) == 0
        outs.add(capsys.readouterr().out)
    assert outs == {'{"op": "max_pool", "output_size": 3}\n'}
    for argv, message in ((["shape", "deconv", "--i", "7"], "op must be one of"),
                          (["matrix", "max-pool", "--i", "3", "--k", "2"], "invalid choice: 'max_pool'")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_check_formula_and_stack_files_read_every_spelling():
    verdicts = {check_formula("(i-1)*s - 2*p + k", text, d=1, output_padding=0).op
                for text in SPELLINGS["conv_transpose"]}
    assert verdicts == {"conv_transpose"}
    stack = load_stack([{"op": "MaxPool", "kernel_size": 2}, {"op": "max-unpool", "of": 0}], ndim=1)
    assert [layer.op for layer in stack.layers] == ["max_pool", "max_unpool"]
