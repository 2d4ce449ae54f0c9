"""A zoo of small-channel networks built in code (no downloaded weights), exported to ONNX.

Each entry builds an ``onnx.ModelProto`` with symbolic spatial dims (torch's TorchScript-based
exporter, ``dynamo=False``, or ``onnx.helper`` for SegNet since torch cannot trace
``MaxUnpool`` with a computed ``output_size``). Used by ``test_network_zoo.py`` as the thing
whose exact valid input sizes are checked against running it in onnxruntime.
"""
from __future__ import annotations

import io

import numpy as np

torch = __import__("pytest").importorskip("torch")
nn = torch.nn
F = torch.nn.functional


def export(module, example, dynamic: dict, names=("x",)) -> "onnx.ModelProto":
    import onnx
    module.eval()
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, example, buffer, dynamo=False, input_names=list(names),
                          dynamic_axes={names[0]: dynamic}, opset_version=17)
    return onnx.load_from_string(buffer.getvalue())


def _double(cin, cout, pad, dims=2):
    conv = nn.Conv2d if dims == 2 else nn.Conv3d
    return nn.Sequential(conv(cin, cout, 3, padding=pad), nn.ReLU(), conv(cout, cout, 3, padding=pad), nn.ReLU())


def centre_crop(skip, like):
    dh = (skip.size(2) - like.size(2)) // 2
    dw = (skip.size(3) - like.size(3)) // 2
    return skip[:, :, dh:dh + like.size(2), dw:dw + like.size(3)]


class UNet(nn.Module):
    """Ronneberger et al.: 4 poolings; valid convolutions and centre crops (pad=0) or same padding."""

    def __init__(self, pad: int, c: int = 2, depth: int = 4, crop: bool = False):
        super().__init__()
        self.pad, self.crop = pad, crop
        self.downs = nn.ModuleList([_double(1 if j == 0 else c, c, pad) for j in range(depth)])
        self.bottom = _double(c, c, pad)
        self.ups = nn.ModuleList([nn.ConvTranspose2d(c, c, 2, stride=2) for _ in range(depth)])
        self.decs = nn.ModuleList([_double(2 * c, c, pad) for _ in range(depth)])
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, dec in zip(self.ups, self.decs):
            x = up(x)
            skip = skips.pop()
            if self.pad == 0 or self.crop:
                skip = centre_crop(skip, x)
            x = dec(torch.cat([skip, x], 1))
        return self.head(x)


def dcgan_generator(nz=4, c=2):
    return nn.Sequential(
        nn.ConvTranspose2d(nz, 4 * c, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * c), nn.ReLU(),
        nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.ReLU(),
        nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
        nn.ConvTranspose2d(c, 1, 4, 2, 1, bias=False), nn.Tanh())


class DCGANDiscriminator(nn.Module):
    def __init__(self, c=2):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 4 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * c), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * c, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1)


class FCN8s(nn.Module):
    """Long et al.'s FCN-8s skeleton: conv1 padded by 100, fixed-offset crops (5, 9, 31), score fusion."""

    def __init__(self, c=2):
        super().__init__()
        self.stages = nn.ModuleList([nn.Conv2d(1, c, 3, padding=100)] +
                                    [nn.Conv2d(c, c, 3, padding=1) for _ in range(4)])
        self.fc = nn.Conv2d(c, c, 7)
        self.score_pool3, self.score_pool4 = nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 1)
        self.up2 = nn.ConvTranspose2d(c, c, 4, stride=2, bias=False)
        self.up_pool4 = nn.ConvTranspose2d(c, c, 4, stride=2, bias=False)
        self.up8 = nn.ConvTranspose2d(c, 1, 16, stride=8, bias=False)

    def forward(self, x):
        h, pools = x, []
        for stage in self.stages:
            h = F.max_pool2d(F.relu(stage(h)), 2, ceil_mode=True)
            pools.append(h)
        score = self.fc(h)
        up2 = self.up2(score)
        p4 = self.score_pool4(pools[3])[:, :, 5:5 + up2.size(2), 5:5 + up2.size(3)]
        up4 = self.up_pool4(up2 + p4)
        p3 = self.score_pool3(pools[2])[:, :, 9:9 + up4.size(2), 9:9 + up4.size(3)]
        out = self.up8(up4 + p3)
        return out[:, :, 31:31 + x.size(2), 31:31 + x.size(3)]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn1, self.bn2 = nn.BatchNorm2d(cout), nn.BatchNorm2d(cout)
        self.short = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (x if self.short is None else self.short(x)))


class ResNetish(nn.Module):
    """ResNet-18 layout with one block per stage: 7x7/2 stem, 3x3/2 max pool, global pool, linear head."""

    def __init__(self, c=2, classes=3):
        super().__init__()
        self.stem = nn.Conv2d(1, c, 7, 2, 3, bias=False)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.layers = nn.Sequential(BasicBlock(c, c, 1), BasicBlock(c, 2 * c, 2), BasicBlock(2 * c, 2 * c, 2),
                                    BasicBlock(2 * c, 2 * c, 2))
        self.fc = nn.Linear(2 * c, classes)

    def forward(self, x):
        x = self.layers(self.pool(F.relu(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class OddAutoencoder(nn.Module):
    """Three stride-2 convs (k3 p1) and three transposed convs (k3 p1 output_padding 1) with a residual."""

    def __init__(self, c=2):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, c, 3, 2, 1), nn.ReLU(), nn.Conv2d(c, c, 3, 2, 1), nn.ReLU(),
                                 nn.Conv2d(c, c, 3, 2, 1))
        self.dec = nn.Sequential(nn.ConvTranspose2d(c, c, 3, 2, 1, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(c, c, 3, 2, 1, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(c, 1, 3, 2, 1, 1))

    def forward(self, x):
        return x + self.dec(self.enc(x))


class Net1d(nn.Module):
    """Conv1d, max pool, nearest upsampling x2 and a skip concatenation; output resized to the input."""

    def __init__(self, c=2):
        super().__init__()
        self.conv = nn.Conv1d(1, c, 5)
        self.pool = nn.MaxPool1d(2)
        self.mix = nn.Conv1d(2 * c, 1, 3, padding=1)

    def forward(self, x):
        skip = F.relu(self.conv(x))
        up = F.interpolate(self.pool(skip), scale_factor=2.0, mode="nearest")
        y = self.mix(torch.cat([skip, up], 1))
        return F.interpolate(y, size=x.shape[-1], mode="linear")


class Net3d(nn.Module):
    """Conv3d, max pool, transposed conv (k3 s2 p1, output_padding 1) and a skip concatenation."""

    def __init__(self, c=2):
        super().__init__()
        self.conv = nn.Conv3d(1, c, 3, padding=1)
        self.up = nn.ConvTranspose3d(c, c, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x):
        skip = F.relu(self.conv(x))
        return torch.cat([skip, self.up(F.max_pool3d(skip, 2))], 1)


def segnet_onnx(c=2) -> "onnx.ModelProto":
    """SegNet-style encoder/decoder: pooling indices and MaxUnpool to the encoder's size (Shape -> output_shape)."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)

    def weight(name, cout, cin):
        return numpy_helper.from_array(rng.standard_normal((cout, cin, 3, 3)).astype(np.float32), name)

    inits = [weight("w1", c, 1), weight("w2", c, c), weight("w3", c, c), weight("w4", 1, c)]
    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    pool = dict(kernel_shape=[2, 2], strides=[2, 2])
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["e1"], name="enc1", **conv),
        helper.make_node("Relu", ["e1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1", "i1"], name="pool1", **pool),
        helper.make_node("Conv", ["p1", "w2"], ["e2"], name="enc2", **conv),
        helper.make_node("MaxPool", ["e2"], ["p2", "i2"], name="pool2", **pool),
        helper.make_node("Shape", ["e2"], ["s2"], name="shape2"),
        helper.make_node("MaxUnpool", ["p2", "i2", "s2"], ["u2"], name="unpool2", **pool),
        helper.make_node("Conv", ["u2", "w3"], ["d2"], name="dec2", **conv),
        helper.make_node("Shape", ["r1"], ["s1"], name="shape1"),
        helper.make_node("MaxUnpool", ["d2", "i1", "s1"], ["u1"], name="unpool1", **pool),
        helper.make_node("Conv", ["u1", "w4"], ["y"], name="dec1", **conv),
    ]
    graph = helper.make_graph(nodes, "segnet", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                           [1, 1, "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _x(*shape):
    return torch.zeros(*shape)


#: name -> (builder returning a ModelProto, input shape for a size v of the symbolic dim, --dims)
ZOO = {
    "unet_valid": (lambda: export(UNet(pad=0), _x(1, 1, 188, 188), {2: "H", 3: "W"}),
                   lambda v: (1, 1, v, 188), (("H", None), ("W", 188))),
    "unet_same": (lambda: export(UNet(pad=1), _x(1, 1, 32, 32), {2: "H", 3: "W"}),
                  lambda v: (1, 1, v, 16), (("H", None), ("W", 16))),
    "unet_same_cropped": (lambda: export(UNet(pad=1, crop=True), _x(1, 1, 32, 32), {2: "H", 3: "W"}),
                          lambda v: (1, 1, v, 16), (("H", None), ("W", 16))),
    "dcgan_g": (lambda: export(dcgan_generator(), _x(1, 4, 1, 1), {2: "H", 3: "W"}),
                lambda v: (1, 4, v, 1), (("H", None), ("W", 1))),
    "dcgan_d": (lambda: export(DCGANDiscriminator(), _x(1, 1, 64, 64), {2: "H", 3: "W"}),
                lambda v: (1, 1, v, 64), (("H", None), ("W", 64))),
    "fcn8s": (lambda: export(FCN8s(), _x(1, 1, 64, 64), {2: "H", 3: "W"}),
              lambda v: (1, 1, v, 32), (("H", None), ("W", 32))),
    "segnet": (segnet_onnx, lambda v: (1, 1, v, 8), (("H", None), ("W", 8))),
    "resnet": (lambda: export(ResNetish(), _x(1, 1, 64, 64), {2: "H", 3: "W"}),
               lambda v: (1, 1, v, 32), (("H", None), ("W", 32))),
    "autoencoder": (lambda: export(OddAutoencoder(), _x(1, 1, 64, 64), {2: "H", 3: "W"}),
                    lambda v: (1, 1, v, 8), (("H", None), ("W", 8))),
    "net1d": (lambda: export(Net1d(), _x(1, 1, 64), {2: "L"}), lambda v: (1, 1, v), (("L", None),)),
    "net3d": (lambda: export(Net3d(), _x(1, 1, 8, 4, 4), {2: "D", 3: "H", 4: "W"}),
              lambda v: (1, 1, v, 4, 4), (("D", None), ("H", 4), ("W", 4))),
}
