"""DeepConvNet: our compact CNN for radiographs, built to survive full-int8 export.

Blocks, and why:

* **Stem**: 3x3 conv, stride 2. Radiographs carry little information at the pixel scale
  (sensor noise, JPEG blocks); halving the resolution first quarters the cost of every later
  layer, which matters on 2 CPU cores and on phones.
* **Four stages** of two 3x3 conv + BatchNorm + ReLU, then 2x2 max-pooling, widths doubling
  (w, 2w, 4w, 8w). Fracture lines are thin, oriented, local structures: stacked 3x3 kernels
  see them at growing receptive fields, and max-pooling keeps the strongest local response of
  a crack wherever it lies along a bone. BatchNorm folds into the conv at export, so it costs
  nothing on device and keeps activations in a range int8 quantises well.
* **ReLU** (not ReLU6/Swish): piecewise linear, so int8 kernels represent it exactly.
* **Global average pooling + dropout + one dense sigmoid unit**: no flatten, so the model
  builds for any input size >= 64 and the head has few weights to overfit the ~350 source
  radiographs of the public sets.
* **L2 weight decay** on conv kernels: a simple regulariser for small data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.errors import InputError
from ..keras_env import keras


def _conv(x, filters: int, stride: int, l2: float, bn_momentum: float, name: str):
    x = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                            kernel_regularizer=keras.regularizers.l2(l2), name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def build(input_shape, width: int = 32, dropout: float = 0.3, l2: float = 1e-4, bn_momentum: float = 0.99,
          weights: str = "none", **_):
    """``bn_momentum``: BatchNorm's moving-average momentum; with a few dozen steps per epoch,
    0.99 leaves the inference statistics of early epochs stale (validation near chance).
    ``weights``: ``none``, or an ``encoder.h5`` from ``fracture-edge pretrain`` (loaded by
    layer name; the head stays random)."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = _conv(inputs, width, 2, l2, bn_momentum, "stem")
    for stage, mult in enumerate((1, 2, 4, 8), start=1):
        x = _conv(x, width * mult, 1, l2, bn_momentum, f"s{stage}a")
        x = _conv(x, width * mult, 1, l2, bn_momentum, f"s{stage}b")
        x = keras.layers.MaxPooling2D(2, name=f"s{stage}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="fracture_prob")(x)
    model = keras.Model(inputs, outputs, name="deepconvnet")
    if weights not in (None, "none"):
        _load_pretrained(model, Path(weights))
    return model


def _load_pretrained(model, path: Path) -> None:
    hint = "(make it with fracture-edge pretrain and the same --arch, --width and --fusion)"
    before = model.get_layer("stem_conv").get_weights()[0].copy()
    try:
        model.load_weights(str(path), by_name=True)
    except Exception as exc:
        raise InputError(f"cannot load weights from {path}: {str(exc).splitlines()[0][:160]} {hint}") from None
    if np.array_equal(before, model.get_layer("stem_conv").get_weights()[0]):
        raise InputError(f"{path} holds no deepconvnet layers {hint}")


def set_stage(model, stage: str) -> None:
    """One stage: every layer trains from the start."""
