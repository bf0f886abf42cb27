"""BatchNorm statistics re-estimated for weights that changed outside of training."""

from __future__ import annotations

import numpy as np

from ..core.data.folders import LoadedImages


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
    x = images.tensors(spec)
    order = np.random.default_rng(0).permutation(len(x))
    saved = [bn.momentum for bn in bns]
    for k, start in enumerate(range(0, min(len(x), batch_size * max_batches), batch_size)):
        for bn in bns:
            bn.momentum = k / (k + 1)
        model(x[order[start:start + batch_size]], training=True)
    for bn, m in zip(bns, saved):
        bn.momentum = m
