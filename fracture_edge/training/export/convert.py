"""Convert a Keras model to TFLite bytes following one variant's recipe."""

from __future__ import annotations

import numpy as np

from ...core.errors import FractureEdgeError
from ...core.variants import Variant


def convert(model, variant: Variant, representative: np.ndarray | None = None,
            float_input: bool = False, batch: int | None = None) -> bytes:
    """``float_input`` keeps a float32 input whatever the recipe's I/O type, so that a fused
    export can feed the network from the in-graph preprocessing. ``batch`` fixes the batch
    dimension (``export --batch 1``: runtimes such as LiteRT.js refuse a dynamic one); None
    keeps Keras's dynamic batch."""
    from ..keras_env import tf

    converter = _converter(model, batch)
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
    if variant.activations == "int16":
        converter.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    if variant.integer_io:
        if not float_input:
            converter.inference_input_type = getattr(tf, variant.io_dtype)
        converter.inference_output_type = getattr(tf, variant.io_dtype)
    if variant.float_layers:
        return _selective(converter, model, variant, representative, batch)
    return _run(converter, variant.name)


def _selective(converter, model, variant, representative, batch) -> bytes:
    """int8 except the layers whose names match ``variant.float_layers``, through TensorFlow's
    QuantizationDebugger (its denylisted nodes stay float between a dequantise and a quantise
    op; the model keeps float I/O). Names are those of the float conversion's op outputs, which
    the quantised model keeps. (ai-edge-quantizer 0.10 does this too, but its calibration
    clipped this model's logit at 0, so every score came out at least 0.5.)"""
    import re

    from ai_edge_litert.interpreter import Interpreter

    from ..keras_env import tf

    float_model = _run(_converter(model, batch), f"{variant.name} (float, for layer names)")
    plain = Interpreter(model_content=float_model)
    names = [plain.get_tensor_details()[op["outputs"][0]]["name"] for op in plain._get_ops_details()]
    chosen = [n for n in names if any(re.search(r, n) for r in variant.float_layers)]
    if not chosen:
        raise FractureEdgeError(f"variant {variant.name}: float_layers {list(variant.float_layers)} match no layer "
                                f"of this model (its layers: {', '.join(names[:8])}, ...)")
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=chosen)
    try:
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: ([x[None].astype(np.float32)] for x in representative[:4]),
            debug_options=options)
        return bytes(debugger.get_nondebug_quantized_model())
    except ValueError as exc:
        if "debug mode" not in str(exc):
            raise
        return float_model     # every quantisable layer is named: the debugger has nothing to quantise
    except Exception as exc:  # the converter raises ConverterError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FractureEdgeError(f"TFLite conversion failed for {variant.name}: {first[:300]}") from None


def convert_preprocessing(spec, batch: int | None = None) -> bytes:
    """The spec's in-graph steps alone, float32, builtin ops only: uint8 gray -> network input."""
    from ..keras_env import keras, tf
    from ..models.fused import SpecPreprocess

    canny = spec.canny
    inputs = keras.Input(shape=(spec.height, spec.width, 1), dtype="uint8", name="gray")
    pre = SpecPreprocess(canny.low if canny else 0, canny.high if canny else 0, spec.fusion, spec.mean,
                         spec.std, name="spec_preprocess")
    converter = _converter(keras.Model(inputs, pre(inputs)), batch)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return _run(converter, "fused preprocessing")


def _converter(model, batch: int | None):
    """A converter for the Keras model, through a concrete function of fixed batch when asked."""
    from ..keras_env import tf

    if batch is None:
        return tf.lite.TFLiteConverter.from_keras_model(model)
    inp = model.inputs[0]
    signature = tf.TensorSpec([batch, *inp.shape[1:]], inp.dtype, name=inp.name.split(":")[0])
    function = tf.function(lambda x: model(x, training=False)).get_concrete_function(signature)
    return tf.lite.TFLiteConverter.from_concrete_functions([function], model)


def _run(converter, what: str) -> bytes:
    try:
        return bytes(converter.convert())
    except Exception as exc:  # the converter raises ConverterError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FractureEdgeError(f"TFLite conversion failed for {what}: {first[:300]}") from None
