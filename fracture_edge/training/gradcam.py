"""Grad-CAM (Selvaraju et al., 2017): where in the image a run's Keras model finds fracture evidence.

The map is computed from the float Keras model of a training run, not from a ``.tflite``:
a flatbuffer has no gradients. It explains the positive (fracture) logit, whatever label the
image gets, so a confident "not fractured" image shows a faint or empty map. TensorFlow is
imported inside the functions (through ``keras_env``), so importing this module stays light.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..core.errors import InputError
from ..core.files import write_bytes
from ..core.preprocess import model_input, to_gray
from ..core.spec import PreprocessSpec

#: Largest weight of the colour map in the overlay (at heat 1); at heat 0 the radiograph shows
#: unchanged, so the image stays readable where the model does not look.
MAX_ALPHA = 0.5


def last_conv_layer(model):
    """The last layer with a 4-D (batch, H, W, C) output that is not a pooling layer.

    Grad-CAM reads the deepest spatial features; pooling after them only halves the map's
    resolution (deepconvnet's last pool leaves 2 x 2 cells at 64 px), so its input is used.
    """
    from .keras_env import keras

    pooling = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
    for layer in reversed(model.layers):
        if len(layer.output.shape) == 4 and not isinstance(layer, pooling):
            return layer
    raise ValueError(f"model {model.name} has no layer with a spatial (4-D) output")


def heatmap(model, x: np.ndarray, layer: str | None = None) -> np.ndarray:
    """Grad-CAM of one (H, W, C) input tensor: an (H, W) float32 map in [0, 1].

    Gradients of the fracture *logit* (not the probability: a saturated sigmoid has vanishing
    gradients) with respect to ``layer``'s feature map (default :func:`last_conv_layer`);
    channel weights are their spatial means; the map is the ReLU of the weighted channel sum,
    bilinearly upsampled to the input size and divided by its maximum. A map with no positive
    evidence stays all zero.
    """
    from .keras_env import keras, tf

    head = model.layers[-1]
    config = head.get_config()
    if not (isinstance(head, keras.layers.Dense) and config["units"] == 1 and config["activation"] == "sigmoid"):
        raise ValueError(f"Grad-CAM expects a final Dense(1, sigmoid) layer, got {head.name}")
    features = model.get_layer(layer) if layer else last_conv_layer(model)
    probe = keras.Model(model.inputs, [features.output, head.input])
    inputs = tf.constant(x[None], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(inputs)  # records every op, also when the layers are frozen
        fmap, pooled = probe(inputs, training=False)
        logit = tf.matmul(pooled, head.kernel) + head.bias
    grads = tape.gradient(logit, fmap)[0]
    weights = tf.reduce_mean(grads, axis=(0, 1))
    cam = tf.nn.relu(tf.reduce_sum(fmap[0] * weights, axis=-1)).numpy().astype(np.float32)
    cam = cv2.resize(cam, (x.shape[1], x.shape[0]), interpolation=cv2.INTER_LINEAR)
    top = float(cam.max())
    return cam / top if top > 0 else np.zeros_like(cam)


def overlay(gray: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """RGB uint8 image: ``heat`` in the JET colour map blended over the grayscale ``gray``.

    ``heat`` is resized (bilinear) to ``gray``'s size, so a map at the model's input size can
    be shown on the original radiograph. The blend weight grows with the heat (see MAX_ALPHA).
    """
    h, w = gray.shape
    if heat.shape != (h, w):
        heat = cv2.resize(heat.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    heat = np.clip(heat, 0.0, 1.0)
    color = cv2.cvtColor(cv2.applyColorMap(np.rint(heat * 255).astype(np.uint8), cv2.COLORMAP_JET),
                         cv2.COLOR_BGR2RGB).astype(np.float32)
    alpha = (MAX_ALPHA * heat)[..., None]
    base = np.repeat(gray[..., None], 3, axis=-1).astype(np.float32)
    return np.clip(np.rint((1 - alpha) * base + alpha * color), 0, 255).astype(np.uint8)


def write_png(path: str | os.PathLike, rgb: np.ndarray) -> Path:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError(f"OpenCV could not encode a PNG for {path}")
    return write_bytes(path, buf.tobytes())


def explain_run(run: str | os.PathLike | None, model: str | os.PathLike) -> Path:
    """The training run whose Keras model explains the predictions: ``--run``, else ``--model``
    when it is itself a run folder (``--runtime keras``). A ``.tflite`` alone has no gradients."""
    if run is None:
        if not (Path(model).is_dir() and (Path(model) / "model.keras").exists()):
            raise InputError(f"--explain needs the Keras model the predictions come from, which {model} "
                             "does not hold: pass --run RUN_DIR (the training run folder with model.keras)")
        run = model
    run = Path(run)
    for name in ("model.keras", "spec.json"):
        if not (run / name).is_file():
            raise InputError(f"not a training run folder (no {name}): {run}")
    return run


class Explainer:
    """Writes ``<out>/<image stem>.gradcam.png`` per image from a run's Keras model and spec.

    Called with ``(path, pixels)`` by :func:`fracture_edge.core.predict.predict_files`, which has
    already decoded the image; returns the PNG's path. Two inputs with the same stem get
    ``stem-2``, ``stem-3``, ... in input order, so no overlay overwrites another of this call.
    """

    def __init__(self, run_dir: str | os.PathLike, out_dir: str | os.PathLike):
        from .keras_env import load_model

        run_dir = Path(run_dir)
        self.spec = PreprocessSpec.from_json((run_dir / "spec.json").read_text())
        self.model = load_model(run_dir / "model.keras")
        self.layer = last_conv_layer(self.model).name
        self.out_dir = Path(out_dir)
        self._used: set[str] = set()

    def _target(self, path: Path) -> Path:
        stem, n = path.stem, 1
        while (name := stem if n == 1 else f"{stem}-{n}") in self._used:
            n += 1
        self._used.add(name)
        return self.out_dir / f"{name}.gradcam.png"

    def __call__(self, path: Path, pixels: np.ndarray) -> str:
        heat = heatmap(self.model, model_input(pixels, self.spec), self.layer)
        return str(write_png(self._target(Path(path)), overlay(to_gray(pixels, self.spec), heat)))
