"""Keras run -> ONNX (tf2onnx) in float32, and ORT's own static int8 (``quantize_static``).

This is training-layer code (it loads the Keras model with TensorFlow) that the bench calls
lazily when ONNX Runtime is asked to run a training run folder. Each runtime should run its own
best int8, so the int8 ONNX model is not converted from the TFLite int8 file but quantised by
ONNX Runtime's static quantiser (QDQ format, per-channel int8 weights, uint8 activations),
calibrated on the same stratified training images as the TFLite int8 export. Weights use 7 bits
(``reduce_range``): on x86 CPUs without VNNI, ORT multiplies uint8 by int8 with VPMADDUBSW,
whose 16-bit pairwise sums saturate with full-range weights; on the tiny test model that made
ORT int8 four to six times further from float than TFLite int8 (mean |Δp| 0.038 against 0.009
in one training run, 0.025 against 0.004 in another; 0.010 and 0.005 with 7-bit weights:
benchmarks/bench/ort_int8/tiny.py), which ORT's quantization guide names as the fix. The spec is
embedded in the ONNX file's ``metadata_props`` under the same name as in the ``.tflite``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..core.files import atomic_dir, write_bytes, write_json
from ..core.tflite_meta import METADATA_NAME
from ..core.versions import library_versions

log = logging.getLogger("fracture_edge")

OPSET = 17
KIND = "fracture-edge onnx"
VARIANT_FILES = ("float32", "int8")


def onnx_dir(run_dir: Path) -> Path:
    return Path(run_dir) / "onnx"


def is_current(run_dir: Path) -> bool:
    """Both ONNX files exist and are newer than the run's Keras model."""
    keras_mtime = (Path(run_dir) / "model.keras").stat().st_mtime
    files = [onnx_dir(run_dir) / v / "model.onnx" for v in VARIANT_FILES]
    return all(f.exists() and f.stat().st_mtime >= keras_mtime for f in files)


def convert_run(run_dir, calibration_size: int = 200, seed: int = 0) -> list[Path]:
    """Write ``RUN/onnx/{float32,int8}/model.onnx`` (reused while newer than ``model.keras``)."""
    run_dir = Path(run_dir)
    paths = [onnx_dir(run_dir) / v / "model.onnx" for v in VARIANT_FILES]
    if is_current(run_dir):
        return paths
    from .export.calibration import representative_tensors
    from .export.run_folder import RunFolder

    run = RunFolder(run_dir)
    x, calibration = representative_tensors(run.samples, run.spec, calibration_size, seed)
    t0 = time.perf_counter()
    float_bytes = _to_onnx(run)
    with atomic_dir(onnx_dir(run_dir), force=True, kind=KIND) as tmp:
        write_bytes(tmp / "float32" / "model.onnx", float_bytes)
        quantize(tmp / "float32" / "model.onnx", tmp / "int8" / "model.onnx", x)
        for v in VARIANT_FILES:
            write_json(tmp / v / "manifest.json", {
                "kind": KIND, "variant": v, "source_run": str(run_dir.resolve()),
                "opset": OPSET, "calibration": calibration if v == "int8" else None,
                "quantizer": "onnxruntime.quantization.quantize_static (QDQ, per-channel, 7-bit weights)" if v == "int8" else None,
                "size_bytes": (tmp / v / "model.onnx").stat().st_size,
                "convert_seconds": round(time.perf_counter() - t0, 1), "versions": _versions()})
    return paths


def _to_onnx(run) -> bytes:
    import onnx
    import tf2onnx

    from .keras_env import tf

    model = run.keras_model()
    signature = (tf.TensorSpec((None, *run.spec.input_shape), tf.float32, name="image"),)
    proto, _ = tf2onnx.convert.from_function(tf.function(lambda x: model(x, training=False)),
                                             input_signature=signature, opset=OPSET)
    onnx.helper.set_model_props(proto, {METADATA_NAME: run.spec.to_json()})
    return proto.SerializeToString()


def quantize(float_path: Path, int8_path: Path, x: np.ndarray, reduce_range: bool = True) -> None:
    """Static QDQ int8 calibrated on ``x``. ``reduce_range`` (7-bit weights) avoids the AVX2
    saturation of full-range weights (benchmarks/bench/ort_int8, which measures both)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._it = iter(x[i:i + 1] for i in range(len(x)))

        def get_next(self):
            batch = next(self._it, None)
            return None if batch is None else {"image": batch}

    int8_path.parent.mkdir(parents=True, exist_ok=True)
    quantize_static(str(float_path), str(int8_path), Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                    reduce_range=reduce_range)
    proto = onnx.load(str(int8_path))
    if METADATA_NAME not in {p.key for p in proto.metadata_props}:
        spec_json = {p.key: p.value for p in onnx.load(str(float_path)).metadata_props}[METADATA_NAME]
        onnx.helper.set_model_props(proto, {METADATA_NAME: spec_json})
        onnx.save(proto, str(int8_path))


def _versions() -> dict:
    from importlib import metadata

    out = library_versions()
    for name in ("onnx", "onnxruntime", "tf2onnx"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
