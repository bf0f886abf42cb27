"""Decode image files into uint8 pixels we can trust, or fail with a message naming the file.

Real radiographs arrive as truncated JPEGs (which OpenCV decodes *partially*, with only a
warning on stderr), PNGs named ``.jpg``, 16-bit PNGs, palette PNGs and DICOM. The format is
sniffed from the bytes, never taken from the extension. The result is the "decoded pixels" of
the spec: a 2-D uint8 array (grayscale) or an H x W x 3 uint8 array in RGB order.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .errors import DecodeError

#: Refuse images larger than this many pixels before decoding them (decompression bombs).
MAX_PIXELS = 64_000_000

#: Extensions the folder loader picks up; anything else in a class folder is ignored.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".dcm")

_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def sniff_format(data: bytes) -> str | None:
    """The real format of an image file's bytes, or None when it is not an image we know."""
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if len(data) > 132 and data[128:132] == b"DICM":
        return "dicom"
    return None


def extension_format(path: str | os.PathLike) -> str | None:
    ext = Path(path).suffix.lower()
    return {
        ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".bmp": "bmp", ".tif": "tiff",
        ".tiff": "tiff", ".webp": "webp", ".dcm": "dicom",
    }.get(ext)


def check_complete(data: bytes, fmt: str) -> str | None:
    """Why the bytes look truncated, or None. Catches what decoders only warn about."""
    if fmt == "jpeg" and data.rfind(b"\xff\xd9") == -1:
        return "truncated JPEG (no end-of-image marker)"
    if fmt == "png" and data.rfind(b"IEND") == -1:
        return "truncated PNG (no IEND chunk)"
    return None


def decode_bytes(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode image bytes to uint8 gray (H, W) or RGB (H, W, 3); raise DecodeError otherwise."""
    if not data:
        raise DecodeError(f"{name}: empty file")
    fmt = sniff_format(data)
    if fmt is None:
        raise DecodeError(f"{name}: not an image (unrecognised content)")
    problem = check_complete(data, fmt)
    if problem:
        raise DecodeError(f"{name}: {problem}")
    if fmt == "dicom":
        from .dicom import decode_dicom

        return decode_dicom(data, name)
    _check_pixel_count(data, fmt, name)
    buf = np.frombuffer(data, np.uint8)
    # ANYDEPTH keeps 16-bit samples; ANYCOLOR keeps gray as gray. Not IMREAD_UNCHANGED, so
    # EXIF orientation is applied and alpha is dropped.
    img = cv2.imdecode(buf, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if img is None or img.size == 0:
        raise DecodeError(f"{name}: {fmt} data could not be decoded")
    return to_uint8_pixels(img, bgr=True)


def decode_file(path: str | os.PathLike) -> np.ndarray:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DecodeError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DecodeError(f"{path}: is a folder, not an image") from None
    except OSError as exc:
        raise DecodeError(f"{path}: cannot read ({exc.strerror})") from None
    return decode_bytes(data, str(path))


def to_uint8_pixels(img: np.ndarray, bgr: bool) -> np.ndarray:
    """Bring any decoded array to uint8 gray or RGB, stretching deeper samples to 0..255."""
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if img.dtype != np.uint8:
        img = stretch_to_uint8(img)
    if img.ndim == 3 and bgr:
        img = np.ascontiguousarray(img[:, :, ::-1])
    return img


def stretch_to_uint8(img: np.ndarray) -> np.ndarray:
    """Linear min-max stretch of a deeper image to 0..255 (12-bit radiographs in 16-bit PNGs)."""
    img = img.astype(np.float64)
    lo, hi = float(img.min()), float(img.max())
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    return np.clip(np.rint((img - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)


def _check_pixel_count(data: bytes, fmt: str, name: str) -> None:
    size = image_size(data, fmt)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise DecodeError(
            f"{name}: image of {size[0]}x{size[1]} pixels exceeds the limit of {MAX_PIXELS:,} pixels"
        )


def image_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header without decoding, or None when unknown."""
    if fmt == "png" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if fmt == "jpeg":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h = int.from_bytes(data[i + 5 : i + 7], "big")
                w = int.from_bytes(data[i + 7 : i + 9], "big")
                return w, h
            i += 2 + length
    return None
