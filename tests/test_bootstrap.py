"""bootstrap_interval: percentile intervals that resample whole groups when given them."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fracture_edge.core.bootstrap import bootstrap_interval


def _copies(n_sources=40, copies=10, seed=0):
    """Each source radiograph appears ``copies`` times with the same label and nearly the same score."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_sources)
    scores = 0.3 * labels + 0.7 * rng.random(n_sources)
    y, p = np.repeat(labels, copies), np.repeat(scores, copies) + rng.normal(0, 0.01, n_sources * copies)
    return y, p, np.repeat(np.arange(n_sources), copies)


def test_interval_contains_the_estimate_and_is_reproducible():
    y, p, _ = _copies()
    lo, hi = bootstrap_interval(y, p, roc_auc_score, n=100)
    assert lo < roc_auc_score(y, p) < hi
    assert (lo, hi) == bootstrap_interval(y, p, roc_auc_score, n=100)


def test_resampling_groups_widens_the_interval_for_copies():
    y, p, groups = _copies()
    lo_i, hi_i = bootstrap_interval(y, p, roc_auc_score, n=50)
    lo_g, hi_g = bootstrap_interval(y, p, roc_auc_score, groups=groups, n=50)
    assert hi_g - lo_g > 2 * (hi_i - lo_i)


def test_undefined_draws_are_dropped_and_all_undefined_is_an_error():
    y = np.array([0, 1])
    lo, hi = bootstrap_interval(y, np.array([0.2, 0.8]), roc_auc_score, n=50)
    assert lo == hi == 1.0                   # draws holding one class only are skipped
    with pytest.raises(ValueError, match="undefined on every"):
        bootstrap_interval(np.array([1, 1]), np.array([0.2, 0.8]), roc_auc_score, n=20)
