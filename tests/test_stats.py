"""The bench statistics against values worked out by hand or by an independent formula."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fracture_edge.core.bootstrap import resample_indices
from fracture_edge.core.metrics import auc_views, bootstrap_auc_difference, format_auc_views, mcnemar


def bootstrap_auc(y, p, groups=None, n_boot=1000, seed=0):
    """The per-file AUC interval, as every report computes it."""
    return tuple(auc_views(y, p, groups, n_boot, seed)["per_file"]["interval"])


def _table(b, c, both=20, neither=3):
    """Paired correctness with b images right for A only and c right for B only."""
    a = [True] * b + [False] * c + [True] * both + [False] * neither
    bb = [False] * b + [True] * c + [True] * both + [False] * neither
    return a, bb


def test_mcnemar_hand_computed_table():
    # b = 10, c = 2: p = 2 * (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 2 * 79 / 4096
    t = mcnemar(*_table(10, 2))
    assert (t["b"], t["c"]) == (10, 2)
    assert t["p_value"] == pytest.approx(158 / 4096, abs=1e-15)


@pytest.mark.parametrize("b, c, p", [(5, 0, 2 / 32), (0, 5, 2 / 32), (4, 4, 1.0), (0, 0, 1.0),
                                     (1, 0, 1.0), (12, 3, 2 * sum(math.comb(15, k) for k in range(4)) / 2 ** 15)])
def test_mcnemar_small_tables(b, c, p):
    assert mcnemar(*_table(b, c))["p_value"] == pytest.approx(p)


def _scores(n=400, seed=0, shift=1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, rng.normal(0, 1, n) + shift * y


def test_bootstrap_is_fixed_by_its_seed_and_brackets_the_auc():
    y, p = _scores()
    lo, hi = bootstrap_auc(y, p, n_boot=500, seed=7)
    assert (lo, hi) == bootstrap_auc(y, p, n_boot=500, seed=7)
    assert (lo, hi) != bootstrap_auc(y, p, n_boot=500, seed=8)
    assert lo < roc_auc_score(y, p) < hi
    # pinned on this seed (NumPy's PCG64 stream is stable across versions)
    assert (lo, hi) == pytest.approx((0.74930, 0.83243), abs=5e-5)


def test_bootstrap_width_matches_hanley_mcneil():
    """The percentile interval agrees with the analytic standard error of AUC (Hanley & McNeil 1982)."""
    y, p = _scores(n=600, seed=1)
    auc = roc_auc_score(y, p)
    n1, n0 = y.sum(), len(y) - y.sum()
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    se = math.sqrt((auc * (1 - auc) + (n1 - 1) * (q1 - auc ** 2) + (n0 - 1) * (q2 - auc ** 2)) / (n1 * n0))
    lo, hi = bootstrap_auc(y, p, n_boot=1000, seed=0)
    assert (hi - lo) == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_separable_scores_give_a_point_interval():
    y = np.array([0] * 20 + [1] * 20)
    assert bootstrap_auc(y, y + 0.1 * np.arange(40) / 40, n_boot=200) == pytest.approx((1.0, 1.0))


def test_families_are_resampled_whole():
    """Copying every image 5 times inside its family must not narrow the interval."""
    y, p = _scores(n=120, seed=2)
    fam = np.arange(120)
    y5, p5, fam5 = np.repeat(y, 5), np.repeat(p, 5), np.repeat(fam, 5)
    base = np.subtract(*bootstrap_auc(y, p, n_boot=800)[::-1])
    by_family = np.subtract(*bootstrap_auc(y5, p5, fam5, n_boot=800)[::-1])
    by_image = np.subtract(*bootstrap_auc(y5, p5, n_boot=800)[::-1])
    assert by_family == pytest.approx(base, rel=0.2)
    assert by_image < 0.6 * base


def test_three_aucs_by_hand():
    """Radiograph A (fractured) comes in three copies, one of them scored low; B, C, D once each.
    Per file the copies count three times; weighted, A's files share one weight; per radiograph
    A is its mean probability."""
    y = [1, 1, 1, 0, 1, 0]
    p = [0.9, 0.9, 0.1, 0.5, 0.4, 0.2]
    fam = ["A", "A", "A", "B", "C", "D"]
    v = auc_views(y, p, fam, n_boot=200)
    assert v["per_file"]["auc"] == pytest.approx(5 / 8)
    assert v["per_file_weighted"]["auc"] == pytest.approx(7 / 12)
    assert v["per_radiograph"]["auc"] == pytest.approx(3 / 4)
    for view in v.values():
        lo, hi = view["interval"]
        assert 0 <= lo <= hi <= 1
    assert "per radiograph (mean probability of its files) 0.750 [" in format_auc_views(v)
    # without families only the per-file AUC can be told, resampled file by file
    assert set(auc_views(y, p, None, n_boot=50)) == {"per_file"}


def test_three_aucs_share_their_draws():
    """Families of one file each: all three views are the same AUC with the same interval."""
    y, p = _scores(n=200, seed=3)
    v = auc_views(y, p, np.arange(200), n_boot=300)
    for view in ("per_file_weighted", "per_radiograph"):
        assert v[view]["auc"] == pytest.approx(v["per_file"]["auc"])
        assert v[view]["interval"] == pytest.approx(v["per_file"]["interval"])


def test_resample_indices_keeps_families_together():
    groups = ["a", "a", "b", "c", "c", "c"]
    for idx in resample_indices(6, groups, n_boot=50, seed=0):
        picked = [groups[i] for i in idx]
        for g, size in (("a", 2), ("b", 1), ("c", 3)):
            assert picked.count(g) % size == 0


def test_auc_difference_of_a_model_with_itself_is_zero():
    y, p = _scores()
    assert bootstrap_auc_difference(y, p, p, n_boot=100) == {"delta": 0.0, "lo": 0.0, "hi": 0.0}


def test_auc_difference_detects_a_worse_model():
    y, p = _scores(n=500, seed=3, shift=1.5)
    noisy = p + np.random.default_rng(4).normal(0, 2.0, len(p))
    d = bootstrap_auc_difference(y, noisy, p, n_boot=400)
    assert d["delta"] < 0 and d["hi"] < 0
    assert d["delta"] == pytest.approx(roc_auc_score(y, noisy) - roc_auc_score(y, p))


def test_auc_equals_scikit_learn_with_ties_and_weights():
    from fracture_edge.core.metrics import rank_auc

    y, p = _scores(n=300, seed=5)
    p = np.round(p, 1)  # many ties
    assert rank_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    w = np.random.default_rng(6).uniform(0.1, 3.0, len(y))
    assert rank_auc(y, p, w) == pytest.approx(roc_auc_score(y, p, sample_weight=w), abs=1e-12)
    assert rank_auc(np.ones(5), np.arange(5)) is None
