"""Which file serves as train, val or test: validation carved from training families, and the
``split.csv`` record that export and evaluation read back."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.data.folders import Dataset, Sample
from ..core.errors import InputError
from ..core.files import write_csv


def assign_splits(dataset: Dataset, val_fraction: float, seed: int) -> list[Sample]:
    """Samples with train/val/test set; a missing val split is carved from train."""
    samples = dataset.samples
    if not dataset.splits:
        samples = [Sample(s.path, s.label, "train", s.family) for s in samples]
    if any(s.split == "val" for s in samples):
        return samples
    return carve_val(samples, val_fraction, seed)


def carve_val(samples: list[Sample], val_fraction: float, seed: int) -> list[Sample]:
    """Move about ``val_fraction`` of the train *families* (per label) to val, whole families at
    a time: a validation set with copies of training images would reward memorising them, and
    one counted in families rather than files does not end up as a handful of large families
    (files without a family are their own family)."""
    train = [s for s in samples if s.split == "train"]
    if len(train) < 10:
        raise InputError(f"only {len(train)} training images; need at least 10")
    rng = np.random.default_rng(seed)
    keys = sorted({(s.label, s.family or str(s.path)) for s in train})
    val_keys = set()
    for label in (0, 1):
        mine = [k for k in keys if k[0] == label]
        rng.shuffle(mine)
        val_keys.update(mine[:math.ceil(val_fraction * len(mine))] if len(mine) > 1 else [])
    return [Sample(s.path, s.label, "val", s.family) if s.split == "train" and (s.label, s.family or str(s.path)) in val_keys
            else s for s in samples]


def write_split(path: Path, samples: list[Sample]) -> None:
    """``split.csv``: which file served as train, val or test, the run folder's record that
    export calibrates, fine-tunes and validates by (``cv --export`` writes one per fold)."""
    write_csv(path, [{"path": str(Path(s.path).resolve()), "label": ["not fractured", "fractured"][s.label],
                      "split": s.split, "family": s.family or ""} for s in samples])
