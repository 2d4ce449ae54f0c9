"""Every number in a generated single-layer derivation agrees with PyTorch (issue 14).

The document is parsed back (sizes, the matrix T, Z, the flipped kernel, T·1, the per-phase
pattern and its 2-D block) and each number is recomputed with torch's conv_transpose.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from symconv.writeup.layer import layer_fragment

torch = pytest.importorskip("torch")
F = torch.nn.functional

LAYERS = [  # k, s, p, a, d, i
    (3, 2, 1, 1, 1, 3),
    (4, 2, 1, 0, 1, 3),
    (3, 1, 0, 0, 1, 3),
    (5, 3, 2, 2, 1, 2),
    (3, 2, 0, 1, 2, 3),
]

_MATRIX = re.compile(r"\\left\(\\begin\{(?:matrix|array)\}(?:\{c+\})?(.*?)\\end\{(?:matrix|array)\}\\right\)", re.S)


def _matrices(text: str) -> list:
    return [[[cell.strip() for cell in row.split("&")] for row in body.split(r"\\")] for body in
            _MATRIX.findall(text)]


def _after(doc: str, marker: str) -> str:
    return doc[doc.index(marker):]


def _ints(rows: list) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in rows])


def _weights(rows: list, w: np.ndarray) -> np.ndarray:
    """A symbolic matrix (entries 0 or w_{j}) with the weights substituted."""
    def value(cell: str) -> float:
        match = re.fullmatch(r"w_\{(\d+)\}", cell)
        return float(w[int(match.group(1))]) if match else float(cell)
    return np.array([[value(c) for c in row] for row in rows])


def _transpose(x, w, k, s, p, a, d):
    return F.conv_transpose1d(torch.tensor(x, dtype=torch.float64).reshape(1, 1, -1),
                              torch.tensor(w, dtype=torch.float64).reshape(1, 1, k), stride=s, padding=p,
                              output_padding=a, dilation=d).reshape(-1).numpy()


@pytest.mark.parametrize("k, s, p, a, d, i", LAYERS)
def test_every_number_in_the_layer_document_matches_torch(k, s, p, a, d, i):
    doc = layer_fragment(k, s, p, i=i, d=d, output_padding=a)
    o = F.conv_transpose1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s, padding=p, output_padding=a,
                           dilation=d).shape[-1]
    # sizes: the layer line, the forward conv line, the evaluated formula, the matrix shape
    layer = dict(re.findall(r"(\w) = (\d+)", re.search(r"\\text\{conv\\_transpose\}:(.*)", doc).group(1)))
    assert {n: int(v) for n, v in layer.items()} == dict(i=i, k=k, s=s, p=p, d=d, o=o, **({"a": a} if a else {}))
    forward_o = F.conv1d(torch.zeros(1, 1, o), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
    forward = dict(re.findall(r"(\w) = (\d+)", re.search(r"\\text\{conv\}:(.*)", doc).group(1)))
    assert {n: int(v) for n, v in forward.items()} == dict(i=o, k=k, s=s, p=p, d=d, o=forward_o)
    assert f"\\right|_{{\\substack{{ i'={i} }}}} = {o}." in doc
    assert f"is ${o} \\times {i}$" in doc
    # the lost remainder is the output padding that restores the forward input size
    lost = int(re.search(r"\\\[\na = (\d+),\n\\\]", doc).group(1))
    assert F.conv_transpose1d(torch.zeros(1, 1, forward_o), torch.zeros(1, 1, k), stride=s, padding=p,
                              output_padding=lost, dilation=d).shape[-1] == o
    # T: column j is the layer applied to the unit vector e_j (random weights)
    w = np.random.default_rng(k * 10 + s).standard_normal(k)
    t = _weights(_matrices(_after(doc, "T = "))[0], w)
    jacobian = np.stack([_transpose(np.eye(i)[j], w, k, s, p, a, d) for j in range(i)], axis=1)
    np.testing.assert_allclose(t, jacobian, atol=1e-12)
    # the flipped kernel, Z and T = D Z: zero-insert, pad, stride-1 conv with the flipped kernel
    flipped = _weights(_matrices(_after(doc, r"\bar w = "))[0], w)[0]
    np.testing.assert_allclose(flipped, w[::-1])
    z = _ints(_matrices(_after(doc, "Z^{T} = "))[0]).T
    x = np.random.default_rng(1).standard_normal(i)
    direct = F.conv1d(torch.tensor(z @ x).reshape(1, 1, -1), torch.tensor(flipped).reshape(1, 1, k),
                      dilation=d).reshape(-1).numpy()
    np.testing.assert_allclose(direct, _transpose(x, w, k, s, p, a, d), atol=1e-12)
    # T·1 and the per-phase pattern (by output position m mod s) and its 2-D outer-product block
    counts = _ints(_matrices(_after(doc, r"$T\mathbf{1}$"))[0])[0]
    np.testing.assert_array_equal(counts, _transpose(np.ones(i), np.ones(k), k, s, p, a, d))
    phases = _ints(_matrices(_after(doc, "per phase it is"))[0])[0]
    long = _transpose(np.ones(40), np.ones(k), k, s, p, 0, d)
    interior = range(d * (k - 1) + s, len(long) - d * (k - 1) - s)
    assert all(long[m] == phases[m % s] for m in interior)
    block = _ints(_matrices(_after(doc, "outer product"))[0])
    plane = F.conv_transpose2d(torch.ones(1, 1, 40, 40, dtype=torch.float64), torch.ones(1, 1, k, k,
                               dtype=torch.float64), stride=s, padding=p, dilation=d)[0, 0].numpy()
    for m in (interior.start, interior.start + 1):
        for n in (interior.start, interior.start + s - 1):
            assert plane[m, n] == block[m % s, n % s]
