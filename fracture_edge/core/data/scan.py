"""Read every file of a dataset once: content hash, real format, size, decodability, family.

The expensive part (decoding and fingerprinting) is done once per *distinct content*, in a
thread pool: OpenCV releases the GIL while it decodes and resamples, so threads use every core
without the cost of shipping pixels between processes. Both the audit and the family split
start from a :class:`Scan`.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..decode import decode_bytes, extension_format, read_image_bytes, sniff_format
from ..errors import DecodeError
from ..progress import progress
from .families import LINK_THRESHOLD, Families, find_families
from .fingerprint import fingerprint
from .folders import Dataset, Sample, load_dataset


@dataclass
class FileRecord:
    sample: Sample
    size_bytes: int
    sha256: str | None           # None when the file cannot be read
    format: str | None           # sniffed from the bytes
    width: int | None = None
    height: int | None = None
    error: str | None = None     # why it cannot be used, None when it decodes
    family: int | None = None    # family number, None for unusable files

    @property
    def extension_mismatch(self) -> bool:
        ext = extension_format(self.sample.path)
        return self.format is not None and ext is not None and ext != self.format


@dataclass
class Scan:
    dataset: Dataset
    records: list[FileRecord]
    families: Families
    contents: list[str]                      # sha256 of decodable content i (indexes families.family)
    timings: dict = field(default_factory=dict)

    @property
    def root(self) -> Path:
        src = self.dataset.source
        return src.parent if src.is_file() else src

    def relpath(self, rec: FileRecord) -> str:
        try:
            return rec.sample.path.relative_to(self.root).as_posix()
        except ValueError:
            return str(rec.sample.path)

    def usable(self) -> list[FileRecord]:
        return [r for r in self.records if r.family is not None]


def _hash_file(sample: Sample) -> FileRecord:
    try:
        data = read_image_bytes(sample.path)
    except DecodeError as exc:
        return FileRecord(sample, 0, None, None, error=str(exc).removeprefix(f"{sample.path}: "))
    return FileRecord(sample, len(data), hashlib.sha256(data).hexdigest(), sniff_format(data[:512]))


def _decode_content(path: Path):
    """((width, height, fingerprint), None) or (None, why it cannot be used)."""
    try:
        pixels = decode_bytes(read_image_bytes(path), str(path))
    except DecodeError as exc:
        return None, str(exc).removeprefix(f"{path}: ")
    return (pixels.shape[1], pixels.shape[0], fingerprint(pixels)), None


def scan(data: str | os.PathLike | Dataset, workers: int | None = None, threshold: float = LINK_THRESHOLD) -> Scan:
    """Hash, decode and fingerprint a folder tree or manifest, then group its contents into families."""
    dataset = data if isinstance(data, Dataset) else load_dataset(data)
    workers = workers or min(4, os.cpu_count() or 1)
    timings = {}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        records = list(progress(pool.map(_hash_file, dataset.samples), total=len(dataset.samples), desc="hash"))
    first: dict[str, int] = {}
    for i, rec in enumerate(records):
        if rec.sha256 is not None:
            first.setdefault(rec.sha256, i)
    timings["read_and_hash_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    shas = list(first)
    with ThreadPoolExecutor(workers) as pool:
        decoded = list(progress(pool.map(_decode_content, [records[first[h]].sample.path for h in shas]),
                                total=len(shas), desc="decode + fingerprint"))
    timings["decode_and_fingerprint_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    good = [h for h, (res, _) in zip(shas, decoded) if res is not None]
    by_sha = dict(zip(shas, decoded))
    prints = [by_sha[h][0][2] for h in good]
    if prints:
        families = find_families(np.stack([p.polar for p in prints]), np.stack([p.signature for p in prints]),
                                 threshold)
    else:
        families = Families(np.zeros(0, np.int64), np.zeros((0, 2), np.int64), np.zeros(0), threshold)
    timings["group_s"] = time.perf_counter() - t0

    family_of = dict(zip(good, families.family.tolist()))
    for rec in records:
        if rec.sha256 is None:
            continue
        res, err = by_sha[rec.sha256]
        if res is None:
            rec.error = err
        else:
            rec.width, rec.height = res[0], res[1]
            rec.family = family_of[rec.sha256]
    return Scan(dataset, records, families, good, timings)
