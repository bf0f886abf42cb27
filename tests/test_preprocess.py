import cv2
import numpy as np
import pytest

from fracture_edge.core import preprocess as pp
from fracture_edge.core.spec import Blur, Clahe, PreprocessSpec, Quantization


def test_gray_is_bt601_in_14_bit_fixed_point():
    rgb = np.random.default_rng(0).integers(0, 256, (61, 47, 3), dtype=np.uint8)
    ours = pp.to_gray(rgb, PreprocessSpec()).astype(int)
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    assert np.array_equal(ours, (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14)
    exact = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(ours - exact).max() <= 0.51   # fixed-point coefficients are within 2e-5
    # OpenCV's own conversion may round the .5 cases the other way (its 5.x does), never more.
    assert np.abs(ours - cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(int)).max() <= 1


def test_gray_with_other_weights_is_fixed_point_rounded():
    spec = PreprocessSpec(gray_weights=(0.25, 0.5, 0.25))
    px = np.array([[[255, 255, 255], [1, 2, 3], [0, 0, 1]]], np.uint8)
    # (r*4096 + g*8192 + b*4096 + 8192) >> 14
    assert pp.to_gray(px, spec).tolist() == [[255, 2, 0]]


def test_model_input_unfused_float():
    spec = PreprocessSpec(height=32, width=40)
    pixels = np.random.default_rng(1).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    x = pp.model_input(pixels, spec)
    assert x.shape == (32, 40, 3) and x.dtype == np.float32
    gray = cv2.resize(pp.to_gray(pixels, spec), (40, 32), interpolation=cv2.INTER_LINEAR_EXACT)
    np.testing.assert_allclose(x[..., 0], gray / 255.0, atol=1e-7)
    np.testing.assert_array_equal(x[..., 1] * 255.0, cv2.Canny(gray, 50, 150).astype(np.float32))
    np.testing.assert_array_equal(x[..., 0], x[..., 2])


def test_enhance_runs_clahe_and_blur_before_canny():
    spec = PreprocessSpec(height=64, width=64, clahe=Clahe(2.0, 8), blur=Blur(5, 0))
    gray = np.random.default_rng(2).integers(0, 256, (64, 64), dtype=np.uint8)
    x = pp.tensor_from_gray(gray, spec)
    expected = cv2.GaussianBlur(cv2.createCLAHE(2.0, (8, 8)).apply(gray), (5, 5), 0)
    np.testing.assert_allclose(x[..., 0] * 255.0, expected, atol=1e-4)


def test_quantize_rounds_half_to_even_and_clips():
    spec = PreprocessSpec(input_dtype="int8", input_quantization=Quantization(0.5, -3))
    x = np.array([0.25, 0.75, -100.0, 100.0, 1.0], np.float32)   # x/scale = 0.5, 1.5, ...
    assert pp.quantize(x, spec).tolist() == [-3, -1, -128, 127, -1]


def test_fused_spec_feeds_raw_gray_pixels():
    spec = PreprocessSpec(height=16, width=16, in_graph=("canny", "fusion", "normalize"),
                          input_dtype="uint8", input_quantization=Quantization(1.0, 0))
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    x = pp.tensor_from_gray(gray, spec)
    assert x.shape == (16, 16, 1) and x.dtype == np.uint8
    assert np.array_equal(x[..., 0], gray)


@pytest.mark.parametrize("interp", ["linear", "area", "nearest"])
def test_resize_uses_requested_interpolation(interp):
    spec = PreprocessSpec(height=20, width=20, interpolation=interp)
    gray = np.random.default_rng(3).integers(0, 256, (57, 57), dtype=np.uint8)
    flag = {"linear": cv2.INTER_LINEAR_EXACT, "area": cv2.INTER_AREA, "nearest": cv2.INTER_NEAREST_EXACT}[interp]
    assert np.array_equal(pp.resize(gray, spec), cv2.resize(gray, (20, 20), interpolation=flag))
