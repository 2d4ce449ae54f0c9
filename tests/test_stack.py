"""Stack analysis: sizes against PyTorch, receptive fields against composed graphs, closed forms, CLI."""
from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symconv import graphs
from symconv.cli import main
from symconv.spec import ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from symconv.stack import Layer, analyze, load_stack, merge_floors, repeated_layers, stack_graph

STACKS = Path(__file__).resolve().parent.parent / "benchmarks" / "stacks"
EXAMPLES = sorted(STACKS.glob("*.json"))


# --------------------------------------------------------------------------- oracles


def _graph_hulls(stack, size):
    """Largest set of input pixels feeding one final output, by walking the composed networkx graph."""
    g = stack_graph(stack, size)
    last = len(stack)
    lo, hi = {}, {}
    for node in nx.topological_sort(g):
        if node[0] == 0:
            lo[node] = hi[node] = node[1][0]
            continue
        seen = [p for p in g.predecessors(node) if p in lo]
        if seen:
            lo[node] = min(lo[p] for p in seen)
            hi[node] = max(hi[p] for p in seen)
    return max(hi[n] - lo[n] + 1 for n in lo if n[0] == last)


def _torch_sizes(torch, report):
    """Run a 1-channel tensor through the stack with torch.nn.functional; sizes per layer."""
    F = torch.nn.functional
    x = torch.zeros((1, 1) + tuple(report.input_size), dtype=torch.float64)
    nd = len(report.input_size)
    indices, sizes = {}, []
    for layer in report.layers:
        spec = layer.spec
        pads = [b for b, _ in getattr(spec, "padding", ())]
        if isinstance(spec, ConvSpec):
            assert all(b == a for b, a in spec.padding)
            conv = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
            x = conv(x, torch.ones((1, 1) + spec.kernel_size, dtype=x.dtype), stride=spec.stride, padding=pads,
                     dilation=spec.dilation)
        elif isinstance(spec, ConvTransposeSpec):
            conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
            x = conv(x, torch.ones((1, 1) + spec.kernel_size, dtype=x.dtype), stride=spec.stride, padding=pads,
                     output_padding=spec.output_padding, dilation=spec.dilation)
        elif isinstance(spec, MaxPoolSpec):
            pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
            x, idx = pool(x, spec.kernel_size, spec.stride, pads, spec.dilation, ceil_mode=spec.ceil_mode,
                          return_indices=True)
            indices[layer.index] = idx
        elif isinstance(spec, MaxUnpoolSpec):
            unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[nd - 1]
            x = unpool(x, indices[layer.restore.of], spec.kernel_size, spec.stride, pads,
                       output_size=spec.pinned_output_size)
        elif isinstance(spec, UpsampleSpec):
            x = F.interpolate(x, size=spec.size, scale_factor=spec.scale_factor, mode=spec.mode,
                              align_corners=spec.align_corners if spec.mode in ("linear", "bilinear") else None)
        sizes.append(tuple(x.shape[2:]))
    return sizes


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_stacks_sizes_match_torch(path, torch):
    report = analyze(path, {"deconvnet": 224, "unet": 188}.get(path.stem, 63))
    assert [layer.output_size for layer in report.layers] == _torch_sizes(torch, report)


def test_symbolic_output_sizes_agree_with_the_integers():
    stack = load_stack(STACKS / "unet.json")
    symbolic = analyze(stack, 572).layers
    for value in (188, 205, 572, 600):
        concrete = analyze(stack, value).layers
        for sym_layer, int_layer in zip(symbolic, concrete):
            (expr, *_), (number, *_) = sym_layer.output_size_symbolic, int_layer.output_size
            assert expr.subs(sp.Symbol("i", integer=True, positive=True), value) == number


def test_merge_floors_is_an_identity():
    i = sp.Symbol("i", integer=True, positive=True)
    nested = sp.floor((sp.floor((sp.floor((i - 3) / 2) + 5) / 3) - 1) / 2)
    merged = merge_floors(nested)
    assert merged.count(sp.floor) == 1
    assert all(nested.subs(i, v) == merged.subs(i, v) for v in range(1, 200))


def test_max_unpool_inherits_the_pool_and_pins_nothing():
    report = analyze([{"op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1},
                      {"op": "max_unpool", "of": 0}], (9, 8))
    unpool = report.layers[1]
    assert unpool.spec.kernel_size == (3, 3) and unpool.output_size == (9, 7)
    assert not unpool.restore.exact and "output_size=[9, 8]" in unpool.restore.fix
    fixed = analyze([{"op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1},
                     {"op": "max_unpool", "of": 0, "output_size": [9, 8]}], (9, 8))
    assert fixed.restores_encoder and fixed.layers[-1].output_size == (9, 8)


def test_a_pinned_unpool_size_matches_torch(torch):
    fixed = analyze([{"op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1},
                     {"op": "max_unpool", "of": 0, "output_size": [9, 8]}], (9, 8))
    assert _torch_sizes(torch, fixed) == [(5, 4), (9, 8)]


def test_output_padding_suggestion_restores_the_size_for_every_input():
    layers = [{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1},
              {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1}]
    for size in range(3, 20):
        report = analyze(layers, size, ndim=1)
        restore = report.layers[1].restore
        assert restore.exact == (size % 2 == 1)
        expr = restore.output_padding_symbolic[0]
        assert expr.subs(report.input_symbols[0], size) == restore.output_padding[0] == (size + 1) % 2
        fixed = [layers[0], dict(layers[1], output_padding=restore.output_padding[0])]
        assert analyze(fixed, size, ndim=1).restores_encoder
    unet = analyze(STACKS / "unet.json")
    assert unet.restores_encoder is False
    assert unet.layers[14].restore.output_padding is None and "crop" in unet.layers[14].restore.fix


# --------------------------------------------------------------------------- receptive field and jump


def _layer(kind, k, s, d):
    if kind == "conv":
        return ConvSpec(k, stride=s, dilation=d)
    if kind == "pool":
        return MaxPoolSpec(k, stride=s, dilation=d)
    if kind == "tconv":
        return ConvTransposeSpec(k, stride=s, dilation=d)
    return UpsampleSpec(scale_factor=s, mode=("nearest", "linear")[d - 1])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["conv", "pool", "tconv", "up"]), st.integers(1, 4),
                          st.integers(1, 3), st.integers(1, 2)), min_size=1, max_size=4))
def test_receptive_field_is_the_largest_hull_in_the_composed_graph(layers):
    stack = [_layer(*spec) for spec in layers]
    try:
        report = analyze(stack, 50, symbolic=False)
    except ValueError:
        assume(False)                             # a kernel larger than its input
    rf = report.layers[-1].receptive_field[0]
    assume(3 * rf <= 50 and report.layers[-1].output_size[0] >= 3)    # else borders clip every output
    assert _graph_hulls(stack, 50) == rf


def test_conv_stacks_follow_the_classic_closed_form():
    rng = np.random.default_rng(0)
    for _ in range(30):
        params = [(int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 3))) for _ in range(5)]
        report = analyze([ConvSpec(k, stride=s, dilation=d) for k, s, d in params], 2000, symbolic=False)
        jump, rf = 1, 1
        for layer, (k, s, d) in zip(report.layers, params):
            rf, jump = rf + d * (k - 1) * jump, jump * s
            assert layer.receptive_field == (rf,) and layer.jump == (jump,)


def test_repeated_layers_closed_form_is_proven_and_matches_analysis():
    n, k, s, d = sp.Symbol("n", integer=True, nonnegative=True), *sp.symbols("k s d", integer=True, positive=True)
    cf = repeated_layers(k, s, d)
    assert cf.holds
    for kv, sv, dv, nv in [(3, 2, 1, 4), (2, 2, 1, 6), (5, 1, 2, 3), (3, 3, 2, 3)]:
        report = analyze([ConvSpec(kv, stride=sv, dilation=dv)] * nv, 4000)
        values = {k: kv, s: sv, d: dv, cf.n: nv}
        assert report.layers[-1].receptive_field[0] == cf.receptive_field.subs(values)
        assert report.layers[-1].jump[0] == cf.jump.subs(values)
    t = repeated_layers(k, s, transposed=True)
    for kv in range(1, 6):
        for sv in range(1, 4):
            for nv in range(1, 4):
                report = analyze([ConvTransposeSpec(kv, stride=sv)] * nv, 6, symbolic=False)
                assert report.layers[-1].receptive_field[0] == t.receptive_field.subs({k: kv, s: sv, t.n: nv})
                assert report.layers[-1].jump[0] == sp.Rational(1, sv ** nv)
    broken = repeated_layers(3, 2)
    assert not type(broken)(broken.n, broken.span, broken.factor, broken.receptive_field, broken.jump,
                            broken.base, (broken.step[0] + 1, broken.step[1])).holds


# --------------------------------------------------------------------------- overlap and checkerboard


def test_overlap_report_matches_graph_in_degrees():
    report = analyze(STACKS / "autoencoder_k3s2.json", 40)
    layer = report.layers[6]
    assert layer.checkerboard and layer.overlap.pattern == ((1, 2), (1, 2))
    assert (layer.overlap.min, layer.overlap.max, layer.overlap.period) == (1, 4, (2, 2))
    g = graphs.graph(layer.spec)
    (lo0, hi0), (lo1, hi1) = graphs.interior(layer.spec)
    degrees = [g.in_degree(("out", (a, b))) for a in range(lo0, hi0) for b in range(lo1, hi1)]
    assert (min(degrees), max(degrees)) == (layer.overlap.min, layer.overlap.max)
    assert any("3 % 2 = 1" in w for w in layer.warnings)
    assert any("resize-then-conv" in r for r in layer.remedies)


def test_checkerboard_remedy_keeps_the_size_and_evens_the_overlap():
    report = analyze([{"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}],
                     16)
    layer = report.layers[0]
    remedy = [r for r in layer.remedies if r.startswith("kernel divisible")][0]
    assert "kernel_size=4, padding=1, output_padding=0" in remedy
    fixed = analyze([{"op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1}], 16).layers[0]
    assert fixed.output_size == layer.output_size and not fixed.checkerboard and fixed.overlap.min == 4


def test_dilation_sharing_a_factor_with_the_stride_leaves_holes():
    layer = analyze([ConvTransposeSpec(3, stride=2, dilation=2)], 10).layers[0]
    assert layer.checkerboard and layer.overlap.min == 0
    assert "share the factor 2" in layer.warnings[0]
    even = analyze([ConvTransposeSpec(4, stride=2, dilation=3)], 10).layers[0]
    assert not even.checkerboard and even.overlap.pattern == ((2, 2),)


# --------------------------------------------------------------------------- loading and errors


def test_stack_sources_agree():
    as_dicts = [{"op": "conv", "kernel_size": 3, "stride": 2}, {"op": "upsample", "scale_factor": 2}]
    as_specs = [ConvSpec((3, 3), stride=2), Layer(UpsampleSpec(scale_factor=2, ndim=2))]
    as_object = {"input_size": [20, 20], "layers": as_dicts}
    sizes = [analyze(src, 20).output_size for src in (as_dicts, as_specs, as_object)]
    assert sizes == [(18, 18)] * 3
    assert analyze(as_object).input_size == (20, 20)


def test_yaml_is_optional(tmp_path):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump([{"op": "max_pool", "kernel_size": 2}, {"op": "max_unpool", "of": 0}]))
    assert analyze(path, 8).restores_encoder


@pytest.mark.parametrize("layers, message", [
    ([{"op": "conv2d", "kernel_size": 3}], "op must be one of"),
    ([{"op": "conv", "kernel_size": 3, "kernal": 3}], "unknown key 'kernal'"),   # bias is size-neutral: accepted
    ([{"op": "conv", "kernel_size": "__import__('os')"}], "kernel_size must be an int"),
    ([{"op": "max_unpool", "kernel_size": 2, "of": 0}], "of must be the index of an earlier layer"),
    ([{"op": "conv", "kernel_size": 3}, {"op": "max_unpool", "of": 0}], "of must name a max_pool"),
    ([], "non-empty list"),
])
def test_bad_stacks_name_layer_and_rule(layers, message):
    with pytest.raises((TypeError, ValueError), match=message):
        analyze(layers, 8)


def test_unpool_input_must_match_its_pool():
    with pytest.raises(ValueError, match="layer 2 .* differs from the size"):
        analyze([{"op": "max_pool", "kernel_size": 2}, {"op": "conv", "kernel_size": 3},
                 {"op": "max_unpool", "of": 0}], 16)


def test_kernel_too_large_names_the_layer():
    with pytest.raises(ValueError, match="layer 18 \\(conv\\) on input \\[3, 3\\]"):
        analyze(STACKS / "deconvnet.json", 100)


# --------------------------------------------------------------------------- command line


def test_cli_json_and_table(capsys):
    path = str(STACKS / "autoencoder_k3s2.json")
    assert main(["analyze", path, "--i", "64", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 12
    assert {"output_size", "receptive_field", "jump", "overlap", "checkerboard"} <= set(data[6])
    assert data[6]["overlap"] == {"min": 1, "max": 4, "period": [2, 2], "pattern": [[1, 2], [1, 2]]}
    assert data[6]["checkerboard"] is True and data[0]["output_size"] == [64, 64]
    assert main(["analyze", path, "--i", "64,48"]) == 0
    out = capsys.readouterr().out
    assert "CHECKERBOARD" in out and "64x48" in out.splitlines()[2]


def test_cli_plot_is_written_atomically(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "overlap.png"
    assert main(["analyze", str(STACKS / "autoencoder_k3s2.json"), "--i", "32", "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".symconv-manifest.json", "overlap.png"]  # no temp files


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    ("[{\"op\": \"conv\", \"kernel_size\": 3", "not valid JSON"),
    ("[{\"op\": \"conv\", \"kernel_size\": 3.5}]", "kernel_size must be an int"),
    ("{\"layers\": [{\"op\": \"conv\", \"kernel_size\": 9}]}", "layer 0 \\(conv\\) on input"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "stack.json"
    if content is not None:
        path.write_text(content)
    assert main(["analyze", str(path), "--i", "8"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, err)


# --------------------------------------------------------------------------- advice in order (issue 14)

DECODER = [{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1}] * 2 + [
    {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1},
    {"op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1}]


def _torch_sizes_1d(torch, layers, size):
    """Output sizes of a 1-D stack computed by torch (the oracle for every advised remedy)."""
    x = torch.zeros(1, 1, size)
    out = []
    for layer in layers:
        kw = dict(stride=layer["stride"], padding=layer["padding"])
        if layer["op"] == "conv":
            x = torch.nn.functional.conv1d(x, torch.zeros(1, 1, layer["kernel_size"]), **kw)
        else:
            x = torch.nn.functional.conv_transpose1d(x, torch.zeros(1, 1, layer["kernel_size"]),
                                                     output_padding=layer.get("output_padding", 0), **kw)
        out.append(x.shape[-1])
    return out


def test_decoder_advice_is_in_order_and_every_remedy_is_verified_by_torch(torch):
    report = analyze(DECODER, 100, ndim=1)
    assert [layer.output_size[0] for layer in report.layers] == _torch_sizes_1d(torch, DECODER, 100) == [50, 25, 49, 98]
    layer2, layer3 = report.layers[2], report.layers[3]
    assert layer2.restore.fix.startswith("use output_padding=1")
    assert "nothing to change here" in layer3.restore.fix and "layer 2: output_padding=1" in layer3.restore.fix
    fixed = [dict(DECODER[0]), dict(DECODER[1]), dict(DECODER[2], output_padding=1), dict(DECODER[3])]
    assert _torch_sizes_1d(torch, fixed, 100) == [50, 25, 50, 100]
    # the kernel remedy of layer 2 keeps the restoring size 50 (torch, with the input layer 1 gives)
    remedy = next(r for r in layer2.remedies if r.startswith("kernel divisible"))
    k, p, a = (int(v) for v in re.search(r"kernel_size=(\d+), padding=(\d+), output_padding=(\d+)", remedy).groups())
    assert k % 2 == 0
    remedied = fixed[:2] + [dict(op="conv_transpose", kernel_size=k, stride=2, padding=p, output_padding=a),
                            DECODER[3]]
    assert _torch_sizes_1d(torch, remedied, 100) == [50, 25, 50, 100]


def test_table_legend_multi_d_symbols_ceil_mode_and_size_neutral_arguments():
    stack = [{"op": "max_pool", "kernel_size": 2, "ceil_mode": True, "return_indices": True},
             {"op": "conv", "kernel_size": 3, "bias": False, "padding_mode": "zeros"},
             {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "bias": True}]
    table = analyze(stack, (9, 12)).table()
    assert "max_pool k2 s2 ceil" in table
    assert "overlap: contributions per interior output" in table
    assert "xfloor" not in table and "(i_0, i_1)" in table
    with pytest.raises(ValueError, match="unknown key 'bias'"):
        analyze([{"op": "max_pool", "kernel_size": 2, "bias": False}], 8)


def test_per_axis_remedies_name_their_axis():
    report = analyze([{"op": "conv_transpose", "kernel_size": [3, 5], "stride": [2, 4], "padding": [1, 1]}], (6, 6))
    remedy = next(r for r in report.layers[0].remedies if r.startswith("kernel divisible"))
    assert "axis 0: kernel_size=4" in remedy and "axis 1: kernel_size=8" in remedy


def test_stack_analysis_repr_is_short_and_rich():
    report = analyze(DECODER, 100, ndim=1)
    text = repr(report)
    assert text.startswith("<StackAnalysis: 4 layers, input [100] -> output [98]") and "checkerboard at layer 2" in text
    assert report._repr_html_().startswith("<pre>") and "conv_transpose k3 s2 p1" in report._repr_html_()


def test_ceil_mode_symbolic_size_is_settled_and_matches_torch(torch):
    for k, s, p in ((2, 2, 0), (3, 2, 1), (3, 3, 1)):
        layer = {"op": "max_pool", "kernel_size": k, "stride": s, "padding": p, "ceil_mode": True}
        report = analyze([layer], 9, ndim=1)
        size = report.layers[0].output_size_symbolic[0]
        symbol = report.input_symbols[0]
        if p == 0:
            assert not size.has(sp.Piecewise), size
        for i in range(k, 30):
            want = torch.nn.functional.max_pool1d(torch.zeros(1, 1, i), k, s, p, ceil_mode=True).shape[-1]
            assert size.subs(symbol, i) == want, (k, s, p, i)
