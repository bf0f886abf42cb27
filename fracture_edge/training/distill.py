"""Distillation targets: a teacher's probabilities on the student's training images.

``train --teacher`` reads a CV folder's out-of-fold predictions (each from a fold model that
never saw that image); ``cv --teacher`` runs the teacher CV's fold-i models on fold i's
training images, so the student of fold i never learns from a model that saw fold i.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..core.data.folders import LoadedImages, Sample, load_images
from ..core.errors import InputError
from ..core.spec import PreprocessSpec


def oof_soft_labels(teachers, samples: list[Sample]) -> np.ndarray:
    """Soft labels for ``samples``: the mean of the teacher CV folders' out-of-fold
    probabilities (``oof.csv``). Each comes from a fold model that never trained on that
    image, so the student learns the teachers' judgement, not their memory of its label."""
    probs = []
    for d in map(Path, teachers):
        try:
            with open(d / "oof.csv", newline="") as f:
                oof = {row["path"]: float(row["prob"]) for row in csv.DictReader(f)}
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(f"teacher {d}: cannot read its oof.csv ({exc}); a teacher is a `fracture-edge cv` "
                             "folder") from None
        missing = [s.path for s in samples if str(Path(s.path).resolve()) not in oof]
        if missing:
            raise InputError(f"teacher {d}: no out-of-fold prediction for {len(missing)} training image(s), "
                             f"e.g. {missing[0]} (its cv must cover the same files)")
        probs.append([oof[str(Path(s.path).resolve())] for s in samples])
    return np.mean(probs, axis=0).astype(np.float32)


def check_teachers(dirs, folds_csv: str) -> list[PreprocessSpec]:
    """The teacher CV folders' specs, after checking each has fold models for these very folds."""
    specs = []
    for d in map(Path, dirs):
        if not (d / "models").is_dir():
            raise InputError(f"teacher {d}: no models/ (run its cv with --save-models)")
        if not (d / "folds.csv").is_file() or (d / "folds.csv").read_text() != folds_csv:
            raise InputError(f"teacher {d}: its folds differ from these (same data, --folds and --seed needed)")
        specs.append(PreprocessSpec.from_dict(json.loads((d / "manifest.json").read_text())["spec"]))
    return specs


def fold_soft_labels(dirs, specs, fold: int, train: LoadedImages, spec: PreprocessSpec) -> np.ndarray:
    """Mean probability of the teachers' fold models on this fold's training images, each
    teacher fed at its own input size (images are decoded again when it differs)."""
    from .keras_env import load_model

    probs = []
    for d, t_spec in zip(map(Path, dirs), specs):
        model = load_model(d / "models" / f"fold{fold}.keras")
        images = train if (t_spec.height, t_spec.width) == (spec.height, spec.width) else \
            load_images(train.samples, t_spec, desc="teacher decode")
        probs.append(model.predict(images.tensors(t_spec), verbose=0).reshape(-1))
    return np.mean(probs, axis=0)
