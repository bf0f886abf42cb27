"""Which training images count, and how much: per-class or per-family loss weights, and one copy
of each byte-identical image."""

from __future__ import annotations

import hashlib

import numpy as np

from ..core.data.folders import LoadedImages
from ..core.errors import InputError


def sample_weights(images: LoadedImages, balance: str) -> np.ndarray:
    """Loss weights with mean 1 under which each class carries half of the total loss.

    ``family``: within a class every family (copies of one radiograph) carries equal weight,
    so a radiograph copied forty times does not count forty times; files without a family
    count as their own family. ``class``: every file of a class carries equal weight.
    """
    labels = images.labels
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    if (counts == 0).any():
        raise InputError("the training split needs images of both classes")
    if balance == "class":
        return (len(labels) / (2 * counts))[labels].astype(np.float32)
    keys = [(s.label, s.family or str(s.path)) for s in images.samples]
    size: dict = {}
    for k in keys:
        size[k] = size.get(k, 0) + 1
    w = np.array([1.0 / size[k] for k in keys])
    for c in (0, 1):
        w[labels == c] *= len(labels) / (2 * w[labels == c].sum())
    return w.astype(np.float32)


def unique_images(images: LoadedImages) -> LoadedImages:
    """One copy of each byte-identical image (same decoded pixels and label): copies add no
    information and, under family weighting, no weight, only time."""
    seen, keep = set(), []
    for i, (g, y) in enumerate(zip(images.gray, images.labels)):
        key = (hashlib.sha1(g.tobytes()).digest(), int(y))
        if key not in seen:
            seen.add(key)
            keep.append(i)
    if len(keep) == len(images.samples):
        return images
    return images.take(keep)
