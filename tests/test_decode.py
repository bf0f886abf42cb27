"""Each kind of awkward real-world file, made by the test, and what decoding does with it."""

import cv2
import numpy as np
import pytest

from fracture_edge.core import decode, pixels
from fracture_edge.core.errors import DecodeError

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
    monkeypatch.setattr(pixels, "MAX_PIXELS", 100)
    with pytest.raises(DecodeError, match="exceeds the limit"):
        decode.decode_bytes(_png(GRAY), "big.png")
    with pytest.raises(DecodeError, match="exceeds the limit"):
        decode.decode_bytes(_jpg(GRAY), "big.jpg")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DecodeError, match="no such file"):
        decode.decode_file(tmp_path / "nope.png")
    with pytest.raises(DecodeError, match="is a folder"):
        decode.decode_file(tmp_path)


def _pil(img, fmt, **kw) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    (img if isinstance(img, Image.Image) else Image.fromarray(img)).save(buf, fmt, **kw)
    return buf.getvalue()


def test_palette_png_decodes_to_its_colours():
    from PIL import Image

    index = np.zeros((8, 8), np.uint8)
    index[:, 4:] = 1
    pal = Image.fromarray(index, mode="P")
    pal.putpalette([0, 0, 0, 200, 40, 10])
    data = _pil(pal, "PNG")
    assert data[25] == 3                        # PNG colour type 3: palette
    out = decode.decode_bytes(data)
    assert out.shape == (8, 8, 3) and out[0, 0].tolist() == [0, 0, 0] and out[0, 7].tolist() == [200, 40, 10]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_is_applied(fmt):
    from PIL import Image

    img = np.zeros((20, 40), np.uint8)
    img[:, :10] = 255                           # bright band on the left as stored
    exif = Image.Exif()
    exif[274] = 6                               # "rotate 90° clockwise to display"
    out = decode.decode_bytes(_pil(img, fmt, exif=exif.tobytes()))
    assert out.shape == (40, 20)
    assert out[:8].mean() > 200 and out[-8:].mean() < 50     # the band is now at the top


def test_8_bit_gray_jpeg_stays_gray():
    out = decode.decode_bytes(_jpg(GRAY))
    assert out.ndim == 2 and np.abs(out.astype(int) - GRAY).mean() < 4


def test_truncated_jpeg_with_exif_thumbnail_is_still_caught():
    from PIL import Image

    thumb = _pil(np.full((8, 8), 128, np.uint8), "JPEG")   # its own end marker, inside APP1
    exif = Image.Exif()
    exif[0x0201], exif[0x0202] = 0, len(thumb)
    data = _pil(np.tile(GRAY, (4, 4)), "JPEG", exif=exif.tobytes() + thumb)
    assert data.count(b"\xff\xd9") >= 2
    with pytest.raises(DecodeError, match="truncated JPEG"):
        decode.decode_bytes(data[: len(data) * 2 // 3], "cut.jpg")


@pytest.mark.parametrize("fmt", ["BMP", "WEBP", "TIFF"])
def test_pixel_limit_reads_every_header(monkeypatch, fmt):
    data = _pil(np.zeros((30, 50), np.uint8), fmt)
    assert decode.image_size(data, decode.sniff_format(data)) == (50, 30)
    monkeypatch.setattr(pixels, "MAX_PIXELS", 1000)
    with pytest.raises(DecodeError, match="50x30 pixels exceeds the limit"):
        decode.decode_bytes(data, f"big.{fmt.lower()}")


#: Limit for the bad-file tests: the good test images (48 x 40) fit, "huge.png" does not.
SMALL_LIMIT = 2500


def bad_files(folder):
    """One real file of each kind that cannot be used, written into ``folder`` (name -> reason)."""
    from test_dicom import JPEG2000Lossless, make_dicom

    data = _jpg(np.tile(GRAY, (4, 4)))
    files = {
        "zero.png": (b"", "empty file"),
        "notes.jpg": (b"patient list, not an image\n", "not an image"),
        "cut.jpg": (data[: len(data) // 2], "truncated JPEG"),
        "header_only.png": (_png(GRAY)[:40], "truncated PNG"),
        "huge.png": (_png(np.zeros((60, 60), np.uint8)), "exceeds the limit"),
        "j2k.dcm": (make_dicom(syntax=JPEG2000Lossless), "cannot decode DICOM pixel data"),
    }
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content)
    return {name: reason for name, (_, reason) in files.items()}


def test_bad_files_in_a_folder_are_skipped_with_named_warnings(tmp_path, caplog, monkeypatch):
    from fracture_edge.core.data.folders import load_dataset, load_images
    from fracture_edge.core.spec import PreprocessSpec

    monkeypatch.setattr(pixels, "MAX_PIXELS", SMALL_LIMIT)
    for cls in ("fractured", "not fractured"):
        (tmp_path / cls).mkdir()
        (tmp_path / cls / "good.png").write_bytes(_png(GRAY))
        (tmp_path / cls / "png_named.jpg").write_bytes(_png(GRAY))
    bad = bad_files(tmp_path / "fractured")
    with caplog.at_level("WARNING", logger="fracture_edge"):
        loaded = load_images(load_dataset(tmp_path).samples, PreprocessSpec(height=32, width=32))
    assert len(loaded.samples) == 4
    assert {p.split("/")[-1]: r for p, r in loaded.skipped}.keys() == bad.keys()
    for name, reason in bad.items():
        assert any(name in r.getMessage() and reason in r.getMessage() for r in caplog.records), name


@pytest.mark.slow
def test_each_bad_single_input_is_one_line_and_exit_2(tiny_exports, tmp_path, capsys, monkeypatch):
    from fracture_edge.cli import main

    monkeypatch.setattr(pixels, "MAX_PIXELS", SMALL_LIMIT)
    for name, reason in bad_files(tmp_path).items():
        with pytest.raises(SystemExit) as exit_:
            main(["predict", str(tmp_path / name), "--model", str(tiny_exports / "float32" / "model.tflite")])
        err = capsys.readouterr().err.strip().splitlines()
        assert exit_.value.code == 2 and len(err) == 1 and name in err[0] and reason in err[0], (name, err)
