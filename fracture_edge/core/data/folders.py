"""Read labelled X-ray datasets: Kaggle-style folders or a split manifest CSV.

Folders: optional split folders (``train/ val/ test/``, with common aliases) holding one folder
per class. Class folder names are matched case-insensitively against an alias table, so
``fractured``, ``Fractured``, ``not fractured``, ``not_fractured``, ``non-fractured`` and
``normal`` all work. A manifest CSV (``path,label,split[,family]``, as written by
``fracture-edge data split``) may be given instead of a folder; its paths are relative to it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..decode import IMAGE_EXTENSIONS, decode_bytes, read_image_bytes
from ..errors import DecodeError, InputError
from ..files import regular_file
from ..preprocess import prepare_gray, tensor_from_gray
from ..progress import progress
from ..spec import PreprocessSpec

log = logging.getLogger("fracture_edge")

POSITIVE, NEGATIVE = 1, 0
LABEL_NAMES = ("not fractured", "fractured")

#: Class-folder names (normalised: lower case, separators as single spaces) -> label.
CLASS_ALIASES = {
    "fractured": POSITIVE, "fracture": POSITIVE, "fractures": POSITIVE, "positive": POSITIVE,
    "broken": POSITIVE, "abnormal": POSITIVE, "1": POSITIVE,
    "not fractured": NEGATIVE, "non fractured": NEGATIVE, "nonfractured": NEGATIVE,
    "unfractured": NEGATIVE, "not fracture": NEGATIVE, "no fracture": NEGATIVE,
    "normal": NEGATIVE, "negative": NEGATIVE, "healthy": NEGATIVE, "0": NEGATIVE,
}
#: Split-folder names -> canonical split.
SPLIT_ALIASES = {
    "train": "train", "training": "train",
    "val": "val", "valid": "val", "validation": "val", "dev": "val",
    "test": "test", "testing": "test",
}


def normalise_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def label_of(name: str) -> int | None:
    return CLASS_ALIASES.get(normalise_name(name))


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int
    split: str | None = None
    family: str | None = None


@dataclass
class Dataset:
    """The samples of a folder or manifest; ``source`` is what the user pointed at."""

    source: Path
    samples: list[Sample]
    ignored: list[Path] = field(default_factory=list)

    @property
    def splits(self) -> list[str]:
        return sorted({s.split for s in self.samples if s.split})

    def subset(self, split: str) -> list[Sample]:
        return [s for s in self.samples if s.split == split]

    def counts(self) -> dict:
        out: dict = {}
        for s in self.samples:
            key = s.split or "all"
            out.setdefault(key, {LABEL_NAMES[0]: 0, LABEL_NAMES[1]: 0})[LABEL_NAMES[s.label]] += 1
        return out


def load_dataset(path: str | os.PathLike) -> Dataset:
    """A folder tree or a manifest CSV -> :class:`Dataset`; one-line errors for bad input."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"data path does not exist: {path}")
    if not path.is_dir():
        if path.suffix.lower() != ".csv":
            raise InputError(f"data path is a file but not a split manifest (.csv): {path}")
        return _from_manifest(path)
    return _from_folders(path)


def one_class(labels) -> str | None:
    """Why a set of labels cannot train a classifier (all of one class), or None. A folder tree
    with one class folder misnamed (e.g. ``ok/`` for the negatives) reads as one class, and
    would otherwise fail only when training starts."""
    found = sorted(set(int(x) for x in labels))
    if len(found) == 1:
        return (f"every image is labelled '{LABEL_NAMES[found[0]]}': a classifier needs both classes "
                f"(class folder names that count: {', '.join(sorted(CLASS_ALIASES))})")
    return None


def _class_dirs(folder: Path) -> list[tuple[Path, int]]:
    found = []
    for d in sorted(p for p in folder.iterdir() if p.is_dir()):
        label = label_of(d.name)
        if label is not None:
            found.append((d, label))
    return found


def _from_folders(root: Path) -> Dataset:
    samples: list[Sample] = []
    ignored: list[Path] = []
    split_dirs = [(d, SPLIT_ALIASES[d.name.lower()]) for d in sorted(root.iterdir())
                  if d.is_dir() and d.name.lower() in SPLIT_ALIASES]
    groups = split_dirs or [(root, None)]
    for folder, split in groups:
        classes = _class_dirs(folder)
        if not classes:
            continue
        for cdir, label in classes:
            for f in sorted(cdir.rglob("*")):
                if f.is_dir():
                    continue        # links, broken ones too, and FIFOs stay: reading them skips them, counted
                if f.suffix.lower() in IMAGE_EXTENSIONS:
                    samples.append(Sample(f, label, split))
                else:
                    ignored.append(f)
    if not samples:
        raise InputError(
            f"no class folders with images under {root}: expected e.g. {root}/fractured and "
            f"{root}/not fractured, optionally inside train/ val/ test/"
        )
    return Dataset(root, samples, ignored)


def _from_manifest(csv_path: Path) -> Dataset:
    base = csv_path.parent
    samples = []
    for i, row in manifest_rows(csv_path, required=("path", "label")):
        label = label_of(row["label"])
        if label is None:
            raise InputError(f"{csv_path}:{i}: unknown label {row['label']!r}")
        p = Path(row["path"])
        split = row.get("split") or None
        if split is not None and split not in ("train", "val", "test"):
            raise InputError(f"{csv_path}:{i}: unknown split {split!r} (train, val, test)")
        samples.append(Sample(p if p.is_absolute() else base / p, label, split, row.get("family") or None))
    if not samples:
        raise InputError(f"{csv_path}: manifest has no rows")
    return Dataset(csv_path, samples)


def manifest_rows(csv_path: Path, required=()) -> Iterator[tuple[int, dict]]:
    """(line number, row as a dict) of a CSV with a header; one-line errors naming the line for
    bytes that are not UTF-8, a malformed line, or a row with more or fewer fields than the
    header. A byte-order mark (spreadsheets write one) is not part of the first column's name."""
    data = regular_file(csv_path, "a split manifest").read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{csv_path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{csv_path}: manifest lacks column(s) {', '.join(missing)} (its header: "
                             f"{','.join(header) or 'empty'})")
        for fields in reader:
            if not fields:
                continue                  # a blank line
            if len(fields) != len(header):
                raise InputError(f"{csv_path}:{reader.line_num}: {len(fields)} field(s) where the header has "
                                 f"{len(header)} ({','.join(header)})")
            yield reader.line_num, dict(zip(header, fields))
    except csv.Error as exc:
        raise InputError(f"{csv_path}:{reader.line_num}: malformed CSV ({exc})") from None


@dataclass
class LoadedImages:
    """Resized grayscale images of the samples that decoded, and what was skipped."""

    gray: np.ndarray          # (N, H, W) uint8
    labels: np.ndarray        # (N,) int
    samples: list[Sample]
    skipped: list[tuple[str, str]]   # (path, reason)
    content_hash: str         # sha256 over (relative path, file sha256) of the kept files

    def take(self, index) -> "LoadedImages":
        """The images at ``index`` (integer indices or a boolean mask); nothing is skipped."""
        index = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index, int)
        return LoadedImages(self.gray[index], self.labels[index], [self.samples[i] for i in index], [],
                            self.content_hash)

    def tensors(self, spec: PreprocessSpec) -> np.ndarray:
        """The model inputs of every image, as a float32 batch (what Keras predicts and fits on)."""
        return np.stack([tensor_from_gray(g, spec) for g in self.gray]).astype(np.float32, copy=False)

    def manifest(self) -> dict:
        return {
            "files": len(self.samples),
            "positives": int(self.labels.sum()),
            "sha256": self.content_hash,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "skipped_count": len(self.skipped),
        }


def load_images(samples: list[Sample], spec: PreprocessSpec, desc: str = "decode",
                workers: int | None = None) -> LoadedImages:
    """Decode and resize every sample per ``spec``; bad files are skipped with a warning."""
    if not samples:
        raise InputError("no images to load")

    def one(s: Sample):
        try:
            data = read_image_bytes(s.path)
            gray = prepare_gray(decode_bytes(data, str(s.path)), spec)
        except DecodeError as exc:
            return s, None, str(exc).removeprefix(f"{s.path}: "), None
        return s, gray, None, hashlib.sha256(data).hexdigest()

    workers = workers or min(4, os.cpu_count() or 1)
    kept, grays, skipped, digest = [], [], [], hashlib.sha256()
    with ThreadPoolExecutor(workers) as pool:
        for s, gray, reason, sha in progress(pool.map(one, samples), total=len(samples), desc=desc):
            if gray is None:
                log.warning("skipped %s: %s", s.path, reason)
                skipped.append((str(s.path), reason))
                continue
            kept.append(s)
            grays.append(gray)
            digest.update(f"{s.split}/{s.label}/{s.path.name}\0{sha}\n".encode())
    if not kept:
        raise InputError(f"none of the {len(samples)} images could be decoded")
    return LoadedImages(
        gray=np.stack(grays),
        labels=np.array([s.label for s in kept], np.int64),
        samples=kept,
        skipped=skipped,
        content_hash=digest.hexdigest(),
    )
