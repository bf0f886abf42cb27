"""The tf.data input pipeline: augmentation and preprocessing in OpenCV, in parallel workers."""

from __future__ import annotations

import itertools
import threading

import numpy as np

from ..core.data.folders import LoadedImages
from ..core.preprocess import tensor_from_gray
from ..core.spec import PreprocessSpec
from .augment import Augment
from .sampling import sample_weights


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
