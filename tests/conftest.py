"""Shared fixtures: the optional library oracles, skipped cleanly when they are not installed.

One way to reach each oracle:

* the direct loops of ``tests/oracles.py``: ``from tests.oracles import conv_loop, ...``;
* PyTorch, ONNX and onnxruntime: a test takes the ``torch`` (and ``F``, ``torch.nn.functional``),
  ``onnx`` or ``ort`` fixture below, which skips the test when the package is missing. A module
  whose every test compares with one of them (``test_torch_validity.py``, ``test_onnx_ops.py``, ...)
  skips as a whole with ``pytest.importorskip`` at its top instead.

Torch, ONNX and onnxruntime are oracles only; symconv never imports them at run time.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def torch():
    """The ``torch`` module (the test is skipped without it)."""
    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def F(torch):  # noqa: N802 - torch's conventional name
    """``torch.nn.functional``."""
    return torch.nn.functional


@pytest.fixture(scope="session")
def onnx():
    """The ``onnx`` module (the test is skipped without it)."""
    return pytest.importorskip("onnx")


@pytest.fixture(scope="session")
def ort():
    """The ``onnxruntime`` module (the test is skipped without it)."""
    return pytest.importorskip("onnxruntime")
