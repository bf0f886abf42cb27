"""Classification metrics from scikit-learn, in one dict shape used by evaluate, export and bench."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn import metrics as skm

from .bootstrap import draws, family_index, interval, percentile_interval, resample_indices


def classification_metrics(y_true, prob, threshold: float = 0.5) -> dict:
    """Accuracy, balanced accuracy, precision, recall, F1, ROC AUC and the confusion matrix.

    ``prob`` is the positive-class probability; AUC is None when only one class is present.
    """
    y_true = np.asarray(y_true).astype(int)
    prob = np.asarray(prob, dtype=np.float64)
    y_pred = (prob >= threshold).astype(int)
    both = len(np.unique(y_true)) == 2
    cm = skm.confusion_matrix(y_true, y_pred, labels=[0, 1])
    return {
        "n": int(len(y_true)),
        "threshold": float(threshold),
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)) if both else None,
        "precision": float(skm.precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(skm.recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(skm.f1_score(y_true, y_pred, zero_division=0)),
        "auc": float(skm.roc_auc_score(y_true, prob)) if both else None,
        "confusion": cm.tolist(),
    }


def agreement(prob_a, prob_b, threshold: float = 0.5) -> float:
    """Share of images on which two models make the same decision."""
    a = np.asarray(prob_a) >= threshold
    b = np.asarray(prob_b) >= threshold
    return float(np.mean(a == b))


def family_weighted_auc(y_true, prob, families) -> float | None:
    """ROC AUC per file in which every family (one source radiograph and its copies) weighs 1,
    split evenly among its files. Pooled over files, a radiograph copied forty times counts forty
    times. None when only one class is present."""
    inverse, _ = family_index(families)
    return rank_auc(y_true, np.asarray(prob, np.float64), 1.0 / np.bincount(inverse)[inverse])


#: The three AUCs every evaluation reports, and what each counts. On data where one radiograph
#: comes in many copies, ``per_file`` is dominated by the most-copied radiographs; the other two
#: predict a new radiograph's score: read them first.
AUC_VIEWS = {
    "per_file": "per file",
    "per_file_weighted": "per file, each radiograph weighted equally",
    "per_radiograph": "per radiograph (mean probability of its files)",
}


def rank_auc(y: np.ndarray, prob: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    """ROC AUC as the (weighted) Mann-Whitney statistic, ties counting half: equal to
    scikit-learn's ``roc_auc_score`` without its input validation, which dominates the cost of
    a bootstrap. None when only one class is present."""
    y = np.asarray(y).astype(bool)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    _, level = np.unique(prob, return_inverse=True)
    neg = np.bincount(level, weights=w * ~y)
    pos = np.bincount(level, weights=w * y)
    if not pos.sum() or not neg.sum():
        return None
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))


def auc_views(y_true, prob, families=None, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """The AUCs of :data:`AUC_VIEWS`, each ``{"auc", "interval"}`` with a percentile bootstrap
    interval that resamples whole families (one draw serves all three, so they are comparable).

    A family's label is its files' majority label (copies share one). Without ``families``
    every file is its own radiograph: only ``per_file`` is reported, resampled file by file.
    """
    y, p = np.asarray(y_true).astype(int), np.asarray(prob, np.float64)
    if families is None:
        values = [rank_auc(y[i], p[i]) for i, _ in draws(len(y), None, n_boot, seed)]
        return {"per_file": {"auc": rank_auc(y, p), "interval": interval(values, level)}}
    inverse, members = family_index(families)
    counts = np.bincount(inverse)
    fam_p = np.bincount(inverse, weights=p) / counts
    fam_y = (np.bincount(inverse, weights=y) / counts >= 0.5).astype(int)

    def three(picked) -> tuple:
        idx = np.concatenate([members[g] for g in picked])
        return (rank_auc(y[idx], p[idx]), rank_auc(y[idx], p[idx], 1.0 / counts[inverse[idx]]),
                rank_auc(fam_y[picked], fam_p[picked]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = [three(picked) for picked, _ in draws(len(y), families, n_boot, seed)]
    point = three(np.arange(len(members)))
    return {view: {"auc": point[k], "interval": interval([d[k] for d in values], level)}
            for k, view in enumerate(AUC_VIEWS)}


def format_auc(view: dict) -> str:
    """One view of :func:`auc_views` as ``0.797 [0.685, 0.893]``; "—" where it is undefined."""
    lo, hi = view["interval"]
    return "—" if view["auc"] is None else (f"{view['auc']:.3f}" + ("" if lo is None else f" [{lo:.3f}, {hi:.3f}]"))


def format_auc_views(views: dict) -> str:
    """One line: ``per file 0.797 [0.685, 0.893]; per file, each radiograph ...``."""
    return "; ".join(f"{AUC_VIEWS[k]} {format_auc(v)}" for k, v in views.items())


def mcnemar(correct_a, correct_b) -> dict:
    """Exact (binomial) two-sided McNemar test on paired correct/incorrect decisions.

    ``b``: images ``a`` gets right and ``b`` wrong; ``c``: the reverse. Under the null hypothesis
    of equal error rates the discordant pairs split 50/50: scipy's exact binomial test of ``b``
    in ``b + c`` at 1/2. The exact form stays valid for the few discordant images a good
    quantisation leaves, where the chi-square approximation does not.
    """
    from scipy.stats import binomtest

    a, b_ = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    b = int(np.sum(a & ~b_))
    c = int(np.sum(~a & b_))
    return {"b": b, "c": c, "p_value": binomtest(b, b + c, 0.5).pvalue if b + c else 1.0}


def bootstrap_auc_difference(y, prob_a, prob_b, groups=None, n_boot: int = 1000, seed: int = 0,
                             alpha: float = 0.05) -> dict:
    """AUC(a) - AUC(b) on the same images, with a paired percentile interval (both models on each draw)."""
    y = np.asarray(y).astype(int)
    a, b = np.asarray(prob_a, np.float64), np.asarray(prob_b, np.float64)
    if not 0 < y.sum() < len(y):
        return {"delta": None, "lo": None, "hi": None}
    deltas = [rank_auc(y[i], a[i]) - rank_auc(y[i], b[i])
              for i in resample_indices(len(y), groups, n_boot, seed) if 0 < y[i].sum() < len(i)]
    lo, hi = percentile_interval(deltas, alpha)
    return {"delta": float(rank_auc(y, a) - rank_auc(y, b)), "lo": lo, "hi": hi}
