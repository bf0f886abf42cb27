"""Train -> export -> bench -> predict on a tiny synthetic run (session fixtures in conftest)."""

import json

import numpy as np
import pytest

from fracture_edge.core.errors import FractureEdgeError, InputError, ModelFileError
from fracture_edge.core.tflite_meta import read_spec

pytestmark = pytest.mark.slow


def test_run_folder_is_complete(tiny_run):
    for name in ("model.keras", "spec.json", "split.csv", "manifest.json", "history.csv",
                 "checkpoints/best.keras", "checkpoints/last.keras", "eval/metrics.json",
                 "eval/roc.png", "eval/confusion.png"):
        assert (tiny_run / name).exists(), name
    m = json.loads((tiny_run / "manifest.json").read_text())
    assert m["config"]["arch"] == "deepconvnet" and m["epochs_run"] == 40
    assert len(m["data"]["train"]["sha256"]) == 64 and m["data"]["train"]["files"] > 50
    assert m["versions"]["tensorflow"] and m["eval"]["split"] == "test"
    assert not list(tiny_run.parent.glob(".*.tmp"))


def test_training_skips_and_counts_a_bad_file(synth_dir, tmp_path):
    import shutil

    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.train import train

    data = tmp_path / "data"
    shutil.copytree(synth_dir, data)
    (data / "train" / "fractured" / "truncated.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x01" * 64)
    m = train(data, tmp_path / "run", TrainConfig(img_size=64, epochs=1, width=4, batch_size=32))
    assert m["skipped_files"] == 1
    assert m["data"]["train"]["skipped"][0]["path"].endswith("truncated.jpg")


def test_exports_carry_spec_and_are_smaller(tiny_exports, tiny_run):
    from fracture_edge.core.data.folders import load_images
    from fracture_edge.core.metrics import agreement
    from fracture_edge.core.runtimes.litert import Session
    from fracture_edge.training.export.run_folder import RunFolder
    from fracture_edge.training.export.validate import DEFAULT_MIN_AGREEMENT, litert_probabilities

    f32, i8 = tiny_exports / "float32" / "model.tflite", tiny_exports / "int8" / "model.tflite"
    s32, s8 = read_spec(f32), read_spec(i8)
    assert s32.input_dtype == "float32" and s32.input_quantization is None
    assert s8.input_dtype == "uint8" and s8.input_quantization.scale > 0
    assert i8.stat().st_size < 0.35 * f32.stat().st_size
    m = json.loads((tiny_exports / "int8" / "manifest.json").read_text())
    assert m["input"]["dtype"] == "uint8" and m["output"]["dtype"] == "uint8"
    assert m["calibration"]["split"] == "train" and m["calibration"]["images"] >= 8
    # written under the real gate, with the agreement of this very file with Keras on the val split
    v = m["validation"]
    assert v["min_agreement"] == DEFAULT_MIN_AGREEMENT <= v["agreement_with_keras"]
    run = RunFolder(tiny_run)
    val = load_images(run.split("val"), run.spec)
    keras_prob = run.keras_model().predict(val.tensors(run.spec), verbose=0).reshape(-1)
    int8_prob = litert_probabilities(Session(i8), val.gray)
    assert v["images"] == len(val.samples)
    assert v["agreement_with_keras"] == agreement(int8_prob, keras_prob, s8.threshold)
    assert v["max_abs_prob_diff"] == pytest.approx(np.max(np.abs(int8_prob - keras_prob)), abs=1e-6)
    run_spec = json.loads((tiny_run / "spec.json").read_text())
    assert s32.to_dict() == run_spec


def test_int8_tensors_really_are_int8(tiny_exports):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(tiny_exports / "int8" / "model.tflite"))
    kinds = {np.dtype(t["dtype"]).name for t in it.get_tensor_details() if t["name"] and len(t["shape"]) == 4}
    assert kinds <= {"int8", "uint8"}


def test_export_gate_refuses_and_writes_nothing(tiny_run, tmp_path):
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.export.exporter import export_run

    with pytest.raises(FractureEdgeError, match="under the 101% gate"):
        export_run(tiny_run, [get_variant("float32")], tmp_path / "x", min_agreement=1.01)
    assert not (tmp_path / "x" / "float32").exists()
    assert not [p for p in (tmp_path / "x").glob("*")] if (tmp_path / "x").exists() else True


def test_export_refuses_existing_output_and_bad_run(tiny_run, tiny_exports, tmp_path):
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.export.exporter import export_run

    with pytest.raises(InputError, match="use --force"):     # another gate: the same export is kept
        export_run(tiny_run, [get_variant("float32")], tiny_exports, min_agreement=0.5)
    with pytest.raises(InputError, match="no model.keras"):
        export_run(tmp_path, [get_variant("float32")])


def test_bench_rows_for_keras_and_litert(tiny_run, tiny_exports, synth_dir):
    from fracture_edge.core.bench.report import markdown_table
    from fracture_edge.core.bench.runner import bench

    rows = bench([tiny_run, tiny_exports], synth_dir, split="test", runtimes=["keras", "litert"],
                 iterations=5, warmup=1)
    assert [(r["variant"], r["runtime"]) for r in rows] == [
        ("keras", "keras"), ("float32", "litert"), ("int8", "litert")]
    n_test = len(list((synth_dir / "test").rglob("*.png")))
    for r in rows:
        assert r["status"] == "ok" and r["latency_ms"] > 0 and r["p90_ms"] >= r["latency_ms"]
        prob, y = np.array(r["probabilities"]), np.array(r["labels"])
        assert r["n"] == len(prob) == n_test
        assert r["accuracy"] == pytest.approx(np.mean((prob >= r["threshold"]) == y))
    # The float32 .tflite is the Keras model: same probabilities to float precision.
    np.testing.assert_allclose(rows[0]["probabilities"], rows[1]["probabilities"], atol=1e-4)
    table = markdown_table(rows)
    assert table.count("\n") == 4 and "| int8 | litert |" in table


def test_predict_uses_embedded_spec(tiny_exports, synth_dir, tmp_path):
    """The temperature and threshold predict applies are the ones in the model file: the same
    network with another spec embedded gives other probabilities and labels."""
    from fracture_edge.core.operating_point import apply_temperature
    from fracture_edge.core.postprocess import label_for
    from fracture_edge.core.predict import predict_files
    from fracture_edge.training.export.embed import embed_spec

    images = sorted((synth_dir / "test" / "fractured").glob("*.png"))[:3]
    model = tiny_exports / "int8" / "model.tflite"
    spec = read_spec(model)
    rows, failed = predict_files(images, model)
    assert failed == 0 and [r["path"] for r in rows] == [str(f) for f in images]
    assert all(r["label"] == label_for(r["probability"], spec) for r in rows)
    changed = tmp_path / "model.tflite"
    changed.write_bytes(embed_spec(model.read_bytes(), spec.replace(temperature=2.0, threshold=0.0)))
    assert read_spec(changed).temperature == 2.0
    others, _ = predict_files(images, changed)
    assert spec.temperature == 1.0 and max(abs(o["probability"] - r["probability"]) for r, o in zip(rows, others)) > 0.01
    for r, o in zip(rows, others):
        assert o["probability"] == pytest.approx(apply_temperature(r["probability"], 2.0))
        assert o["label"] == spec.positive_label


def test_predict_bad_inputs(tiny_exports, tmp_path):
    from fracture_edge.core.errors import DecodeError
    from fracture_edge.core.predict import predict_files

    not_tflite = tmp_path / "model.tflite"
    not_tflite.write_bytes(b"definitely not a flatbuffer")
    img = tmp_path / "a.png"
    img.write_bytes(b"")
    with pytest.raises(ModelFileError, match="not a .tflite"):
        predict_files([img], not_tflite)
    with pytest.raises(DecodeError, match="empty file"):
        predict_files([img], tiny_exports / "float32" / "model.tflite")


def test_tflite_without_spec_is_refused(tmp_path):
    from fracture_edge.training.keras_env import keras, tf

    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    path = tmp_path / "plain.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(m).convert())
    with pytest.raises(ModelFileError, match="no fracture-edge spec"):
        read_spec(path)


def test_demo_runs_end_to_end(tmp_path):
    from fracture_edge.training.demo import run_demo

    lines = []
    # Trained to real decisions, so that int8 passes the real agreement gate (one epoch on 120
    # images left every probability near 0.5, where int8 flips decisions by chance).
    rows = run_demo(tmp_path / "demo", n=320, img_size=64, epochs=20, echo=lines.append)
    assert {(r["variant"], r["runtime"]) for r in rows} >= {("keras", "keras"), ("float32", "litert"),
                                                            ("int8", "litert")}
    assert (tmp_path / "demo" / "report" / "bench.md").exists()
    assert any("demo finished" in line for line in lines)
    # every row ran or says why not; ONNX Runtime's rows need the training layer's converter
    assert all(r["status"] == "ok" or r["status"].startswith("unavailable: ") and "training layer" not in r["status"]
               for r in rows), [r["status"] for r in rows]
