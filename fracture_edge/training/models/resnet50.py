"""ResNet50 (keras.applications) backbone with a small head, for transfer learning.

``weights``: ``none`` (random init), ``imagenet`` (downloaded by Keras; needs the internet), or
a path to a weights file (``.h5`` or ``.weights.h5`` of the backbone, or of a whole model built
here). Training runs two stages: the head on a frozen backbone, then the top blocks (conv5)
unfrozen at a lower learning rate.
"""

from __future__ import annotations

from ...core.errors import InputError
from ..keras_env import keras
from .weights_file import load_weights_file

UNFREEZE_FROM = "conv5_block1"


HEAD = ("gap", "dropout", "fracture_prob")


def _backbone(inputs, weights: str):
    """ResNet50 built on ``inputs`` itself, so the classifier is one flat graph: tfmot's
    quantize_model and prune_low_magnitude refuse models nested inside models."""
    if weights == "imagenet":
        try:
            return keras.applications.ResNet50(include_top=False, weights="imagenet", input_tensor=inputs)
        except Exception as exc:  # download failures surface as many exception types
            raise InputError(
                f"cannot download ResNet50's ImageNet weights ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:120]}); offline, --arch efficientnet-lite0 --weights imagenet "
                "reads its ImageNet weights from an installed package, or use --weights PATH"
            ) from None
    backbone = keras.applications.ResNet50(include_top=False, weights=None, input_tensor=inputs)
    if weights not in (None, "none"):
        load_weights_file(backbone, weights)
    return backbone


def build(input_shape, weights: str = "none", dropout: float = 0.3, **_):
    inputs = keras.Input(shape=input_shape, name="image")
    x = _backbone(inputs, weights).output
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="fracture_prob")(x)
    return keras.Model(inputs, outputs, name="resnet50")


def set_stage(model, stage: str) -> None:
    """``head`` and ``probe``: backbone frozen. ``top``: blocks from ``UNFREEZE_FROM`` on train, BatchNorm
    layers stay frozen (their statistics come from far more data than a fine-tune sees)."""
    unfrozen = False
    for layer in model.layers:
        if layer.name in HEAD:
            layer.trainable = True
            continue
        unfrozen = unfrozen or (stage == "top" and layer.name.startswith(UNFREEZE_FROM))
        layer.trainable = unfrozen and not isinstance(layer, keras.layers.BatchNormalization)
