"""Benchmark: ``symconv.network.analyze_network`` on a 100+-node ONNX U-Net (issue 16: under 2 s).

The model is built in code (a same-padding U-Net of depth 6 with BatchNorm and ReLU, exported
with torch's TorchScript exporter, both spatial dims symbolic) and analysed fully: shapes of
every tensor, the exact valid-size condition with its Z3 proof, the binding constraints and
their fixes verified by re-analysis. For scale, the same run times ONNX's own shape inference
(which only propagates ``unk__N`` dims) and onnxruntime's session creation on the same file.
The first analysis warms SymPy's caches; the reported time is the best of ``--repeat`` runs in
fresh caches where possible (SymPy's global cache is cleared before each).

Run: ``python benchmarks/bench_network.py [--depth 6] [--repeat 3]``
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's symconv, not an installed one


def build_model(depth: int):
    import onnx
    import torch
    from torch import nn

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.downs = nn.ModuleList([block(1 if j == 0 else 2, 2) for j in range(depth)])
            self.bottom = block(2, 2)
            self.ups = nn.ModuleList([nn.ConvTranspose2d(2, 2, 2, stride=2) for _ in range(depth)])
            self.decs = nn.ModuleList([block(4, 2) for _ in range(depth)])
            self.head = nn.Sequential(nn.Conv2d(2, 1, 1), nn.BatchNorm2d(1), nn.Sigmoid())

        def forward(self, x):
            image, skips = x, []
            for down in self.downs:
                x = down(x)
                skips.append(x)
                x = nn.functional.max_pool2d(x, 2)
            x = self.bottom(x)
            for up, dec in zip(self.ups, self.decs):
                x = dec(torch.cat([skips.pop(), up(x)], 1))
            return self.head(x) * image          # a gate on the input: one more equality

    buffer = io.BytesIO()
    model = UNet().train()        # train mode keeps BatchNorm as a node (eval folds it into Conv)
    torch.onnx.export(model, torch.zeros(2, 1, 64, 64), buffer, dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {2: "H", 3: "W"}}, opset_version=17,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    return onnx.load_from_string(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import warnings
    warnings.filterwarnings("ignore")
    import onnx
    import onnxruntime
    from sympy.core.cache import clear_cache
    from symconv.network.analysis import analyze_network
    from symconv.network.onnx_loader import load_onnx

    model = build_model(args.depth)
    nodes = len(model.graph.node)
    analyze_network(load_onnx(model))                          # warm-up (imports, Z3 context)
    best = float("inf")
    for _ in range(args.repeat):
        clear_cache()
        start = time.perf_counter()
        result = analyze_network(load_onnx(model))
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    onnx.shape_inference.infer_shapes(model)
    infer = time.perf_counter() - start
    start = time.perf_counter()
    onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    session = time.perf_counter() - start
    print(f"model: same-padding U-Net depth {args.depth}, {nodes} ONNX nodes, dims H, W symbolic")
    print(f"valid: {result.valid.condition}  (proof: {result.valid.proof.get('status')}); "
          f"{len(result.constraints)} binding constraints, {len(result.fixes)} fixes")
    print(f"symconv analyze_network (best of {args.repeat}): {best:.3f} s   target < 2 s: "
          f"{'OK' if best < 2 else 'MISSED'}")
    print(f"peers on the same file: onnx.shape_inference {infer:.3f} s, onnxruntime session {session:.3f} s "
          f"(ratio symconv / shape inference = {best / max(infer, 1e-9):.0f}x)")
    return 0 if best < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
