"""Network analysis: exact valid sets against brute force, shape subgraph values, loaders, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from symconv.cli import main
from symconv.network.analysis import analyze_network
from symconv.network.model import load_dag
from symconv.network.shape_eval import evaluate
from symconv.network.valid_set import solve_dim
from symconv.network.vectorize import evaluate_many

H = sp.Symbol("H", integer=True, positive=True)


def _floor_chain_outputs(h: int, layers: list) -> list:
    """Direct loop oracle: sizes after each (kernel, stride, padding) conv layer, PyTorch's rule."""
    out = []
    for k, s, p in layers:
        h = (h + 2 * p - k) // s + 1
        out.append(h)
    return out


@pytest.mark.parametrize("layers", [
    [(3, 2, 1)] * 3,
    [(2, 2, 0)] * 5,
    [(3, 1, 0), (3, 1, 0), (2, 2, 0)] * 3,
    [(5, 3, 0), (4, 2, 1), (3, 2, 0)],
])
def test_solve_dim_equals_brute_force_for_floor_chains(layers):
    """Sizes positive and a round trip back to the input size (x * product of strides == input)."""
    expr, conditions, total = H, [], 1
    for k, s, p in layers:
        expr = sp.floor((expr + 2 * p - k) / s) + 1
        conditions.append(sp.Ge(expr, 1))
        total *= s
    conditions.append(sp.Eq(total * expr, H))
    found = solve_dim(conditions, H)
    brute = set()
    for h in range(1, 257):
        sizes = _floor_chain_outputs(h, layers)
        if all(v >= 1 for v in sizes) and total * sizes[-1] == h:
            brute.add(h)
    got = {h for h in range(1, 257) if bool(found.condition.subs(H, h))}
    assert got == brute


def test_vectorized_evaluation_matches_sympy():
    expr = sp.Max(0, sp.floor((H - 7) / 3)) + sp.Mod(H, 5) - sp.ceiling(H / 4)
    values = np.arange(1, 60)
    assert list(evaluate_many(expr, {H: values})) == [int(expr.subs(H, v)) for v in values]


def test_shape_subgraph_centre_crop_is_exact():
    """Shape -> Gather -> Sub -> Div (truncating) -> Slice, as exporters write a centre crop."""
    from symconv.network.model import Network, Node
    consts = {"i2": np.array(2), "two": np.array(2), "axes": np.array([2])}
    nodes = [Node("pool", "max_pool", ("x",), ("p",), {"spec_params": {"kernel_size": 2}}),
             Node("shx", "Shape", ("x",), ("sx",), {}), Node("shp", "Shape", ("p",), ("sp",), {}),
             Node("gx", "Gather", ("sx", "i2"), ("hx",), {}), Node("gp", "Gather", ("sp", "i2"), ("hp",), {}),
             Node("sub", "Sub", ("hx", "hp"), ("d",), {}), Node("div", "Div", ("d", "two"), ("start",), {}),
             Node("add", "Add", ("start", "hp"), ("end",), {}),
             Node("us", "Unsqueeze", ("start",), ("starts",), {"axes": [0]}),
             Node("ue", "Unsqueeze", ("end",), ("ends",), {"axes": [0]}),
             Node("crop", "Slice", ("x", "starts", "ends", "axes"), ("c",), {})]
    net = Network({"x": (1, 1, "H")}, nodes, consts, ("c",))
    result = evaluate(net)
    crop = result.tensors["c"].shape[2]
    for h in range(2, 40):
        start = (h - h // 2) // 2
        assert int(evaluate_many(crop, {H: np.array([h])})[0]) == len(range(h)[start:start + h // 2])


def test_dag_broadcast_add_accepts_size_one():
    net = load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
        {"name": "down", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 2, "padding": 1},
        {"name": "up", "op": "conv_transpose", "inputs": ["down"], "kernel_size": 2, "stride": 2},
        {"name": "sum", "op": "add", "inputs": ["x", "up"]}]})
    valid = analyze_network(net, fixes=False).valid.condition
    brute = {h for h in range(1, 100) if h == 1 or 2 * ((h - 1) // 2 + 1) == h}
    assert {h for h in range(1, 100) if bool(valid.subs(H, h))} == brute


def test_fixes_are_verified_by_reanalysis():
    net = load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
        {"name": "pool", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
        {"name": "up", "op": "conv_transpose", "inputs": ["pool"], "kernel_size": 2, "stride": 2},
        {"name": "cat", "op": "concat", "inputs": ["x", "up"]}]})
    result = analyze_network(net)
    assert str(result.valid.condition) == "(H >= 2) & Eq(Mod(H, 2), 0)"
    fix = result.fixes["cat"]
    assert fix["change"] == "crop" and fix["tensor"] == "x"
    from symconv.network.fixes import apply_fix
    fixed = analyze_network(apply_fix(net, fix), fixes=False)
    assert str(fixed.valid.condition) == "H >= 2" == fix["valid_after"]


def test_dag_errors_name_the_node():
    with pytest.raises(ValueError, match=r"node 1 \('b'\): unknown op 'convolution'"):
        load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
            {"name": "a", "op": "relu", "inputs": ["x"]}, {"name": "b", "op": "convolution", "inputs": ["a"]}]})
    with pytest.raises(ValueError, match=r"input 'y' is not a network input"):
        load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [{"name": "a", "op": "relu", "inputs": ["y"]}]})
    with pytest.raises(ValueError, match=r"node 0 \('c'\): conv: stride must be >= 1"):
        load_dag({"inputs": {"x": [1, 1, "H"]}, "nodes": [
            {"name": "c", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 0}]})


def _dag_file(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"inputs": {"x": [1, 3, "H", "W"]}, "nodes": [
        {"name": "enc", "op": "conv", "inputs": ["x"], "kernel_size": 3, "padding": 1, "out_channels": 4},
        {"name": "down", "op": "max_pool", "inputs": ["enc"], "kernel_size": 2},
        {"name": "up", "op": "upsample", "inputs": ["down"], "scale_factor": 2},
        {"name": "cat", "op": "concat", "inputs": ["enc", "up"]}]}))
    return path


def test_cli_json_for_a_dag(tmp_path, capsys):
    assert main(["analyze", str(_dag_file(tmp_path)), "--json", "--dims", "H,W=8"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["inputs"] == {"x": ["1", "3", "H", "8"]}
    assert doc["tensors"]["cat"] == ["1", "8", "H", "8"]
    condition = sp.sympify(doc["valid"])
    assert {h for h in range(1, 50) if bool(condition.subs("H", h))} == set(range(2, 50, 2))
    assert doc["constraints"][-1]["node"] == "cat" and doc["constraints"][-1]["fix"].startswith("centre-crop")


def test_cli_text_report_names_smallest_and_invalid_sizes(tmp_path, capsys):
    assert main(["analyze", str(_dag_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "H: smallest valid size 2" in out
    assert "H=3 fails: cat: Concat needs equal sizes on axis 2" in out


def test_cli_errors_are_one_line(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"inputs": {"x": [1, 1, "H"]}, "nodes": [{"name": "a", "op": "nope",
                                                                          "inputs": ["x"]}]}))
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown op 'nope'" in err


def test_cli_bad_dims_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(_dag_file(tmp_path)), "--dims", "H,3x"])
    assert exc.value.code == 2


def test_onnx_unsupported_op_names_the_node(tmp_path, capsys, onnx):
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="act"),
                               helper.make_node("NonZero", ["r"], ["y"], name="where_nonzero")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H"])],
                              [helper.make_tensor_value_info("y", TensorProto.INT64, None)])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert main(["analyze", str(path)]) == 2
    assert "node 'where_nonzero' (NonZero): unsupported op 'NonZero'" in capsys.readouterr().err


def test_onnx_auto_pad_same_upper_matches_onnxruntime(onnx, ort):
    from onnx import TensorProto, helper, numpy_helper
    from symconv.network.onnx_loader import load_onnx
    w = numpy_helper.from_array(np.ones((1, 1, 4), np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[3])],
                              "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "L"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    shape = evaluate(load_onnx(model)).tensors["y"].shape[2]
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    L = sp.Symbol("L", integer=True, positive=True)
    for n in range(1, 30):
        ran = session.run(None, {"x": np.zeros((1, 1, n), np.float32)})[0].shape[2]
        assert int(evaluate_many(shape, {L: np.array([n])})[0]) == ran


def test_stack_json_still_goes_to_the_stack_analysis(tmp_path, capsys):
    path = tmp_path / "stack.json"
    path.write_text(json.dumps([{"op": "conv", "kernel_size": 3}]))
    assert main(["analyze", str(path), "--i", "8", "--json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_load_torch_condition_matches_running_the_module(torch, onnx):
    from symconv.network import load_torch

    class Skip(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.down = torch.nn.Conv1d(1, 1, 3, stride=2, padding=1)
            self.up = torch.nn.ConvTranspose1d(1, 1, 4, stride=2, padding=1)

        def forward(self, x):
            return torch.cat([x, self.up(self.down(x))], 1)

    module = Skip().eval()
    valid = analyze_network(load_torch(module, torch.zeros(1, 1, 16), {2: "L"}), fixes=False).valid.condition
    L = sp.Symbol("L", integer=True, positive=True)
    brute = set()
    for n in range(1, 60):
        try:
            module(torch.zeros(1, 1, n))
            brute.add(n)
        except RuntimeError:
            pass
    assert {n for n in range(1, 60) if bool(valid.subs(L, n))} == brute
