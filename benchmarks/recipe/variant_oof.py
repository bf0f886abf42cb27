"""Out-of-fold scores of an exported variant for a CV row that kept its fold models.

`fracture-edge cv --export int8` exports while it trains; a row run with ``--save-models`` but
no ``--export`` (the 96 px row) gets the same numbers afterwards from its saved fold models:
each is exported per the variant, calibrated on its own training folds, and run by LiteRT on
its held-out fold, exactly as in :func:`fracture_edge.training.crossval.cross_validate`. The result is added to
the row's ``summary.json`` under ``variants``, to ``oof.csv`` as a column, and to ``report.md``.

    .venv/bin/python benchmarks/recipe/variant_oof.py /tmp/recipe/96px --variant int8
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from fracture_edge.core.data.folders import load_images
from fracture_edge.core.files import write_json, write_text
from fracture_edge.core.metrics import agreement, auc_views, classification_metrics, format_auc_views
from fracture_edge.core.spec import PreprocessSpec
from fracture_edge.core.variants import get_variant
from fracture_edge.training.config import TrainConfig
from fracture_edge.training.augment import Augment
from fracture_edge.training.crossval import (_export_fold, _fold_parts, _folds_csv, _write_oof, fold_samples,
                                            report_markdown)
from fracture_edge.training.keras_env import keras


def _config(fields: dict) -> TrainConfig:
    """The row's recipe back from its manifest (the fold's fine-tunes train as the row did)."""
    fields = {**fields, "augment": Augment(**fields["augment"]) if fields.get("augment") else None}
    return TrainConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("row", type=Path, help="a cv folder with models/")
    ap.add_argument("--variant", default="int8")
    args = ap.parse_args()
    row = args.row
    summary = json.loads((row / "summary.json").read_text())
    manifest = json.loads((row / "manifest.json").read_text())
    spec = PreprocessSpec.from_dict(manifest["spec"])
    variant = get_variant(args.variant)
    cfg = _config(manifest["config"])
    images = load_images(fold_samples(summary["data"], summary["folds"], summary["seed"], summary["by"]), spec)
    if _folds_csv(images.samples) != (row / "folds.csv").read_text():
        raise SystemExit(f"{row}: the folds differ from the row's folds.csv")
    fold_of = np.array([int(s.split.removeprefix("fold")) for s in images.samples])
    prob = np.full(len(fold_of), np.nan)
    for i in range(summary["folds"]):
        model = keras.models.load_model(row / "models" / f"fold{i}.keras", compile=False)
        parts = _fold_parts(images, i, manifest["config"]["val_fraction"], summary["seed"] + i)
        probs, _ = _export_fold(model, [variant], spec, cfg, parts, row / f".fold{i}.{variant.name}.export")
        prob[fold_of == i] = probs[variant.name]
        keras.backend.clear_session()
    with open(row / "oof.csv", newline="") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    columns = {k: np.array([float(rows[str(s.path.resolve())][k]) for s in images.samples])
               for k in next(iter(rows.values())) if k not in ("path", "label", "family", "fold")}
    columns[variant.name] = prob
    y, families = images.labels, [s.family for s in images.samples]
    views = auc_views(y, prob, families, n_boot=2000, seed=summary["seed"])
    summary["variants"][variant.name] = {**classification_metrics(y, prob), "auc_interval": views["per_file"]["interval"],
                                         "auc_views": views,
                                         "agreement_with_float": agreement(prob, columns["prob"]),
                                         "scored_by": "benchmarks/recipe/variant_oof.py"}
    summary["pooled"]["auc_views"] = auc_views(y, columns["prob"], families, n_boot=2000, seed=summary["seed"])
    _write_oof(row / "oof.csv", images.samples, fold_of, columns)
    write_json(row / "summary.json", summary)
    write_text(row / "report.md", report_markdown(summary, TrainConfig(arch=manifest["config"]["arch"])))
    v = summary["variants"][variant.name]
    print(f"{row.name} {variant.name}: AUC {format_auc_views(views)}, agreement {v['agreement_with_float']:.1%}")


if __name__ == "__main__":
    main()
