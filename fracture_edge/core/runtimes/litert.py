"""LiteRT (``ai-edge-litert``) adapter: the runtime phones use, with XNNPACK on CPU."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from ..errors import ModelFileError, one_line
from ..tflite_meta import load_model_bytes, read_spec


class Session:
    #: XNNPACK and the reference kernels compute float ops in float32 unless asked otherwise
    details = {"math": "f32"}

    def __init__(self, model: Path, threads: int = 2, op_resolver=None):
        data = load_model_bytes(model)
        self.name = str(model)
        self.spec = read_spec(data, self.name)
        kwargs = {} if op_resolver is None else {"experimental_op_resolver_type": op_resolver}
        self.interpreter = interpreter(data, self.name, num_threads=threads, **kwargs)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.input_dtype = np.dtype(self.input["dtype"]).name
        self.input_shape = tuple(int(d) for d in self.input["shape"][1:])

    def run(self, x: np.ndarray) -> float:
        self.interpreter.set_tensor(self.input["index"], x[None].astype(self.input["dtype"], copy=False))
        with damaged_model(self.name):
            self.interpreter.invoke()
        return float(dequantize(self.interpreter.get_tensor(self.output["index"]), self.output).reshape(-1)[0])


@contextlib.contextmanager
def damaged_model(name: str):
    """LiteRT's complaints about a model file as one line naming it: its flatbuffer verifier's
    ("not a valid Flatbuffer"), and the kernels' and XNNPACK's on tensors a damaged file
    describes impossibly (they raise when preparing or running the graph)."""
    try:
        yield
    except (ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{name}: damaged or unusable .tflite ({one_line(exc)})") from None


def interpreter(data: bytes, name: str, allocate: bool = True, **kwargs) -> Interpreter:
    """A LiteRT interpreter of a model's bytes, verified (and its tensors allocated) before use."""
    with damaged_model(name):
        it = Interpreter(model_content=data, **kwargs)
        if allocate:
            it.allocate_tensors()
    return it


def dequantize(y: np.ndarray, detail: dict) -> np.ndarray:
    """Integer outputs back to float with the tensor's own scale and zero point."""
    if np.issubdtype(y.dtype, np.integer):
        scale, zero = detail["quantization"]
        return (y.astype(np.float32) - zero) * scale
    return y.astype(np.float32)


WEIGHT_OPS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1}


def weight_tensors(model: Path) -> list[tuple[str, np.ndarray]]:
    """(name, values) of every conv / dense weight tensor stored in a .tflite.

    Read from the file's constant buffers (through a DEQUANTIZE for float16 weights), so they
    are what a phone actually loads, whatever the training framework claimed.
    """
    it = Interpreter(model_path=str(model))
    ops = it._get_ops_details()
    producer = {int(o): op for op in ops for o in op["outputs"]}
    names = {t["index"]: t["name"] for t in it.get_tensor_details()}
    out = []
    for op in ops:
        if op["op_name"] not in WEIGHT_OPS:
            continue
        idx = int(op["inputs"][WEIGHT_OPS[op["op_name"]]])
        src = producer.get(idx)
        if src is not None and src["op_name"] == "DEQUANTIZE":
            idx = int(src["inputs"][0])
        out.append((names.get(idx, str(idx)), it.get_tensor(idx)))
    return out


def weight_sparsity(model: Path) -> dict:
    """Share of exact zeros over all of :func:`weight_tensors`."""
    tensors = [w for _, w in weight_tensors(model)]
    zeros = sum(int(np.sum(w == 0)) for w in tensors)
    total = sum(w.size for w in tensors)
    return {"sparsity": zeros / max(total, 1), "weights": total}
