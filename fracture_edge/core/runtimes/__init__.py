"""Runtime adapters behind one small interface, listed in a table like the export variants.

An adapter loads one model file for one runtime and thread count and runs batch-1 inference
on a tensor already preprocessed per the model's spec. Predict and bench use the same adapters.
Each entry names its module so that importing this table imports no runtime package.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, check_choice


@dataclass(frozen=True)
class RuntimeInfo:
    name: str
    module: str
    description: str
    model_kind: str          # "tflite", "onnx" or "keras": which model files it runs
    package: str             # the pip package that provides it (for a "missing" row)
    #: False where the thread count cannot be chosen per session (reference kernels run on one
    #: thread; TensorFlow fixes its pool once per process): bench then runs one thread count only.
    sets_threads: bool = True
    #: keyword arguments of the module's Session: one module can serve several rows (OpenVINO
    #: pinned to float32, and at bfloat16 where the CPU has it)
    options: tuple[tuple[str, str], ...] = ()


RUNTIMES: dict[str, RuntimeInfo] = {
    r.name: r
    for r in (
        RuntimeInfo("litert", "fracture_edge.core.runtimes.litert", "LiteRT, XNNPACK delegate (what phones run)",
                    "tflite", "ai-edge-litert"),
        RuntimeInfo("litert-ref", "fracture_edge.core.runtimes.litert_ref",
                    "LiteRT, reference kernels (no XNNPACK: shows what XNNPACK buys)", "tflite", "ai-edge-litert",
                    sets_threads=False),
        RuntimeInfo("openvino", "fracture_edge.core.runtimes.openvino_cpu",
                    "OpenVINO CPU, reading the .tflite directly, float math pinned to float32",
                    "tflite", "openvino", options=(("precision", "f32"),)),
        RuntimeInfo("openvino-bf16", "fracture_edge.core.runtimes.openvino_cpu",
                    "OpenVINO CPU at bfloat16 float math (what it picks by itself on CPUs with AVX-512 BF16 "
                    "or AMX; unavailable elsewhere)", "tflite", "openvino", options=(("precision", "bf16"),)),
        RuntimeInfo("onnxruntime", "fracture_edge.core.runtimes.onnxruntime_cpu",
                    "ONNX Runtime CPU: Keras -> ONNX (tf2onnx), int8 by ORT's quantize_static", "onnx",
                    "onnxruntime"),
        RuntimeInfo("keras", "fracture_edge.training.keras_runtime", "Keras float reference (TensorFlow)",
                    "keras", "tensorflow", sets_threads=False),
    )
}


class RuntimeUnavailable(InputError):
    """The runtime's package is not installed, or the CPU cannot run it: bench reports a row
    instead of failing; ``predict --runtime`` fails in one line like any bad input."""


def check_names(names) -> list[str]:
    return check_choice(list(names), RUNTIMES, "runtime")


def open_session(runtime: str, model: Path, threads: int = 2):
    """Load ``model`` in ``runtime``: returns an object with ``spec``, ``input_dtype``,
    ``run(x)`` (x is one (H, W, C) tensor; returns the positive-class probability) and
    ``details`` (``math``: the precision of its float arithmetic, f32 or bf16)."""
    info = RUNTIMES[check_names([runtime])[0]]
    try:
        mod = importlib.import_module(info.module)
    except ImportError as exc:
        raise RuntimeUnavailable(f"{info.package} is not installed ({exc})") from None
    return mod.Session(model, threads, **dict(info.options))
