"""The top-level API: the everyday names, loaded on first use; the rest through submodules."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import symconv

#: Modules ``import symconv`` must not load (each costs a large part of a second).
HEAVY = ("sympy", "networkx", "numpy", "symconv.proofs", "symconv.check", "symconv.spec")


def test_import_symconv_loads_no_heavy_module():
    code = "import sys, symconv; print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_exported_name_resolves_to_its_module_object():
    for name in symconv.__all__:
        home = importlib.import_module(f"symconv.{symconv._HOME[name]}")
        assert getattr(symconv, name) is getattr(home, name), name
    assert set(symconv.__all__) <= set(dir(symconv))


def test_from_import_and_submodule_access_work_lazily():
    from symconv import ConvSpec, conv2d, prove  # noqa: F401 - the import itself is the check
    assert symconv.conv_output_size(5, 3, s=2, p=1) == 3
    assert symconv.graphs.graph(ConvSpec(3), 5).number_of_edges() == 9


@pytest.mark.parametrize("name", sorted(symconv._MOVED))
def test_a_moved_name_points_to_its_module(name):
    with pytest.raises(AttributeError, match=rf"symconv\.{symconv._MOVED[name]}"):
        getattr(symconv, name)
    assert name not in symconv.__all__
    assert hasattr(importlib.import_module(f"symconv.{symconv._MOVED[name]}"), name)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        symconv.no_such_name
    assert not hasattr(symconv, "__wrapped__")
