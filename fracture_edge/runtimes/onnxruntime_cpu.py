"""ONNX Runtime adapter (CPU execution provider) for ``model.onnx`` files written by ``onnx_convert``.

The spec travels in the ONNX file's ``metadata_props`` as it does in the ``.tflite``. Threads
are set with ``intra_op_num_threads`` and sequential execution, the batch-1 latency setting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidProtobuf

from ..errors import ModelFileError
from ..spec import PreprocessSpec
from ..tflite_meta import METADATA_NAME


class Session:
    #: ORT's CPU provider computes float ops in float32
    details = {"math": "f32"}

    def __init__(self, model: Path, threads: int = 2):
        model = Path(model)
        if not model.is_file():
            raise ModelFileError(f"model not found: {model}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self.session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        except (Fail, InvalidProtobuf) as exc:
            raise ModelFileError(f"{model}: not a loadable ONNX model ({str(exc).splitlines()[0]})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if METADATA_NAME not in meta:
            raise ModelFileError(f"{model}: ONNX model has no fracture-edge spec (metadata '{METADATA_NAME}')")
        self.spec = PreprocessSpec.from_json(meta[METADATA_NAME])
        port = self.session.get_inputs()[0]
        self.input_name = port.name
        self.input_dtype = "float32"
        self.input_shape = tuple(int(d) for d in port.shape[1:])

    def run(self, x: np.ndarray) -> float:
        y = self.session.run(None, {self.input_name: x[None].astype(np.float32, copy=False)})[0]
        return float(np.asarray(y, np.float32).reshape(-1)[0])
