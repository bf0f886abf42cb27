"""How much of an evaluation split the model has already seen in training.

A test image leaks when a copy of its radiograph (any member of its family: rotated, mirrored,
re-encoded) is in the training split; the narrower measure counts byte-identical copies only.
Public sets are scored on such splits, which is how they reach 95-99 % accuracy.
"""

from __future__ import annotations

import logging

from .folders import Dataset
from .scan import Scan, scan

log = logging.getLogger("fracture_edge")

EVAL_SPLITS = ("val", "test")


def leakage(scan: Scan) -> dict:
    """Per evaluation split: files, how many share a family with train, how many are byte copies."""
    train = [r for r in scan.records if r.sample.split == "train"]
    train_families = {r.family for r in train if r.family is not None}
    train_hashes = {r.sha256 for r in train if r.sha256}
    out = {}
    for split in EVAL_SPLITS:
        part = [r for r in scan.records if r.sample.split == split]
        if not part or not train:
            continue
        copies = sum(r.sha256 in train_hashes for r in part)
        leaked = sum(r.sha256 in train_hashes or (r.family is not None and r.family in train_families)
                     for r in part)
        out[split] = {"files": len(part), "family_in_train": leaked, "family_share": leaked / len(part),
                      "byte_copy_in_train": copies, "byte_copy_share": copies / len(part)}
    return out


def warn_if_leaky(dataset: Dataset, min_share: float = 0.01) -> dict:
    """For split *folders* (a manifest was split on purpose): warn when val/ or test/ shares
    radiographs with train/. Returns the shares ({} when there is nothing to compare)."""
    if not dataset.source.is_dir() or "train" not in dataset.splits or not set(EVAL_SPLITS) & set(dataset.splits):
        return {}
    data = dataset.source
    shares = leakage(scan(dataset))
    for split, s in shares.items():
        if s["family_share"] >= min_share:
            log.warning(
                "%s leaks into train: %.1f%% of its %d images look like copies of training images "
                "(the same picture up to rotation, mirroring, scale or re-encoding; %.1f%% "
                "byte-identical); scores on it overstate accuracy. A leak-free split: "
                "fracture-edge data split %s --by family --out split.csv",
                split, 100 * s["family_share"], s["files"], 100 * s["byte_copy_share"], data)
    return shares
