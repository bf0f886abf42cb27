"""From the model's raw output to a calibrated probability and a label, per the spec."""

from __future__ import annotations

import math

from .spec import PreprocessSpec


def calibrated(prob: float, spec: PreprocessSpec) -> float:
    """Temperature scaling on the logit: ``sigmoid(logit(p) / T)``; identity when T == 1."""
    if spec.temperature == 1.0:
        return prob
    p = min(max(prob, 1e-7), 1 - 1e-7)
    return 1.0 / (1.0 + math.exp(-math.log(p / (1 - p)) / spec.temperature))


def label_for(prob: float, spec: PreprocessSpec) -> str:
    negative = spec.labels[1 - spec.positive_index]
    return spec.positive_label if prob >= spec.threshold else negative
