"""Mean |Δp| from LiteRT float32 of the int8 .tflite on LiteRT, LiteRT's reference kernels and
OpenVINO, and of ONNX Runtime int8 with 8- and 7-bit weights,
on the test suite's tiny model (the conftest recipe: 320 synthetic 64-px images, width 8,
10 epochs, gray+edges+gray) over its 40 test images. About a minute:

    .venv/bin/python benchmarks/bench/ort_int8/tiny.py /tmp/ort_tiny
"""

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("FRACTURE_EDGE_PROGRESS", "off")

from fracture_edge.core.data.folders import load_dataset, load_images  # noqa: E402
from fracture_edge.core.data.synth import synthesize  # noqa: E402
from fracture_edge.core.preprocess import tensor_from_gray  # noqa: E402
from fracture_edge.core.runtimes import open_session  # noqa: E402
from fracture_edge.core.variants import get_variant  # noqa: E402
from fracture_edge.training.config import TrainConfig  # noqa: E402
from fracture_edge.training.export.calibration import representative_tensors  # noqa: E402
from fracture_edge.training.export.exporter import export_run  # noqa: E402
from fracture_edge.training.export.run_folder import RunFolder  # noqa: E402
from fracture_edge.training.onnx_convert import convert_run, onnx_dir, quantize  # noqa: E402
from fracture_edge.training.train import train  # noqa: E402

root = Path(sys.argv[1])
data, run, exports = root / "data", root / "run", root / "export"
if not data.exists():
    synthesize(data, 320, seed=3, size=64)
if not run.exists():
    train(data, run, TrainConfig(img_size=64, epochs=10, width=8, batch_size=16, patience=10,
                                 fusion=("gray", "edges", "gray")))
if not exports.exists():
    export_run(run, [get_variant("float32"), get_variant("int8")], exports, calibration_size=64, min_agreement=0.0)
convert_run(run, calibration_size=64)

reference = open_session("litert", exports / "float32" / "model.tflite", 1)
gray = load_images(load_dataset(data).subset("test"), reference.spec).gray


def answers(session) -> np.ndarray:
    return np.array([session.run(tensor_from_gray(g, session.spec)) for g in gray])


expected = answers(reference)
print(f"LiteRT float32: mean p {expected.mean():.3f}, mean |p - 0.5| {np.mean(np.abs(expected - 0.5)):.3f}")
for runtime in ("litert", "litert-ref", "openvino"):      # the same int8 .tflite on each
    print(f"{runtime} int8: mean |dp| "
          f"{np.mean(np.abs(answers(open_session(runtime, exports / 'int8' / 'model.tflite', 1)) - expected)):.3f}")
print(f"ORT int8, 7-bit weights: mean |dp| {np.mean(np.abs(answers(open_session('onnxruntime', onnx_dir(run) / 'int8' / 'model.onnx', 1)) - expected)):.3f}")

# 8-bit weights: the same quantiser with reduce_range off, same calibration images.
x, _ = representative_tensors(RunFolder(run).samples, reference.spec, 64, 0)
full = root / "int8_8bit.onnx"
quantize(onnx_dir(run) / "float32" / "model.onnx", full, x, reduce_range=False)
import onnxruntime as ort  # noqa: E402

s = ort.InferenceSession(str(full), providers=["CPUExecutionProvider"])
got = np.array([s.run(None, {"image": tensor_from_gray(g, reference.spec)[None].astype(np.float32)})[0].ravel()[0]
                for g in gray])
print(f"ORT int8, 8-bit weights: mean |dp| {np.mean(np.abs(got - expected)):.3f}")
