"""A small family-disjoint split manifest of multiregion-dev for the latency benchmark.

One file per family (copies of a radiograph would only repeat calibration images), families
shuffled with a fixed seed and dealt to train (the calibration images: export draws its
representative set from the training split), val (the export's agreement gate) and test (the
image bench times and the accuracy rows, which mean little here: the heads are trained briefly).

    python benchmarks/lite_latency/make_split.py IMAGES_DIR FAMILIES_CSV OUT_CSV
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

from fracture_edge.core.files import write_csv

COUNTS = {"train": 200, "val": 60, "test": 60}


def main(images: Path, families: Path, out: Path) -> None:
    first: dict[str, dict] = {}
    with families.open(newline="") as f:
        for row in csv.DictReader(f):
            first.setdefault(row["family"], row)   # the file list is sorted: deterministic pick
    names = sorted(first)
    random.Random(0).shuffle(names)
    if len(names) < sum(COUNTS.values()):
        print(f"make_split: {families} has {len(names)} families, {sum(COUNTS.values())} needed", file=sys.stderr)
        sys.exit(2)
    rows, start = [], 0
    for split, n in COUNTS.items():
        for fam in names[start:start + n]:
            r = first[fam]
            rows.append({"path": str((images / r["path"]).resolve()), "label": r["label"], "split": split,
                         "family": fam})
        start += n
    write_csv(out, rows)
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: " + __doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        sys.exit(2)
    main(*(Path(a) for a in sys.argv[1:]))
