"""A small Kaggle-style folder that leaks the way public sets do, with known families.

Sources are synthetic radiographs; some get copies (byte copy, rotated by an arbitrary angle
with black corners, quarter-turned, mirrored, re-encoded, rescaled) and some copies sit in
test/. ``FAMILIES`` names the files of each source, so tests can check the grouping exactly.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from fracture_edge.core.data.synth import radiograph

SIZE = 128


def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the centre inside the same frame; the corners fill with black."""
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


COPIES = {  # suffix -> (how the copy is made, written as PNG unless the name says .jpg)
    "copy.png": lambda img: img,
    "rot17.png": lambda img: rotate(img, 17),
    "rot-33.jpg": lambda img: rotate(img, -33),
    "rot90.png": lambda img: np.rot90(img).copy(),
    "mirror.png": lambda img: img[:, ::-1].copy(),
    "mirror_rot8.jpg": lambda img: rotate(img[:, ::-1].copy(), 8),
    "small.png": lambda img: cv2.resize(img, (96, 96), interpolation=cv2.INTER_AREA),
}


def _write(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 85] if path.suffix == ".jpg" else []
    path.write_bytes(cv2.imencode(path.suffix, img, params)[1].tobytes())


def make_leaky_folder(root: Path, sources: int = 16, with_copies: int = 6, seed: int = 0) -> dict[str, set[str]]:
    """Write ROOT/{train,test}/{fractured,not fractured}; return family name -> relative paths.

    Sources 0..with_copies-1 get every kind of copy in train/, and one more copy in test/
    (leaking): a byte copy of the train file for odd sources, a copy rotated by 29° for even. The other sources are single files, split 3:1 train:test.
    Two unusable files go to train/: a truncated JPEG and a PNG named .jpg (usable).
    """
    rng = np.random.default_rng(seed)
    families: dict[str, set[str]] = {}
    for i in range(sources):
        label = "fractured" if i % 2 else "not fractured"
        img = radiograph(rng, SIZE, fractured=bool(i % 2))
        split = "test" if i >= with_copies and i % 4 == 3 else "train"
        names = {f"{split}/{label}/src{i:02d}.png"}
        _write(root / next(iter(names)), img)
        if i < with_copies:
            for suffix, make in COPIES.items():
                rel = f"train/{label}/src{i:02d}_{suffix}"
                _write(root / rel, make(img))
                names.add(rel)
            rel = f"test/{label}/src{i:02d}_leak.png"
            _write(root / rel, img if i % 2 else rotate(img, 29))   # a byte copy or a new angle
            names.add(rel)
        families[f"src{i:02d}"] = names
    jpg = cv2.imencode(".jpg", radiograph(rng, SIZE, False))[1].tobytes()
    (root / "train" / "not fractured" / "cut.jpg").write_bytes(jpg[: len(jpg) // 2])
    png = cv2.imencode(".png", radiograph(rng, SIZE, True))[1].tobytes()
    (root / "train" / "fractured" / "png_inside.jpg").write_bytes(png)
    families["png_inside"] = {"train/fractured/png_inside.jpg"}
    return families
