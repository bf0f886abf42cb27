"""How consistently each row's fold models call the copies of one radiograph (its family:
rotated, mirrored, re-exposed copies): the share of files, in families of two or more, whose
decision at the row's operating point goes against their family's majority, and the mean
within-family standard deviation of the calibrated probability.

    .venv/bin/python benchmarks/recipe/copy_consistency.py /tmp/recipe 96px 96px-zoom-class
"""

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from fracture_edge.core.operating_point import apply_temperature


def consistency(row: Path) -> tuple[float, float]:
    op = json.loads((row / "operating_point.json").read_text())
    families = defaultdict(list)
    with open(row / "oof.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            families[r["family"]].append(float(r["prob"]))
    against, files, sds = 0, 0, []
    for probs in families.values():
        if len(probs) < 2:
            continue
        cal = apply_temperature(np.array(probs), op["temperature"])
        calls = cal >= op["threshold"]
        against += min(calls.sum(), (~calls).sum())
        files += len(probs)
        sds.append(np.std(cal))
    return against / files, float(np.mean(sds))


if __name__ == "__main__":
    out = Path(sys.argv[1])
    for name in sys.argv[2:]:
        share, sd = consistency(out / name)
        print(f"{name}: {share:.3f} of files called against their family's majority; "
              f"within-family sd {sd:.3f}")
