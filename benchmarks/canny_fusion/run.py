"""Does the Canny edge channel help? deepconvnet per fusion mode x seed on a family split.

Regenerate (about 25 CPU-minutes on 2 cores):

    .venv/bin/python benchmarks/canny_fusion/run.py --out /tmp/canny_fusion

Data: ../shared/data/multiregion-dev, unpacked to a temporary folder. The family split here is
built from the data set's reference grouping (families.csv) *for this benchmark only*: the
product makes its own with `fracture-edge data split`. Byte-identical copies are dropped (one
file per sha256); rotated and flipped copies stay in their family's split. Families are split
70/15/15, stratified by label, seed 0, the same split for every run.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import tarfile
import time
from pathlib import Path

import numpy as np

from fracture_edge.core.files import write_csv
from fracture_edge.training.config import TrainConfig
from fracture_edge.training.train import train

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "multiregion-dev"
MODES = {"gray": ("gray",), "gray+edges+gray": ("gray", "edges", "gray"), "edges": ("edges",),
         "gray+edges": ("gray", "edges")}


def family_split(root: Path, out_csv: Path, seed: int = 0) -> dict:
    rows = list(csv.DictReader(open(DATA / "families.csv")))
    seen, kept = set(), []
    for r in rows:
        if r["sha256"] not in seen:
            seen.add(r["sha256"])
            kept.append(r)
    fam_label = {}
    for r in kept:
        fam_label.setdefault(r["family"], r["label"])
    rng = np.random.default_rng(seed)
    split_of = {}
    for label in sorted(set(fam_label.values())):
        fams = sorted(f for f, lab in fam_label.items() if lab == label)
        rng.shuffle(fams)
        n = len(fams)
        for i, f in enumerate(fams):
            split_of[f] = "test" if i < 0.15 * n else "val" if i < 0.30 * n else "train"
    write_csv(out_csv, [{"path": str(root / r["path"]), "label": r["label"], "split": split_of[r["family"]],
                         "family": r["family"]} for r in kept])
    counts = {}
    for r in kept:
        counts[split_of[r["family"]]] = counts.get(split_of[r["family"]], 0) + 1
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--img-size", type=int, default=64)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--modes", default="gray,gray+edges+gray,edges")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    images = args.out / "images"
    if not images.exists():
        with tarfile.open(DATA / "images.tar.xz") as tar:
            tar.extractall(images, filter="data")
    counts = family_split(images, args.out / "split.csv")
    results = []
    for mode in args.modes.split(","):
        for seed in range(args.seeds):
            t0 = time.time()
            cfg = TrainConfig(img_size=args.img_size, epochs=args.epochs, width=args.width, seed=seed,
                              fusion=MODES[mode], batch_size=32, patience=args.epochs)
            m = train(args.out / "split.csv", args.out / f"run-{mode}-{seed}", cfg, force=True)
            ev = m["eval"]
            results.append({"mode": mode, "seed": seed, "auc": ev["auc"],
                            "balanced_accuracy": ev["balanced_accuracy"], "f1": ev["f1"],
                            "best_epoch": m["best"]["epoch"], "seconds": round(time.time() - t0)})
            print(json.dumps(results[-1]), flush=True)
    summary = {}
    for mode in args.modes.split(","):
        rs = [r for r in results if r["mode"] == mode]
        summary[mode] = {k: (statistics.mean(r[k] for r in rs), statistics.stdev(r[k] for r in rs) if len(rs) > 1 else 0.0)
                         for k in ("auc", "balanced_accuracy", "f1")}
    out = {"split_counts": counts, "config": vars(args) | {"out": str(args.out)}, "runs": results, "summary": summary}
    (REPO / "benchmarks" / "canny_fusion" / "results.json").write_text(json.dumps(out, indent=2) + "\n")
    for mode, s in summary.items():
        print(f"| {mode} | " + " | ".join(f"{m:.3f} ± {sd:.3f}" for m, sd in s.values()) + " |")


if __name__ == "__main__":
    main()
