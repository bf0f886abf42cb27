"""Convert a Keras model to TFLite bytes following one variant's recipe."""

from __future__ import annotations

import numpy as np

from ..errors import FractureEdgeError
from .variants import Variant


def convert(model, variant: Variant, representative: np.ndarray | None = None) -> bytes:
    from ..keras_env import tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [getattr(tf.lite.Optimize, o) for o in variant.optimizations]
    if variant.supported_types:
        converter.target_spec.supported_types = [getattr(tf, t) for t in variant.supported_types]
    if variant.calibrate:
        if representative is None:
            raise ValueError(f"variant {variant.name} needs a representative dataset")

        def gen():
            for x in representative:
                yield [x[None].astype(np.float32)]

        converter.representative_dataset = gen
    if variant.int8_only:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if variant.integer_io:
        converter.inference_input_type = getattr(tf, variant.io_dtype)
        converter.inference_output_type = getattr(tf, variant.io_dtype)
    try:
        return bytes(converter.convert())
    except Exception as exc:  # the converter raises ConverterError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FractureEdgeError(f"TFLite conversion failed for variant {variant.name}: {first[:300]}") from None
