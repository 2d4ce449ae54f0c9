"""symconv.onnx against onnx.reference.ReferenceEvaluator and onnxruntime on generated configurations.

Single-node models are built with ``onnx.helper`` at a fixed opset (19 for Resize: antialias,
keep_aspect_ratio_policy, half_pixel_symmetric; 9 for Upsample; 13/19 for the opset check;
18 for LpPool's dilations and ceil_mode; 11 for MaxUnpool's shape input, 12 for MaxPool's dilations).
Where an oracle deviates from the operator's definition or refuses a case, the test says which
and skips only that oracle for that case (the reasons are the ``_SKIP_*`` notes).
"""
from __future__ import annotations

import itertools
import math
import zlib
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from symconv import onnx as ops  # noqa: E402

ort.set_default_logger_severity(4)
from symconv import shapes  # noqa: E402
from symconv.resize import RESIZE_COORDINATE_MODES, RESIZE_NEAREST_MODES, resize_source  # noqa: E402
from symconv.matrix import resize_matrix  # noqa: E402

RTOL, ATOL = 1e-5, 1e-5
_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}


def _model(op: str, inputs: list, n_outputs: int = 1, opset: int = 19, **attrs):
    """A one-node model; ``inputs`` are (name, array or None) pairs, None meaning an omitted input."""
    names = [name if value is not None else "" for name, value in inputs]
    while names and names[-1] == "":
        names.pop()
    infos = [helper.make_tensor_value_info(name, _TYPES[value.dtype], None) for name, value in inputs
             if value is not None]
    outputs = [f"Y{j}" for j in range(n_outputs)]
    node = helper.make_node(op, names, outputs, **{k: v for k, v in attrs.items() if v is not None})
    graph = helper.make_graph([node], "g", infos, [onnx.ValueInfoProto(name=o) for o in outputs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _feeds(inputs: list) -> dict:
    return {name: value for name, value in inputs if value is not None}


def _reference(model, inputs):
    return ReferenceEvaluator(model).run(None, _feeds(inputs))


def _runtime(model, inputs):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, _feeds(inputs))


def _same(got, want, what: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if got.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def _pads(pairs) -> list:
    return [b for b, _ in pairs] + [e for _, e in pairs]


# --------------------------------------------------------------------------- Conv and ConvTranspose


def _conv_cases(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, n))
        s = tuple(int(v) for v in rng.integers(1, 4, n))
        d = tuple(int(v) for v in rng.integers(1, 3, n))
        auto_pad = str(rng.choice(["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]))
        pairs = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(n))
        group = int(rng.choice([1, 2]))
        i = tuple(int(kj + (kj - 1) * (dj - 1) + rng.integers(0, 5)) for kj, dj in zip(k, d))
        yield n, k, s, d, auto_pad, pairs, group, i, rng


@pytest.mark.parametrize("seed", range(3))
def test_conv_matches_reference_and_runtime(seed):
    for n, k, s, d, auto_pad, pairs, group, i, rng in _conv_cases(seed, 12):
        x = rng.standard_normal((2, 2 * group) + i).astype(np.float32)
        w = rng.standard_normal((2 * group, 2) + k).astype(np.float32)
        b = rng.standard_normal(2 * group).astype(np.float32)
        attrs = dict(strides=list(s), dilations=list(d), group=group, auto_pad=auto_pad,
                     pads=_pads(pairs) if auto_pad == "NOTSET" else None)
        got = ops.Conv(x, w, b, **attrs)
        inputs = [("X", x), ("W", w), ("B", b)]
        model = _model("Conv", inputs, **attrs)
        what = f"Conv {attrs} i={i}"
        if not (auto_pad.startswith("SAME") and set(d) != {1}):   # onnxruntime: "Dilation not supported"
            _same(got, _runtime(model, inputs)[0], what + " vs onnxruntime")
        _same(got, _reference(model, inputs)[0], what + " vs reference")


def test_conv_transpose_matches_reference_and_runtime():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(40):
        k, s, d = (int(v) for v in rng.integers(1, 4, 3))
        a = int(rng.integers(0, s))     # onnxruntime also refuses s <= output_padding < dilation
        i = int(rng.integers(1, 5))
        mode = str(rng.choice(["pads", "output_shape", "SAME_UPPER", "SAME_LOWER", "VALID"]))
        x = rng.standard_normal((1, 2, i)).astype(np.float32)
        w = rng.standard_normal((2, 3, k)).astype(np.float32)
        full = s * (i - 1) + a + d * (k - 1) + 1
        attrs = dict(strides=[s], dilations=[d], output_padding=[a])
        if mode == "pads":
            pb, pe = (int(v) for v in rng.integers(0, 3, 2))
            if pb + pe >= full:
                continue
            attrs["pads"] = [pb, pe]
        elif mode == "output_shape":
            attrs["output_shape"] = [int(rng.integers(max(1, full - 3), full + 1))]
        else:
            attrs["auto_pad"] = mode
            if mode != "VALID" and full < i * s:
                continue        # a target beyond the full result: see the dedicated test
            if mode != "VALID" and d > 1:
                continue        # onnxruntime: "Dilation not supported for AutoPadType::SAME_*"
        got = ops.ConvTranspose(x, w, None, **attrs)
        model = _model("ConvTranspose", [("X", x), ("W", w)], **attrs)
        what = f"ConvTranspose {attrs} i={i} k={k}"
        _same(got, _runtime(model, [("X", x), ("W", w)])[0], what + " vs onnxruntime")
        if mode != "output_shape":   # the reference raises for NOTSET + output_shape (REFERENCE.md, ONNX section)
            _same(got, _reference(model, [("X", x), ("W", w)])[0], what + " vs reference")
        checked += 1
    assert checked >= 25


def test_conv_transpose_output_shape_beyond_the_full_result_is_refused_as_onnxruntime_does():
    x = np.ones((1, 1, 2), np.float32)
    w = np.ones((1, 1, 2), np.float32)
    with pytest.raises(ValueError, match="larger than the full transposed result"):
        ops.ConvTranspose(x, w, output_shape=[5])
    with pytest.raises(Exception, match="inconsistent"):
        _runtime(_model("ConvTranspose", [("X", x), ("W", w)], output_shape=[5]), [("X", x), ("W", w)])
    assert ops.ConvTranspose(x, w, output_shape=[3]).tolist() == [[[1, 2, 1]]]


# --------------------------------------------------------------------------- pools


def _pool_cases(seed: int, count: int, dilation: bool = True):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, n))
        s = tuple(int(v) for v in rng.integers(1, 4, n))
        d = tuple(int(v) for v in rng.integers(1, 3, n)) if dilation else (1,) * n
        pairs = tuple((int(rng.integers(0, kj)), int(rng.integers(0, kj))) for kj in k)   # up to k - 1
        auto_pad = str(rng.choice(["NOTSET"] * 4 + ["SAME_UPPER", "SAME_LOWER", "VALID"]))
        ceil = int(rng.integers(0, 2)) if auto_pad == "NOTSET" else 0
        i = tuple(int(kj + (kj - 1) * (dj - 1) + rng.integers(0, 5)) for kj, dj in zip(k, d))
        attrs = dict(kernel_shape=list(k), strides=list(s), dilations=list(d), auto_pad=auto_pad, ceil_mode=ceil,
                     pads=_pads(pairs) if auto_pad == "NOTSET" else None)
        yield attrs, i, rng


def _same_with_dilation(attrs) -> bool:
    """auto_pad SAME with dilation: the text's pad_shape uses the dilated window; onnxruntime pads
    for the undilated kernel and the reference ignores dilation there. Neither is an oracle."""
    return attrs["auto_pad"].startswith("SAME") and set(attrs["dilations"]) != {1}


def _reference_sizes_pools(attrs, i) -> bool:
    """The reference evaluator mis-sizes ceil_mode pools (it splits the extra padding over both ends),
    ignores dilation under auto_pad, and floors a negative SAME total (a stride beyond the window)
    where onnxruntime truncates."""
    if attrs["ceil_mode"] or (attrs["auto_pad"] != "NOTSET" and set(attrs["dilations"]) != {1}):
        return False
    if attrs["auto_pad"].startswith("SAME"):
        return all(shapes.auto_pad_axis(n, k, s, 1, "SAME_UPPER", clip=False)[1] >= 0
                   for n, k, s in zip(i, attrs["kernel_shape"], attrs["strides"]))
    return True


@pytest.mark.parametrize("seed", range(3))
def test_max_pool_values_and_indices(seed):
    for attrs, i, rng in _pool_cases(seed, 25):
        x = rng.standard_normal((2, 3) + i).astype(np.float32)
        storage_order = int(rng.integers(0, 2))
        y, indices = ops.MaxPool(x, storage_order=storage_order, **attrs)
        model = _model("MaxPool", [("X", x)], 2, opset=12, storage_order=storage_order, **attrs)
        want_y, want_i = _runtime(model, [("X", x)])
        what = f"MaxPool {attrs} i={i} storage_order={storage_order}"
        if _same_with_dilation(attrs):
            continue
        _same(y, want_y, what + " values vs onnxruntime")
        _same(indices, want_i, what + " indices vs onnxruntime")
        if _reference_sizes_pools(attrs, i) and not attrs["auto_pad"].startswith("SAME") and not any(
                attrs["pads"] or ()):
            # the reference's MaxPool has its own code: 2-D only for SAME, and it crashes on some padded cases
            _same(y, _reference(_model("MaxPool", [("X", x)], opset=12, **attrs), [("X", x)])[0],
                  what + " vs reference")


@pytest.mark.parametrize("seed", range(3))
def test_average_pool_with_dilations_and_count_include_pad(seed):
    for attrs, i, rng in _pool_cases(100 + seed, 25):
        x = rng.standard_normal((1, 2) + i).astype(np.float32)
        include = int(rng.integers(0, 2))
        got = ops.AveragePool(x, count_include_pad=include, **attrs)
        model = _model("AveragePool", [("X", x)], opset=19, count_include_pad=include, **attrs)
        what = f"AveragePool {attrs} count_include_pad={include} i={i}"
        if _same_with_dilation(attrs):
            continue
        _same(got, _runtime(model, [("X", x)])[0], what + " vs onnxruntime")
        if _reference_sizes_pools(attrs, i):
            _same(got, _reference(model, [("X", x)])[0], what + " vs reference")


def test_lp_pool_and_global_pools():
    for attrs, i, rng in _pool_cases(200, 20):
        x = rng.standard_normal((1, 2) + i).astype(np.float32)
        p = int(rng.integers(1, 4))
        got = ops.LpPool(x, p=p, **attrs)
        model = _model("LpPool", [("X", x)], opset=18, p=p, **attrs)
        what = f"LpPool {attrs} p={p} i={i}"
        if _same_with_dilation(attrs):
            continue
        _same(got, _runtime(model, [("X", x)])[0], what + " vs onnxruntime")
        if _reference_sizes_pools(attrs, i):
            _same(got, _reference(model, [("X", x)])[0], what + " vs reference")
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for op, fn in (("GlobalAveragePool", ops.GlobalAveragePool), ("GlobalMaxPool", ops.GlobalMaxPool)):
        model = _model(op, [("X", x)])
        _same(fn(x), _runtime(model, [("X", x)])[0], op + " vs onnxruntime")
        _same(fn(x), _reference(model, [("X", x)])[0], op + " vs reference")


def test_pool_pads_up_to_kernel_minus_one_exhaustive():
    """Every 1-D (i, k, s, p_b, p_e, ceil_mode) with pads < k: values, indices and sizes as onnxruntime."""
    count = 0
    for k, s, pb, pe, ceil in itertools.product(range(1, 4), range(1, 3), range(3), range(3), (0, 1)):
        if pb >= k or pe >= k:
            continue
        attrs = dict(kernel_shape=[k], strides=[s], pads=[pb, pe], ceil_mode=ceil)
        probe = [("X", np.zeros((1, 1, 1), np.float32))]
        sessions = [ort.InferenceSession(_model(op, probe, outputs, opset=19, **extra, **attrs).SerializeToString(),
                                         providers=["CPUExecutionProvider"])
                    for op, outputs, extra in (("MaxPool", 2, {}), ("AveragePool", 1, {"count_include_pad": 1}))]
        for i in range(max(1, k - pb - pe), max(1, k - pb - pe) + 3):
            x = np.arange(1, i + 1, dtype=np.float32)[::-1].reshape(1, 1, i).copy()
            y, indices = ops.MaxPool(x, **attrs)
            want_y, want_i = sessions[0].run(None, {"X": x})
            _same(y, want_y, f"MaxPool {attrs} i={i}")
            _same(indices, want_i, f"MaxPool indices {attrs} i={i}")
            _same(ops.AveragePool(x, count_include_pad=1, **attrs), sessions[1].run(None, {"X": x})[0],
                  f"AveragePool {attrs} count_include_pad=1 i={i}")
            count += 1
    assert count > 100


def test_pool_pads_of_kernel_size_are_refused_as_onnxruntime_does():
    x = np.zeros((1, 1, 4), np.float32)
    attrs = dict(kernel_shape=[3], pads=[3, 0])
    with pytest.raises(ValueError, match="pads must be smaller than the kernel"):
        ops.MaxPool(x, **attrs)
    with pytest.raises(Exception):
        _runtime(_model("MaxPool", [("X", x)], **attrs), [("X", x)])
    # torch's rule (p <= k//2) is not ONNX's: k=3, p=2 is accepted
    assert ops.MaxPool(x, kernel_shape=[3], pads=[2, 2])[0].shape == (1, 1, 6)


def test_max_unpool_round_trip_and_output_shape():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, n))
        s = tuple(int(v) for v in rng.integers(1, 4, n))
        i = tuple(int(kj + rng.integers(0, 4)) for kj in k)
        x = rng.standard_normal((2, 2) + i).astype(np.float32)
        pool = dict(kernel_shape=list(k), strides=list(s))
        y, indices = ops.MaxPool(x, **pool)
        shape = np.array(x.shape, np.int64)
        got = ops.MaxUnpool(y, indices, shape, **pool)
        inputs = [("X", y), ("I", indices), ("output_shape", shape)]
        _same(got, _runtime(_model("MaxUnpool", inputs, opset=11, **pool), inputs)[0], f"MaxUnpool {pool} i={i}")
        if all(s_ * (n_ - 1) + k_ == i_ for s_, n_, k_, i_ in zip(s, y.shape[2:], k, i)):
            # the default size is x's: the reference (which scatters into the default size, onnx#2398) agrees
            default = ops.MaxUnpool(y, indices, **pool)
            inputs = inputs[:2]
            _same(default, _reference(_model("MaxUnpool", inputs, opset=11, **pool), inputs)[0],
                  f"MaxUnpool {pool} i={i} vs reference")
        assert np.count_nonzero(got) <= y.size
        np.testing.assert_array_equal(got.reshape(-1)[indices.ravel()], y.ravel())


# --------------------------------------------------------------------------- Resize


def _resize_modes():
    """Every combination of mode x coordinate_transformation_mode x nearest_mode (nearest only)
    x exclude_outside x antialias (linear and cubic only)."""
    for ctm in RESIZE_COORDINATE_MODES:
        for nearest_mode in RESIZE_NEAREST_MODES:
            yield "nearest", ctm, nearest_mode, 0, 0
        for mode, exclude, antialias in itertools.product(("linear", "cubic"), (0, 1), (0, 1)):
            yield mode, ctm, "round_prefer_floor", exclude, antialias


_DYADIC = (0.25, 0.5, 0.75, 1.25, 1.5, 2.0, 2.5, 3.0)


def _resize_inputs(rng, ctm: str, use_sizes: bool):
    shape = (1, 2) + tuple(int(v) for v in rng.integers(1, 7, 2))
    x = rng.standard_normal(shape).astype(np.float32)
    roi = np.array([0, 0, 0.125, -0.25, 1, 1, 0.75, 1.25], np.float32) if ctm == "tf_crop_and_resize" \
        else np.zeros(0, np.float32)
    if use_sizes:
        return x, roi, None, np.array([1, 2] + [int(v) for v in rng.integers(1, 10, 2)], np.int64)
    return x, roi, np.array([1, 1] + [float(v) for v in rng.choice(_DYADIC, 2)], np.float32), None


def _fractional_width(x, scales) -> bool:
    return scales is not None and any(float(f) * n != int(float(f) * n) for f, n in zip(scales, x.shape))


def _runtime_skip(mode, ctm, exclude, antialias, x, scales, sizes, roi) -> str:
    """Why onnxruntime is not an oracle for this case ('' when it is)."""
    if mode == "linear" and exclude and not antialias:
        return "onnxruntime refuses exclude_outside=1 for linear without antialias"
    if _fractional_width(x, scales) and (antialias or ctm in ("align_corners", "pytorch_half_pixel",
                                                                "tf_crop_and_resize")):
        return "onnxruntime uses the integer output size where the operator's width scale*i is fractional"
    out, factors = shapes.resize_output_sizes(x.shape, None if scales is None else tuple(scales.tolist()),
                                              None if sizes is None else tuple(sizes.tolist()))
    n = x.ndim
    for j in range(2, n):
        pair = (float(roi[j]), float(roi[n + j])) if roi.size else (0.0, 1.0)
        if out[j] == x.shape[j] and (factors[j] != 1 or (ctm == "tf_crop_and_resize" and pair != (0.0, 1.0))):
            return "onnxruntime copies an axis whose output size equals its input size, whatever scale and roi"
        if mode == "nearest" and _inexact(ctm, x.shape[j], out[j], factors[j]) and _on_boundary(
                ctm, x.shape[j], out[j], factors[j], pair):
            return "onnxruntime's float32 x_original is rounding noise at an exact integer or half"
    return ""


def _inexact(ctm, i, o, factor) -> bool:
    """Whether float32 arithmetic of the coordinate map can be inexact (non-dyadic quantities)."""
    if Fraction(float(np.float32(float(factor)))) != factor:
        return True
    if ctm == "tf_crop_and_resize":     # a division by o - 1
        return (o - 1) & (o - 2) != 0
    return ctm == "half_pixel_symmetric" and factor * i != o


def _on_boundary(ctm, i, o, factor, pair) -> bool:
    """Whether some exact source coordinate is an integer or a half (where rounding decides)."""
    return any((2 * resize_source(y, i, o, factor, ctm, pair)).denominator == 1 for y in range(o))


def _ambiguous(ctm, i, o, factor, pair, dtype) -> bool:
    """Whether float arithmetic (``dtype``) may put a source coordinate on the other side of an
    integer, a half or the input's end than the exact one (rounding noise of an oracle)."""
    exact_x = [resize_source(y, i, o, factor, ctm, pair) for y in range(o)]
    float_x = _float_source(ctm, np.arange(o, dtype=dtype), dtype(float(factor)), i, o,
                            tuple(dtype(v) for v in pair)).astype(np.float64)
    for xe, xf in zip(exact_x, float_x):
        if (math.floor(xe) != math.floor(xf) or (xe == math.floor(xe)) != (xf == math.floor(xf))
                or (xe - math.floor(xe) == Fraction(1, 2)) != (xf - math.floor(xf) == 0.5)
                or (xe > i - 1) != (xf > i - 1) or (xe < 0) != (xf < 0)):
            return True
    return False


def _float_source(ctm: str, y: np.ndarray, scale: float, i: int, o: int, roi) -> np.ndarray:
    """The reference evaluator's float64 source coordinate (op_resize._compute_x_ori), to detect
    the cases where its rounding puts x_original on the other side of an integer."""
    width = scale * i
    if ctm == "align_corners":
        return np.zeros(o) if width == 1 else y * (i - 1) / (width - 1)
    if ctm == "asymmetric":
        return y / scale
    if ctm == "tf_crop_and_resize":
        x = np.full(o, (roi[1] - roi[0]) * (i - 1) / 2) if width == 1 else y * (roi[1] - roi[0]) * (i - 1) / (width - 1)
        return x + roi[0] * (i - 1)
    if ctm == "half_pixel_symmetric":
        return i / 2 * (1 - o / width) + (y + 0.5) / scale - 0.5
    return (y + 0.5) / scale - 0.5


def _reference_skip(ctm, x, scales, sizes, roi) -> str:
    """Why the reference evaluator is not an oracle for this case ('' when it is)."""
    out, factors = shapes.resize_output_sizes(x.shape, None if scales is None else tuple(scales.tolist()),
                                              None if sizes is None else tuple(sizes.tolist()))
    n = x.ndim
    for j in range(2, n):
        if ctm == "pytorch_half_pixel" and factors[j] * x.shape[j] == 1:
            return "the reference uses x_original = -0.5 for a width-1 output; the operator's text says 0"
        pair = (float(roi[j]), float(roi[n + j])) if roi.size else (0.0, 1.0)
        if _ambiguous(ctm, x.shape[j], out[j], factors[j], pair, np.float64):
            return "float64 rounding moves the reference's x_original across an integer or a half"
    return ""


@pytest.mark.parametrize("mode, ctm, nearest_mode, exclude, antialias", list(_resize_modes()))
def test_resize_every_mode_combination(mode, ctm, nearest_mode, exclude, antialias):
    rng = np.random.default_rng(zlib.crc32(f"{mode} {ctm} {nearest_mode} {exclude} {antialias}".encode()))
    attrs = dict(mode=mode, coordinate_transformation_mode=ctm, nearest_mode=nearest_mode,
                 exclude_outside=exclude, antialias=antialias, extrapolation_value=7.5, cubic_coeff_a=-0.5)
    compared = {"reference": 0, "onnxruntime": 0}
    use_roi = ctm == "tf_crop_and_resize"     # scales there often give fractional widths (see _runtime_skip)
    wanted = {"reference": 4, "onnxruntime": 0 if mode == "linear" and exclude and not antialias else 3}
    for trial in range(40):
        if all(compared[k] >= v for k, v in wanted.items()):
            break
        x, roi, scales, sizes = _resize_inputs(rng, ctm, use_sizes=trial % (4 if use_roi else 2) != 1)
        if scales is not None and any(int(f * n) < 1 for f, n in zip(scales, x.shape)):
            continue
        got = ops.Resize(x, roi, scales, sizes, **attrs)
        inputs = [("X", x), ("roi", roi), ("scales", scales), ("sizes", sizes)]
        model = _model("Resize", inputs, **attrs)
        what = f"Resize {attrs} x.shape={x.shape} scales={scales} sizes={sizes}"
        if not _reference_skip(ctm, x, scales, sizes, roi):
            _same(got, _reference(model, inputs)[0], what + " vs reference")
            compared["reference"] += 1
        if not _runtime_skip(mode, ctm, exclude, antialias, x, scales, sizes, roi):
            _same(got, _runtime(model, inputs)[0], what + " vs onnxruntime")
            compared["onnxruntime"] += 1
    assert all(compared[k] >= v for k, v in wanted.items()), compared


def test_resize_axes_and_keep_aspect_ratio_policies():
    rng = np.random.default_rng(11)
    for policy, axes in itertools.product(("stretch", "not_larger", "not_smaller"), ([2, 3], [3], [3, 2])):
        x = rng.standard_normal((1, 2, 5, 3)).astype(np.float32)
        sizes = np.array([int(v) for v in rng.integers(1, 9, len(axes))], np.int64)
        attrs = dict(mode="linear", axes=axes, keep_aspect_ratio_policy=policy)
        got = ops.Resize(x, None, None, sizes, **attrs)
        inputs = [("X", x), ("roi", None), ("scales", None), ("sizes", sizes)]
        model = _model("Resize", inputs, **attrs)
        what = f"Resize {attrs} sizes={sizes}"
        if axes == sorted(axes):   # the reference transposes back wrongly for unsorted axes
            _same(got, _reference(model, inputs)[0], what + " vs reference")
        _same(got, _runtime(model, inputs)[0], what + " vs onnxruntime")
        # negative axes count from the back (both oracles mishandle them: onnxruntime leaves the axis as it is)
        _same(ops.Resize(x, None, None, sizes, **{**attrs, "axes": [a - 4 for a in axes]}), got, what + " axes < 0")


def test_resize_sizes_formula_matches_onnxruntime_shapes():
    """shapes.resize_output_sizes (the formula) against onnxruntime's output shapes."""
    rng = np.random.default_rng(5)
    for _ in range(30):
        in_sizes = tuple(int(v) for v in rng.integers(1, 12, 2))
        sizes = tuple(int(v) for v in rng.integers(1, 12, 2))
        policy = str(rng.choice(["stretch", "not_larger", "not_smaller"]))
        out, factors = shapes.resize_output_sizes(in_sizes, sizes=sizes, keep_aspect_ratio_policy=policy)
        x = np.zeros((1, 1) + in_sizes, np.float32)
        inputs = [("X", x), ("roi", None), ("scales", None), ("sizes", np.array(sizes, np.int64))]
        model = _model("Resize", inputs, axes=[2, 3], keep_aspect_ratio_policy=policy)
        assert _runtime(model, inputs)[0].shape[2:] == out, (in_sizes, sizes, policy)
    i = sp.Symbol("i", integer=True, positive=True)
    assert shapes.resize_output_sizes((i,), scales=(Fraction(5, 2),))[0] == (sp.floor(5 * i / 2),)


def test_resize_opset_13_agrees_with_opset_19_on_the_shared_modes():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 1, 4, 5)).astype(np.float32)
    scales = np.array([1, 1, 1.5, 0.75], np.float32)
    for mode, ctm in itertools.product(("nearest", "linear", "cubic"),
                                       ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")):
        inputs = [("X", x), ("roi", None), ("scales", scales)]
        attrs = dict(mode=mode, coordinate_transformation_mode=ctm)
        want13 = _runtime(_model("Resize", inputs, opset=13, **attrs), inputs)[0]
        got = ops.Resize(x, None, scales, **attrs)
        if ctm not in ("align_corners", "pytorch_half_pixel"):   # fractional width: see _runtime_skip
            _same(got, want13, f"Resize opset 13 {attrs}")
        _same(got, _reference(_model("Resize", inputs, opset=13, **attrs), inputs)[0], f"reference 13 {attrs}")


@pytest.mark.parametrize("mode, ctm, nearest_mode, exclude, antialias",
                         [c for c in _resize_modes() if c[1] != "tf_crop_and_resize"][::3]
                         + [("cubic", "tf_crop_and_resize", "round_prefer_floor", 1, 1),
                            ("nearest", "tf_crop_and_resize", "ceil", 0, 0)])
def test_resize_matrix_times_x_is_resize(mode, ctm, nearest_mode, exclude, antialias):
    """The exact rational matrix (SymPy) applied to x equals the array operator."""
    rng = np.random.default_rng(17)
    x = rng.standard_normal((3, 4))
    scales = (0.75, 1.5)
    roi = (0.125, -0.25, 0.75, 1.25)
    options = dict(mode=mode, coordinate_transformation_mode=ctm, nearest_mode=nearest_mode, exclude_outside=exclude,
                   antialias=antialias)
    matrix = resize_matrix((3, 4), scales=scales, roi=roi if ctm == "tf_crop_and_resize" else None, **options)
    assert all(isinstance(v, sp.Rational) for v in matrix.values())
    got = ops.Resize(x, np.array(roi), np.array(scales), **options)
    product = np.array((matrix * sp.Matrix(x.ravel())).evalf(), dtype=np.float64).reshape(got.shape)
    np.testing.assert_allclose(product, got, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- Upsample (opset 9)


def test_upsample_opset_9():
    rng = np.random.default_rng(9)
    for mode in ("nearest", "linear"):
        for _ in range(6):
            x = rng.standard_normal((1, 2, int(rng.integers(1, 5)), int(rng.integers(1, 5)))).astype(np.float32)
            scales = np.array([1, 1] + [float(v) for v in rng.choice([1.0, 1.5, 2.0, 2.5, 3.0], 2)], np.float32)
            inputs = [("X", x), ("scales", scales)]
            model = _model("Upsample", inputs, opset=9, mode=mode)
            got = ops.Upsample(x, scales, mode=mode)
            _same(got, _runtime(model, inputs)[0], f"Upsample {mode} {scales}")
            if mode == "nearest" and all(float(v).is_integer() for v in scales):   # all the reference implements
                _same(got, _reference(model, inputs)[0], f"Upsample reference {scales}")
    with pytest.raises(ValueError, match="scales must have one entry >= 1"):
        ops.Upsample(np.zeros((1, 1, 2)), np.array([1, 1, 0.5], np.float32))


# --------------------------------------------------------------------------- errors and the CLI


@pytest.mark.parametrize("call, message", [
    (lambda: ops.Conv(np.zeros((1, 1, 4)), np.zeros((1, 1, 2)), auto_pad="SAME", pads=None), "auto_pad must be"),
    (lambda: ops.Conv(np.zeros((1, 1, 4)), np.zeros((1, 1, 2)), auto_pad="VALID", pads=[1, 1]), "cannot be used"),
    (lambda: ops.MaxPool(np.zeros((1, 1, 4))), "kernel_shape is required"),
    (lambda: ops.Resize(np.zeros((1, 1, 4)), None, np.array([1, 1, 2.0]), mode="nearest", antialias=1),
     "antialias applies"),
    (lambda: ops.Resize(np.zeros((1, 1, 4)), None, np.array([1, 1, 2.0]), mode="area"), "mode must be one of"),
    (lambda: ops.Resize(np.zeros((1, 1, 4)), None, np.array([1, 2.0])), "one entry per resized axis"),
    (lambda: ops.Resize(np.zeros((4,)), None, np.array([0.1])), "output size must be >= 1"),
    (lambda: ops.MaxUnpool(np.ones((1, 1, 2)), np.array([[[0, 9]]]), kernel_shape=[2], strides=[2]), "I must lie"),
])
def test_bad_input_names_the_rule(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_cli_shape_with_onnx_convention():
    from symconv.cli import main
    assert main(["shape", "max_pool", "--convention", "onnx", "--i", "4", "--k", "3", "--p", "2"]) == 0
    assert shapes.pool_output_size(4, 3, 1, 2, convention="onnx") == 6
    with pytest.raises(ValueError, match="at most half the kernel"):
        shapes.pool_output_size(4, 3, 1, 2)
    for i, k, s, mode in itertools.product(range(1, 9), range(1, 4), range(1, 4), ("SAME_UPPER", "SAME_LOWER")):
        pb, pe = shapes.auto_pad_axis(i, k, s, 1, mode)
        assert shapes.window_count_axis(i, k, s, pb, pe) == -(-i // s)
        assert pb - pe in ((0, 1) if mode == "SAME_LOWER" else (0, -1))
