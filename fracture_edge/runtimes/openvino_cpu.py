"""OpenVINO adapter: reads the exported ``.tflite`` directly (``Core().read_model``) on CPU.

OpenVINO may run float models at reduced precision (bf16 on CPUs with AMX or AVX-512 BF16), so
the precision it chose is reported with each session and its accuracy is measured by the bench,
never assumed. Integer outputs carry no scale in OpenVINO's view of the model; the scale and zero
point are read from the same file with LiteRT's flatbuffer parser (no tensors are allocated).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
from ai_edge_litert.interpreter import Interpreter

from ..tflite_meta import load_model_bytes, read_spec
from .litert import dequantize


class Session:
    def __init__(self, model: Path, threads: int = 2):
        data = load_model_bytes(model)
        self.spec = read_spec(data, str(model))
        self.output_detail = Interpreter(model_content=data).get_output_details()[0]
        core = ov.Core()
        compiled = core.compile_model(core.read_model(str(model)), "CPU",
                                      {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"})
        self.request = compiled.create_infer_request()
        port = compiled.inputs[0]
        self.input_dtype = np.dtype(port.get_element_type().to_dtype()).name
        self.input_shape = tuple(int(d.get_length()) for d in port.get_partial_shape()[1:])
        self.details = {"precision": str(compiled.get_property("INFERENCE_PRECISION_HINT"))}

    def run(self, x: np.ndarray) -> float:
        y = self.request.infer({0: x[None].astype(self.input_dtype, copy=False)})[0]
        return float(dequantize(np.asarray(y), self.output_detail).reshape(-1)[0])
