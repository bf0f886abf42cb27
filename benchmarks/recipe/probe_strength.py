"""How the linear probe's L2 strength is chosen, measured on the recipe's family folds.

Regenerate (features are computed once and cached in OUT; about 5 minutes of features and
10 of fits on 2 cores):

    .venv/bin/python benchmarks/recipe/probe_strength.py --out /tmp/recipe

EfficientNet-Lite0's ImageNet features (160 px, one gray channel) of every file, the folds of
benchmarks/recipe/run.py (seed 0); each fold's training files, one copy of each byte-identical
image, class-balanced weights, label smoothing 0.1 (as the lite0 rows). No validation split is
held out here, so these figures sit a little above the rows', which train on 85 % of it. Rules:

- ``fixed C``: one strength for every fold (the best is known only after the fact);
- ``inner AUC``, ``inner one-SE``, ``inner log-loss``: chosen inside each training split by
  5-fold family CV, by the best mean AUC (radiographs weighted equally), by the strongest
  penalty within one standard error of it, or by the least log-loss (``probe.choose_c``).

It also quantises the pooled features alone (per tensor, 1/255 of their range) to show how
much of the int8 export's error the head's input accounts for.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from fracture_edge.core.data.folders import load_images
from fracture_edge.core.metrics import auc_views, family_weighted_auc, format_auc
from fracture_edge.training.config import TrainConfig, default_spec
from fracture_edge.training.crossval import fold_samples
from fracture_edge.training.models import registry
from fracture_edge.training.probe import C_GRID, INNER_FOLDS, _regression, choose_c, features


def _features(out: Path) -> dict:
    cache = out / "probe_features160.npz"
    if not cache.exists():
        cfg = TrainConfig(arch="efficientnet-lite0", img_size=160)
        spec = default_spec(cfg)
        images = load_images(fold_samples(out / "images", 5, 0, "family"), spec, desc="decode")
        model = registry.build("efficientnet-lite0", spec.input_shape, weights="imagenet")
        chunks = [features(model, images.take(list(range(i, min(i + 500, len(images.samples))))).tensors(spec))
                  for i in range(0, len(images.samples), 500)]
        np.savez(cache, F=np.concatenate(chunks), y=images.labels,
                 fam=np.array([s.family for s in images.samples]),
                 fold=np.array([int(s.split.removeprefix("fold")) for s in images.samples]),
                 copy=np.array([hashlib.sha1(g.tobytes()).hexdigest() for g in images.gray]))
    return dict(np.load(cache))


def _inner_auc_rule(z, y, t, w, groups, one_se: bool) -> float:
    """The strength by mean inner AUC (radiographs weighted equally), or the strongest within one
    standard error of the best."""
    folds = list(StratifiedGroupKFold(INNER_FOLDS, shuffle=True, random_state=0).split(z, y, groups))
    scores = np.array([[family_weighted_auc(y[b], _regression(z[a], t[a], w[a], c).predict_proba(z[b])[:, 1],
                                            groups[b]) for a, b in folds] for c in C_GRID])
    mean = scores.mean(axis=1)
    best = int(np.argmax(mean))
    if not one_se:
        return C_GRID[best]
    se = scores[best].std(ddof=1) / np.sqrt(len(folds))
    return C_GRID[next(i for i in range(len(C_GRID)) if mean[i] >= mean[best] - se)]


def _views(y, prob, fam) -> str:
    """The three AUCs, each with its 95 % family-bootstrap interval, as table cells."""
    return " | ".join(format_auc(v) for v in auc_views(y, prob, fam, n_boot=1000, seed=0).values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True, help="the recipe folder (images/ unpacked by run.py)")
    d = _features(ap.parse_args().out)
    F, y, fam, fold = d["F"], d["y"], d["fam"].astype(str), d["fold"]
    rules = {f"fixed C {c:.0e}": (lambda *a, c=c: c) for c in C_GRID[2:7]}
    rules |= {"inner AUC": lambda *a: _inner_auc_rule(*a, one_se=False),
              "inner one-SE": lambda *a: _inner_auc_rule(*a, one_se=True),
              "inner log-loss": lambda *a: choose_c(*a)[0]}
    oof = {name: np.zeros(len(y)) for name in rules}
    agreement = []
    for k in range(5):
        train = np.flatnonzero(fold != k)
        train = train[np.unique(d["copy"][train], return_index=True)[1]]
        mu, sd = F[train].mean(0), F[train].std(0) + 1e-6
        z, yy = (F[train] - mu) / sd, y[train]
        w = (len(yy) / (2 * np.bincount(yy)))[yy]
        t = yy * 0.9 + 0.05
        test = fold == k
        for name, rule in rules.items():
            c = rule(z, yy, t, w, fam[train])
            lr = _regression(z, t, w, c)
            oof[name][test] = lr.predict_proba((F[test] - mu) / sd)[:, 1]
            print(f"fold {k} {name}: C {c:.0e}", flush=True)
        step = F.max() / 255
        p = oof["inner log-loss"][test]
        q = lr.predict_proba((np.round(F[test] / step) * step - mu) / sd)[:, 1]
        agreement.append(np.mean((p > 0.5) == (q > 0.5)))
    print("\n| rule | AUC per file | radiographs weighted equally | per radiograph |\n|---|---|---|---|")
    for name in rules:
        print(f"| {name} | {_views(y, oof[name], fam)} |")
    print(f"\npooled features quantised per tensor (1/255 of their range): decisions kept "
          f"{np.mean(agreement):.1%} (inner log-loss rule, mean of folds)")


if __name__ == "__main__":
    main()
