"""From the model's raw output to a calibrated probability and a label, per the spec."""

from __future__ import annotations

from .operating_point import apply_temperature
from .spec import PreprocessSpec


def calibrated(prob: float, spec: PreprocessSpec) -> float:
    """Temperature scaling on the logit: ``sigmoid(logit(p) / T)``; identity when T == 1."""
    if spec.temperature == 1.0:
        return prob
    return float(apply_temperature(prob, spec.temperature))


def label_for(prob: float, spec: PreprocessSpec) -> str:
    negative = spec.labels[1 - spec.positive_index]
    return spec.positive_label if prob >= spec.threshold else negative
