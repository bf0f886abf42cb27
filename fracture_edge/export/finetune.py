"""Short fine-tunes that some variants need before conversion: pruning and QAT (tfmot).

Both act on a copy of the very model object ``train`` saved, on the run's training split with
the same augmentation and class weighting as training, so the exported network is the trained
one adjusted, not a new one. Pruning follows a polynomial-decay schedule that reaches the
target sparsity at about 80 % of the fine-tune and holds it; the wrappers are stripped before
conversion. Pruning-preserving QAT uses tfmot's ``Default8BitPrunePreserveQuantizeScheme``.
"""

from __future__ import annotations

import math

from ..augment import Augment
from ..keras_env import keras


def _tfmot():
    import tensorflow_model_optimization as tfmot

    return tfmot


def prepare(run, variant, train_images, seed: int = 0, batch_size: int = 32):
    """A fine-tuned copy of the run's model per ``variant`` (pruned, QAT-wrapped, or both)."""
    from ..train import make_train_dataset, recalibrate_batchnorm

    tfmot = _tfmot()
    keras.utils.set_random_seed(seed)     # the same export twice gives the same model
    source = run.keras_model()
    model = keras.models.clone_model(source)
    model.set_weights(source.get_weights())
    data = make_train_dataset(train_images, run.spec, Augment(), batch_size, seed)
    steps = math.ceil(len(train_images.samples) / batch_size) * variant.fine_tune_epochs

    if variant.prune_sparsity:
        # Masks update every `frequency` steps; end on an update step so the target is reached.
        frequency = max(1, steps // 20)
        end = max(frequency, frequency * int(0.8 * steps / frequency))
        schedule = tfmot.sparsity.keras.PolynomialDecay(
            initial_sparsity=0.0, final_sparsity=variant.prune_sparsity, begin_step=0, end_step=end,
            frequency=frequency)
        model = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=schedule)
        _fit(model, data, variant, [tfmot.sparsity.keras.UpdatePruningStep()])
        model = tfmot.sparsity.keras.strip_pruning(model)
        recalibrate_batchnorm(model, run.spec, train_images, batch_size)
    if variant.qat:
        if variant.prune_sparsity:
            annotated = tfmot.quantization.keras.quantize_annotate_model(model)
            model = tfmot.quantization.keras.quantize_apply(
                annotated, tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme())
        else:
            model = tfmot.quantization.keras.quantize_model(model)
        _fit(model, data, variant, [])
    return model


def _fit(model, data, variant, callbacks) -> None:
    model.compile(optimizer=keras.optimizers.Adam(variant.fine_tune_lr), loss="binary_crossentropy")
    model.fit(data, epochs=variant.fine_tune_epochs, callbacks=callbacks, verbose=0)
