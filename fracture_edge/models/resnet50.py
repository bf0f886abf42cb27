"""ResNet50 (keras.applications) backbone with a small head, for transfer learning.

``weights``: ``none`` (random init), ``imagenet`` (downloaded by Keras; needs the internet), or
a path to a weights file (``.h5`` or ``.weights.h5`` of the backbone, or of a whole model built
here). Training runs two stages: the head on a frozen backbone, then the top blocks (conv5)
unfrozen at a lower learning rate.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..keras_env import keras

# Caffe-style ImageNet normalisation ((x - mean) in 0..255 units), written as our spec's
# (x/255 - mean) / std so ImageNet weights see the statistics they were trained on.
STAGES = (("head", 1e-3, 0.5), ("top", 1e-4, 0.5))
UNFREEZE_FROM = "conv5_block1"


def _backbone(input_shape, weights: str):
    if weights == "imagenet":
        try:
            return keras.applications.ResNet50(include_top=False, weights="imagenet", input_shape=input_shape)
        except Exception as exc:  # download failures surface as many exception types
            raise InputError(
                f"cannot load ImageNet weights ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                "without internet use --weights none, or --weights PATH to a local weights file"
            ) from None
    backbone = keras.applications.ResNet50(include_top=False, weights=None, input_shape=input_shape)
    if weights not in (None, "none"):
        path = Path(weights)
        if not path.is_file():
            raise InputError(f"weights file not found: {path} (use --weights none|imagenet|PATH)")
        try:
            backbone.load_weights(str(path), by_name=path.suffix == ".h5", skip_mismatch=path.suffix == ".h5")
        except Exception as exc:
            raise InputError(f"cannot load weights from {path}: {str(exc).splitlines()[0][:160]}") from None
    return backbone


def build(input_shape, weights: str = "none", dropout: float = 0.3, **_):
    inputs = keras.Input(shape=input_shape, name="image")
    backbone = _backbone(tuple(input_shape), weights)
    x = backbone(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="fracture_prob")(x)
    return keras.Model(inputs, outputs, name="resnet50")


def set_stage(model, stage: str) -> None:
    """``head``: backbone frozen. ``top``: blocks from ``UNFREEZE_FROM`` on train, BatchNorm
    layers stay frozen (their statistics come from far more data than a fine-tune sees)."""
    backbone = model.get_layer("resnet50")
    backbone.trainable = stage != "head"
    if stage == "head":
        return
    unfrozen = False
    for layer in backbone.layers:
        unfrozen = unfrozen or layer.name.startswith(UNFREEZE_FROM)
        layer.trainable = unfrozen and not isinstance(layer, keras.layers.BatchNormalization)
