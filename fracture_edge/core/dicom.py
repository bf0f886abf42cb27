"""DICOM radiographs to display pixels, via pydicom (the ``dicom`` extra).

Applies what a viewer would: rescale slope/intercept (modality LUT), the VOI LUT or window
stored in the file, and MONOCHROME1 inversion (where bright means *less* attenuation).
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from .errors import DecodeError, one_line
from .pixels import check_pixel_count, stretch_to_uint8


def decode_dicom(data: bytes, name: str) -> np.ndarray:
    # pydicom warns on stderr about what it tolerates in a damaged file, beside our one-line
    # error; what matters reaches the user as the DecodeError naming the file. Set on every
    # call (an identical filter replaces itself): a caller may have reset the filters since.
    warnings.filterwarnings("ignore", module=r"pydicom(\.|$)")
    try:
        import pydicom
    except ImportError:
        raise DecodeError(f"{name}: DICOM needs pydicom (pip install 'fracture-edge[dicom]')") from None
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except Exception as exc:  # pydicom raises many types for malformed files
        raise DecodeError(f"{name}: not a readable DICOM file ({one_line(exc)})") from None
    try:
        return _display_pixels(ds, name)
    except DecodeError:
        raise
    except Exception as exc:  # elements are parsed on first use: a damaged one raises then, of any type
        raise DecodeError(f"{name}: damaged DICOM element ({one_line(exc)})") from None


def _display_pixels(ds, name: str) -> np.ndarray:
    """The dataset's first frame as a viewer shows it (LUTs, window, MONOCHROME1 inverted)."""
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    if "PixelData" not in ds:
        raise DecodeError(f"{name}: DICOM file has no pixel data")
    rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    check_pixel_count(cols, rows, name)
    try:
        arr = ds.pixel_array
    except Exception as exc:
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        label = getattr(syntax, "name", str(syntax))
        raise DecodeError(
            f"{name}: cannot decode DICOM pixel data in transfer syntax {label} ({one_line(exc)})"
        ) from None
    if arr.ndim == 3 and ds.get("SamplesPerPixel", 1) == 1:
        arr = arr[0]  # multi-frame: first frame
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric.startswith("MONOCHROME"):
        arr = apply_modality_lut(arr, ds)
        arr = apply_voi_lut(arr, ds)
        out = stretch_to_uint8(np.asarray(arr, np.float64))
        if photometric == "MONOCHROME1":
            out = 255 - out
        return out
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr.astype(np.uint8) if arr.dtype == np.uint8 else stretch_to_uint8(arr)
    raise DecodeError(f"{name}: unsupported DICOM photometric interpretation {photometric}")

