"""Evaluate a model's probabilities: metrics JSON plus ROC and confusion-matrix PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.data.folders import load_dataset, load_images
from ..core.errors import InputError
from ..core.files import write_json
from ..core.metrics import auc_views, classification_metrics
from ..core.operating_point import apply_temperature
from ..core.spec import PreprocessSpec
from ..plots.figures import confusion_matrix, roc_curves


def evaluate_arrays(y_true, prob, spec: PreprocessSpec, out_dir: Path, title: str = "", families=None) -> dict:
    """Write ``metrics.json``, ``roc.png`` and ``confusion.png`` into ``out_dir``; return metrics,
    with the AUC per file, per file with each radiograph weighted equally and per radiograph
    (``auc_views``) where ``families`` are known, each with its family-bootstrap interval.

    ``prob`` is the model's raw output. The spec's threshold was chosen on temperature-scaled
    probabilities, so they are scaled first, as predict and bench do; thresholding the raw
    output would put the cut far from the operating point (AUC is unchanged either way)."""
    out_dir = Path(out_dir)
    prob = apply_temperature(prob, spec.temperature)
    m = classification_metrics(y_true, prob, spec.threshold)
    m["auc_views"] = auc_views(y_true, prob, families)
    m["bootstrap_unit"] = "family" if families is not None else "image"
    write_json(out_dir / "metrics.json", m)
    roc_curves({title or "model": (np.asarray(y_true), np.asarray(prob))}, out_dir / "roc.png", title=f"ROC {title}")
    names = [spec.labels[0], spec.labels[1]]
    confusion_matrix(m["confusion"], names, out_dir / "confusion.png", title=title)
    return m


def evaluate_run(run_dir, data, split: str = "test", out_dir=None) -> dict:
    """Score a run folder's Keras model on ``split`` of a folder or manifest."""
    from .keras_env import load_model

    run_dir = Path(run_dir)
    if not (run_dir / "model.keras").exists():
        raise InputError(f"not a run folder (no model.keras): {run_dir}")
    spec = PreprocessSpec.from_json((run_dir / "spec.json").read_text())
    dataset = load_dataset(data)
    samples = dataset.subset(split) if dataset.splits else dataset.samples
    if not samples:
        raise InputError(f"{data}: no images in split '{split}' (has {', '.join(dataset.splits) or 'none'})")
    images = load_images(samples, spec, desc=f"decode {split}")
    model = load_model(run_dir / "model.keras")
    prob = model.predict(images.tensors(spec), verbose=0).reshape(-1)
    out = Path(out_dir) if out_dir else run_dir / "eval" / split
    families = [s.family for s in images.samples]
    m = evaluate_arrays(images.labels, prob, spec, out, title=f"{run_dir.name} on {split}",
                        families=families if all(families) else None)
    return {**m, "skipped": len(images.skipped), "report": str(out)}
