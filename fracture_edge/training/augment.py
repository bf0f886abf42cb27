"""Training augmentation on the resized grayscale image, before Canny and fusion.

Augmenting the grayscale image (not the fused tensor) means edges are recomputed on the
rotated, re-exposed image, exactly as they would be for a real radiograph taken that way.
The ranges of :class:`Augment` match how this data varies: the public sets hold copies of one
radiograph rotated by arbitrary angles and mirrored, taken at different exposures and cropped
differently, so a model should not care about any of these. The default recipe nevertheless
trains without augmentation: family cross-validation scored that and :data:`ZOOM_ONLY` (random
crops alone) alike and both above this set (benchmarks/recipe), plausibly because those copies
already supply the variation; ``train --augment`` turns the data-matched set on.

No augmentation is ``None`` wherever a recipe takes an :class:`Augment`, never an instance with
its fields zeroed: a zeroed instance once kept the class default ``zoom`` and so cropped every
image of recipes recorded as "no augmentation".
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Augment:
    flip_h: bool = True
    flip_v: bool = True
    max_rotation: float = 180.0      # degrees, uniform in [-max, max]; 180 = any angle
    contrast: float = 0.2            # gain uniform in [1 - c, 1 + c]
    brightness: float = 20.0         # offset uniform in [-b, b] grey levels
    zoom: float = 0.15               # crop: scale uniform in [1, 1 + zoom], random centre shift
    noise: float = 0.0               # Gaussian noise sigma, grey levels

    def __call__(self, gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = gray
        if self.flip_h and rng.random() < 0.5:
            out = out[:, ::-1]
        if self.flip_v and rng.random() < 0.5:
            out = out[::-1, :]
        if self.max_rotation or self.zoom:
            h, w = out.shape
            angle = rng.uniform(-self.max_rotation, self.max_rotation) if self.max_rotation else 0.0
            scale = rng.uniform(1.0, 1.0 + self.zoom) if self.zoom else 1.0
            m = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), angle, scale)
            if self.zoom:   # shift the crop window anywhere that stays inside the zoomed image
                slack = (scale - 1.0) / 2
                m[:, 2] += rng.uniform(-slack, slack, 2) * (w, h)
            out = cv2.warpAffine(np.ascontiguousarray(out), m, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT_101)
        if self.contrast or self.brightness or self.noise:
            gain = rng.uniform(1 - self.contrast, 1 + self.contrast)
            offset = rng.uniform(-self.brightness, self.brightness)
            f = out.astype(np.float32) * gain + offset
            if self.noise:
                f += rng.normal(0.0, self.noise, f.shape).astype(np.float32)
            out = np.clip(np.rint(f), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(out)


#: random crops (scale 1-1.15, shifted) and nothing else: the recipe the rows once recorded as
#: "no augmentation" measured (benchmarks/recipe, rows ``*zoom*``)
ZOOM_ONLY = Augment(flip_h=False, flip_v=False, max_rotation=0.0, contrast=0.0, brightness=0.0, zoom=0.15)


def recorded(config: dict) -> Augment | None:
    """The augmentation a run manifest's ``config`` records: ``None`` (off) or an :class:`Augment`;
    runs written before it was recorded trained with what was the default then, the
    data-matched set."""
    if "augment" not in config:
        return Augment()
    return None if config["augment"] is None else Augment(**config["augment"])
