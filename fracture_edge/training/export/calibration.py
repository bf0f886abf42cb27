"""The int8 representative set: stratified, from the training split only.

Calibrating on validation or test images would leak them into the model's quantisation
ranges. Fewer than ``MIN_IMAGES`` images is refused; fewer than ``WARN_IMAGES`` is warned about.
"""

from __future__ import annotations

import logging

import numpy as np

from ...core.data.folders import Sample, load_images
from ...core.errors import InputError
from ...core.spec import PreprocessSpec

log = logging.getLogger("fracture_edge")

DEFAULT_SIZE = 200
MIN_IMAGES = 8
WARN_IMAGES = 100


def stratified(samples: list[Sample], size: int, seed: int = 0) -> list[Sample]:
    """Up to ``size`` training samples with the class ratio of the split, fixed by ``seed``."""
    train = [s for s in samples if s.split == "train"]
    rng = np.random.default_rng(seed)
    chosen: list[Sample] = []
    for label in (0, 1):
        group = [s for s in train if s.label == label]
        k = min(len(group), round(size * len(group) / max(len(train), 1)))
        chosen.extend(group[i] for i in sorted(rng.choice(len(group), k, replace=False)))
    return chosen


def representative_tensors(samples: list[Sample], spec: PreprocessSpec, size: int = DEFAULT_SIZE,
                           seed: int = 0) -> tuple[np.ndarray, dict]:
    """Float tensors for the converter's representative dataset, and what went into them."""
    chosen = stratified(samples, size, seed)
    if len(chosen) < MIN_IMAGES:
        raise InputError(
            f"too few calibration images: {len(chosen)} from the training split (need at least {MIN_IMAGES})"
        )
    images = load_images(chosen, spec, desc="calibration")
    if len(images.samples) < WARN_IMAGES:
        log.warning("only %d calibration images (under %d): int8 ranges may be poor",
                    len(images.samples), WARN_IMAGES)
    x = images.tensors(spec)
    info = {"split": "train", "requested": size, "images": len(images.samples),
            "positives": int(images.labels.sum()), "sha256": images.content_hash, "seed": seed}
    return x, info
