"""Short fine-tunes that some variants need before conversion: pruning and QAT (tfmot).

Both act on a copy of the very model object ``train`` saved, on the run's training split with
the same augmentation and class weighting as training, so the exported network is the trained
one adjusted, not a new one. Pruning follows a polynomial-decay schedule that reaches the
target sparsity at about 80 % of the fine-tune and holds it; the wrappers are stripped before
conversion. Pruning-preserving QAT uses tfmot's ``Default8BitPrunePreserveQuantizeScheme``.
"""

from __future__ import annotations

import math

from ..augment import recorded
from ..keras_env import keras


def _tfmot():
    import tensorflow_model_optimization as tfmot

    return tfmot


class FineTunes:
    """The fine-tuned models of one export. Pruning runs once per schedule (sparsity, epochs,
    learning rate) and is shared: ``pruned``, ``pruned-int8`` and ``pruned-qat-int8`` start from
    the same pruned model, as three separate fine-tunes they cost ResNet50 about 35 minutes each
    on 2 cores. Training images are decoded (one copy of each byte-identical image, as training
    had: see ``train.unique_images``) on first use."""

    def __init__(self, run, seed: int = 0, batch_size: int = 32):
        self.run, self.seed, self.batch_size = run, seed, batch_size
        self._images = None
        self._pruned: dict[tuple, object] = {}

    @property
    def images(self):
        if self._images is None:
            from ..sampling import unique_images

            self._images = unique_images(self.run.train_images())
        return self._images

    def model_for(self, variant):
        """A fine-tuned copy of the run's model per ``variant`` (pruned, QAT-wrapped, or both);
        the run's own model is never changed."""
        model = self._pruned_model(variant) if variant.prune_sparsity else _copy(self.run.keras_model())
        if variant.qat:
            tfmot = _tfmot()
            keras.utils.set_random_seed(self.seed)     # the same export twice gives the same model
            if variant.prune_sparsity:      # quantize_apply works on a copy: the shared model stays
                annotated = tfmot.quantization.keras.quantize_annotate_model(model)
                model = tfmot.quantization.keras.quantize_apply(
                    annotated, tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme())
            else:
                model = tfmot.quantization.keras.quantize_model(model)
            _fit(model, self._data(), variant, [])
        return model

    def float_model_for(self, variant):
        """The float model a variant quantises, without QAT's fake quantisation: the shared
        pruned model for pruning variants, else the run's own (``--fallback auto`` starts here)."""
        return self._pruned_model(variant) if variant.prune_sparsity else self.run.keras_model()

    def _pruned_model(self, variant):
        from ..batchnorm import recalibrate_batchnorm

        key = (variant.prune_sparsity, variant.fine_tune_epochs, variant.fine_tune_lr)
        if key not in self._pruned:
            tfmot = _tfmot()
            keras.utils.set_random_seed(self.seed)
            steps = math.ceil(len(self.images.samples) / self.batch_size) * variant.fine_tune_epochs
            # Masks update every `frequency` steps; end on an update step so the target is reached.
            frequency = max(1, steps // 20)
            end = max(frequency, frequency * int(0.8 * steps / frequency))
            schedule = tfmot.sparsity.keras.PolynomialDecay(
                initial_sparsity=0.0, final_sparsity=variant.prune_sparsity, begin_step=0, end_step=end,
                frequency=frequency)
            model = tfmot.sparsity.keras.prune_low_magnitude(_copy(self.run.keras_model()), pruning_schedule=schedule)
            _fit(model, self._data(), variant, [tfmot.sparsity.keras.UpdatePruningStep()])
            model = tfmot.sparsity.keras.strip_pruning(model)
            recalibrate_batchnorm(model, self.run.spec, self.images, self.batch_size)
            self._pruned[key] = model
        return self._pruned[key]

    def _data(self):
        """The run's training pipeline: its recorded augmentation and loss weighting (runs
        written before the weighting was recorded trained with what was the default then,
        per-family weights)."""
        from ..pipeline import make_train_dataset

        config = self.run.manifest.get("config", {})
        return make_train_dataset(self.images, self.run.spec, recorded(config), self.batch_size, self.seed,
                                  balance=config.get("balance", "family"))


def _copy(source):
    model = keras.models.clone_model(source)
    model.set_weights(source.get_weights())
    return model


def _fit(model, data, variant, callbacks) -> None:
    model.compile(optimizer=keras.optimizers.Adam(variant.fine_tune_lr), loss="binary_crossentropy")
    model.fit(data, epochs=variant.fine_tune_epochs, callbacks=callbacks, verbose=0)
