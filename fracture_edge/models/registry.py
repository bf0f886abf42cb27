"""The architecture table: adding an architecture is one new module plus one row here.

Rows are data, readable without TensorFlow (the CLI lists them in ``--help``); ``build``
imports the module lazily. Each module provides ``build(input_shape, **options)`` returning a
tf_keras model with one sigmoid output (probability of the positive label), plus ``MEAN``/``STD``
(input normalisation) and ``STAGES`` (how training proceeds).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Architecture:
    name: str
    module: str
    summary: str


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture("deepconvnet", "fracture_edge.models.deepconvnet",
                     "our compact CNN for radiographs; exports to full int8"),
        Architecture("resnet50", "fracture_edge.models.resnet50",
                     "Keras ResNet50 backbone + small head; two-stage fine-tune"),
    )
}


def get(name: str):
    """The architecture's module (``build``, ``MEAN``, ``STD``, ``STAGES``)."""
    if name not in ARCHITECTURES:
        raise InputError(f"unknown architecture {name!r}: choose from {', '.join(ARCHITECTURES)}")
    return importlib.import_module(ARCHITECTURES[name].module)


MIN_INPUT = 64


def check_input_size(size: int) -> int:
    if size < MIN_INPUT:
        raise InputError(f"--img-size must be at least {MIN_INPUT} (got {size})")
    return size
