"""Is a variant worse than float? Bootstrap intervals for AUC and McNemar's test on decisions.

Both compare models on the *same* images, so the tests are paired. When the data carries
families (copies and rotations of one source radiograph), the bootstrap resamples whole families:
resampling images would treat near-copies as independent evidence and give intervals that are
too narrow.
"""

from __future__ import annotations

import math

import numpy as np

from ..metrics import percentile_interval, rank_auc, resample_indices

N_BOOT = 1000
ALPHA = 0.05


def bootstrap_auc_difference(y, prob_a, prob_b, groups=None, n_boot: int = N_BOOT, seed: int = 0,
                             alpha: float = ALPHA) -> dict:
    """AUC(a) - AUC(b) on the same images, with a paired percentile interval."""
    y = np.asarray(y).astype(int)
    a, b = np.asarray(prob_a, np.float64), np.asarray(prob_b, np.float64)
    if not 0 < y.sum() < len(y):
        return {"delta": None, "lo": None, "hi": None}
    deltas = [rank_auc(y[i], a[i]) - rank_auc(y[i], b[i])
              for i in resample_indices(len(y), groups, n_boot, seed) if 0 < y[i].sum() < len(i)]
    lo, hi = percentile_interval(deltas, alpha)
    return {"delta": float(rank_auc(y, a) - rank_auc(y, b)), "lo": lo, "hi": hi}


def mcnemar(correct_a, correct_b) -> dict:
    """Exact (binomial) two-sided McNemar test on paired correct/incorrect decisions.

    ``b``: images ``a`` gets right and ``b`` wrong; ``c``: the reverse. Under the null hypothesis
    of equal error rates the discordant pairs split 50/50, so p = 2 P(X <= min(b, c)),
    X ~ Binomial(b + c, 1/2), capped at 1. The exact form stays valid for the few discordant
    images a good quantisation leaves, where the chi-square approximation does not.
    """
    a, b_ = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    b = int(np.sum(a & ~b_))
    c = int(np.sum(~a & b_))
    n = b + c
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2 ** n if n else 1.0
    return {"b": b, "c": c, "p_value": min(1.0, 2 * tail)}
