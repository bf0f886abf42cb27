"""Benchmark-only split of multiregion-dev by source-radiograph family (not part of the product).

Reads the data set's reference grouping (``families.csv``), keeps one file per distinct content
(the set holds byte copies), and assigns whole families to train/val/test (70/15/15) by a hash of
the family id, so no radiograph is in two splits. Writes a manifest CSV (``path,label,split,family``)
next to the unpacked images, which ``fracture-edge train`` and ``bench`` read.

Usage: python benchmarks/bench/family_split.py ../shared/data/multiregion-dev/families.csv IMAGES_DIR
"""

import csv
import hashlib
import sys
from pathlib import Path

from fracture_edge.core.files import write_csv


def split_of(family: str) -> str:
    bucket = int(hashlib.sha256(family.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "val" if bucket < 85 else "test"


def main(families_csv: str, images_dir: str) -> None:
    seen, rows = set(), []
    with open(families_csv, newline="") as f:
        for r in csv.DictReader(f):
            if r["sha256"] in seen:
                continue
            seen.add(r["sha256"])
            rows.append({"path": r["path"], "label": r["label"], "split": split_of(r["family"]),
                         "family": r["family"]})
    out = Path(images_dir) / "family_split.csv"
    write_csv(out, rows)
    counts = {}
    for r in rows:
        counts[(r["split"], r["label"])] = counts.get((r["split"], r["label"]), 0) + 1
    print(out, dict(sorted(counts.items())))


if __name__ == "__main__":
    main(*sys.argv[1:3])
