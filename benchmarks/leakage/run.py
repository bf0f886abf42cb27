"""Benchmark 5: how much the Kaggle split of multiregion-dev flatters a model.

Trains deepconvnet twice with the same settings: on Kaggle's ``train/`` (scored on its
``test/``, which is 98 % copies of training radiographs) and on a family split made by
``fracture-edge data split`` (scored on its test split). Reports accuracy, balanced accuracy,
F1 and AUC, each AUC with a 95 % bootstrap interval that resamples families (found by the
audit's own grouping). Writes ``results.json`` and ``results.md`` beside this file.

    nice -n 10 python benchmarks/leakage/run.py --work /tmp/leakbench

Run folders already in WORK are reused (delete them to retrain). DATA defaults to the archive
in ../shared/data/multiregion-dev, unpacked into WORK/data.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ARCHIVE = HERE.parents[2] / "shared" / "data" / "multiregion-dev" / "images.tar.xz"
TRAIN_ARGS = ["--arch", "deepconvnet", "--img-size", "96", "--width", "16", "--epochs", "8", "--seed", "0"]


def cli(*args: str) -> None:
    """Run the fracture-edge command (the same code a user runs)."""
    cmd = [sys.executable, "-c", "import sys; from fracture_edge.cli import main; main(sys.argv[1:])", *args]
    print("$ fracture-edge " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True)


def score(run: Path, manifest: Path, families: dict[str, str]) -> dict:
    """Metrics on the manifest's test split, with family-resampled bootstrap intervals."""
    from sklearn.metrics import roc_auc_score

    from fracture_edge.core.bootstrap import bootstrap_interval
    from fracture_edge.core.data.folders import load_dataset, load_images
    from fracture_edge.core.metrics import classification_metrics
    from fracture_edge.core.spec import PreprocessSpec
    from fracture_edge.training.keras_env import keras

    spec = PreprocessSpec.from_json((run / "spec.json").read_text())
    images = load_images(load_dataset(manifest).subset("test"), spec, desc="decode test")
    model = keras.models.load_model(run / "model.keras", compile=False)
    prob = model.predict(images.tensors(spec), verbose=0).reshape(-1)
    y = images.labels
    groups = np.array([families[str(s.path.resolve())] for s in images.samples])
    m = classification_metrics(y, prob, spec.threshold)
    m["auc_95"] = bootstrap_interval(y, prob, roc_auc_score, groups=groups, n=2000, seed=0)
    m["auc_95_per_image"] = bootstrap_interval(y, prob, roc_auc_score, n=2000, seed=0)
    m["test_families"] = int(len(set(groups)))
    manifest_json = json.loads((run / "manifest.json").read_text())
    m["train_seconds"] = manifest_json.get("train_seconds")
    m["best_epoch"] = manifest_json.get("best", {}).get("epoch")
    return m


def kaggle_manifest(data: Path, out: Path, families: dict[str, str]) -> Path:
    """Kaggle's own folders as a manifest (test/ only is scored), so both runs are scored alike."""
    from fracture_edge.core.data.folders import LABEL_NAMES, load_dataset
    from fracture_edge.core.data.split import write_manifest

    rows = [{"path": s.path, "label": LABEL_NAMES[s.label], "split": s.split,
             "family": families.get(str(s.path.resolve()), "")} for s in load_dataset(data).samples
            if str(s.path.resolve()) in families]
    return write_manifest(rows, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/leakbench"))
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    data = args.data or work / "data"
    if args.data is None and not (data / "train").exists():
        with tarfile.open(ARCHIVE) as tar:
            tar.extractall(data, filter="data")

    audit_json = work / "audit.json"
    cli("data", "audit", str(data), "--report", str(work / "audit"), "--json", str(audit_json))
    split_csv = work / "split.csv"
    cli("data", "split", str(data), "--by", "family", "--val", "0.15", "--test", "0.15", "--seed", "0",
        "--out", str(split_csv))
    import csv

    with open(work / "audit" / "families.csv", newline="") as fh:
        families = {str((data / r["path"]).resolve()): r["family"] for r in csv.DictReader(fh) if r["family"]}
    kaggle_csv = kaggle_manifest(data, work / "kaggle.csv", families)

    results = {}
    for name, train_on in (("kaggle", data), ("family", split_csv)):
        run = work / name
        if not (run / "model.keras").exists():
            cli("train", str(train_on), *TRAIN_ARGS, "--out", str(run), "--force")
        results[name] = score(run, kaggle_csv if name == "kaggle" else split_csv, families)
    audit = json.loads(audit_json.read_text())
    out = {
        "settings": {"train": TRAIN_ARGS, "split": "--by family --val 0.15 --test 0.15 --seed 0",
                     "bootstrap": "2000 draws, families resampled (audit grouping), percentile 95 %",
                     "machine": platform.processor() or platform.machine(), "date": time.strftime("%Y-%m-%d")},
        "test_leakage": audit["leakage"],
        "results": results,
    }
    from fracture_edge.core.files import write_json, write_text

    write_json(HERE / "results.json", out)
    rows = ["| trained and scored on | test files (families) | accuracy | balanced acc. | F1 | AUC [95 % CI, by family] |",
            "|---|---|---|---|---|---|"]
    for name, label in (("kaggle", "Kaggle train/ -> test/"), ("family", "family split train -> test")):
        m = results[name]
        lo, hi = m["auc_95"]
        rows.append(f"| {label} | {m['n']} ({m['test_families']}) | {m['accuracy']:.3f} | {m['balanced_accuracy']:.3f} "
                    f"| {m['f1']:.3f} | {m['auc']:.3f} [{lo:.3f}, {hi:.3f}] |")
    write_text(HERE / "results.md", "\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
