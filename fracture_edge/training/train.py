"""Train a classifier on a folder or split manifest and write a self-describing run folder.

RUN_DIR holds ``model.keras`` (best epoch by validation AUC), ``spec.json``, ``split.csv``
(which file served as train/val/test), ``manifest.json`` (config, data hash, skipped files,
versions, timings, metrics), ``history.csv``, ``checkpoints/`` and ``eval/``. The folder is
built under a temporary name and renamed at the end: a killed run leaves nothing half-written.
The recipe is :mod:`.config`; the loop that trains is :mod:`.fit`.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from ..core.data.folders import load_dataset, load_images
from ..core.data.leakage import warn_if_leaky
from ..core.errors import InputError
from ..core.files import check_output, write_csv, write_json, write_text
from ..core.versions import library_versions
from .config import TrainConfig, check_config, default_spec
from .distill import oof_soft_labels
from .distribute import distribution_strategy, is_chief, output_dir
from .fit import fit
from .splits import assign_splits, write_split

#: A run folder's manifest kind (what --force may replace).
KIND = "fracture-edge run"


def train(data, out, cfg: TrainConfig = TrainConfig(), force: bool = False,
          operating_point: dict | None = None, teachers=()) -> dict:
    """Train ``cfg.arch`` on ``data`` into the run folder ``out``; returns the run manifest.

    ``operating_point`` (threshold and temperature chosen on cross-validated predictions, see
    :mod:`.cv`, and what they promise) goes into the run's spec and from there into every export. ``teachers``: CV
    folders whose out-of-fold predictions are the soft labels (see :func:`oof_soft_labels`),
    mixed with the hard labels by ``cfg.distill``. Under
    ``--strategy multiworker`` every worker calls this with the same arguments; only the chief
    writes ``out`` (see :func:`.distribute.output_dir`)."""
    check_config(cfg, teachers)
    check_output(out, force, KIND)
    spec = default_spec(cfg)
    if operating_point:
        from ..core.operating_point import spec_record

        spec = replace(spec, threshold=float(operating_point["threshold"]),
                       temperature=float(operating_point["temperature"]), operating_point=spec_record(operating_point))
    dataset = load_dataset(data)
    warn_if_leaky(dataset)
    samples = assign_splits(dataset, cfg.val_fraction, cfg.seed)
    loaded = {}
    for split in ("train", "val", "test"):
        part = [s for s in samples if s.split == split]
        if part:
            loaded[split] = load_images(part, spec, desc=f"decode {split}")
    if "val" not in loaded or len(np.unique(loaded["val"].labels)) < 2:
        raise InputError("the validation split needs images of both classes")
    soft = oof_soft_labels(teachers, loaded["train"].samples) if teachers else None

    from .evaluate import evaluate_arrays

    # Before TensorFlow runs its first op: a multi-worker strategy can be made only then.
    strategy = distribution_strategy(cfg.strategy)
    verbose = 1 if sys.stdout.isatty() else 2
    with output_dir(Path(out), force, is_chief(strategy), KIND) as tmp:
        (tmp / "checkpoints").mkdir()
        model, info = fit(loaded, spec, cfg, tmp / "checkpoints", teacher=soft, verbose=verbose, strategy=strategy)
        model.save(str(tmp / "model.keras"))
        write_text(tmp / "spec.json", spec.to_json() + "\n")
        write_split(tmp / "split.csv", [s for part in loaded.values() for s in part.samples])
        write_csv(tmp / "history.csv", info["history"])
        eval_split = "test" if "test" in loaded else "val"
        ev = loaded[eval_split]
        prob = model.predict(ev.tensors(spec), verbose=0).reshape(-1)
        families = [s.family for s in ev.samples]
        metrics = evaluate_arrays(ev.labels, prob, spec, tmp / "eval", title=f"{cfg.arch} on {eval_split}",
                                  families=families if all(families) else None)
        manifest = {
            "kind": KIND,
            "config": {**asdict(cfg), "fusion": list(spec.fusion)},
            "data": {
                "source": str(Path(data).resolve()),
                **{split: part.manifest() for split, part in loaded.items()},
                "ignored_files": len(dataset.ignored),
            },
            "skipped_files": sum(len(p.skipped) for p in loaded.values()),
            **{k: v for k, v in info.items() if k != "history"},
            "operating_point": operating_point,
            "teachers": [str(Path(t).resolve()) for t in teachers],
            "eval": {"split": eval_split, **metrics},
            "versions": library_versions(),
        }
        write_json(tmp / "manifest.json", manifest)
    return manifest
