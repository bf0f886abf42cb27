"""Ablation of the default training recipe by family 5-fold cross-validation.

Regenerate (each row is one `fracture-edge cv` run; rows that exist are kept, so an
interrupted run resumes):

    .venv/bin/python benchmarks/recipe/run.py --out /tmp/recipe            # every row
    .venv/bin/python benchmarks/recipe/run.py --out /tmp/recipe --rows default,rot15
    .venv/bin/python benchmarks/recipe/run.py --out /tmp/recipe --table    # rewrite table.md only

Data: ../shared/data/multiregion-dev, unpacked into OUT/images; families and folds are the
product's own (`fracture_edge.data.split.family_folds`, seed 0), the same for every row. The
base row is the default recipe (TrainConfig) at the benchmark's size; every other row changes
one thing, so its difference from the base is that choice's effect.
"""

from __future__ import annotations

import argparse
import json
import logging
import tarfile
import time
from dataclasses import replace
from pathlib import Path

from fracture_edge.augment import NONE, Augment
from fracture_edge.cv import cross_validate
from fracture_edge.pretrain import PretrainConfig
from fracture_edge.train import TrainConfig

REPO = Path(__file__).resolve().parents[1].parent
DATA = REPO.parent / "shared" / "data" / "multiregion-dev"
HERE = Path(__file__).resolve().parent

#: the base row: the default recipe (64 px, width 16, 15 epochs)
BASE = TrainConfig()
#: row -> (what changes, TrainConfig overrides, cross_validate options)
ROWS: dict[str, tuple] = {
    "default": ("default recipe (64 px, width 16, 15 epochs)", {}, {"variants": ("int8",)}),
    "rot15": ("rotation ±15° instead of any angle", {"augment": replace(Augment(), max_rotation=15.0)}),
    "no-zoom": ("no random crop", {"augment": replace(Augment(), zoom=0.0)}),
    "no-augment": ("no augmentation at all", {"augment": NONE}),
    "class-balance": ("loss weights per file (class-balanced) instead of per family", {"balance": "class"}),
    "constant-lr": ("constant learning rate instead of cosine decay", {"schedule": "constant"}),
    "bn0.9": ("BatchNorm momentum 0.9 instead of 0.99", {"bn_momentum": 0.9}),
    "window1": ("best single epoch instead of averaging the best 3-epoch window", {"window": 1}),
    "96px": ("input 96 px instead of 64", {"img_size": 96}, {"save_models": True}),
    "width32": ("width 32 instead of 16", {"width": 32}, {"save_models": True}),
    "smooth0.1": ("label smoothing 0.1", {"label_smoothing": 0.1}),
    "30epochs": ("30 epochs instead of 15", {"epochs": 30, "patience": 10}),
    "pretrain": ("encoder pretrained self-supervised (SimCLR, 5 epochs) on the fold's training images",
                 {}, {"pretrain": PretrainConfig(epochs=5)}),
    "distilled": ("default student distilled (soft-label weight 0.5) from the 96px fold models",
                  {"distill": 0.5}, {"variants": ("int8",), "teachers": ("96px",)}),
}


def table(out: Path) -> str:
    lines = ["| row | change | pooled AUC [95 % family CI] | fold AUC mean ± sd | balanced acc. | F1 | "
             "int8 AUC | min |", "|---|---|---|---|---|---|---|---|"]
    for name, (what, *_) in ROWS.items():
        f = out / name / "summary.json"
        if not f.exists():
            continue
        s = json.loads(f.read_text())
        p = s["pooled"]
        int8 = s["variants"].get("int8", {}).get("auc")
        lines.append(f"| {name} | {what} | {p['auc']:.3f} [{p['auc_interval'][0]:.3f}, {p['auc_interval'][1]:.3f}] | "
                     f"{s['fold_auc_mean']:.3f} ± {s['fold_auc_sd']:.3f} | {p['balanced_accuracy']:.3f} | "
                     f"{p['f1']:.3f} | {'' if int8 is None else f'{int8:.3f}'} | {s['seconds'] / 60:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--table", action="store_true", help="only rewrite table.md from finished rows")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.table:
        images = args.out / "images"
        if not images.exists():
            with tarfile.open(DATA / "images.tar.xz") as tar:
                tar.extractall(images, filter="data")
        for name in args.rows.split(","):
            if (args.out / name / "summary.json").exists():
                continue
            t0 = time.time()
            _, overrides, *options = ROWS[name]
            options = dict(options[0]) if options else {}
            options["teachers"] = tuple(args.out / t for t in options.get("teachers", ()))
            s = cross_validate(images, args.out / name, replace(BASE, **overrides), folds=5, seed=0, **options)
            print(f"{name}: AUC {s['pooled']['auc']:.3f} in {(time.time() - t0) / 60:.1f} min", flush=True)
            (HERE / "table.md").write_text(table(args.out))
    (HERE / "table.md").write_text(table(args.out))


if __name__ == "__main__":
    main()
