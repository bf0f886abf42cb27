"""In-graph Canny and fused exports: parity with OpenCV and with the unfused model."""

import cv2
import mobile_support
import numpy as np
import pytest

from fracture_edge.core.decode import decode_file
from fracture_edge.core.errors import SpecError
from fracture_edge.core.preprocess import prepare_gray
from fracture_edge.core.spec import Blur, PreprocessSpec

pytestmark = pytest.mark.slow

SIZE = 128


def _real_grays(real_dir, spec, n=60):
    files = sorted(real_dir.rglob("*.*"))[:: max(1, len(list(real_dir.rglob("*.*"))) // n)]
    grays = []
    for f in files:
        try:
            grays.append(prepare_gray(decode_file(f), spec))
        except Exception:
            continue
    return grays


def _synthetic_grays(spec, n=20):
    from fracture_edge.core.data.synth import image_rng, radiograph

    return [prepare_gray(radiograph(image_rng(11, i), 96, bool(i % 2)), spec) for i in range(n)]


@pytest.fixture(scope="module")
def pre_interpreter():
    from ai_edge_litert.interpreter import Interpreter

    from fracture_edge.training.export.convert import convert_preprocessing

    spec = PreprocessSpec(height=SIZE, width=SIZE, fusion=("edges",), mean=(0.0,), std=(1 / 255,))
    it = Interpreter(model_content=convert_preprocessing(spec), num_threads=2)
    it.allocate_tensors()
    return spec, it


def _edges(it, gray):
    it.set_tensor(it.get_input_details()[0]["index"], gray[None, :, :, None])
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])[0, :, :, 0]


def test_preprocessing_graph_uses_builtin_ops_only(pre_interpreter):
    _, it = pre_interpreter
    names = {op["op_name"] for op in it._get_ops_details()}
    assert "WHILE" in names and not any(n.startswith("Flex") or n == "CUSTOM" for n in names), names


def _check_against_opencv(it, grays, spec):
    worst = 1.0
    for gray in grays:
        ref = cv2.Canny(gray, spec.canny.low, spec.canny.high)
        out = np.rint(_edges(it, gray))               # normalised with std 1/255: pixel units
        agree = float(np.mean(out == ref))
        inter, union = np.sum((out > 0) & (ref > 0)), np.sum((out > 0) | (ref > 0))
        iou = inter / union if union else 1.0
        assert agree >= 0.999 and iou >= 0.99, (agree, iou)
        worst = min(worst, agree)
    return worst


def test_in_graph_canny_matches_opencv_on_real_images(pre_interpreter, real_dir):
    spec, it = pre_interpreter
    grays = _real_grays(real_dir, spec)
    assert len(grays) >= 40
    assert _check_against_opencv(it, grays, spec) == 1.0      # exact, not just within the bar


def test_in_graph_canny_matches_opencv_on_synthetic_images(pre_interpreter):
    spec, it = pre_interpreter
    assert _check_against_opencv(it, _synthetic_grays(spec), spec) == 1.0


def test_a_changed_threshold_is_caught(pre_interpreter):
    """The parity check can fail: OpenCV with another high threshold disagrees."""
    spec, it = pre_interpreter
    gray = _synthetic_grays(spec, 2)[1]
    assert not np.array_equal(_edges(it, gray), cv2.Canny(gray, spec.canny.low, spec.canny.high + 60))


@pytest.fixture(scope="module")
def fused_exports(tiny_run, tmp_path_factory):
    """The session's fused exports, shared with the Java and browser tests."""
    return mobile_support.fused_exports(tiny_run, tmp_path_factory)


def test_fused_models_take_uint8_gray_and_say_so(fused_exports):
    from fracture_edge.core.runtimes.litert import Session
    from fracture_edge.core.tflite_meta import read_spec

    for name in ("float32-fused", "int8-fused"):
        spec = read_spec(fused_exports / name / "model.tflite")
        assert spec.in_graph == ("canny", "fusion", "normalize") and spec.input_dtype == "uint8"
        s = Session(fused_exports / name / "model.tflite")
        assert s.input_dtype == "uint8" and s.input_shape == (64, 64, 1)


@pytest.mark.parametrize("variant", ["float32", "int8"])
def test_fused_and_unfused_predictions_agree_on_real_images(variant, fused_exports, tiny_exports, real_dir):
    from fracture_edge.core.predict import Predictor

    fused = Predictor(fused_exports / f"{variant}-fused" / "model.tflite")
    plain = Predictor(tiny_exports / variant / "model.tflite")
    files = sorted(real_dir.rglob("*.png"))[:80]
    pf, pu = [], []
    for f in files:
        pixels = decode_file(f)
        pf.append(fused(pixels)["probability"])
        pu.append(plain(pixels)["probability"])
    pf, pu = np.array(pf), np.array(pu)
    th = fused.spec.threshold
    assert np.mean((pf >= th) == (pu >= th)) >= 0.995
    assert np.median(np.abs(pf - pu)) <= 0.01


def test_int8_fused_keeps_exact_edges(fused_exports, real_dir):
    """The preprocessing sub-graph stays float inside the int8 model: edges are still exact."""
    from ai_edge_litert.interpreter import Interpreter

    from fracture_edge.core.tflite_meta import read_spec

    path = fused_exports / "int8-fused" / "model.tflite"
    spec = read_spec(path)
    it = Interpreter(model_path=str(path), experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    # The stitch point: the float tensor the network's QUANTIZE op reads.
    quantize = next(op for op in it._get_ops_details() if op["op_name"] == "QUANTIZE")
    joint = {"index": int(quantize["inputs"][0])}
    edge_channel = spec.fusion.index("edges")
    for gray in _real_grays(real_dir, spec, 20):
        it.set_tensor(it.get_input_details()[0]["index"], gray[None, :, :, None])
        it.invoke()
        x = it.get_tensor(joint["index"])[0, :, :, edge_channel]
        edges = np.rint((x * spec.std[edge_channel] + spec.mean[edge_channel]) * 255)
        assert np.array_equal(edges, cv2.Canny(gray, spec.canny.low, spec.canny.high))


def test_fused_refuses_specs_it_cannot_run_in_graph():
    with pytest.raises(SpecError, match="without CLAHE or blur"):
        PreprocessSpec(blur=Blur(3, 0)).to_fused()
