"""A rotation- and mirror-invariant fingerprint of one radiograph, for finding its copies.

Public X-ray sets hold copies of one radiograph rotated by *arbitrary* angles about the image
centre (black corners filled in), mirrored, re-encoded and rescaled. Hashes of the pixel grid
cannot match those. What survives all of them is the disk inscribed in the frame: a rotation
about the centre keeps it inside the picture, and in polar coordinates (angle x radius) a
rotation becomes a circular shift along the angle axis and a mirror a reversal of it. So:

* ``polar``: a normalised grayscale thumbnail resampled on the inscribed disk to
  :data:`ANGLES` x :data:`RADII` (zero mean, unit variance). Two fingerprints are compared by
  circular cross-correlation over angle, with and without mirroring (:func:`families.polar_similarity`):
  a rotation search in 2° steps, in one FFT.
* ``signature``: the magnitude of the FFT over angle of each radius ring (log-compressed). It
  does not change under rotation or mirroring, so nearest neighbours in it propose candidates.

Images are squeezed to a square thumbnail first; 90° rotations commute with that squeeze, so
non-square images are matched across quarter turns as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Thumbnail side, and polar grid: angle steps (2° each) x radius rings used.
THUMB = 64
ANGLES = 180
RADII = 24
#: Rings nearest the centre hold a handful of pixels each and are dropped.
INNER_RINGS = 2
#: Angular frequencies kept in the invariant signature.
FREQUENCIES = 10


@dataclass(frozen=True)
class Fingerprint:
    polar: np.ndarray       # (ANGLES, RADII - INNER_RINGS) float32, zero mean, unit variance
    signature: np.ndarray   # (FREQUENCIES * rings,) float32, rotation/mirror invariant


def fingerprint(pixels: np.ndarray) -> Fingerprint:
    """The fingerprint of decoded pixels (uint8 gray or RGB, as :func:`decode.decode_bytes` gives)."""
    gray = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    thumb = cv2.resize(gray, (THUMB, THUMB), interpolation=cv2.INTER_AREA).astype(np.float32)
    centre = (THUMB / 2 - 0.5, THUMB / 2 - 0.5)
    polar = cv2.warpPolar(thumb, (RADII, ANGLES), centre, THUMB / 2 * 0.96,
                          cv2.INTER_LINEAR | cv2.WARP_POLAR_LINEAR)[:, INNER_RINGS:]
    polar = polar - polar.mean()
    std = float(polar.std())
    polar = polar / std if std > 1e-6 else np.zeros_like(polar)
    spectrum = np.abs(np.fft.rfft(polar, axis=0)[:FREQUENCIES])
    return Fingerprint(polar.astype(np.float32), np.log1p(spectrum).reshape(-1).astype(np.float32))
