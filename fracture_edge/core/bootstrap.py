"""The family bootstrap: whole families (copies and rotations of one radiograph) drawn with
replacement, and percentile intervals from the draws.

Resampling images one by one would treat near-copies as independent evidence and give
intervals that are too narrow. Every interval in the project (AUC views, metric intervals,
paired AUC differences between variants, operating points) draws from :func:`resample_indices`
or :func:`draws` here.
"""

from __future__ import annotations

import warnings

import numpy as np


def family_index(groups) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each item's group number and each group's member indices."""
    _, inverse = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    return inverse, [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]


def resample_indices(n: int, groups=None, n_boot: int = 1000, seed: int = 0):
    """``n_boot`` index arrays drawn with replacement: whole groups when ``groups`` is given."""
    for picked, members in draws(n, groups, n_boot, seed):
        yield picked if members is None else np.concatenate([members[g] for g in picked])


def draws(n: int, groups, n_boot: int, seed: int):
    """(picked, members): item indices (no groups; members None) or group numbers drawn with
    replacement, the one source of bootstrap draws."""
    rng = np.random.default_rng(seed)
    members = None if groups is None else family_index(groups)[1]
    size = n if members is None else len(members)
    for _ in range(n_boot):
        yield rng.integers(0, size, size), members


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


def interval(values, level: float) -> list:
    return list(percentile_interval([v for v in values if v is not None], 1 - level))
