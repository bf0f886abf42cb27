"""Train a classifier on a folder or split manifest and write a self-describing run folder.

RUN_DIR holds ``model.keras`` (best epoch by validation AUC), ``spec.json``, ``split.csv``
(which file served as train/val/test), ``manifest.json`` (config, data hash, skipped files,
versions, timings, metrics), ``history.csv``, ``checkpoints/`` and ``eval/``. The folder is
built under a temporary name and renamed at the end: a killed run leaves nothing half-written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import logging
import math
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .augment import Augment
from .data.folders import Dataset, LoadedImages, Sample, load_dataset, load_images
from .data.leakage import warn_if_leaky
from .distribute import check_strategy, distribution_strategy, is_chief, output_dir
from .errors import InputError
from .io import check_output, write_json, write_text
from .models import registry
from .preprocess import tensor_from_gray
from .spec import Canny, PreprocessSpec
from .versions import library_versions

#: A run folder's manifest kind (what --force may replace).
KIND = "fracture-edge run"

log = logging.getLogger("fracture_edge")


@dataclass(frozen=True)
class TrainConfig:
    """One training recipe. Defaults are the ones family cross-validation chose; each has a
    row in benchmarks/recipe that shows what it is worth. Fields left at ``None`` take the
    architecture's values (``models.registry``: input size, weights, epochs, dropout, stages),
    so ``TrainConfig(arch="efficientnet-lite0")`` is that architecture's measured recipe; a
    config made by :func:`dataclasses.replace` keeps the values it already has."""

    arch: str = "deepconvnet"
    img_size: int | None = None            # deepconvnet 96: family-CV AUC 0.686 vs 0.643 at 64 px
    epochs: int | None = None
    batch_size: int = 32
    learning_rate: float | None = None     # None: the architecture's stage rates
    seed: int = 0
    weights: str | None = None             # none, imagenet or a path; None: the architecture's
    patience: int = 6                      # epochs without a better windowed val AUC
    val_fraction: float = 0.15
    width: int = 16
    fusion: tuple[str, ...] | None = None   # None: the architecture's default channels
    canny_low: float = 50.0
    canny_high: float = 150.0
    # No augmentation (the decoded, resized images as they are) and per-file class weights. Family
    # CV: random crops alone with class weights beat the data-matched augmentation (Augment())
    # with per-family weights, 0.797 vs 0.686 per file, better in 4 of 5 folds (rows 96px-zoom-class
    # and 96px); without the crops it scored the same (-0.001 ± 0.030 per file, +0.007 ± 0.033 with
    # radiographs weighted equally, paired by fold; row 96px-zoom-class+noaug) in 35 % less time.
    # The data's own copies already come rotated, mirrored and re-exposed.
    augment: Augment | None = None
    balance: str = "class"                 # loss weights: "class" or "family" (see sample_weights)
    schedule: str = "cosine"               # learning rate per stage: "cosine" decay or "constant"
    window: int = 3                        # average the weights of the best window of epochs
    dropout: float | None = None
    l2: float = 1e-4
    bn_momentum: float = 0.99              # deepconvnet's BatchNorm moving-average momentum
    # Targets 0.05 / 0.95: the no-augmentation model's raw outputs otherwise crowd 0 and 1 so
    # closely that its operating point (raw probability 0.001) lies below the int8 output step
    # (1/256) and the int8 model cannot honour it. Family CV: per file +0.048 ± 0.089 (4 of 5
    # folds), radiographs weighted equally -0.006 ± 0.023, int8 within 0.002 of float
    # (row 96px-zoom-class+noaug+smooth0.1).
    label_smoothing: float = 0.1
    dedup: bool = True                     # train on one copy of byte-identical images
    distill: float = 0.0                   # weight of the teacher's soft labels (0: hard labels)
    stages: tuple[str, ...] | None = None  # None: the architecture's stages (models.registry)
    strategy: str = "one"                  # tf.distribute: "one", "mirrored" or "multiworker" (TF_CONFIG)

    def __post_init__(self):
        row = registry.info(self.arch)
        for name, value in (*row.recipe, ("stages", row.stages)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)


BALANCES = ("family", "class")
SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class Range:
    """The interval a numeric recipe value must lie in (``None``: unbounded). NaN and the
    infinities lie in none: click parses ``nan`` and ``inf`` as floats, and a NaN compares
    false with every bound, so it would pass a plain comparison."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, v) -> bool:
        return (math.isfinite(v)
                and (self.low is None or (v > self.low if self.low_open else v >= self.low))
                and (self.high is None or (v < self.high if self.high_open else v <= self.high)))

    def __str__(self) -> str:
        if self.high is None:
            return f"must be {'above' if self.low_open else 'at least'} {self.low:g}"
        return (f"must lie in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                f"{')' if self.high_open else ']'}")


UNIT, POSITIVE, NON_NEGATIVE, COUNT = Range(0, 1, high_open=True), Range(0, low_open=True), Range(0), Range(1)
#: The range of every numeric field of :class:`TrainConfig` and :class:`~.augment.Augment`
#: (``img_size`` has the architecture registry's own check); a field without a row is not
#: a number. check_config refuses anything outside before any data is read.
RANGES = {
    "epochs": COUNT, "batch_size": COUNT, "learning_rate": POSITIVE, "seed": NON_NEGATIVE, "patience": COUNT,
    "val_fraction": Range(0, 1, True, True), "width": COUNT, "canny_low": NON_NEGATIVE, "canny_high": NON_NEGATIVE,
    "window": COUNT, "dropout": UNIT, "l2": NON_NEGATIVE, "bn_momentum": UNIT, "label_smoothing": UNIT,
    "distill": Range(0, 1),
    "max_rotation": Range(0, 180), "contrast": Range(0, 1), "brightness": Range(0, 255), "zoom": NON_NEGATIVE,
    "noise": NON_NEGATIVE,
}
#: Fields whose command-line option is not named after them.
_OPTION = {"learning_rate": "--lr", "max_rotation": "--rotation"}


def _check_ranges(obj) -> None:
    for name, value in asdict(obj).items():
        if name in RANGES and value is not None and value not in RANGES[name]:
            option = _OPTION.get(name, "--" + name.replace("_", "-"))
            rule = RANGES[name] if math.isfinite(value) else "must be a finite number"
            raise InputError(f"{option} {rule} (got {value})")


def check_config(cfg: TrainConfig, teachers=()) -> None:
    """Option checks that run before any data is read or TensorFlow is loaded. ``teachers``:
    the distillation teachers given with the recipe (train's and cv's ``--teacher``)."""
    registry.check_input_size(cfg.img_size)
    registry.check_stages(cfg.arch, cfg.stages)
    _check_ranges(cfg)
    if cfg.augment is not None:
        _check_ranges(cfg.augment)
    if cfg.balance not in BALANCES:
        raise InputError(f"unknown --balance {cfg.balance!r} (choose from {', '.join(BALANCES)})")
    if cfg.schedule not in SCHEDULES:
        raise InputError(f"unknown --schedule {cfg.schedule!r} (choose from {', '.join(SCHEDULES)})")
    if bool(cfg.distill) != bool(teachers):
        raise InputError("--distill and --teacher CV_DIR go together")
    if cfg.weights == "imagenet" and not registry.info(cfg.arch).imagenet:
        raise InputError(f"{cfg.arch} has no ImageNet weights: use --weights none, or PATH to an encoder.h5 "
                         "from fracture-edge pretrain")
    if cfg.weights not in ("none", "imagenet") and not Path(cfg.weights).is_file():
        raise InputError(f"weights file not found: {cfg.weights} (use --weights none|imagenet|PATH)")
    check_strategy(cfg.strategy)


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


def sample_weights(images: LoadedImages, balance: str) -> np.ndarray:
    """Loss weights with mean 1 under which each class carries half of the total loss.

    ``family``: within a class every family (copies of one radiograph) carries equal weight,
    so a radiograph copied forty times does not count forty times; files without a family
    count as their own family. ``class``: every file of a class carries equal weight.
    """
    labels = images.labels
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    if (counts == 0).any():
        raise InputError("the training split needs images of both classes")
    if balance == "class":
        return (len(labels) / (2 * counts))[labels].astype(np.float32)
    keys = [(s.label, s.family or str(s.path)) for s in images.samples]
    size: dict = {}
    for k in keys:
        size[k] = size.get(k, 0) + 1
    w = np.array([1.0 / size[k] for k in keys])
    for c in (0, 1):
        w[labels == c] *= len(labels) / (2 * w[labels == c].sum())
    return w.astype(np.float32)


def unique_images(images: LoadedImages) -> LoadedImages:
    """One copy of each byte-identical image (same decoded pixels and label): copies add no
    information and, under family weighting, no weight, only time."""
    seen, keep = set(), []
    for i, (g, y) in enumerate(zip(images.gray, images.labels)):
        key = (hashlib.sha1(g.tobytes()).digest(), int(y))
        if key not in seen:
            seen.add(key)
            keep.append(i)
    if len(keep) == len(images.samples):
        return images
    return images.take(keep)


def tensors(images: LoadedImages, spec: PreprocessSpec) -> np.ndarray:
    return np.stack([tensor_from_gray(g, spec) for g in images.gray])


def augmented_loader(gray: np.ndarray, spec: PreprocessSpec, augment: Augment | None, seed: int):
    """``load(i)``: a fresh augmented model input of image ``i`` on every call. Each call draws
    from its own generator (seed, image, call number), so parallel tf.data workers never share
    one and a run is reproducible up to the order in which the workers are scheduled. Without
    augmentation (``None``) it is the decoded, resized image's model input, the same on every call."""
    if augment is None:
        return lambda i: tensor_from_gray(gray[int(i)], spec).astype(np.float32)
    counter, lock = itertools.count(), threading.Lock()

    def load(i):
        with lock:
            k = next(counter)
        rng = np.random.default_rng([seed, int(i), k])
        return tensor_from_gray(augment(gray[int(i)], rng), spec).astype(np.float32)

    return load


def make_train_dataset(images: LoadedImages, spec: PreprocessSpec, augment: Augment | None, batch: int, seed: int,
                       balance: str, targets: np.ndarray | None = None):
    """tf.data pipeline: shuffle indices, augment + preprocess in OpenCV (parallel), batch.

    ``targets`` replaces the hard labels (soft labels for distillation). ``batch`` is the
    global batch. Under a multi-worker strategy the pipeline is sharded by DATA: every worker
    shuffles with the same seed, so all see the same order, and each keeps its share of every
    global batch; all workers therefore run the same number of steps per epoch (a worker that
    ran out first would leave the others waiting in an all-reduce). There are no files to shard
    by: the images are in memory. The price is that every worker augments every image."""
    from .keras_env import tf

    gray = images.gray
    labels = (images.labels if targets is None else targets).astype(np.float32)
    weights = sample_weights(images, balance)
    load = augmented_loader(gray, spec, augment, seed)
    shape = spec.input_shape
    ds = tf.data.Dataset.from_tensor_slices((np.arange(len(gray)), labels, weights))
    ds = ds.shuffle(len(gray), seed=seed, reshuffle_each_iteration=True)

    def mapper(i, y, w):
        x = tf.numpy_function(load, [i], tf.float32)
        x.set_shape(shape)
        return x, y, w

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = ds.map(mapper, num_parallel_calls=tf.data.AUTOTUNE).batch(batch).prefetch(tf.data.AUTOTUNE)
    return ds.with_options(options)


def recalibrate_batchnorm(model, spec, images: LoadedImages, batch_size: int, max_batches: int = 50) -> None:
    """Re-estimate BatchNorm statistics for weights that were changed outside of training.

    Pruning masks and weight averaging both change the weights at once, and BatchNorm's moving
    averages (momentum 0.99) describe the old weights: the model then ranks images well but its
    probabilities drift to one side of the threshold. An exact running average over
    un-augmented training batches (momentum k/(k+1) for batch k) makes the statistics those of
    the weights that ship.
    """
    from .keras_env import keras

    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
    if not bns:
        return
    x = tensors(images, spec)
    order = np.random.default_rng(0).permutation(len(x))
    saved = [bn.momentum for bn in bns]
    for k, start in enumerate(range(0, min(len(x), batch_size * max_batches), batch_size)):
        for bn in bns:
            bn.momentum = k / (k + 1)
        model(x[order[start:start + batch_size]], training=True)
    for bn, m in zip(bns, saved):
        bn.momentum = m


def fit(loaded: dict[str, LoadedImages], spec: PreprocessSpec, cfg: TrainConfig, checkpoints: Path | None = None,
        teacher: np.ndarray | None = None, verbose: int = 0, strategy=None):
    """Train ``cfg.arch`` on ``loaded["train"]``, selecting on ``loaded["val"]``.

    Returns the model holding the selected weights and a summary (history rows, the chosen
    window, timings). Selection: the mean validation AUC over ``cfg.window`` consecutive epochs
    picks the window, and the model ships the *average* of that window's weights (stochastic
    weight averaging over the plateau), with BatchNorm statistics re-estimated for them. One
    epoch's validation AUC on a few hundred families is too noisy to pick on alone (it picked
    epoch 1 in two of nine runs of benchmarks/canny_fusion). ``teacher``: soft labels per
    training image, mixed with the hard labels by ``cfg.distill``.

    The model is built and compiled inside ``strategy`` (default: ``cfg.strategy``'s);
    ``cfg.batch_size`` stays the global batch, split between the replicas, so a recipe means
    the same number of steps and the same learning-rate schedule on one device or many. Every
    worker of a cluster runs this whole function in step with the others; only the files they
    write differ (see :func:`.distribute.output_dir`).
    """
    from .keras_env import keras

    train_images = loaded["train"]
    targets = None
    if teacher is not None and cfg.distill:
        targets = cfg.distill * np.asarray(teacher, np.float32) + (1 - cfg.distill) * train_images.labels
    if cfg.dedup and targets is None:
        train_images = unique_images(train_images)
    strategy = strategy or distribution_strategy(cfg.strategy)
    arch = registry.get(cfg.arch)
    keras.utils.set_random_seed(cfg.seed)
    with strategy.scope():
        model = registry.build(cfg.arch, spec.input_shape, weights=cfg.weights, width=cfg.width,
                               dropout=cfg.dropout, l2=cfg.l2, bn_momentum=cfg.bn_momentum)
    train_ds = make_train_dataset(train_images, spec, cfg.augment, cfg.batch_size, cfg.seed, cfg.balance, targets)
    steps = math.ceil(len(train_images.samples) / cfg.batch_size)
    val_x = tensors(loaded["val"], spec)
    val_y = loaded["val"].labels.astype(np.float32)
    val_w = sample_weights(loaded["val"], cfg.balance)     # val AUC weighs families as the loss does

    started = time.time()
    history_rows: list[dict] = []
    keeper = _WindowKeeper(keras, cfg.window, cfg.patience, checkpoints)
    rates = dict(registry.info(cfg.arch).stage_rates)
    stage_epochs = max(1, round(cfg.epochs / max(1, sum(rates[s] is not None for s in cfg.stages))))
    epoch0 = 0
    for stage in cfg.stages:
        arch.set_stage(model, stage)
        keeper.start_stage(stage, 1 if rates[stage] is None else stage_epochs)
        if rates[stage] is None:
            from .probe import fit_probe

            soft = train_images.labels if targets is None else targets
            row = fit_probe(model, tensors(train_images, spec), train_images.labels,
                            soft * (1 - cfg.label_smoothing) + cfg.label_smoothing / 2,
                            sample_weights(train_images, cfg.balance),
                            [s.family or str(s.path) for s in train_images.samples], val_x, val_y, val_w)
            keeper.offer(model, epoch0, row["val_auc"])
            epoch0 += 1
            history_rows.append({"epoch": epoch0, "stage": stage, **row})
            continue
        lr = cfg.learning_rate or rates[stage]
        if cfg.schedule == "cosine":
            lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=steps * stage_epochs, alpha=0.01)
        with strategy.scope():
            model.compile(
                optimizer=keras.optimizers.Adam(lr),
                loss=keras.losses.BinaryCrossentropy(label_smoothing=cfg.label_smoothing),
                metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
            )
        callbacks = [keeper]
        if checkpoints:
            callbacks.insert(0, keras.callbacks.ModelCheckpoint(str(checkpoints / "last.keras")))
        hist = model.fit(train_ds, validation_data=(val_x, val_y, val_w), epochs=epoch0 + stage_epochs,
                         initial_epoch=epoch0, callbacks=callbacks, verbose=verbose)
        for i, epoch in enumerate(hist.epoch):
            history_rows.append({"epoch": epoch + 1, "stage": stage,
                                 **{k: float(v[i]) for k, v in hist.history.items()}})
        epoch0 = hist.epoch[-1] + 1 if hist.epoch else epoch0
    seconds = time.time() - started
    model.set_weights(keeper.weights)
    if keeper.best["epochs"] > 1:
        recalibrate_batchnorm(model, spec, train_images, cfg.batch_size)
    n_seen = len(train_images.samples) * len(history_rows)
    return model, {
        "best": keeper.best,
        "history": history_rows,
        "train_images": len(train_images.samples),
        "train_seconds": round(seconds, 1),
        "images_per_second": round(n_seen / max(seconds, 1e-9), 1),
        "epochs_run": len(history_rows),
        "distribution": {"strategy": cfg.strategy, "replicas": strategy.num_replicas_in_sync,
                         "chief": is_chief(strategy)},
    }


def write_split(path: Path, samples: list[Sample]) -> None:
    """``split.csv``: which file served as train, val or test, the run folder's record that
    export calibrates, fine-tunes and validates by (``cv --export`` writes one per fold)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["path", "label", "split", "family"])
    for s in samples:
        w.writerow([str(Path(s.path).resolve()), ["not fractured", "fractured"][s.label], s.split, s.family or ""])
    write_text(path, buf.getvalue())


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
        from .operating_point import spec_record

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
        write_history(tmp / "history.csv", info["history"])
        eval_split = "test" if "test" in loaded else "val"
        ev = loaded[eval_split]
        prob = model.predict(tensors(ev, spec), verbose=0).reshape(-1)
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


def _WindowKeeper(keras, window: int, patience: int, checkpoints: Path | None):
    """Keeps the average of the weights of the ``window`` consecutive epochs with the best
    mean validation AUC, across *all* stages (Keras's ``restore_best_weights`` forgets the
    first stage when the second begins), and stops a stage after ``patience`` epochs without a
    better window. Windows do not span stages (a stage changes what trains) and only full
    windows count, unless the stage is shorter than one: a lucky first epoch is not a plateau.
    A linear probe (:meth:`offer`) is a converged fit, not a noisy epoch: it counts as a full
    window, so fine-tuning replaces it only by doing better."""

    class WindowKeeper(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best = {"val_auc": -1.0, "epoch": 0, "epochs": 0, "stage": None}
            self.settled = 0           # the window length the best counts as (a probe: any)
            self.weights = None
            self.recent: deque = deque(maxlen=window)
            self.stage = None
            self.stage_epochs = window
            self.waited = 0

        def start_stage(self, stage, epochs: int):
            self.stage, self.stage_epochs, self.waited = stage, epochs, 0
            self.recent.clear()

        def offer(self, model, epoch, auc: float):
            """A probe's fit, as one epoch that counts as a full window."""
            self.set_model(model)
            self.recent.append((auc, model.get_weights()))
            self._keep(epoch, auc, settled=window)

        def on_epoch_end(self, epoch, logs=None):
            auc = float((logs or {}).get("val_auc", -1.0))
            if math.isnan(auc):
                auc = -1.0
            self.recent.append((auc, self.model.get_weights()))
            full = min(window, self.stage_epochs)
            if len(self.recent) < full and self.weights is not None:
                return
            self._keep(epoch, float(np.mean([a for a, _ in self.recent])), settled=len(self.recent))

        def _keep(self, epoch, mean_auc: float, settled: int):
            full = min(window, self.stage_epochs)
            if mean_auc > self.best["val_auc"] or self.weights is None or self.settled < full:
                self.best = {"val_auc": round(mean_auc, 4), "epoch": epoch + 1, "epochs": len(self.recent),
                             "stage": self.stage}
                self.settled = settled
                self.weights = [np.mean(ws, axis=0) for ws in zip(*(w for _, w in self.recent))]
                self.waited = 0
                if checkpoints:
                    self.model.save(str(checkpoints / "best.keras"))
            else:
                self.waited += 1
                if self.waited >= patience:
                    self.model.stop_training = True

    return WindowKeeper()


def write_history(path: Path, rows: list[dict]) -> None:
    """One CSV row per epoch, columns in order of first appearance (train and pretrain)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows(rows)
    write_text(path, buf.getvalue())
