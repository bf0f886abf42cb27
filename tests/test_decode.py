"""Each kind of awkward real-world file, made by the test, and what decoding does with it."""

import cv2
import numpy as np
import pytest

from fracture_edge import decode
from fracture_edge.errors import DecodeError

GRAY = (np.arange(48 * 40) % 251).astype(np.uint8).reshape(48, 40)


def _png(img) -> bytes:
    return cv2.imencode(".png", img)[1].tobytes()


def _jpg(img) -> bytes:
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()


def test_gray_png_round_trips_exactly():
    assert np.array_equal(decode.decode_bytes(_png(GRAY)), GRAY)


def test_color_is_returned_as_rgb():
    bgr = np.zeros((8, 8, 3), np.uint8)
    bgr[..., 2] = 200                       # red in OpenCV's BGR order
    rgb = decode.decode_bytes(_png(bgr))
    assert rgb.shape == (8, 8, 3) and rgb[0, 0].tolist() == [200, 0, 0]


def test_rgba_drops_alpha():
    bgra = np.dstack([np.full((8, 8), v, np.uint8) for v in (10, 20, 30, 0)])
    assert decode.decode_bytes(_png(bgra))[0, 0].tolist() == [30, 20, 10]


def test_16_bit_png_is_stretched_to_8_bit():
    deep = (GRAY.astype(np.uint16) * 16)     # a 12-bit radiograph stored in 16 bits
    out = decode.decode_bytes(_png(deep))
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255


def test_png_named_jpg_is_sniffed_by_content(tmp_path):
    f = tmp_path / "really_a_png.jpg"
    f.write_bytes(_png(GRAY))
    assert np.array_equal(decode.decode_file(f), GRAY)
    assert decode.sniff_format(f.read_bytes()) == "png" != decode.extension_format(f)


def test_truncated_jpeg_is_an_error_not_a_partial_image():
    data = _jpg(np.tile(GRAY, (4, 4)))
    with pytest.raises(DecodeError, match="truncated JPEG"):
        decode.decode_bytes(data[: len(data) // 2], "cut.jpg")


def test_jpeg_with_junk_after_end_marker_decodes():
    data = _jpg(GRAY) + b"\x00junk" * 10
    assert decode.decode_bytes(data).shape == GRAY.shape


@pytest.mark.parametrize("data, message", [
    (b"", "empty file"),
    (b"hello, I am a text file", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"IEND", "png data could not be decoded"),
])
def test_bad_bytes_give_named_errors(data, message):
    with pytest.raises(DecodeError, match=f"x.png: {message}"):
        decode.decode_bytes(data, "x.png")


def test_oversized_image_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(decode, "MAX_PIXELS", 100)
    with pytest.raises(DecodeError, match="exceeds the limit"):
        decode.decode_bytes(_png(GRAY), "big.png")
    with pytest.raises(DecodeError, match="exceeds the limit"):
        decode.decode_bytes(_jpg(GRAY), "big.jpg")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DecodeError, match="no such file"):
        decode.decode_file(tmp_path / "nope.png")
    with pytest.raises(DecodeError, match="is a folder"):
        decode.decode_file(tmp_path)
