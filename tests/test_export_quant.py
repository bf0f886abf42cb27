"""Export options beyond the variant: a fixed batch dimension, the per-layer quantisation report
and the fallback that keeps the worst layers in float."""

from __future__ import annotations

import json

import pytest
from test_cli import run_cli

pytestmark = pytest.mark.slow      # every test here exports the session's trained tiny run


def test_batch_one_export_has_no_dynamic_dimension(tiny_run, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.export.exporter import export_run

    (manifest,) = export_run(tiny_run, [get_variant("int8")], tmp_path / "export", calibration_size=64, batch=1)
    assert manifest["batch"] == 1 and manifest["validation"]["agreement_with_keras"] >= 0.95
    interpreter = Interpreter(model_path=str(tmp_path / "export" / "int8" / "model.tflite"))
    signatures = [t["shape_signature"].tolist() for t in interpreter.get_tensor_details() if len(t["shape_signature"])]
    assert signatures and all(-1 not in s for s in signatures)
    assert interpreter.get_input_details()[0]["name"].endswith("image:0")


def test_default_export_keeps_a_dynamic_batch(tiny_exports):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tiny_exports / "int8" / "model.tflite"))
    assert interpreter.get_input_details()[0]["shape_signature"][0] == -1
    assert json.loads((tiny_exports / "int8" / "manifest.json").read_text())["batch"] is None


def test_batch_other_than_one_is_refused(tiny_run, tmp_path):
    out = run_cli("export", str(tiny_run), "--batch", "2", "--out", str(tmp_path / "e"))
    assert out.returncode == 2 and "--batch" in out.stderr and not (tmp_path / "e").exists()


def test_debug_quant_reports_every_layer(tiny_run, tmp_path):
    """The report names the model's own layers in graph order, with errors that grow from the
    float32 file's (none: it is not quantised, so it gets no report) to int8's."""
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.export.exporter import export_run

    f32, int8 = export_run(tiny_run, [get_variant("float32"), get_variant("int8")], tmp_path / "e",
                           calibration_size=64, debug_quant=True)
    assert "debug_quant" not in f32
    report = int8["debug_quant"]
    layers = [r["layer"] for r in report["layers"]]
    assert layers[:3] == ["stem_relu", "s1a_relu", "s1b_relu"] and "fracture_prob" in layers
    from fracture_edge.training.export.debug_quant import DEBUG_IMAGES

    assert report["images"] == min(DEBUG_IMAGES, int8["validation"]["images"])
    for r in report["layers"]:
        assert r["mse"] >= 0 and -1 <= r["cosine"] <= 1 + 1e-9 and 0 < r["snr_db"]
    assert all(r["snr_db"] < 60 for r in report["layers"] if r["op"] == "CONV_2D")    # int8 is not exact
    folder = tmp_path / "e" / "int8"
    page = (folder / "debug_quant.md").read_text()
    assert all(f"| {name} |" in page for name in layers)
    assert "debug_quant.png" in (folder / "debug_quant.html").read_text()
    assert (folder / "debug_quant.png").read_bytes()[:4] == b"\x89PNG"


def _strict_gate(monkeypatch):
    """A gate int8 cannot meet whatever the model decides: "agreeing" means a probability within
    1e-3 of Keras's, finer than int8's output step (1/256), so about half the images of a plain
    int8 file fail it, while a file with every layer kept in float passes. (At the real gate,
    same decision at the threshold, the tiny run's int8 often agrees on every image.)"""
    import numpy as np

    from fracture_edge.training.export import exporter, fallback

    strict = lambda p, q, threshold: float(np.mean(np.abs(p - q) < 1e-3))  # noqa: E731
    for module in (exporter, fallback):
        monkeypatch.setattr(module, "agreement", strict)


def test_fallback_keeps_layers_in_float_until_the_gate_passes(tiny_run, tmp_path, monkeypatch):
    """With a gate int8 cannot meet and room for the whole model, fallback keeps one more layer
    in float per step until the gate passes, and the file shows those layers float."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.export import exporter, fallback
    from fracture_edge.training.export.debug_quant import layer_name

    _strict_gate(monkeypatch)
    monkeypatch.setattr(fallback, "FALLBACK_SIZE_BUDGET", 1.5)
    (m,) = exporter.export_run(tiny_run, [get_variant("int8")], tmp_path / "e", calibration_size=64,
                             min_agreement=1.0, fallback=True)
    steps = m["fallback"]["steps"]
    assert steps[0]["kept_float"] == [] and steps[0]["agreement"] < 1.0
    assert [len(s["kept_float"]) for s in steps] == list(range(len(steps)))
    assert steps[-1]["agreement"] == 1.0 == m["validation"]["agreement_with_keras"] and m["fallback"]["passed"]
    it = Interpreter(model_path=str(tmp_path / "e" / "int8" / "model.tflite"))
    outputs = [it.get_tensor_details()[o["outputs"][0]] for o in it._get_ops_details()
               if o["op_name"] in ("CONV_2D", "FULLY_CONNECTED", "MEAN", "MAX_POOL_2D", "LOGISTIC")]
    float_ops = {layer_name(t["name"]) for t in outputs if np.dtype(t["dtype"]) == np.float32}
    assert float_ops == set(steps[-1]["kept_float"])


def test_fallback_within_no_budget_writes_nothing(tiny_run, tmp_path, monkeypatch):
    from fracture_edge.core.errors import FractureEdgeError
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.export import exporter, fallback

    _strict_gate(monkeypatch)
    monkeypatch.setattr(fallback, "FALLBACK_SIZE_BUDGET", 0.0)
    with pytest.raises(FractureEdgeError, match="found no layer to keep in float"):
        exporter.export_run(tiny_run, [get_variant("int8")], tmp_path / "e", calibration_size=64, min_agreement=1.0,
                          fallback=True)
    assert not (tmp_path / "e" / "int8").exists()
