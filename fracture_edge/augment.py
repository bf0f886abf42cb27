"""Training augmentation on the resized grayscale image, before Canny and fusion.

Augmenting the grayscale image (not the fused tensor) means edges are recomputed on the
rotated, re-exposed image, exactly as they would be for a real radiograph taken that way.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Augment:
    flip_h: bool = True
    flip_v: bool = True
    max_rotation: float = 15.0       # degrees, uniform in [-max, max]
    contrast: float = 0.2            # gain uniform in [1 - c, 1 + c]
    brightness: float = 20.0         # offset uniform in [-b, b] grey levels

    def __call__(self, gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = gray
        if self.flip_h and rng.random() < 0.5:
            out = out[:, ::-1]
        if self.flip_v and rng.random() < 0.5:
            out = out[::-1, :]
        if self.max_rotation:
            h, w = out.shape
            angle = rng.uniform(-self.max_rotation, self.max_rotation)
            m = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), angle, 1.0)
            out = cv2.warpAffine(np.ascontiguousarray(out), m, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT_101)
        if self.contrast or self.brightness:
            gain = rng.uniform(1 - self.contrast, 1 + self.contrast)
            offset = rng.uniform(-self.brightness, self.brightness)
            out = np.clip(np.rint(out.astype(np.float32) * gain + offset), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(out)


NONE = Augment(flip_h=False, flip_v=False, max_rotation=0.0, contrast=0.0, brightness=0.0)
