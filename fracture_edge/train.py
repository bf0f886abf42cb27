"""Train a classifier on a folder or split manifest and write a self-describing run folder.

RUN_DIR holds ``model.keras`` (best epoch by validation AUC), ``spec.json``, ``split.csv``
(which file served as train/val/test), ``manifest.json`` (config, data hash, skipped files,
versions, timings, metrics), ``history.csv``, ``checkpoints/`` and ``eval/``. The folder is
built under a temporary name and renamed at the end: a killed run leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .augment import Augment
from .data.folders import Dataset, LoadedImages, Sample, load_dataset, load_images
from .data.leakage import warn_if_leaky
from .errors import InputError
from .io import atomic_dir, write_json, write_text
from .models import registry
from .preprocess import tensor_from_gray
from .spec import Canny, PreprocessSpec
from .versions import library_versions

log = logging.getLogger("fracture_edge")


@dataclass(frozen=True)
class TrainConfig:
    arch: str = "deepconvnet"
    img_size: int = 128
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float | None = None     # None: the architecture's stage rates
    seed: int = 0
    weights: str = "none"
    patience: int = 6
    val_fraction: float = 0.15
    width: int = 32
    fusion: tuple[str, ...] | None = None   # None: the architecture's default channels
    canny_low: float = 50.0
    canny_high: float = 150.0
    augment: Augment = field(default_factory=Augment)


def default_spec(cfg: TrainConfig) -> PreprocessSpec:
    arch = registry.info(cfg.arch)
    fusion = tuple(cfg.fusion or arch.fusion)
    n = len(fusion)
    return PreprocessSpec(
        height=cfg.img_size, width=cfg.img_size,
        canny=Canny(cfg.canny_low, cfg.canny_high) if "edges" in fusion else None,
        fusion=fusion,
        mean=tuple(arch.mean[i % 3] for i in range(n)),
        std=tuple(arch.std[i % 3] for i in range(n)),
    )


def assign_splits(dataset: Dataset, val_fraction: float, seed: int) -> list[Sample]:
    """Samples with train/val/test set; a missing val split is carved from train, stratified
    by label and, when the manifest has families, grouped by family."""
    samples = dataset.samples
    if not dataset.splits:
        samples = [Sample(s.path, s.label, "train", s.family) for s in samples]
    if any(s.split == "val" for s in samples):
        return samples
    train = [s for s in samples if s.split == "train"]
    if len(train) < 10:
        raise InputError(f"{dataset.source}: only {len(train)} training images; need at least 10")
    rng = np.random.default_rng(seed)
    groups: dict = {}
    for s in train:
        groups.setdefault((s.label, s.family or str(s.path)), []).append(s)
    val_keys = set()
    for label in (0, 1):
        keys = sorted(k for k in groups if k[0] == label)
        rng.shuffle(keys)
        total = sum(len(groups[k]) for k in keys)
        taken = 0
        for k in keys:
            if taken >= val_fraction * total:
                break
            val_keys.add(k)
            taken += len(groups[k])
    return [Sample(s.path, s.label, "val", s.family) if (s.label, s.family or str(s.path)) in val_keys else s
            for s in samples]


def sample_weights(labels: np.ndarray) -> np.ndarray:
    """Class-balanced weights: each class carries half of the total loss."""
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    if (counts == 0).any():
        raise InputError("the training split needs images of both classes")
    return (len(labels) / (2 * counts))[labels].astype(np.float32)


def tensors(images: LoadedImages, spec: PreprocessSpec) -> np.ndarray:
    return np.stack([tensor_from_gray(g, spec) for g in images.gray])


def make_train_dataset(images: LoadedImages, spec: PreprocessSpec, augment: Augment, batch: int, seed: int):
    """tf.data pipeline: shuffle indices, augment + preprocess in OpenCV (parallel), batch."""
    from .keras_env import tf

    gray, labels = images.gray, images.labels.astype(np.float32)
    weights = sample_weights(images.labels)
    counter, lock = itertools.count(), threading.Lock()

    def load(i):
        with lock:
            k = next(counter)
        rng = np.random.default_rng([seed, int(i), k])
        return tensor_from_gray(augment(gray[int(i)], rng), spec).astype(np.float32)

    shape = spec.input_shape
    ds = tf.data.Dataset.from_tensor_slices((np.arange(len(gray)), labels, weights))
    ds = ds.shuffle(len(gray), seed=seed, reshuffle_each_iteration=True)

    def mapper(i, y, w):
        x = tf.numpy_function(load, [i], tf.float32)
        x.set_shape(shape)
        return x, y, w

    return ds.map(mapper, num_parallel_calls=tf.data.AUTOTUNE).batch(batch).prefetch(tf.data.AUTOTUNE)


def _write_split(path: Path, samples: list[Sample]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["path", "label", "split", "family"])
    for s in samples:
        w.writerow([str(Path(s.path).resolve()), ["not fractured", "fractured"][s.label], s.split, s.family or ""])
    write_text(path, buf.getvalue())


def train(data, out, cfg: TrainConfig = TrainConfig(), force: bool = False) -> dict:
    """Train ``cfg.arch`` on ``data`` into the run folder ``out``; returns the run manifest."""
    registry.check_input_size(cfg.img_size)
    if cfg.epochs < 1:
        raise InputError(f"--epochs must be at least 1 (got {cfg.epochs})")
    if cfg.weights not in ("none", "imagenet") and not Path(cfg.weights).is_file():
        raise InputError(f"weights file not found: {cfg.weights} (use --weights none|imagenet|PATH)")
    if Path(out).exists() and not force:
        raise InputError(f"output exists: {out} (use --force to replace it)")
    spec = default_spec(cfg)
    dataset = load_dataset(data)
    warn_if_leaky(dataset)
    samples = assign_splits(dataset, cfg.val_fraction, cfg.seed)
    started = time.time()
    loaded = {}
    for split in ("train", "val", "test"):
        part = [s for s in samples if s.split == split]
        if part:
            loaded[split] = load_images(part, spec, desc=f"decode {split}")
    if "val" not in loaded or len(np.unique(loaded["val"].labels)) < 2:
        raise InputError("the validation split needs images of both classes")

    from .evaluate import evaluate_arrays
    from .keras_env import keras

    arch = registry.get(cfg.arch)
    keras.utils.set_random_seed(cfg.seed)
    model = arch.build(spec.input_shape, weights=cfg.weights, width=cfg.width)
    train_ds = make_train_dataset(loaded["train"], spec, cfg.augment, cfg.batch_size, cfg.seed)
    val_x = tensors(loaded["val"], spec)
    val_y = loaded["val"].labels.astype(np.float32)
    verbose = 1 if sys.stdout.isatty() else 2

    with atomic_dir(out, force=force) as tmp:
        (tmp / "checkpoints").mkdir()
        history_rows: list[dict] = []
        keeper = _BestKeeper(keras, tmp / "checkpoints" / "best.keras")
        epoch0 = 0
        for stage, rate, share in arch.STAGES:
            stage_epochs = max(1, round(cfg.epochs * share))
            arch.set_stage(model, stage)
            model.compile(
                optimizer=keras.optimizers.Adam(cfg.learning_rate or rate),
                loss="binary_crossentropy",
                metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
            )
            keeper.stage = stage
            callbacks = [
                keras.callbacks.ModelCheckpoint(str(tmp / "checkpoints" / "last.keras")),
                keeper,
                keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=cfg.patience),
            ]
            hist = model.fit(train_ds, validation_data=(val_x, val_y), epochs=epoch0 + stage_epochs,
                             initial_epoch=epoch0, callbacks=callbacks, verbose=verbose)
            for i, epoch in enumerate(hist.epoch):
                history_rows.append({"epoch": epoch + 1, "stage": stage,
                                     **{k: float(v[i]) for k, v in hist.history.items()}})
            epoch0 = hist.epoch[-1] + 1 if hist.epoch else epoch0
        train_seconds = time.time() - started
        model.set_weights(keeper.weights)
        best = keeper.best

        model.save(str(tmp / "model.keras"))
        write_text(tmp / "spec.json", spec.to_json() + "\n")
        _write_split(tmp / "split.csv", [s for part in loaded.values() for s in part.samples])
        _write_history(tmp / "history.csv", history_rows)
        eval_split = "test" if "test" in loaded else "val"
        ev = loaded[eval_split]
        prob = model.predict(tensors(ev, spec), verbose=0).reshape(-1)
        metrics = evaluate_arrays(ev.labels, prob, spec, tmp / "eval", title=f"{cfg.arch} on {eval_split}")
        n_train = len(loaded["train"].samples)
        manifest = {
            "kind": "fracture-edge run",
            "config": {**asdict(cfg), "fusion": list(spec.fusion)},
            "data": {
                "source": str(Path(data).resolve()),
                **{split: part.manifest() for split, part in loaded.items()},
                "ignored_files": len(dataset.ignored),
            },
            "skipped_files": sum(len(p.skipped) for p in loaded.values()),
            "best": best,
            "epochs_run": len(history_rows),
            "train_seconds": round(train_seconds, 1),
            "images_per_second": round(n_train * len(history_rows) / max(train_seconds, 1e-9), 1),
            "eval": {"split": eval_split, **metrics},
            "versions": library_versions(),
        }
        write_json(tmp / "manifest.json", manifest)
    return manifest


def _BestKeeper(keras, path: Path):
    """Keeps the weights of the best epoch by validation AUC across *all* stages (Keras's own
    ``restore_best_weights`` forgets the first stage when the second begins), and saves them."""

    class BestKeeper(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best = {"val_auc": -1.0, "epoch": 0, "stage": None}
            self.weights = None
            self.stage = None

        def on_epoch_end(self, epoch, logs=None):
            auc = float((logs or {}).get("val_auc", -1.0))
            if auc > self.best["val_auc"] or self.weights is None:
                self.best = {"val_auc": auc, "epoch": epoch + 1, "stage": self.stage}
                self.weights = self.model.get_weights()
                self.model.save(str(path))

    return BestKeeper()


def _write_history(path: Path, rows: list[dict]) -> None:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows(rows)
    write_text(path, buf.getvalue())
