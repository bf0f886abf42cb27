"""The fit loop: the architecture's stages in order, and the window of epochs whose averaged
weights ship."""

from __future__ import annotations

import math
import time
from collections import deque
from pathlib import Path

import numpy as np

from ..core.data.folders import LoadedImages
from ..core.spec import PreprocessSpec
from .batchnorm import recalibrate_batchnorm
from .config import TrainConfig
from .distribute import distribution_strategy, is_chief
from .models import registry
from .pipeline import make_train_dataset
from .sampling import sample_weights, unique_images


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
    val_x = loaded["val"].tensors(spec)
    val_y = loaded["val"].labels.astype(np.float32)
    val_w = sample_weights(loaded["val"], cfg.balance)     # val AUC weighs families as the loss does

    started = time.time()
    history_rows: list[dict] = []
    keeper = window_keeper(keras, cfg.window, cfg.patience, checkpoints)
    rates = dict(registry.info(cfg.arch).stage_rates)
    stage_epochs = max(1, round(cfg.epochs / max(1, sum(rates[s] is not None for s in cfg.stages))))
    epoch0 = 0
    for stage in cfg.stages:
        arch.set_stage(model, stage)
        keeper.start_stage(stage, 1 if rates[stage] is None else stage_epochs)
        if rates[stage] is None:
            from .probe import fit_probe

            soft = train_images.labels if targets is None else targets
            row = fit_probe(model, train_images.tensors(spec), train_images.labels,
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


def window_keeper(keras, window: int, patience: int, checkpoints: Path | None):
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
