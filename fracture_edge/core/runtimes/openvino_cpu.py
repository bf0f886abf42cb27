"""OpenVINO adapter: reads the exported ``.tflite`` directly (``Core().read_model``) on CPU.

Left to itself OpenVINO runs float models at bfloat16 on CPUs with AMX or AVX-512 BF16 and at
float32 elsewhere, so one row would measure different arithmetic on machines of one kind. Each
session therefore pins its float precision (``INFERENCE_PRECISION_HINT``): the ``openvino`` row
float32, the ``openvino-bf16`` row bfloat16, which is refused where the CPU cannot run it
rather than silently run at float32. The precision OpenVINO reports after compiling is the one
the row names. Integer outputs carry no scale in OpenVINO's view of the model; the scale and zero
point are read from the same file with LiteRT's flatbuffer parser (no tensors are allocated).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov

from ..tflite_meta import load_model_bytes, read_spec
from . import RuntimeUnavailable
from .litert import damaged_model, dequantize, interpreter

#: our name -> OpenVINO's element type and the CPU capability it needs
PRECISIONS = {"f32": (ov.Type.f32, "FP32"), "bf16": (ov.Type.bf16, "BF16")}


class Session:
    def __init__(self, model: Path, threads: int = 2, precision: str = "f32"):
        data = load_model_bytes(model)
        self.name = str(model)
        self.spec = read_spec(data, self.name)
        self.output_detail = interpreter(data, self.name, allocate=False).get_output_details()[0]
        core = ov.Core()
        element, capability = PRECISIONS[precision]
        capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        if capability not in capabilities:
            raise RuntimeUnavailable(f"this CPU cannot run OpenVINO at {precision} "
                                     f"(its capabilities: {', '.join(capabilities)})")
        with damaged_model(self.name):
            compiled = core.compile_model(core.read_model(str(model)), "CPU",
                                          {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
                                           "INFERENCE_PRECISION_HINT": element})
        self.request = compiled.create_infer_request()
        port = compiled.inputs[0]
        self.input_dtype = np.dtype(port.get_element_type().to_dtype()).name
        self.input_shape = tuple(int(d.get_length()) for d in port.get_partial_shape()[1:])
        self.details = {"math": compiled.get_property("INFERENCE_PRECISION_HINT").to_string()}

    def run(self, x: np.ndarray) -> float:
        with damaged_model(self.name):
            y = self.request.infer({0: x[None].astype(self.input_dtype, copy=False)})[0]
        return float(dequantize(np.asarray(y), self.output_detail).reshape(-1)[0])
