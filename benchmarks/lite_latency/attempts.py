"""Conversions of one EfficientNet-Lite run that the export table does not offer, written as
extra variant folders beside its exports so the same `fracture-edge bench` run times them.

Each attempt (ATTEMPTS) changes one thing against the product's ``int8`` variant (uint8 I/O,
per-channel weights, MLIR quantizer, the whole model) and uses export's own calibration set and
spec embedding, so a difference in the table is that one thing.

    python benchmarks/lite_latency/attempts.py RUN_DIR EXPORT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from fracture_edge.core.files import atomic_dir, write_bytes, write_json
from fracture_edge.training.export.calibration import representative_tensors
from fracture_edge.training.export.embed import embed_spec
from fracture_edge.training.export.run_folder import RunFolder
from fracture_edge.training.export.validate import spec_for_model
from fracture_edge.training.keras_env import keras, tf

ATTEMPTS = {
    "int8-per-tensor": "one weight scale per tensor instead of per output channel",
    "int8-old-quantizer": "the converter's older (pre-MLIR) calibration quantizer",
    "int8-float-io": "int8 inside, float32 in and out (a quantize and a dequantize op more)",
    "int8-no-conv-head": "the 1x1 conv to 1280 channels and its BatchNorm left out, the dense layer reading "
                         "the last block's 320 channels: an untrained head, for its cost only",
}


def converter_for(model, representative, float_io=False):
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = lambda: ([x[None].astype(np.float32)] for x in representative)
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:
        c.inference_input_type = tf.uint8
        c.inference_output_type = tf.uint8
    return c


def without_conv_head(model):
    """GAP over the last block's output, then a fresh one-unit sigmoid dense layer."""
    last = [layer for layer in model.layers if layer.name.startswith("blocks_")][-1]
    x = keras.layers.GlobalAveragePooling2D(name="gap")(last.output)
    out = keras.layers.Dense(1, activation="sigmoid", name="fracture_prob")(x)
    return keras.Model(model.input, out, name="no_conv_head")


def main(run_dir: Path, export_dir: Path) -> None:
    run = RunFolder(run_dir)
    model = run.keras_model()
    representative, calibration = representative_tensors(run.samples, run.spec, 200, 0)
    converters = {}
    c = converter_for(model, representative)
    c._experimental_disable_per_channel = True
    converters["int8-per-tensor"] = c
    c = converter_for(model, representative)
    c.experimental_new_quantizer = False
    converters["int8-old-quantizer"] = c
    converters["int8-float-io"] = converter_for(model, representative, float_io=True)
    converters["int8-no-conv-head"] = converter_for(without_conv_head(model), representative)
    for name, conv in converters.items():
        raw = bytes(conv.convert())
        data = embed_spec(raw, spec_for_model(run.spec, raw))
        with atomic_dir(export_dir / name, force=True, kind="fracture-edge export") as tmp:
            write_bytes(tmp / "model.tflite", data)
            write_json(tmp / "manifest.json", {
                "kind": "fracture-edge export", "variant": name, "attempt": ATTEMPTS[name],
                "source_run": str(run.path.resolve()), "size_bytes": len(data), "calibration": calibration})
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python benchmarks/lite_latency/attempts.py RUN_DIR EXPORT_DIR", file=sys.stderr)
        sys.exit(2)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
