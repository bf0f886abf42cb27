"""A split CSV whose val and test rows are thinned to every STEP-th row in family order (every
family keeps about 1/STEP of its files; train rows unchanged), paths made absolute. The slow
variant (int16x8, LiteRT reference kernels) is checked and benched on it for the large models.

    python subset.py SPLIT.csv STEP OUT.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def main(src: Path, step: int, dst: Path) -> None:
    with src.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    for r in rows:
        r["path"] = str((src.parent / r["path"]).resolve())
    keep = [r for r in rows if r["split"] == "train"]
    for split in ("val", "test"):
        part = sorted((r for r in rows if r["split"] == split), key=lambda r: (r["family"], r["path"]))
        keep += part[::step]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(keep)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
