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

from .errors import DecodeError, one_line
from .files import regular_file
from .pixels import check_pixel_count, stretch_to_uint8

# OpenCV logs a damaged file's codec complaints (libtiff's, libpng's) on stderr beside the
# one-line DecodeError that reports the file: errors are raised, not logged.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

#: Extensions the folder loader picks up; anything else in a class folder is ignored.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".dcm")


def image_files(folder: str | os.PathLike) -> list[Path]:
    """Every entry below ``folder`` (recursively) but folders, with an image extension, sorted.
    Broken links and FIFOs are listed too, so that reading them skips and counts them."""
    return sorted(p for p in Path(folder).rglob("*") if not p.is_dir() and p.suffix.lower() in IMAGE_EXTENSIONS)


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
    if fmt == "jpeg" and jpeg_end(data) is None:
        return "truncated JPEG (no end-of-image marker)"
    if fmt == "png" and data.rfind(b"IEND") == -1:
        return "truncated PNG (no IEND chunk)"
    return None


#: JPEG markers without a length field: start and end of image, restart markers, TEM.
_JPEG_STANDALONE = {0xD8, 0xD9, 0x01, *range(0xD0, 0xD8)}


def jpeg_end(data: bytes) -> int | None:
    """Offset just past the end-of-image marker that closes the JPEG, or None when the bytes
    end first. Segments are skipped by their length, so an EXIF thumbnail (inside APP1, with
    its own scan and end marker) is not taken for the image, and bytes after the end marker
    (junk some writers append, which may hold ``FF DA``) are not taken for a scan."""
    i, n = 2, len(data)
    while i + 1 < n:
        if data[i] != 0xFF:                     # stray byte between segments: tolerated
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xD9:
            return i + 2
        if marker == 0xFF or marker in _JPEG_STANDALONE:
            i += 1 if marker == 0xFF else 2
            continue
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xDA:                      # start of scan: entropy-coded data follows
            i = _scan_end(data, i)
    return None


def _scan_end(data: bytes, i: int) -> int:
    """Offset of the first marker after entropy-coded data (``FF 00`` is a stuffed byte and
    ``FF D0``..``FF D7`` restart markers belong to the scan)."""
    n = len(data)
    while True:
        i = data.find(b"\xff", i)
        if i < 0 or i + 1 >= n:
            return n
        nxt = data[i + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
            i += 1 if nxt == 0xFF else 2
            continue
        return i


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
    try:
        img = cv2.imdecode(buf, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    except cv2.error as exc:           # OpenCV's own checks, e.g. a side above its limit
        raise DecodeError(f"{name}: {fmt} data could not be decoded ({one_line(exc.err)})") from None
    if img is None or img.size == 0:
        raise DecodeError(f"{name}: {fmt} data could not be decoded")
    return to_uint8_pixels(img, bgr=True)


def read_image_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of an image file, or a DecodeError saying why not: only regular files are read
    (a FIFO would block, a device never end), so a broken link or a FIFO in a data folder is
    skipped and counted like any other unusable file."""
    path = regular_file(path, "an image", DecodeError)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DecodeError(f"{path}: cannot read ({exc.strerror})") from None


def decode_file(path: str | os.PathLike) -> np.ndarray:
    return decode_bytes(read_image_bytes(path), str(path))


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


def _check_pixel_count(data: bytes, fmt: str, name: str) -> None:
    size = image_size(data, fmt)
    if size is not None:
        check_pixel_count(*size, name)


def image_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) from the file header without decoding, or None when unknown."""
    reader = _SIZE_READERS.get(fmt)
    try:
        return reader(data) if reader else None
    except (IndexError, ValueError):
        return None


def _png_size(data: bytes):
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes):
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        if marker in _JPEG_SOF:
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None


def _bmp_size(data: bytes):
    if int.from_bytes(data[14:18], "little") == 12:            # OS/2 BITMAPCOREHEADER
        return int.from_bytes(data[18:20], "little"), int.from_bytes(data[20:22], "little")
    return (abs(int.from_bytes(data[18:22], "little", signed=True)),
            abs(int.from_bytes(data[22:26], "little", signed=True)))


def _webp_size(data: bytes):
    chunk = data[12:16]
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def _tiff_size(data: bytes):
    """Width and height tags of the first image file directory."""
    order = "little" if data[:2] == b"II" else "big"
    ifd = int.from_bytes(data[4:8], order)
    found = {}
    for k in range(int.from_bytes(data[ifd:ifd + 2], order)):
        entry = data[ifd + 2 + 12 * k: ifd + 14 + 12 * k]
        tag, kind = int.from_bytes(entry[0:2], order), int.from_bytes(entry[2:4], order)
        if tag in (256, 257):
            size = 2 if kind == 3 else 4                           # SHORT or LONG
            found[tag] = int.from_bytes(entry[8:8 + size], order)
    return (found[256], found[257]) if len(found) == 2 else None


_SIZE_READERS = {"png": _png_size, "jpeg": _jpeg_size, "bmp": _bmp_size, "webp": _webp_size, "tiff": _tiff_size}
