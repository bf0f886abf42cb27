"""A leak-free split: whole families go to one of train/val/test, stratified by label.

Files are grouped by family (copies of one radiograph, see :mod:`.families`) or, with
``by="content"``, by exact content only (byte copies; this still leaks rotated copies and is
there to show the difference). Groups are dealt largest first, in a seeded random order among
equals, each to the split of its label stratum that is furthest below its target share, so the
shares come out close to the targets even with a few large families.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ..errors import InputError, check_choice
from ..files import write_csv
from .folders import LABEL_NAMES, one_class
from .scan import FileRecord, Scan
from .scan import scan as run_scan

log = logging.getLogger("fracture_edge")

SPLITS = ("train", "val", "test")
GROUPINGS = ("family", "content")


def _group_key(rec: FileRecord, by: str) -> str:
    return f"f{rec.family:05d}" if by == "family" else f"c{rec.sha256[:16]}"


def assign_groups(groups: dict[str, list[int]], labels: dict[str, int], shares: dict[str, float],
                  seed: int) -> dict[str, str]:
    """Group -> split. ``groups`` maps a group to its file labels' list, ``labels`` to its stratum."""
    rng = np.random.default_rng(seed)
    out = {}
    for stratum in sorted(set(labels.values())):
        keys = [k for k in sorted(groups) if labels[k] == stratum]
        keys = [keys[i] for i in rng.permutation(len(keys))]
        keys.sort(key=lambda k: -len(groups[k]))            # stable: random order among equals
        total = sum(len(groups[k]) for k in keys)
        filled = {s: 0 for s in shares}
        for k in keys:
            split = max(shares, key=lambda s: (shares[s] * total - filled[s], shares[s]))
            out[k] = split
            filled[split] += len(groups[k])
    return out


def family_split(data: Scan | str | os.PathLike, val: float = 0.15, test: float = 0.15, seed: int = 0,
                 by: str = "family", workers: int | None = None) -> list[dict]:
    """Manifest rows (path, label, split, family, sha256) over the usable files of ``data``
    (a folder, a manifest, or a :class:`Scan` of one); options are checked before scanning."""
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise InputError(f"--val {val} and --test {test} must be shares in [0, 1) with a sum below 1")
    shares = {s: v for s, v in zip(SPLITS, (1 - val - test, val, test)) if v > 0}
    return _grouped_rows(data, shares, seed, by, workers)


def family_folds(data: Scan | str | os.PathLike, folds: int = 5, seed: int = 0, by: str = "family",
                 workers: int | None = None) -> list[dict]:
    """Manifest rows whose ``split`` is ``fold0`` .. ``fold{k-1}``: k folds of whole families,
    stratified by label and balanced by file count, for cross-validation."""
    if folds < 2:
        raise InputError(f"--folds must be at least 2 (got {folds})")
    return _grouped_rows(data, {f"fold{i}": 1.0 / folds for i in range(folds)}, seed, by, workers)


def _grouped_rows(data, shares: dict[str, float], seed: int, by: str, workers: int | None) -> list[dict]:
    check_choice(by, GROUPINGS, "grouping")
    scan = data if isinstance(data, Scan) else run_scan(data, workers)
    for rec in scan.records:
        if rec.family is None:
            log.warning("skipped %s: %s", rec.sample.path, rec.error)
    usable = scan.usable()
    if not usable:
        raise InputError(f"{scan.dataset.source}: no decodable images to split")
    problem = one_class(rec.sample.label for rec in usable)
    if problem:
        raise InputError(f"{scan.dataset.source}: {problem}")
    groups: dict[str, list[int]] = {}
    for rec in usable:
        groups.setdefault(_group_key(rec, by), []).append(rec.sample.label)
    labels = {k: int(2 * sum(v) >= len(v)) for k, v in groups.items()}
    if len(groups) < len(shares):
        raise InputError(f"{scan.dataset.source}: {len(groups)} {by} groups cannot fill {len(shares)} parts")
    split_of = assign_groups(groups, labels, shares, seed)
    return [{"path": rec.sample.path, "label": LABEL_NAMES[rec.sample.label],
             "split": split_of[_group_key(rec, by)], "family": _group_key(rec, by), "sha256": rec.sha256[:16]}
            for rec in usable]


def write_manifest(rows: list[dict], out: str | os.PathLike) -> Path:
    """Write rows as CSV; paths relative to the CSV's folder (as :func:`folders.load_dataset` reads them)."""
    out = Path(out)
    base = out.resolve().parent
    written = []
    for row in rows:
        p = Path(row["path"]).resolve()
        try:
            rel = Path(os.path.relpath(p, base)).as_posix()
        except ValueError:                        # another drive on Windows
            rel = str(p)
        written.append({**row, "path": rel})
    return write_csv(out, written, list(rows[0]))


def split_summary(rows: list[dict]) -> dict:
    """Files per split and label, and families per split."""
    out: dict = {}
    for row in rows:
        s = out.setdefault(row["split"], {"files": 0, "families": set(), **{n: 0 for n in LABEL_NAMES}})
        s["files"] += 1
        s[row["label"]] += 1
        s["families"].add(row["family"])
    return {k: {**v, "families": len(v["families"])} for k, v in sorted(out.items(), key=lambda kv: (SPLITS.index(kv[0]) if kv[0] in SPLITS else len(SPLITS), kv[0]))}
