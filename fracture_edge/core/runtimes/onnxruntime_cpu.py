"""ONNX Runtime adapter (CPU execution provider) for ``model.onnx`` files written by ``onnx_convert``.

The spec travels in the ONNX file's ``metadata_props`` as it does in the ``.tflite``. Threads
are set with ``intra_op_num_threads`` and sequential execution, the batch-1 latency setting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from ..errors import ModelFileError, one_line
from ..files import regular_file
from ..tflite_meta import METADATA_NAME, spec_of

#: What ONNX Runtime raises for a model it cannot load or run (its own classes, not Python's).
ORT_ERRORS = (ort_state.Fail, ort_state.InvalidProtobuf, ort_state.InvalidGraph, ort_state.InvalidArgument,
              ort_state.NotImplemented, ort_state.RuntimeException)


class Session:
    #: ORT's CPU provider computes float ops in float32
    details = {"math": "f32"}

    def __init__(self, model: Path, threads: int = 2):
        model = regular_file(model, "an .onnx model", ModelFileError)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self.session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        except ORT_ERRORS as exc:
            raise ModelFileError(f"{model}: not a loadable ONNX model ({one_line(exc)})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if METADATA_NAME not in meta:
            raise ModelFileError(f"{model}: ONNX model has no fracture-edge spec (metadata '{METADATA_NAME}')")
        self.name = str(model)
        self.spec = spec_of(meta[METADATA_NAME], self.name)
        port = self.session.get_inputs()[0]
        self.input_name = port.name
        self.input_dtype = "float32"
        self.input_shape = tuple(int(d) for d in port.shape[1:])

    def run(self, x: np.ndarray) -> float:
        try:
            y = self.session.run(None, {self.input_name: x[None].astype(np.float32, copy=False)})[0]
        except ORT_ERRORS as exc:
            raise ModelFileError(f"{self.name}: ONNX model failed to run ({one_line(exc)})") from None
        return float(np.asarray(y, np.float32).reshape(-1)[0])
