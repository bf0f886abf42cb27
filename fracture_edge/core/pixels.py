"""Pixel rules shared by the image and the DICOM readers: how large an image may be, and how a
deeper image becomes 8-bit. Both readers import this module; neither imports the other's."""

from __future__ import annotations

import numpy as np

from .errors import DecodeError

#: Refuse images larger than this many pixels before decoding them (decompression bombs).
MAX_PIXELS = 64_000_000


def check_pixel_count(width: int, height: int, name: str) -> None:
    """A one-line error naming the file when ``width`` x ``height`` exceeds :data:`MAX_PIXELS`."""
    if width * height > MAX_PIXELS:
        raise DecodeError(f"{name}: image of {width}x{height} pixels exceeds the limit of {MAX_PIXELS:,} pixels")


def stretch_to_uint8(img: np.ndarray) -> np.ndarray:
    """Linear min-max stretch of a deeper image to 0..255 (12-bit radiographs in 16-bit PNGs)."""
    img = img.astype(np.float64)
    lo, hi = float(img.min()), float(img.max())
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    return np.clip(np.rint((img - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)
