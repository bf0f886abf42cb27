"""The one implementation of :class:`~fracture_edge.spec.PreprocessSpec` (OpenCV + NumPy).

Training, calibration, evaluation and LiteRT inference all call these functions; the Java and
JavaScript ports are pinned to them by golden vectors. Each step is a small function so that a
port can be checked step by step, and :func:`model_input` runs exactly the spec's host steps.
"""

from __future__ import annotations

import cv2
import numpy as np

from .spec import PreprocessSpec

#: "linear" is OpenCV's bit-exact bilinear (fixed-point, the same on every CPU), so the Java and
#: JavaScript ports can reproduce it integer for integer.
_INTERPOLATION = {"linear": cv2.INTER_LINEAR_EXACT, "area": cv2.INTER_AREA, "nearest": cv2.INTER_NEAREST_EXACT}


def to_gray(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """RGB -> gray with the spec's weights in 14-bit fixed point, rounded half up.

    With BT.601 weights these are OpenCV 4's coefficients (4899, 9617, 1868); it is written out
    rather than delegated to ``cv2.cvtColor`` (whose rounding changed in OpenCV 5) so that any
    weights give the same integers in Python, Java and JavaScript.
    """
    if pixels.ndim == 2:
        return pixels
    w = _fixed_point_weights(spec.gray_weights)
    rgb = pixels.astype(np.int32)
    acc = rgb[..., 0] * w[0] + rgb[..., 1] * w[1] + rgb[..., 2] * w[2]
    return ((acc + (1 << 13)) >> 14).astype(np.uint8)


def _fixed_point_weights(weights) -> tuple[int, int, int]:
    r, g, b = (int(round(x * (1 << 14))) for x in weights)
    # Keep the sum exactly 2**14 so white stays 255 (OpenCV does the same for BT.601).
    g = (1 << 14) - r - b
    return r, g, b


def resize(gray: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    if gray.shape == (spec.height, spec.width):
        return gray
    return cv2.resize(gray, (spec.width, spec.height), interpolation=_INTERPOLATION[spec.interpolation])


def enhance(gray: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Optional CLAHE then Gaussian blur, on the resized uint8 grayscale image."""
    if spec.clahe is not None:
        clahe = cv2.createCLAHE(clipLimit=spec.clahe.clip_limit, tileGridSize=(spec.clahe.tile_grid,) * 2)
        gray = clahe.apply(gray)
    if spec.blur is not None:
        k = spec.blur.ksize
        gray = cv2.GaussianBlur(gray, (k, k), spec.blur.sigma)
    return gray


def edges(gray: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    c = spec.canny
    return cv2.Canny(gray, c.low, c.high, apertureSize=c.aperture, L2gradient=c.l2_gradient)


def fuse(gray: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Stack the spec's channels (gray / Canny edges) into an H x W x C uint8 image."""
    planes = {"gray": gray}
    if "edges" in spec.fusion:
        planes["edges"] = edges(gray, spec)
    return np.stack([planes[c] for c in spec.fusion], axis=-1)


def normalize(fused: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """uint8 channels -> float32 ``(x / 255 - mean) / std``, computed in float32."""
    x = fused.astype(np.float32) * np.float32(1.0 / 255.0)
    mean = np.asarray(spec.mean, np.float32)
    std = np.asarray(spec.std, np.float32)
    return (x - mean) / std


def quantize(x: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Float tensor -> the model's integer input: ``clip(rint(x / scale) + zero_point)``.

    ``rint`` rounds half to even (Java's ``Math.rint``), so every port gets the same integers.
    """
    q = spec.input_quantization
    dtype = np.dtype(spec.input_dtype)
    info = np.iinfo(dtype)
    v = np.rint(x.astype(np.float32) / np.float32(q.scale)) + q.zero_point
    return np.clip(v, info.min, info.max).astype(dtype)


def prepare_gray(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Decoded pixels -> resized uint8 grayscale: what a fused model takes as input."""
    return resize(to_gray(pixels, spec), spec)


def tensor_from_gray(gray: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Resized grayscale -> the model's input tensor (H, W, C), running only the host steps.

    Training calls this after augmenting the grayscale image, so that augmentation happens
    before Canny, as it would for a real rotated or re-exposed radiograph.
    """
    steps = spec.host_steps
    if spec.fused:
        x = enhance(gray, spec)[..., None]
        if "quantize" in steps:
            return quantize(x.astype(np.float32), spec)
        return x.astype(spec.input_dtype)
    x = fuse(enhance(gray, spec), spec)
    x = normalize(x, spec)
    if "quantize" in steps:
        return quantize(x, spec)
    return x


def model_input(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Decoded pixels -> the exact (H, W, C) tensor the model described by ``spec`` takes."""
    return tensor_from_gray(prepare_gray(pixels, spec), spec)
