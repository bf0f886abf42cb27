"""Deterministic synthetic radiographs for tests and the demo.

Each image: grey soft tissue, one or two long bones (bright cortex around darker marrow) at a
random orientation, exposure and contrast, with sensor noise. Fractured images carry a dark
crack line across one bone, sometimes with the far fragment displaced. Image ``i`` of seed ``s``
depends only on ``(s, i)``, so any subset can be regenerated exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..files import atomic_dir, write_json
from ..progress import progress
from .folders import LABEL_NAMES

#: The data folder's manifest kind (what --force may replace).
KIND = "fracture-edge synth"

SPLITS = (("train", 0.70), ("val", 0.15), ("test", 0.15))


def radiograph(rng: np.random.Generator, size: int, fractured: bool) -> np.ndarray:
    """One synthetic uint8 radiograph of ``size`` x ``size`` pixels."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    # Soft tissue: a broad bright ellipse over a dark background, with a gentle gradient.
    cx, cy = rng.uniform(0.4, 0.6, 2)
    ax, ay = rng.uniform(0.35, 0.6, 2)
    tissue = np.clip(1.2 - ((xx - cx) / ax) ** 2 - ((yy - cy) / ay) ** 2, 0, 1)
    img = rng.uniform(15, 40) + rng.uniform(50, 90) * tissue + rng.uniform(-15, 15) * (xx - 0.5)
    # Soft-tissue and trabecular texture, different in every image: without it two synthetic
    # images are the same picture up to rotation, and the audit rightly calls them copies.
    for sigma, amp in ((size / 10, 25.0),):
        field = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), sigma)
        img = img + amp * field / (field.std() + 1e-6)

    n_bones = 1 if rng.random() < 0.6 else 2
    base_angle = rng.uniform(0, np.pi)
    bones = []
    for b in range(n_bones):
        angle = base_angle + (rng.uniform(-0.25, 0.25) if b else 0.0)
        offset = (b - (n_bones - 1) / 2) * rng.uniform(0.18, 0.26)
        bones.append((angle, offset, rng.uniform(0.07, 0.11)))
    broken = int(rng.integers(n_bones)) if fractured else -1

    for b, (angle, offset, radius) in enumerate(bones):
        ux, uy = np.cos(angle), np.sin(angle)                  # along the bone
        along = (xx - 0.5) * ux + (yy - 0.5) * uy
        across = -(xx - 0.5) * uy + (yy - 0.5) * ux - offset
        if b == broken:
            cut = rng.uniform(-0.2, 0.2)
            tilt = rng.uniform(-0.6, 0.6)
            side = along - cut - tilt * across                  # signed distance to the crack
            if rng.random() < 0.5:                              # displaced far fragment
                across = across - np.where(side > 0, rng.uniform(0.02, 0.05), 0.0)
        half_len = rng.uniform(0.38, 0.5)
        shaft = np.abs(along) < half_len
        cortex = rng.uniform(0.25, 0.4) * radius
        r = np.abs(across)
        bone = np.where(shaft & (r < radius), 1.0, 0.0)
        marrow = np.where(shaft & (r < radius - cortex), 1.0, 0.0)
        level = rng.uniform(110, 150)
        img = img + level * bone - rng.uniform(0.35, 0.55) * level * marrow
        if b == broken:
            width = rng.uniform(0.008, 0.018)
            crack = shaft & (r < radius * 1.05) & (np.abs(side) < width)
            img = np.where(crack, img - 0.8 * level * bone, img)

    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), rng.uniform(0.5, 1.0))
    gain, gamma = rng.uniform(0.75, 1.15), rng.uniform(0.8, 1.25)
    img = 255.0 * np.clip(img * gain / 255.0, 0, 1) ** gamma
    img = img + rng.normal(0, rng.uniform(2, 7), img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def image_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, index])


def split_of(fraction: float) -> str:
    acc = 0.0
    for name, share in SPLITS:
        acc += share
        if fraction < acc:
            return name
    return SPLITS[-1][0]


def synthesize(out: str | os.PathLike, n: int, seed: int = 0, size: int = 128, force: bool = False) -> dict:
    """Write ``n`` PNGs into ``out/{train,val,test}/{fractured,not fractured}/``; return counts."""
    if n < 10:
        raise InputError(f"--n must be at least 10 (got {n})")
    if not 32 <= size <= 1024:
        raise InputError(f"--size must be between 32 and 1024 (got {size})")
    counts: dict = {}
    with atomic_dir(out, force=force, kind=KIND) as tmp:
        for i in progress(range(n), total=n, desc="synth"):
            rng = image_rng(seed, i)
            fractured = bool(i % 2)
            split = split_of(rng.random())
            img = radiograph(rng, size, fractured)
            folder = Path(tmp, split, LABEL_NAMES[int(fractured)])
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"synth_{seed}_{i:05d}.png"), img)
            key = f"{split}/{LABEL_NAMES[int(fractured)]}"
            counts[key] = counts.get(key, 0) + 1
        # what made the folder: it also marks it as this tool's, for --force to replace
        write_json(tmp / "manifest.json", {"kind": KIND, "n": n, "seed": seed, "size": size,
                                           "counts": counts})
    return counts
