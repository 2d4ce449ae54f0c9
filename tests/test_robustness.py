"""Adversarial and extreme inputs to the core API: clear errors before any large allocation."""
from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv import ConvSpec, ConvTransposeSpec, MaxPoolSpec, UpsampleSpec

HUGE = [
    lambda: symconv.conv_matrix((10**9,), 3),
    lambda: symconv.conv_matrix((10**5, 10**5), 3),
    lambda: symconv.conv_transpose_matrix((10**9,), 3),
    lambda: symconv.upsample_matrix(5, size=10**9),
    lambda: symconv.conv_matrix((3000, 3000), 1, weight=[[1.0]], format="numpy"),
]


@pytest.mark.parametrize("call", HUGE)
def test_huge_requests_refuse_before_allocating(call):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="GiB"):
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


@pytest.mark.parametrize("call, kind", [
    (lambda: symconv.conv_matrix(4, 3, weight=["__import__('os')"] * 3), TypeError),
    (lambda: symconv.conv_matrix(4, 3, weight=[True, False, True]), TypeError),
    (lambda: symconv.pool_switches(np.array(["a", "b"]), 2), TypeError),
    (lambda: symconv.pool_switches(np.zeros(0), 2), ValueError),
    (lambda: symconv.unpool_matrix(np.array([True]), 2), TypeError),
    (lambda: symconv.unpool_matrix([0.5], 2), TypeError),
    (lambda: symconv.unpool_matrix([0], 0), ValueError),
    (lambda: symconv.upsample_output_size(5, scale_factor=1e308), ValueError),
    (lambda: symconv.upsample_output_size(5, scale_factor=float("nan")), ValueError),
    (lambda: symconv.upsample_output_size(5, scale_factor=True), TypeError),
    (lambda: symconv.conv_output_size(-1, 3), ValueError),
    (lambda: symconv.conv_output_size(None, 3), TypeError),
    (lambda: symconv.conv_output_size(np.float64(5.0), 3), TypeError),
    (lambda: ConvSpec(3, input_size=()), ValueError),
    (lambda: ConvSpec(3, padding=[[1]]), ValueError),
])
def test_bad_values_and_types_are_named(call, kind):
    with pytest.raises(kind) as exc:
        call()
    assert len(str(exc.value).splitlines()) == 1 and len(str(exc.value)) > 10


def test_nan_in_inputs_is_defined_behaviour_not_an_error():
    x = np.array([1.0, np.nan, 3.0, 2.0])
    assert symconv.pool_switches(x, 2).tolist() == [1, 2]        # NaN wins, as in PyTorch
    C = symconv.conv_matrix(4, 2, weight=[1.0, np.nan], format="numpy")
    assert np.isnan(C[0, 1]) and C[0, 2] == 0


def test_numpy_integer_sizes_are_accepted_and_ints_come_out():
    value = symconv.conv_output_size(np.int64(7), np.int32(3), np.int8(2))
    assert value == 3 and type(value) is int


VALUE = st.one_of(st.integers(-3, 8), st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=3),
                  st.tuples(st.integers(-1, 4), st.integers(-1, 4)),
                  st.lists(st.integers(-1, 4), max_size=3))


@settings(max_examples=300, deadline=None)
@given(kernel=VALUE, stride=VALUE, padding=VALUE, dilation=VALUE, groups=VALUE, size=VALUE)
def test_spec_validation_fuzz_raises_only_value_or_type_errors(kernel, stride, padding, dilation, groups, size):
    for make in (lambda: ConvSpec(kernel, stride, padding, dilation, groups=groups, input_size=size),
                 lambda: ConvTransposeSpec(kernel, stride, padding, dilation=dilation, input_size=size),
                 lambda: MaxPoolSpec(kernel, stride, padding, dilation, input_size=size),
                 lambda: UpsampleSpec(size=size, mode="nearest")):
        try:
            spec = make()
        except (ValueError, TypeError) as exc:
            assert str(exc).split(":")[0] in ("conv", "conv_transpose", "max_pool", "upsample"), exc
            continue
        assert all(isinstance(v, (int, sp.Basic, tuple, bool, str, type(None))) for v in spec.params().values())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=8), max_size=6))
def test_cli_fuzz_returns_an_exit_code(argv):
    from symconv.cli import main
    try:
        code = main(["shape", *argv])
    except SystemExit as exc:
        code = exc.code
    assert code in (0, 2)


def test_large_symbolic_and_integer_sizes_are_exact():
    big = 10**30 + 7
    assert symconv.conv_output_size(big, 3, 2, 1) == (big + 2 - 3) // 2 + 1
    assert symconv.upsample_output_size(big, scale_factor=2) == 2 * big
    assert math.isfinite(symconv.upsample_output_size(10**6, scale_factor=1.5))


# --------------------------------------------------------------------------- files


def test_codegen_refuses_hand_edited_output_unless_forced(tmp_path, capsys):
    from symconv.cli import main
    out = tmp_path / "kernels.py"
    argv = ["codegen", "conv", "--k", "3", "--dims", "2", "--out", str(out)]
    assert main(argv) == 0
    first = out.read_text()
    assert main(argv) == 0                                    # unchanged since written: regenerate freely
    out.write_text(first + "\n# my edit\n")
    capsys.readouterr()
    assert main(argv) == 2
    assert "changed since symconv wrote it" in capsys.readouterr().err
    assert out.read_text().endswith("# my edit\n")           # untouched
    assert main(argv + ["--force"]) == 0
    assert out.read_text() == first
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_codegen_refuses_a_file_symconv_never_wrote(tmp_path, capsys):
    from symconv.cli import main
    out = tmp_path / "mine.py"
    out.write_text("precious = 1\n")
    assert main(["codegen", "max_pool", "--k", "2", "--out", str(out)]) == 2
    assert out.read_text() == "precious = 1\n"


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from symconv import _io
    target = tmp_path / "a.txt"
    _io.write_files({target: "old"})

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(_io.os, "replace", explode)
    with pytest.raises(OSError):
        _io.write_files({target: "new content"})
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".symconv-manifest.json", "a.txt"]


# --------------------------------------------------------------------------- numeric API


X = np.random.default_rng(0).random((1, 2, 5, 5)).astype(np.float32)
W = np.random.default_rng(1).random((3, 2, 3, 3)).astype(np.float32)

NUMERIC_HUGE = [
    lambda: symconv.upsample(X, size=(10**6, 10**6)),
    lambda: symconv.upsample(X, scale_factor=1e9),
    lambda: symconv.conv(X, W, padding=10**6),
    lambda: symconv.conv_transpose(X, W.transpose(1, 0, 2, 3)[:2].copy(), stride=10**6),
    lambda: symconv.max_unpool2d(X, np.zeros(X.shape, np.int64), 2, stride=10**6),
]


@pytest.mark.parametrize("call", NUMERIC_HUGE)
def test_numeric_huge_requests_refuse_before_allocating(call):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="MEMORY_LIMIT"):
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


@pytest.mark.parametrize("call, kind, name", [
    (lambda: symconv.conv(None, W), TypeError, "x"),
    (lambda: symconv.conv(np.array([["a"]]), W), TypeError, "x"),
    (lambda: symconv.conv(np.zeros((1, 2, 0, 5), np.float32), W), ValueError, "input_size"),
    (lambda: symconv.conv(X[0, 0], W), ValueError, "x must have"),
    (lambda: symconv.conv(X, np.ones((3, 3, 3, 3))), ValueError, "channels"),
    (lambda: symconv.conv(X, W, stride=0), ValueError, "stride"),
    (lambda: symconv.conv(X, W, stride=1.5), TypeError, "stride"),
    (lambda: symconv.conv(X, W, groups=0), ValueError, "groups"),
    (lambda: symconv.max_pool2d(X, -1), ValueError, "kernel_size"),
    (lambda: symconv.max_unpool2d(X, np.full(X.shape, 999, np.int64), 2), ValueError, "indices"),
    (lambda: symconv.max_unpool2d(X, np.zeros(X.shape), 2), ValueError, "indices"),
    (lambda: symconv.upsample(X, scale_factor=float("nan")), ValueError, "scale_factor"),
    (lambda: symconv.upsample(X, size=2, scale_factor=2), ValueError, "exactly one"),
])
def test_numeric_bad_input_names_the_argument(call, kind, name):
    with pytest.raises(kind, match=name):
        call()


def test_numeric_nan_and_empty_batch_are_defined():
    assert np.isnan(symconv.conv(np.full_like(X, np.nan), W)).all()
    assert symconv.conv(np.zeros((0, 2, 5, 5), np.float32), W).shape == (0, 3, 3, 3)
    assert symconv.conv(X, W).dtype == np.float32
