"""Convert a Keras model to TFLite bytes following one variant's recipe."""

from __future__ import annotations

import numpy as np

from ..errors import FractureEdgeError
from .variants import Variant


def convert(model, variant: Variant, representative: np.ndarray | None = None,
            float_input: bool = False) -> bytes:
    """``float_input`` keeps a float32 input whatever the recipe's I/O type, so that a fused
    export can feed the network from the in-graph preprocessing."""
    from ..keras_env import tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [getattr(tf.lite.Optimize, o) for o in variant.optimizations]
    if variant.supported_types:
        converter.target_spec.supported_types = [getattr(tf, t) for t in variant.supported_types]
    if representative is not None:

        def gen():
            for x in representative:
                yield [x[None].astype(np.float32)]

        converter.representative_dataset = gen
    if variant.int8_only:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if variant.integer_io:
        if not float_input:
            converter.inference_input_type = getattr(tf, variant.io_dtype)
        converter.inference_output_type = getattr(tf, variant.io_dtype)
    return _run(converter, variant.name)


def convert_preprocessing(spec) -> bytes:
    """The spec's in-graph steps alone, float32, builtin ops only: uint8 gray -> network input."""
    from ..keras_env import keras, tf
    from ..models.fused import SpecPreprocess

    canny = spec.canny
    inputs = keras.Input(shape=(spec.height, spec.width, 1), dtype="uint8", name="gray")
    pre = SpecPreprocess(canny.low if canny else 0, canny.high if canny else 0, spec.fusion, spec.mean,
                         spec.std, name="spec_preprocess")
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, pre(inputs)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return _run(converter, "fused preprocessing")


def _run(converter, what: str) -> bytes:
    try:
        return bytes(converter.convert())
    except Exception as exc:  # the converter raises ConverterError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FractureEdgeError(f"TFLite conversion failed for {what}: {first[:300]}") from None
