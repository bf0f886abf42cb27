"""Grad-CAM: the heat lands on a planted crack, and `predict --explain` writes one overlay per image."""

import json

import cv2
import numpy as np
import pytest
from test_cli import _one_line_error, run_cli

SIZE = 64
#: Half-width in pixels of the band around a crack that counts as "on the crack".
BAND = 6


def _image(rng, crack: bool):
    """A textured background (blurred noise, like soft tissue) and, for the positive class, a
    thin bright line at a random place and angle; returns the uint8 image and the line's mask."""
    field = cv2.GaussianBlur(rng.normal(0, 1, (SIZE, SIZE)).astype(np.float32), (0, 0), 3)
    img = 100 + 25 * field / field.std() + rng.normal(0, 6, (SIZE, SIZE))
    mask = np.zeros((SIZE, SIZE), np.uint8)
    if crack:
        centre, angle, half = rng.uniform(14, SIZE - 14, 2), rng.uniform(0, np.pi), rng.uniform(7, 11)
        d = half * np.array([np.cos(angle), np.sin(angle)])
        cv2.line(mask, tuple(np.rint(centre - d).astype(int)), tuple(np.rint(centre + d).astype(int)), 1, 1)
        img = img + 90 * mask
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), mask.astype(bool)


def _task(seed: int, n: int):
    """``n`` images, every second one cracked, as model inputs per deepconvnet's default spec."""
    from fracture_edge.core.preprocess import tensor_from_gray
    from fracture_edge.training.config import TrainConfig, default_spec

    spec = default_spec(TrainConfig(img_size=SIZE))
    rng = np.random.default_rng(seed)
    images, masks = zip(*(_image(rng, i % 2 == 1) for i in range(n)))
    x = np.stack([tensor_from_gray(g, spec) for g in images])
    return x, np.arange(n) % 2, np.stack(masks)


@pytest.fixture(scope="module")
def crack_model():
    """A width-8 deepconvnet trained until it separates the classes on held-out images
    (3 to 4 epochs, about 10 s on 2 cores). BatchNorm momentum is lowered to 0.9 so that the
    moving statistics settle within the few hundred steps of so short a training."""
    from fracture_edge.training.keras_env import keras
    from fracture_edge.training.models import registry

    keras.utils.set_random_seed(0)
    x, y, _ = _task(0, 320)
    val = _task(1, 60)[:2]
    model = registry.get("deepconvnet").build(x.shape[1:], width=8)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])

    class UntilSeparated(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = logs["val_accuracy"] >= 0.95

    model.fit(x, y, batch_size=16, epochs=20, validation_data=val, callbacks=[UntilSeparated()], verbose=0)
    return model


def _band_ratio(heat, mask) -> float:
    """Mean heat within BAND pixels of the crack over the mean heat everywhere else."""
    band = cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * BAND + 1,) * 2)) > 0
    return float(heat[band].mean() / max(heat[~band].mean(), 1e-6))


@pytest.mark.slow
def test_heat_concentrates_on_the_planted_crack(crack_model):
    """On most cracked test images the heat near the crack is > 1.5x the heat elsewhere.

    A map that ignores the crack fails: a uniform map scores 1, an empty one 0, and a map that
    is merely centre-weighted (or right for the wrong reason) would score as well against
    another image's crack as against its own, which the second assertion rules out.
    """
    from fracture_edge.training.gradcam import heatmap, last_conv_layer

    x, y, masks = _task(2, 60)
    prob = crack_model.predict(x, verbose=0).reshape(-1)
    assert np.mean((prob >= 0.5) == y) >= 0.9, "the model did not learn the task; Grad-CAM has nothing to show"
    assert last_conv_layer(crack_model).name == "s4b_relu"

    cracked = np.flatnonzero(y == 1)
    heats = [heatmap(crack_model, x[i]) for i in cracked]
    assert all(h.shape == (SIZE, SIZE) and h.dtype == np.float32 and h.min() >= 0 and h.max() <= 1 for h in heats)
    own = np.array([_band_ratio(h, masks[i]) for h, i in zip(heats, cracked)])
    other = np.array([_band_ratio(h, masks[i]) for h, i in zip(heats, np.roll(cracked, 1))])
    assert np.mean(own > 1.5) >= 0.8, np.round(own, 2)
    assert np.mean(own > other) >= 0.75, (np.round(own, 2), np.round(other, 2))
    assert _band_ratio(np.ones((SIZE, SIZE), np.float32), masks[cracked[0]]) == pytest.approx(1.0)


def test_overlay_leaves_cold_pixels_alone_and_follows_the_image_size():
    from fracture_edge.training.gradcam import overlay

    gray = np.full((30, 50), 77, np.uint8)
    cold = overlay(gray, np.zeros((8, 8), np.float32))
    assert cold.shape == (30, 50, 3) and cold.dtype == np.uint8 and (cold == 77).all()
    hot = overlay(gray, np.ones((8, 8), np.float32))
    assert (hot[..., 0] != hot[..., 2]).all()  # JET's red end: colour, not gray


def test_explain_without_a_run_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "m.tflite").write_text("x")
    (tmp_path / "x.png").write_bytes(b"\x89PNG")
    out = tmp_path / "cams"
    predict = ("predict", str(tmp_path / "x.png"), "--model", str(tmp_path / "m.tflite"))
    _one_line_error(run_cli(*predict, "--explain", str(out), block_tensorflow=True), "pass --run RUN_DIR")
    _one_line_error(run_cli(*predict, "--explain", str(out), "--run", str(tmp_path), block_tensorflow=True),
                    "not a training run folder (no model.keras)")
    _one_line_error(run_cli(*predict, "--run", str(tmp_path), block_tensorflow=True), "only with --explain")
    assert not out.exists()


@pytest.mark.slow
def test_predict_explain_writes_one_overlay_per_image(tiny_run, tiny_exports, synth_dir, tmp_path, capsys):
    """Two inputs with the same stem get two files; the overlay has the input image's size."""
    from fracture_edge.cli import main

    src = sorted((synth_dir / "test" / "fractured").glob("*.png"))[0]
    for folder, size in (("a", (100, 80)), ("b", (64, 64))):
        (tmp_path / folder).mkdir()
        cv2.imwrite(str(tmp_path / folder / "xray.png"), cv2.resize(cv2.imread(str(src), cv2.IMREAD_GRAYSCALE), size))
    out = tmp_path / "cams"
    main(["predict", str(tmp_path / "a" / "xray.png"), str(tmp_path / "b" / "xray.png"),
          "--model", str(tiny_exports / "float32" / "model.tflite"), "--run", str(tiny_run),
          "--explain", str(out), "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["explain"] for r in rows] == [str(out / "xray.gradcam.png"), str(out / "xray-2.gradcam.png")]
    assert sorted(p.name for p in out.iterdir()) == ["xray-2.gradcam.png", "xray.gradcam.png"]
    shapes = [cv2.imread(r["explain"], cv2.IMREAD_UNCHANGED).shape for r in rows]
    assert shapes == [(80, 100, 3), (64, 64, 3)]

    # A run folder as --model (Keras predictions) needs no --run; the table gains a path column.
    main(["predict", str(src), "--model", str(tiny_run), "--runtime", "keras", "--explain", str(out)])
    assert capsys.readouterr().out.split("\t")[-1].strip() == str(out / f"{src.stem}.gradcam.png")
