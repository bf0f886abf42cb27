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
    """ROC AUC in which every family (one source radiograph and its copies) weighs 1, split
    evenly among its files. Pooled over files, a radiograph copied forty times counts forty
    times; this is the AUC per radiograph. None when only one class is present."""
    y = np.asarray(y_true)
    if len(np.unique(y)) < 2:
        return None
    keys, inverse, counts = np.unique(np.asarray(families, dtype=str), return_inverse=True, return_counts=True)
    return float(skm.roc_auc_score(y, prob, sample_weight=1.0 / counts[inverse]))


def resample_indices(n: int, groups=None, n_boot: int = 1000, seed: int = 0):
    """``n_boot`` index arrays drawn with replacement: whole groups when ``groups`` is given."""
    rng = np.random.default_rng(seed)
    if groups is None:
        for _ in range(n_boot):
            yield rng.integers(0, n, n)
        return
    _, inverse = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]
    for _ in range(n_boot):
        picked = rng.integers(0, len(members), len(members))
        yield np.concatenate([members[g] for g in picked])


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
