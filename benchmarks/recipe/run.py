"""Ablation of the default training recipe by family 5-fold cross-validation.

Regenerate (each row is one `fracture-edge cv` run; rows that exist are kept, so an
interrupted run resumes):

    .venv/bin/python benchmarks/recipe/run.py --out /tmp/recipe            # every row
    .venv/bin/python benchmarks/recipe/run.py --out /tmp/recipe --rows base,rot15
    .venv/bin/python benchmarks/recipe/run.py --out /tmp/recipe --table    # rewrite table.md only
    .venv/bin/python benchmarks/recipe/run.py --out /tmp/recipe --compare 96px-zoom-class,96px

Data: ../shared/data/multiregion-dev, unpacked into OUT/images; families and folds are the
product's own (`fracture_edge.core.data.split.family_folds`, seed 0), the same for every row. The
base row is the first recipe (data-matched augmentation, family-balanced loss) at 64 px; the
rows above the line each change one thing in it, so a row's difference from the base is that
choice's effect. The rows named ``96px-zoom-class+...`` each change one thing in the default
recipe that those rows chose (96 px, random crops only, class-balanced loss); compare them with
``--compare ROW,96px-zoom-class``. Every row spells out its full recipe, so changing
TrainConfig's defaults does not change what a row measures.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import statistics
import tarfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from fracture_edge.core.metrics import auc_views, family_weighted_auc, format_auc
from fracture_edge.training.augment import ZOOM_ONLY, Augment
from fracture_edge.training.config import TrainConfig
from fracture_edge.training.crossval import cross_validate
from fracture_edge.training.pretrain import PretrainConfig

REPO = Path(__file__).resolve().parents[1].parent
DATA = REPO.parent / "shared" / "data" / "multiregion-dev"
HERE = Path(__file__).resolve().parent

#: the base row: the first recipe, at 64 px (every row then costs about 19 minutes here)
BASE = replace(TrainConfig(), img_size=64, augment=Augment(), balance="family")
#: the recipe the rows below chose, as overrides of BASE: the default until 2026-11-28, when
#: its variant without crops and with label smoothing (row 96px-zoom-class+noaug+smooth0.1,
#: today's TrainConfig) replaced it
DEFAULT = {"img_size": 96, "augment": ZOOM_ONLY, "balance": "class"}
#: mirroring as well as the default's crops: the copies in this data are mirrored as often as rotated
FLIPS = replace(ZOOM_ONLY, flip_h=True, flip_v=True)
#: the transfer rows' recipe: EfficientNet-Lite0's ImageNet weights at 160 px (the images'
#: own largest size), one gray channel, no augmentation, class-balanced, smoothed labels, its
#: own dropout; 3 fine-tuning epochs, averaged (fine-tuning overfit within 1-3 epochs on a
#: family-held-out split when first tried)
LITE0 = {"arch": "efficientnet-lite0", "weights": "imagenet", "img_size": 160, "augment": None, "balance": "class",
         "label_smoothing": 0.1, "dropout": 0.2, "stages": ("probe",), "epochs": 3, "patience": 3}
#: row -> (what changes, TrainConfig overrides, cross_validate options). Rows once recorded as
#: "no augmentation" ran with random crops (a zeroed Augment kept its zoom): they are named
#: ``zoom`` for what they measured, and ``96px-zoom-class+noaug`` is the recipe without any.
ROWS: dict[str, tuple] = {
    "base": ("base: the first recipe (data-matched augmentation, family-balanced loss) at 64 px, width 16, 15 epochs", {}, {"variants": ("int8",)}),
    "rot15": ("rotation ±15° instead of any angle", {"augment": replace(Augment(), max_rotation=15.0)}),
    "no-zoom": ("no random crop", {"augment": replace(Augment(), zoom=0.0)}),
    "zoom-only": ("random crops as the only augmentation (recorded as no-augment before the fix)",
                  {"augment": ZOOM_ONLY}),
    "class-balance": ("loss weights per file (class-balanced) instead of per family", {"balance": "class"}),
    "constant-lr": ("constant learning rate instead of cosine decay", {"schedule": "constant"}),
    "bn0.9": ("BatchNorm momentum 0.9 instead of 0.99", {"bn_momentum": 0.9}),
    "window1": ("best single epoch instead of averaging the best 3-epoch window", {"window": 1}),
    "96px": ("input 96 px instead of 64", {"img_size": 96}, {"save_models": True}),
    "width32": ("width 32 instead of 16", {"width": 32}, {"save_models": True}),
    "smooth0.1": ("label smoothing 0.1", {"label_smoothing": 0.1}),
    "no-reg": ("no dropout and no L2 weight decay (instead of 0.3 and 1e-4)", {"dropout": 0.0, "l2": 0.0}),
    "no-dedup": ("train on every byte copy instead of one copy each", {"dedup": False}),
    "30epochs": ("30 epochs instead of 15", {"epochs": 30, "patience": 10}),
    "pretrain": ("encoder pretrained self-supervised (SimCLR, 5 epochs) on the fold's training images",
                 {}, {"pretrain": PretrainConfig(epochs=5)}),
    "96px-class": ("96 px and class-balanced loss",
                   {"img_size": 96, "balance": "class"}, {"variants": ("int8",)}),
    "96px-zoom": ("96 px with random crops as the only augmentation (recorded as 96px-noaug before the fix)",
                  {"img_size": 96, "augment": ZOOM_ONLY}, {"variants": ("int8",)}),
    "96px-zoom-class": ("96 px, random crops only, class-balanced loss: the default until 2026-11-28 "
                        "(recorded as 96px-noaug-class before the fix)", DEFAULT, {"variants": ("int8",)}),
    "96px-zoom-class+noaug": ("that without its random crops, no augmentation at all",
                              {**DEFAULT, "augment": None}, {"variants": ("int8",)}),
    "96px-zoom-class+noaug+smooth0.1": ("that with label smoothing 0.1 (outputs an int8 model can resolve at the "
                                        "operating point): the default since 2026-11-28",
                                        {**DEFAULT, "augment": None, "label_smoothing": 0.1}, {"variants": ("int8",)}),
    "96px-zoom-class+width32": ("the default with width 32 instead of 16", {**DEFAULT, "width": 32}),
    "96px-zoom-class+flips": ("the default with random mirroring (both axes) beside its crops",
                              {**DEFAULT, "augment": FLIPS}),
    "96px-zoom-class+30epochs": ("the default with 30 epochs instead of 15 (patience 10)",
                                 {**DEFAULT, "epochs": 30, "patience": 10}),
    "96px-zoom-class+no-reg": ("the default without dropout and L2 weight decay",
                               {**DEFAULT, "dropout": 0.0, "l2": 0.0}),
    "96px-zoom-class+constant-lr": ("the default with a constant learning rate instead of cosine decay",
                                    {**DEFAULT, "schedule": "constant"}),
    "distilled": ("base student distilled (soft-label weight 0.5) from the 96px fold models",
                  {"distill": 0.5}, {"variants": ("int8",), "teachers": ("96px",)}),
    # Transfer learning: EfficientNet-Lite0 with ImageNet weights (read offline), one gray channel.
    "lite0-160-probe": ("EfficientNet-Lite0, ImageNet weights, 160 px, one gray channel: linear probe (head fitted "
                        "on frozen features, L2 strength by family CV inside the training split), label smoothing 0.1",
                        LITE0, {"variants": ("int8",), "save_models": True}),
    "lite0-160-probe+top": ("that, then its top blocks (11-15) fine-tuned 3 epochs at 1e-4, BatchNorm frozen",
                            {**LITE0, "stages": ("probe", "top")}, {"variants": ("int8",)}),
    "lite0-160-probe+all": ("the probe, then every layer fine-tuned 3 epochs at 1e-5, BatchNorm frozen",
                            {**LITE0, "stages": ("probe", "all")}, {"variants": ("int8",)}),
    "lite0-224-probe": ("the probe at 224 px (the images are at most 160 px: upsampled)",
                        {**LITE0, "img_size": 224}, {"variants": ("int8",)}),
    "lite0-160-probe+top+zoom": ("probe, top blocks, with random crops while fine-tuning",
                                 {**LITE0, "stages": ("probe", "top"), "augment": ZOOM_ONLY}, {"variants": ("int8",)}),
    "lite0-160-probe+family": ("the probe with every radiograph (family) weighted equally in the loss",
                               {**LITE0, "balance": "family"}, {"variants": ("int8",)}),
    "96px-zoom-class+noaug+smooth0.1+lite0": ("the default DeepConvNet distilled (soft-label weight 0.5) from the "
                                              "lite0-160-probe fold models (fold i's teacher scores fold i's "
                                              "training files; distilled students train on every copy)",
                                              {**DEFAULT, "augment": None, "label_smoothing": 0.1, "distill": 0.5},
                                              {"variants": ("int8",), "teachers": ("lite0-160-probe",)}),
    # the distillation row's control: a distilled student trains on every byte copy (fit de-duplicates only
    # without soft labels), so this is the default with that alone changed
    "96px-zoom-class+noaug+smooth0.1+no-dedup": ("the default trained on every byte copy, as a distilled student is",
                                                 {**DEFAULT, "augment": None, "label_smoothing": 0.1, "dedup": False},
                                                 {"variants": ("int8",)}),
}


def _oof(out: Path, name: str) -> list[dict]:
    with open(out / name / "oof.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _views(oof: list[dict], column: str = "prob") -> dict:
    """The three AUCs of a row's out-of-fold predictions, each with its family-bootstrap interval."""
    return auc_views([r["label"] == "fractured" for r in oof], [float(r[column]) for r in oof],
                     [r["family"] for r in oof], n_boot=1000, seed=0)


def _weighted_by_fold(out: Path, name: str) -> list[float]:
    """A row's AUC per file with every radiograph (family) weighted equally, fold by fold."""
    oof = _oof(out, name)
    folds = sorted({r["fold"] for r in oof}, key=int)
    return [family_weighted_auc([r["label"] == "fractured" for r in rows], [float(r["prob"]) for r in rows],
                                [r["family"] for r in rows])
            for rows in ([r for r in oof if r["fold"] == f] for f in folds)]


def _paired(row: list[float], base: list[float]) -> str:
    d = [a - b for a, b in zip(row, base)]
    return f"{sum(d) / len(d):+.3f} ± {statistics.stdev(d):.3f} ({sum(x > 0 for x in d)}/{len(d)})"


def _fold_aucs(out: Path, name: str) -> list[float]:
    return [f["auc"] for f in json.loads((out / name / "summary.json").read_text())["per_fold"]]


def compare(out: Path, row: str, other: str) -> str:
    """ROW against OTHER fold by fold (the table pairs every row with its reference only)."""
    return (f"{row} vs {other}: per file {_paired(_fold_aucs(out, row), _fold_aucs(out, other))}, "
            f"radiographs weighted equally {_paired(_weighted_by_fold(out, row), _weighted_by_fold(out, other))}")


def reference(name: str) -> str:
    """The row a row is paired with in the table: the row its name extends (``A+b`` pairs with
    ``A``), the base for the others."""
    return name.rsplit("+", 1)[0] if "+" in name else "base"


def table(out: Path) -> str:
    """One line per finished row, then the family sizes behind the AUCs. The folds are the same
    in every row, so a row's effect is best read from its per-fold differences to its reference
    row (paired), not from the pooled intervals, which mostly reflect which families landed in
    which fold. The three AUCs: per file; per file with every radiograph (family) weighted
    equally; per radiograph (the mean probability of its files), each with a 95 % interval that
    resamples families."""
    lines = ["| row | change | AUC per file [95 % CI] | AUC per file, radiographs weighted equally [95 % CI] | "
             "AUC per radiograph [95 % CI] | fold AUC mean ± sd | Δ fold AUC vs reference, mean ± sd (folds better) | "
             "Δ weighted AUC vs reference, by fold | balanced acc. | F1 | int8: per file / weighted / per radiograph | "
             "min |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, (what, *_) in ROWS.items():
        f = out / name / "summary.json"
        if not f.exists():
            continue
        s = json.loads(f.read_text())
        oof = _oof(out, name)
        views = _views(oof)
        int8 = " / ".join(f"{v['auc']:.3f}" for v in _views(oof, "int8").values()) if "int8" in oof[0] else ""
        ref = reference(name)
        paired = name != ref and (out / ref / "summary.json").exists()
        delta = _paired([f["auc"] for f in s["per_fold"]], _fold_aucs(out, ref)) if paired else ""
        delta_weighted = _paired(_weighted_by_fold(out, name), _weighted_by_fold(out, ref)) if paired else ""
        p = s["pooled"]
        lines.append(f"| {name} | {what} | {' | '.join(format_auc(v) for v in views.values())} | "
                     f"{s['fold_auc_mean']:.3f} ± {s['fold_auc_sd']:.3f} | {delta} | {delta_weighted} | "
                     f"{p['balanced_accuracy']:.3f} | {p['f1']:.3f} | {int8} | {s['seconds'] / 60:.1f} |")
    finished = [n for n in ROWS if (out / n / "oof.csv").exists()]
    if finished:
        sizes = sorted(Counter(r["family"] for r in _oof(out, finished[0])).values(), reverse=True)
        lines += ["", f"Families: {len(sizes)}, median {statistics.median(sizes):g} files, largest {sizes[0]}; "
                      f"the 10 largest hold {sum(sizes[:10]) / sum(sizes):.0%} of the {sum(sizes)} files."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--table", action="store_true", help="only rewrite table.md from finished rows")
    ap.add_argument("--compare", metavar="ROW,OTHER", help="print ROW's per-fold differences to OTHER and exit")
    args = ap.parse_args()
    if args.compare:
        row, other = args.compare.split(",")
        print(compare(args.out, row, other))
        return
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
