"""What the agreement gate measures: an exported model's probabilities as ``predict`` would
report them, compared with the float Keras model's on the run's validation images; and the spec
the written file carries, with the input quantisation the converter chose."""

from __future__ import annotations

import numpy as np

from ...core.postprocess import calibrated
from ...core.preprocess import tensor_from_gray
from ...core.spec import PreprocessSpec, Quantization

DEFAULT_MIN_AGREEMENT = 0.95


def litert_probabilities(session, grays) -> np.ndarray:
    """Probabilities of decoded grayscale images as ``predict`` reports them: preprocessed per
    the model's embedded spec, then calibrated by its temperature. The validation gate and
    ``cv --export`` score with this, so both judge what a user would get."""
    spec = session.spec
    return np.array([calibrated(session.run(tensor_from_gray(g, spec)), spec) for g in grays])


def spec_for_model(spec: PreprocessSpec, model_bytes: bytes) -> PreprocessSpec:
    """The run's spec with the input dtype and quantisation the converter actually chose."""
    from ai_edge_litert.interpreter import Interpreter

    detail = Interpreter(model_content=model_bytes).get_input_details()[0]
    dtype = np.dtype(detail["dtype"]).name
    if dtype == "float32":
        return spec.replace(input_dtype="float32", input_quantization=None)
    scale, zero = detail["quantization"]
    return spec.replace(input_dtype=dtype, input_quantization=Quantization(float(scale), int(zero)))


def tensor_info(detail: dict) -> dict:
    scale, zero = detail["quantization"]
    return {"dtype": np.dtype(detail["dtype"]).name, "shape": [int(d) for d in detail["shape"]],
            "scale": float(scale), "zero_point": int(zero)}
