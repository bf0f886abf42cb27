"""Family k-fold cross-validation: the honest estimate of how a recipe does on radiographs
from patients it has never seen.

Whole families (copies of one radiograph, :mod:`.data.families`) go to one fold, so no fold
model is scored on a copy of an image it trained on. Each fold model selects its epochs on a
validation set carved from its own training folds, again by family; the held-out fold is
touched once, for its out-of-fold (OOF) predictions. Pooled over folds, those predictions give
the AUC with a bootstrap interval that resamples families, the operating point (threshold for
a target sensitivity, temperature) that ``train --operating-point`` puts into the spec, and the
report: ROC, reliability diagram, per-fold table.

With ``variants`` (e.g. ``int8``), every fold model is also exported by ``fracture-edge
export``'s own code, from a run folder of the fold (calibration set, fine-tunes and conversion
as export chooses them, from the fold's training images), and run by LiteRT on its held-out
fold, so the variant gets its own out-of-fold AUC and its agreement with the float model.

With ``teachers`` (CV folders on the same data and folds, run with ``save_models``), fold i's
student learns from the mean of the teachers' fold-i models, which never saw fold i either:
knowledge distillation from one model or an ensemble, with no leak.

With ``pretrain`` (a :class:`.pretrain.PretrainConfig`), each fold's encoder is first
pretrained self-supervised on that fold's training images only (their labels unused), then
fine-tuned as usual: whether pretraining helps, measured without ever showing it a held-out
image.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..core.data.folders import LABEL_NAMES, LoadedImages, Sample, load_images
from ..core.data.split import family_folds
from ..core.errors import InputError
from ..core.files import (
    atomic_dir,
    check_output,
    csv_text,
    write_csv,
    write_json,
    write_text,
)
from ..core.metrics import (
    AUC_VIEWS,
    agreement,
    auc_views,
    classification_metrics,
    format_auc,
    format_auc_views,
)
from ..core.operating_point import (
    apply_temperature,
    check_rule,
    describe,
    operating_point,
    reliability,
)
from ..core.progress import progress
from ..core.versions import library_versions
from .config import TrainConfig, check_config, default_spec
from .distill import check_teachers, fold_soft_labels
from .fit import fit
from .splits import carve_val, write_split

#: A CV folder's manifest kind (what --force may replace).
KIND = "fracture-edge cv"


def fold_samples(data, folds: int, seed: int, by: str) -> list[Sample]:
    rows = family_folds(data, folds, seed, by)
    return [Sample(Path(r["path"]), LABEL_NAMES.index(r["label"]), r["split"], r["family"]) for r in rows]


def _fold_parts(images: LoadedImages, fold: int, val_fraction: float, seed: int) -> dict[str, LoadedImages]:
    """train / val / test of one fold: test is the fold, val is carved from the rest by family."""
    name = f"fold{fold}"
    marked = [Sample(s.path, s.label, "test" if s.split == name else "train", s.family) for s in images.samples]
    split = np.array([s.split for s in carve_val(marked, val_fraction, seed)])
    return {part: images.take(split == part) for part in ("train", "val", "test")}


def _folds_csv(samples: list[Sample]) -> str:
    return csv_text([{"path": str(Path(s.path).resolve()), "family": s.family, "fold": s.split}
                     for s in sorted(samples, key=lambda s: str(s.path))], ["path", "family", "fold"])


def cross_validate(data, out, cfg: TrainConfig = TrainConfig(), folds: int = 5, by: str = "family", seed: int = 0,
                   target_sensitivity: float = 0.95, confidence: float = 0.9, save_models: bool = False, teachers=(),
                   variants: tuple[str, ...] = (), pretrain=None, force: bool = False, n_boot: int = 2000) -> dict:
    """Run the CV into the folder ``out`` and return its summary (also ``out/summary.json``)."""
    from ..plots.figures import reliability_diagram, roc_curves

    if cfg.strategy == "multiworker":
        raise InputError("cv trains its folds on one machine: --strategy multiworker is for train")
    check_config(cfg, teachers)
    check_rule(target_sensitivity, confidence)
    check_output(out, force, KIND)
    if pretrain is not None:
        from .pretrain import check_pretrain, pretrained_config

        check_pretrain(pretrain)
        if cfg.weights != "none":
            raise InputError("cv pretrains each fold from random weights: leave --weights out")
    from ..core.variants import get_variant

    exports = [get_variant(v) for v in variants]
    spec = default_spec(cfg)
    samples = fold_samples(data, folds, seed, by)
    images = load_images(samples, spec, desc="decode")
    folds_csv = _folds_csv(images.samples)
    teacher_specs = check_teachers(teachers, folds_csv)

    from .keras_env import keras

    started = time.time()
    oof = np.full(len(images.samples), np.nan)
    oof_variant = {v.name: np.full(len(images.samples), np.nan) for v in exports}
    fold_of = np.array([int(s.split.removeprefix("fold")) for s in images.samples])
    per_fold = []
    with atomic_dir(out, force=force, kind=KIND) as tmp:
        if save_models:
            (tmp / "models").mkdir()
        for i in progress(range(folds), total=folds, desc="cv folds", unit="fold"):
            parts = _fold_parts(images, i, cfg.val_fraction, seed + i)
            soft = fold_soft_labels(teachers, teacher_specs, i, parts["train"], spec) if teachers else None
            fold_cfg = cfg if pretrain is None else \
                pretrained_config(cfg, parts["train"], spec, pretrain, tmp / f"fold{i}.encoder.h5")
            model, info = fit(parts, spec, fold_cfg, teacher=soft)
            prob = model.predict(parts["test"].tensors(spec), verbose=0).reshape(-1)
            oof[fold_of == i] = prob
            if save_models:
                model.save(str(tmp / "models" / f"fold{i}.keras"))
            exported, export_records = _export_fold(model, exports, spec, fold_cfg, parts, tmp / f"fold{i}.run") \
                if exports else ({}, {})
            for name, prob_v in exported.items():
                oof_variant[name][fold_of == i] = prob_v
            m = classification_metrics(parts["test"].labels, prob)
            per_fold.append({"fold": i, "train": len(parts["train"].samples), "val": len(parts["val"].samples),
                             "test": len(parts["test"].samples),
                             "families": len({s.family for s in parts["test"].samples}),
                             **{k: m[k] for k in ("auc", "balanced_accuracy", "f1", "accuracy")},
                             **{k: info[k] for k in ("best", "epochs_run", "train_seconds", "images_per_second",
                                                     "train_images")},
                             "exports": export_records})
            if pretrain is not None:
                (tmp / f"fold{i}.encoder.h5").unlink()
            keras.backend.clear_session()
        y = images.labels
        families = [s.family for s in images.samples]
        pooled = classification_metrics(y, oof)
        views = auc_views(y, oof, families, n_boot, seed)
        lo, hi = views["per_file"]["interval"]
        op = operating_point(y, oof, families, target_sensitivity, confidence, n_boot, seed)
        pooled_variants = {}
        for name, prob in oof_variant.items():
            v_views = auc_views(y, prob, families, n_boot, seed)
            pooled_variants[name] = {**classification_metrics(y, prob), "auc_interval": v_views["per_file"]["interval"],
                                     "auc_views": v_views,
                                     "agreement_with_float": agreement(prob, oof)}
        summary = {
            "kind": KIND,
            "data": str(Path(data).resolve()),
            "folds": folds, "by": by, "seed": seed,
            "files": len(images.samples), "families": len(set(families)),
            "skipped_files": len(images.skipped),
            "pooled": {**pooled, "auc_interval": [lo, hi], "interval": "95% percentile bootstrap over families",
                       "auc_views": views},
            "variants": pooled_variants,
            "per_fold": per_fold,
            "fold_auc_mean": float(np.mean([f["auc"] for f in per_fold])),
            "fold_auc_sd": float(np.std([f["auc"] for f in per_fold], ddof=1)),
            "operating_point": op,
            "seconds": round(time.time() - started, 1),
        }
        write_text(tmp / "folds.csv", folds_csv)
        _write_oof(tmp / "oof.csv", images.samples, fold_of, {"prob": oof, **oof_variant})
        write_json(tmp / "operating_point.json", op)
        write_json(tmp / "summary.json", summary)
        write_json(tmp / "manifest.json", {"config": asdict(cfg), "spec": spec.to_dict(),
                                           "pretrain": None if pretrain is None else asdict(pretrain),
                                           "teachers": [str(Path(t).resolve()) for t in teachers],
                                           "versions": library_versions()})
        roc_curves({"pooled out-of-fold": (y, oof), **{n: (y, p) for n, p in oof_variant.items()}}, tmp / "roc.png", title=f"{cfg.arch}: family {folds}-fold CV")
        cal = apply_temperature(oof, op["temperature"])
        reliability_diagram({"raw": reliability(y, oof), f"T = {op['temperature']:.2f}": reliability(y, cal)},
                            tmp / "reliability.png", title="Out-of-fold calibration")
        write_text(tmp / "report.md", report_markdown(summary, cfg))
    return summary


def _export_fold(model, variants, spec, cfg: TrainConfig, parts, scratch: Path) -> tuple[dict, dict]:
    """Export the fold model per ``variants`` with ``fracture-edge export``'s own code, from a
    run folder of the fold, and score the held-out fold with LiteRT as ``predict`` would.

    Returns the probabilities per variant and what each export recorded (calibration set,
    fine-tune, agreement with Keras on the fold's validation images). Export's agreement gate
    is reported per fold, not enforced: the CV measures the variant, and a refused fold would
    leave a hole in the out-of-fold predictions.
    """
    from ..core.runtimes.litert import Session
    from .export.exporter import export_run
    from .export.validate import DEFAULT_MIN_AGREEMENT, litert_probabilities

    _write_fold_run(scratch, model, spec, cfg, parts)
    try:
        manifests = export_run(scratch, variants, scratch / "export", min_agreement=0.0)
        probs, records = {}, {}
        for v, m in zip(variants, manifests):
            session = Session(scratch / "export" / m["variant"] / "model.tflite", threads=2)
            probs[v.name] = litert_probabilities(session, parts["test"].gray)
            agree = m["validation"]["agreement_with_keras"]
            records[v.name] = {"val_agreement_with_keras": agree,
                               "passes_export_gate": agree >= DEFAULT_MIN_AGREEMENT,
                               "calibration": m["calibration"], "fine_tune": m["fine_tune"]}
        return probs, records
    finally:
        shutil.rmtree(scratch)


def _write_fold_run(path: Path, model, spec, cfg: TrainConfig, parts: dict[str, LoadedImages]) -> None:
    """The fold as the training run folder ``export`` reads: model, spec, the fold's
    train / val / test split and the recipe (fine-tunes train as the run was trained)."""
    path.mkdir()
    model.save(str(path / "model.keras"))
    write_text(path / "spec.json", spec.to_json() + "\n")
    write_split(path / "split.csv", [Sample(s.path, s.label, part, s.family)
                                     for part, images in parts.items() for s in images.samples])
    write_json(path / "manifest.json", {"kind": "fracture-edge cv fold", "config": asdict(cfg)})


def _write_oof(path: Path, samples: list[Sample], fold_of, probs: dict[str, np.ndarray]) -> None:
    write_csv(path, [{"path": str(Path(s.path).resolve()), "label": LABEL_NAMES[s.label], "family": s.family,
                      "fold": int(f), **{k: f"{p[i]:.6f}" for k, p in probs.items()}}
                     for i, (s, f) in enumerate(zip(samples, fold_of))], ["path", "label", "family", "fold", *probs])


def report_markdown(summary: dict, cfg: TrainConfig) -> str:
    p, op = summary["pooled"], summary["operating_point"]
    lo, hi = p["auc_interval"]
    lines = [
        f"# {cfg.arch}: family {summary['folds']}-fold cross-validation",
        "",
        f"{summary['files']} files, {summary['families']} families; {summary['seconds']:.0f} s.",
        "",
        f"**Pooled out-of-fold AUC {p['auc']:.3f}** (95 % family bootstrap {lo:.3f}–{hi:.3f}); "
        f"per fold {summary['fold_auc_mean']:.3f} ± {summary['fold_auc_sd']:.3f}; "
        f"balanced accuracy {p['balanced_accuracy']:.3f}, F1 {p['f1']:.3f} at 0.5.",
        "",
        "| AUC | out of fold [95 % family bootstrap] |",
        "|---|---|",
        *(f"| {AUC_VIEWS[k]} | {format_auc(v)} |" for k, v in p["auc_views"].items()),
        "",
        "Copies of one radiograph are not independent evidence: the per-radiograph figures predict "
        "a new radiograph; the per-file one is dominated by the most-copied radiographs.",
        "",
        f"Operating point: {describe(op)}. The threshold ({op['threshold']:.4f} on probabilities calibrated with "
        f"temperature {op['temperature']:.3f}) is the highest at which the one-sided lower bound of sensitivity, "
        f"over {op['interval']['n']} bootstrap draws of whole families, reaches the target. "
        f"ECE {op['ece_raw']:.3f} raw, {op['ece_calibrated']:.3f} calibrated.",
        "",
        "| fold | test files | families | AUC | balanced acc. | F1 | epochs | best window (val AUC) | s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in summary["per_fold"]:
        b = f["best"]
        lines.append(f"| {f['fold']} | {f['test']} | {f['families']} | {f['auc']:.3f} | {f['balanced_accuracy']:.3f} | "
                     f"{f['f1']:.3f} | {f['epochs_run']} | epochs {b['epoch'] - b['epochs'] + 1}–{b['epoch']} "
                     f"({b['val_auc']:.3f}) | {f['train_seconds']:.0f} |")
    for name, v in summary["variants"].items():
        lines.insert(6, f"**{name}** (LiteRT, out of fold): {format_auc_views(v['auc_views'])}; "
                        f"F1 {v['f1']:.3f}, agreement with float {v['agreement_with_float']:.1%}.\n")
    lines += ["", "![ROC](roc.png) ![reliability](reliability.png)", ""]
    return "\n".join(lines)
