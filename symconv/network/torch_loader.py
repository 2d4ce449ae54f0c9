"""Read a PyTorch module into a :class:`~symconv.network.model.Network` (needs torch and onnx).

The module is traced by torch's TorchScript-based ONNX exporter (``dynamo=False``) with the
named spatial axes dynamic, in memory, and read by :func:`~symconv.network.onnx_loader.load_onnx`:
the exporter writes the size arithmetic of ``forward`` (crops from ``x.size()``, ``interpolate``
to a tensor's size) as the shape subgraph the evaluator follows. ``torch.export`` is not used:
it specialises sizes 0 and 1 and stops at the first violated guard, which is the question here.
Not covered: modules the tracer cannot export (data-dependent control flow, ``MaxUnpool`` with a
computed ``output_size``).
"""
from __future__ import annotations

import io
import warnings
from typing import Any

from .model import Network
from .onnx_loader import load_onnx

__all__ = ["load_torch"]


def load_torch(module: Any, example: Any, dims: dict, input_name: str = "x") -> Network:
    """Trace ``module`` on ``example`` with the axes in ``dims`` ({axis: name}) symbolic.

    Parameters
    ----------
    module : torch.nn.Module
    example : torch.Tensor
        An input the module accepts (its sizes only seed the trace).
    dims : dict
        Axis -> dim name, e.g. ``{2: "H", 3: "W"}``.
    input_name : str

    Raises
    ------
    ValueError
        torch or onnx missing, or the exporter failed (its message is kept).
    """
    try:
        import torch
    except ImportError:
        raise ValueError("network: reading a PyTorch module needs torch, which is not installed") from None
    buffer = io.BytesIO()
    was_training = module.training
    module.eval()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, example, buffer, dynamo=False, input_names=[input_name],
                              dynamic_axes={input_name: dict(dims)}, opset_version=17)
    except Exception as exc:  # noqa: BLE001 - the exporter raises many types; the message says why
        raise ValueError(f"network: torch's ONNX exporter could not trace the module: "
                         f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    finally:
        module.train(was_training)
    import onnx
    return load_onnx(onnx.load_from_string(buffer.getvalue()))
