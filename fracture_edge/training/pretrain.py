"""Self-supervised pretraining of a classifier's encoder on unlabelled radiographs (SimCLR).

Labels are what this data lacks: 348 source radiographs, and no pretrained weights can be
downloaded here. Images without labels cost nothing, so the encoder (everything up to the
global pooling) first learns to give two augmented views of one radiograph the same
embedding and views of different radiographs different ones (the NT-Xent loss of SimCLR,
Chen et al. 2020). The views come from the data-matched augmentation (any-angle rotation,
flips, exposure, crop: :class:`.augment.Augment`), so what the encoder learns to ignore is
exactly how copies of one radiograph differ in the public sets. It is the pretraining's own
(``PretrainConfig.augment``), not the classifier recipe's: the default recipe only crops, and
views that differ by a crop alone would make the task nearly trivial.

``fracture-edge pretrain DATA --out DIR`` writes ``DIR/encoder.h5`` (the encoder's layers,
loaded by name) for ``train --weights DIR/encoder.h5`` with the same ``--arch``, ``--width``
and ``--fusion``. ``cv --pretrain-epochs N`` pretrains every fold's encoder on that fold's
training images only, which is how benchmarks/recipe measures whether it helps.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..core.data.folders import LoadedImages, Sample, load_dataset, load_images
from ..core.decode import image_files
from ..core.errors import InputError
from ..core.files import atomic_dir, check_output, write_csv, write_json
from ..core.spec import PreprocessSpec
from ..core.versions import library_versions
from .augment import Augment
from .config import TrainConfig, check_config, default_spec
from .models import registry
from .pipeline import augmented_loader
from .sampling import unique_images

KIND = "fracture-edge pretrain"

ENCODER_FILE = "encoder.h5"


@dataclass(frozen=True)
class PretrainConfig:
    epochs: int = 20
    batch_size: int = 64            # pairs per step: 2 x 64 views, 126 negatives per view
    learning_rate: float = 1e-3
    temperature: float = 0.2        # NT-Xent softmax temperature
    projection: int = 64            # width of the projection head (discarded after pretraining)
    seed: int = 0
    augment: Augment = Augment()    # how the two views of an image differ


def check_pretrain(cfg: PretrainConfig) -> None:
    if cfg.epochs < 1:
        raise InputError(f"--epochs must be at least 1 (got {cfg.epochs})")
    if cfg.batch_size < 2:
        raise InputError(f"--batch-size must be at least 2 (got {cfg.batch_size})")
    if not 0 < cfg.temperature < math.inf:          # written so that NaN fails too
        raise InputError(f"--temperature must be positive (got {cfg.temperature})")
    if not 0 < cfg.learning_rate < math.inf:
        raise InputError(f"--lr must be positive (got {cfg.learning_rate})")


def nt_xent(z1, z2, temperature: float):
    """NT-Xent: each view must pick its partner among the other 2N - 1 views of the batch by
    cosine similarity / ``temperature``. Chance level is ``log(2N - 1)``."""
    from .keras_env import tf

    n = tf.shape(z1)[0]
    z = tf.math.l2_normalize(tf.concat([z1, z2], axis=0), axis=1)
    sim = tf.matmul(z, z, transpose_b=True) / temperature
    sim -= 1e9 * tf.eye(2 * n)                       # a view is not its own partner
    partner = tf.concat([tf.range(n, 2 * n), tf.range(0, n)], axis=0)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=partner, logits=sim))


def encoder_of(model):
    """The classifier's layers up to its global pooling (``gap``, in every architecture)."""
    from .keras_env import keras

    return keras.Model(model.input, model.get_layer("gap").output, name=f"{model.name}_encoder")


def fit_encoder(gray: np.ndarray, spec: PreprocessSpec, recipe: TrainConfig, cfg: PretrainConfig,
                verbose: int = 0):
    """Pretrain the encoder of ``recipe``'s architecture on ``gray`` images; returns it and the
    loss per epoch."""
    check_pretrain(cfg)
    if len(gray) < 2 * cfg.batch_size:
        raise InputError(f"pretraining needs at least {2 * cfg.batch_size} images (got {len(gray)}); "
                         "lower --batch-size")
    from .keras_env import keras, tf

    keras.utils.set_random_seed(cfg.seed)
    model = registry.build(recipe.arch, spec.input_shape, weights="none", width=recipe.width,
                           dropout=recipe.dropout, l2=recipe.l2, bn_momentum=recipe.bn_momentum)
    encoder = encoder_of(model)
    head = keras.Sequential([keras.layers.Dense(cfg.projection, activation="relu"),
                             keras.layers.Dense(cfg.projection)], name="projection")
    load = augmented_loader(gray, spec, cfg.augment, cfg.seed)

    def views(i):
        x1 = tf.numpy_function(load, [i], tf.float32)
        x2 = tf.numpy_function(load, [i], tf.float32)
        x1.set_shape(spec.input_shape)
        x2.set_shape(spec.input_shape)
        return x1, x2

    steps = len(gray) // cfg.batch_size          # full batches only: NT-Xent's chance level is per batch
    ds = (tf.data.Dataset.range(len(gray)).shuffle(len(gray), seed=cfg.seed, reshuffle_each_iteration=True)
          .map(views, num_parallel_calls=tf.data.AUTOTUNE).batch(cfg.batch_size, drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))
    lr = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, decay_steps=steps * cfg.epochs, alpha=0.01)
    simclr = _SimCLR(encoder, head, cfg.temperature)
    simclr.compile(optimizer=keras.optimizers.Adam(lr))
    hist = simclr.fit(ds, epochs=cfg.epochs, verbose=verbose)
    return encoder, [float(v) for v in hist.history["loss"]]


def _SimCLR(encoder, head, temperature: float):
    from .keras_env import keras, tf

    class SimCLR(keras.Model):
        """Both views go through the encoder in one batch, so BatchNorm normalises them with
        the same statistics (per-view statistics would let the loss tell the views apart)."""

        def __init__(self):
            super().__init__()
            self.encoder, self.head = encoder, head
            self.loss_mean = keras.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.loss_mean]

        def train_step(self, data):
            x1, x2 = data
            with tf.GradientTape() as tape:
                z = self.head(self.encoder(tf.concat([x1, x2], axis=0), training=True), training=True)
                z1, z2 = tf.split(z, 2, axis=0)
                loss = nt_xent(z1, z2, temperature)
                total = loss + tf.add_n(self.encoder.losses) if self.encoder.losses else loss
            variables = self.encoder.trainable_variables + self.head.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
            self.loss_mean.update_state(loss)
            return {"loss": self.loss_mean.result()}

    return SimCLR()


def save_encoder(encoder, path: Path) -> None:
    """HDF5, so ``load_weights(by_name=True)`` can put the layers into a classifier."""
    encoder.save_weights(str(path), save_format="h5")


def unlabelled_samples(data: Path) -> list[Sample]:
    """Every image under a folder (labels, if any, are ignored), or a split manifest's train
    rows only: a later fine-tune's validation and test images stay unseen."""
    data = Path(data)
    if not data.exists():
        raise InputError(f"no such file or folder: {data}")
    if data.is_file():
        return [s for s in load_dataset(data).samples if s.split in ("train", None)]
    files = image_files(data)
    if not files:
        raise InputError(f"no images under {data}")
    return [Sample(p, 0, "train", None) for p in files]


def pretrain(data, out, recipe: TrainConfig = TrainConfig(), cfg: PretrainConfig = PretrainConfig(),
             force: bool = False) -> dict:
    """Pretrain ``recipe``'s encoder on the images of ``data`` into the folder ``out``."""
    check_pretrain(cfg)
    check_config(recipe)
    if recipe.weights != "none":
        raise InputError("pretraining starts from random weights: leave --weights out")
    check_output(out, force, KIND)
    spec = default_spec(recipe)
    images = load_images(unlabelled_samples(data), spec, desc="decode")
    unique = unique_images(LoadedImages(images.gray, np.zeros(len(images.gray), np.int64), images.samples,
                                        images.skipped, images.content_hash))
    started = time.time()
    encoder, losses = fit_encoder(unique.gray, spec, recipe, cfg, verbose=2)
    seconds = time.time() - started
    with atomic_dir(out, force=force, kind=KIND) as tmp:
        save_encoder(encoder, tmp / ENCODER_FILE)
        write_csv(tmp / "history.csv", [{"epoch": i + 1, "loss": round(v, 5)} for i, v in enumerate(losses)])
        manifest = {
            "kind": KIND,
            "method": "SimCLR (NT-Xent)",
            "data": {"source": str(Path(data).resolve()), "files": len(images.samples),
                     "unique_images": len(unique.samples), "sha256": images.content_hash,
                     "skipped": [{"path": p, "reason": r} for p, r in images.skipped],
                     "skipped_count": len(images.skipped)},
            "arch": recipe.arch, "width": recipe.width, "spec": spec.to_dict(),
            "config": asdict(cfg),
            "loss": {"first": losses[0], "last": losses[-1],
                     "chance": math.log(2 * cfg.batch_size - 1)},
            "seconds": round(seconds, 1),
            "use": f"fracture-edge train DATA --arch {recipe.arch} --width {recipe.width} "
                   f"--fusion {','.join(spec.fusion)} --weights {Path(out) / ENCODER_FILE}",
            "versions": library_versions(),
        }
        write_json(tmp / "manifest.json", manifest)
    return manifest


def pretrained_config(recipe: TrainConfig, images: LoadedImages, spec: PreprocessSpec, cfg: PretrainConfig,
                      scratch: Path) -> TrainConfig:
    """``recipe`` starting from an encoder pretrained on ``images`` (one CV fold's training
    images), saved at ``scratch``."""
    encoder, _ = fit_encoder(unique_images(images).gray, spec, recipe, cfg)
    save_encoder(encoder, scratch)
    return replace(recipe, weights=str(scratch))
