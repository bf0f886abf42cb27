"""Classification metrics from scikit-learn, in one dict shape used by evaluate, export and bench."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn import metrics as skm


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
    inverse, _ = _groups(families)
    return rank_auc(y_true, np.asarray(prob, np.float64), 1.0 / np.bincount(inverse)[inverse])


#: The three AUCs every evaluation reports, and what each counts. On data where one radiograph
#: comes in many copies, ``per_file`` is dominated by the most-copied radiographs; the other two
#: predict a new radiograph's score: read them first.
AUC_VIEWS = {
    "per_file": "per file",
    "per_file_weighted": "per file, each radiograph weighted equally",
    "per_radiograph": "per radiograph (mean probability of its files)",
}


def _groups(groups) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each item's group number and each group's member indices."""
    _, inverse = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    return inverse, [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]


def resample_indices(n: int, groups=None, n_boot: int = 1000, seed: int = 0):
    """``n_boot`` index arrays drawn with replacement: whole groups when ``groups`` is given."""
    for picked, members in _draws(n, groups, n_boot, seed):
        yield picked if members is None else np.concatenate([members[g] for g in picked])


def _draws(n: int, groups, n_boot: int, seed: int):
    """(picked, members): item indices (no groups; members None) or group numbers drawn with
    replacement, the one source of bootstrap draws here."""
    rng = np.random.default_rng(seed)
    members = None if groups is None else _groups(groups)[1]
    size = n if members is None else len(members)
    for _ in range(n_boot):
        yield rng.integers(0, size, size), members


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
        values = [rank_auc(y[i], p[i]) for i, _ in _draws(len(y), None, n_boot, seed)]
        return {"per_file": {"auc": rank_auc(y, p), "interval": _interval(values, level)}}
    inverse, members = _groups(families)
    counts = np.bincount(inverse)
    fam_p = np.bincount(inverse, weights=p) / counts
    fam_y = (np.bincount(inverse, weights=y) / counts >= 0.5).astype(int)

    def three(picked) -> tuple:
        idx = np.concatenate([members[g] for g in picked])
        return (rank_auc(y[idx], p[idx]), rank_auc(y[idx], p[idx], 1.0 / counts[inverse[idx]]),
                rank_auc(fam_y[picked], fam_p[picked]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draws = [three(picked) for picked, _ in _draws(len(y), families, n_boot, seed)]
    point = three(np.arange(len(members)))
    return {view: {"auc": point[k], "interval": _interval([d[k] for d in draws], level)}
            for k, view in enumerate(AUC_VIEWS)}


def _interval(values, level: float) -> list:
    return list(percentile_interval([v for v in values if v is not None], 1 - level))


def format_auc(view: dict) -> str:
    """One view of :func:`auc_views` as ``0.797 [0.685, 0.893]``; "—" where it is undefined."""
    lo, hi = view["interval"]
    return "—" if view["auc"] is None else (f"{view['auc']:.3f}" + ("" if lo is None else f" [{lo:.3f}, {hi:.3f}]"))


def format_auc_views(views: dict) -> str:
    """One line: ``per file 0.797 [0.685, 0.893]; per file, each radiograph ...``."""
    return "; ".join(f"{AUC_VIEWS[k]} {format_auc(v)}" for k, v in views.items())


def percentile_interval(values: list[float], alpha: float) -> tuple[float, float] | tuple[None, None]:
    if not values:
        return None, None
    lo, hi = np.percentile(values, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(lo), float(hi)


def bootstrap_interval(y_true, prob, metric, groups=None, n: int = 2000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(y_true, prob)``.

    With ``groups`` (e.g. the family of each image), whole groups are resampled: copies of one
    radiograph are not independent evidence, and resampling them one by one gives intervals
    that are too narrow. Draws where the metric is undefined (one class only, for AUC: an error
    or nan) are dropped; a ValueError says so when none is left.
    """
    y_true, prob = np.asarray(y_true), np.asarray(prob)
    values = []
    with warnings.catch_warnings():       # scikit-learn warns (and returns nan) on one-class draws
        warnings.simplefilter("ignore")
        for idx in resample_indices(len(y_true), groups, n, seed):
            try:
                values.append(float(metric(y_true[idx], prob[idx])))
            except ValueError:
                continue
    values = [v for v in values if np.isfinite(v)]
    if not values:
        raise ValueError("the metric is undefined on every bootstrap draw")
    return percentile_interval(values, 1 - level)
