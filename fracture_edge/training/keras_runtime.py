"""Keras float reference: runs a training run's ``model.keras`` (imports TensorFlow lazily)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.spec import PreprocessSpec


class Session:
    #: TensorFlow on CPU computes in float32 (no mixed-precision policy is set)
    details = {"math": "f32"}

    def __init__(self, model: Path, threads: int = 2):
        from .keras_env import load_model, tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        except RuntimeError:
            pass  # TensorFlow already started in this process; it keeps its thread pool
        run_dir = model if model.is_dir() else model.parent
        self.spec = PreprocessSpec.from_json((run_dir / "spec.json").read_text())
        self.model = load_model(run_dir / "model.keras")
        self.input_dtype = "float32"
        self.input_shape = tuple(int(d) for d in self.model.input_shape[1:])
        self._fn = tf.function(lambda x: self.model(x, training=False))

    def run(self, x: np.ndarray) -> float:
        return float(np.asarray(self._fn(x[None].astype(np.float32))).reshape(-1)[0])
