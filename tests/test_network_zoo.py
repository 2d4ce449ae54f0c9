"""The zoo: every model's reported valid-size condition equals running it in onnxruntime, size by size.

For each model one spatial dim is symbolic and the others are fixed (``--dims``-style), and
the condition from the JSON report (a string parsed back with ``sympy.sympify``) is compared
with the set of sizes 1..256 for which onnxruntime runs the exported model. The U-Net checks
also pin the headline numbers (valid U-Net: 572 -> 388) against onnxruntime's output shape.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("torch")

from symconv.network.analysis import analyze_network  # noqa: E402
from symconv.network.command import apply_dims  # noqa: E402
from symconv.network.onnx_loader import load_onnx  # noqa: E402
from symconv.network.report import as_json  # noqa: E402

from .network_zoo import ZOO  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SIZES = range(1, 257)
_CACHE: dict = {}


def _session(model):
    options = ort.SessionOptions()
    options.log_severity_level = 4
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _runs(session, shape) -> bool:
    name = session.get_inputs()[0].name
    try:
        session.run(None, {name: np.zeros(shape, np.float32)})
    except Exception:  # noqa: BLE001 - onnxruntime raises its own exception types for a failed run
        return False
    return True


def _zoo(name):
    if name not in _CACHE:
        build, shape_of, dims = ZOO[name]
        model = build()
        analysis = analyze_network(apply_dims(load_onnx(model), dims))
        _CACHE[name] = (model, shape_of, dims, analysis, as_json(analysis))
    return _CACHE[name]


def _accepted(doc, dim):
    condition = sp.sympify(doc["valid"])
    if isinstance(condition, bool) or condition in (sp.true, sp.false):
        return set(SIZES) if condition else set()
    x = sp.Symbol(dim)
    return {v for v in SIZES if bool(condition.subs(x, v))}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_condition_equals_brute_force(name):
    model, shape_of, dims, analysis, doc = _zoo(name)
    session = _session(model)
    brute = {v for v in SIZES if _runs(session, shape_of(v))}
    assert _accepted(doc, dims[0][0]) == brute
    assert doc["proof"]["status"] in ("certified", "bounded")


def test_known_conditions():
    # independent of brute force: what the architectures imply
    assert _zoo("unet_same")[4]["valid"] == "(H >= 16) & Eq(Mod(H, 16), 0)"
    assert _zoo("net3d")[4]["valid"] == "(D >= 2) & Eq(Mod(D, 2), 0)"
    assert _zoo("resnet")[4]["valid"] == "True"
    assert _zoo("autoencoder")[4]["valid"] == "Eq(H, 1) | Eq(Mod(H, 8), 0)"   # 1 broadcasts in the residual Add


def test_valid_unet_572_to_388():
    model, _, _, analysis, _ = _zoo("unet_valid")
    out = analysis.network.outputs[0]
    H = analysis.symbols["H"]
    size = sp.sympify(analysis.shapes[out][2]).subs(H, 572)
    session = _session(model)
    ran = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 1, 572, 188), np.float32)})[0]
    assert size == ran.shape[2] == 388


def test_unet_same_fixes_are_crops_and_together_match_the_cropped_model():
    doc = _zoo("unet_same")[4]
    concat = [c for c in doc["constraints"] if c["kind"] == "equal"]
    assert len(concat) == 4 and all(c["fix"].startswith("centre-crop") for c in concat)
    # the same U-Net written with centre crops of the skips, run in onnxruntime
    model, shape_of, _, _, cropped = _zoo("unet_same_cropped")
    session = _session(model)
    brute = {v for v in SIZES if _runs(session, shape_of(v))}
    assert brute == set(range(16, 257))
    assert _accepted({"valid": doc["valid_with_all_fixes"]}, "H") == brute == _accepted(cropped, "H")


def test_tensor_shapes_match_onnxruntime_at_a_valid_size():
    model, shape_of, dims, analysis, doc = _zoo("segnet")
    session = _session(model)
    H = analysis.symbols["H"]
    outs = session.run(None, {session.get_inputs()[0].name: np.zeros(shape_of(37), np.float32)})
    for name, ran in zip([o.name for o in session.get_outputs()], outs):
        expected = tuple(int(sp.sympify(d).subs(H, 37)) for d in analysis.shapes[name])
        assert expected == ran.shape
