"""The decision threshold and probability calibration a model ships with.

Both are chosen on out-of-fold predictions (:mod:`.cv`): scores of images whose family the
scoring model never saw, which is the situation a deployed model is in. The threshold is set
for a target sensitivity, because in fracture triage a missed fracture costs more than a second
look; the temperature rescales the logit so that "0.8" means right about 80 % of the time.
Both travel in the spec (``threshold``, ``temperature``) and every runtime applies them.

A sensitivity measured on a few hundred radiographs is a noisy estimate: a threshold chosen so
that the *measured* sensitivity just reaches the target (:func:`threshold_for_sensitivity`, the
point rule) misses it on new radiographs about half the time. The threshold a model ships with
is therefore chosen by the lower-bound rule (:func:`threshold_for_lower_bound`): the target must
hold at a one-sided lower bound of sensitivity at a stated confidence. The bound is Korn and
Graubard's (1998) for a proportion from a clustered sample: Clopper-Pearson at the effective
sample size p(1 - p) / var, where var is the variance of the proportion over a bootstrap that
resamples whole families (copies of one radiograph are the evidence of one). In 12,000
simulated cross-validations with 150 positive radiographs (``tests/test_operating_point.py``)
its rule met the target in 0.83, 0.91 and 0.95 of them at confidence 0.8, 0.9 and 0.95; the
percentile bootstrap bound used before, optimistic about a count of a few missed radiographs,
in 0.74, 0.85 and 0.90. Sensitivity and specificity are reported with the interval between the
two one-sided bounds, whose lower end is the bound, and travel in the spec's ``operating_point``
record.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np

from .bootstrap import resample_indices
from .errors import InputError
from .spec import OperatingPoint

log = logging.getLogger("fracture_edge")

_EPS = 1e-7


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def apply_temperature(p, temperature: float) -> np.ndarray:
    """``sigmoid(logit(p) / T)``: the one implementation of temperature scaling (predict,
    bench and export use it through :func:`.postprocess.calibrated`)."""
    return 1.0 / (1.0 + np.exp(-logit(p) / temperature))


def threshold_for_sensitivity(y_true, prob, target: float) -> float:
    """The point rule: the highest threshold at which ``prob >= threshold`` flags at least
    ``target`` of these positives, the ceil(target * n_pos)-th highest positive score. It meets
    the target on these images only; kept to be compared with :func:`threshold_for_lower_bound`."""
    _check_target(target)
    pos = _positive_scores(y_true, prob)
    k = max(1, math.ceil(target * len(pos) - 1e-9))
    return float(pos[k - 1])


def _check_target(target: float) -> None:
    if not 0.0 < target <= 1.0:
        raise InputError(f"--target-sensitivity must lie in (0, 1] (got {target})")


def _positive_scores(y_true, prob) -> np.ndarray:
    """The positives' scores, highest first: only they are worth considering as thresholds
    (between two of them the flagged positives do not change)."""
    y, prob = np.asarray(y_true).astype(int), np.asarray(prob, np.float64)
    if not (y == 1).any():
        raise InputError("no positive images: cannot choose a threshold for a sensitivity")
    return np.sort(prob[y == 1])[::-1]


def fit_temperature(y_true, prob) -> float:
    """The temperature minimising the negative log-likelihood of the calibrated probabilities
    (Guo et al., 2017), searched on log T in [1/20, 20]."""
    from scipy.optimize import minimize_scalar

    y = np.asarray(y_true, np.float64)
    z = logit(prob)

    def nll(log_t):
        q = np.clip(1.0 / (1.0 + np.exp(-z / math.exp(log_t))), _EPS, 1 - _EPS)
        return -float(np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

    res = minimize_scalar(nll, bounds=(-math.log(20), math.log(20)), method="bounded")
    return float(math.exp(res.x))


def reliability(y_true, prob, bins: int = 10) -> dict:
    """Equal-width bins of predicted probability: mean prediction, observed positive rate and
    count per bin, and the expected calibration error (count-weighted mean |gap|)."""
    y, p = np.asarray(y_true, np.float64), np.asarray(prob, np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        m = which == b
        if m.any():
            rows.append({"bin": b, "mean_prob": float(p[m].mean()), "positive_rate": float(y[m].mean()),
                         "count": int(m.sum())})
    ece = sum(r["count"] * abs(r["mean_prob"] - r["positive_rate"]) for r in rows) / max(len(p), 1)
    return {"bins": rows, "ece": float(ece)}


def check_rule(target: float, confidence: float) -> None:
    """Refuse a target or confidence that cannot mean anything (before any training runs). A
    confidence of 0.5 or less would put the "lower bound" at or above the median."""
    _check_target(target)
    if not 0.5 < confidence < 1.0:
        raise InputError(f"--confidence must lie in (0.5, 1) (got {confidence})")


def _bootstrap_rates(y, prob, families, thresholds, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sensitivity and specificity (columns: one per threshold) in each family-bootstrap draw
    (rows; nan where a draw holds no image of the class). A draw is a number of copies of each
    image, and the images at or above a threshold are a prefix of the images sorted by score, so
    one cumulative sum per draw gives every threshold at once."""
    order = np.argsort(-prob, kind="stable")
    pos = y[order] == 1
    prefix = np.searchsorted(-prob[order], -np.asarray(thresholds, np.float64), side="right")
    flagged = np.zeros((2, len(y) + 1))       # copies at or above each prefix: positives, negatives
    shares = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for idx in resample_indices(len(y), families, n_boot, seed):
            copies = np.bincount(idx, minlength=len(y))[order]
            np.cumsum([np.where(pos, copies, 0), np.where(pos, 0, copies)], axis=1, out=flagged[:, 1:])
            shares.append(flagged[:, prefix] / flagged[:, -1:])
    shares = np.array(shares)
    return shares[:, 0], 1.0 - shares[:, 1]


def _bounds(point, draws: np.ndarray, files: int, families: int, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """One-sided lower and upper bounds at ``confidence`` (together a central 2 * confidence - 1
    interval) of proportions ``point`` measured on ``files`` files from ``families`` families,
    one per column of ``draws`` (their family-bootstrap values, nan where undefined).

    Korn and Graubard (1998), the Clopper-Pearson interval of a proportion p from a clustered
    sample, at the effective sample size n = p(1 - p) / var, where:

    - var is the variance of the proportion over the draws times F / (F - 1) for F families
      (the with-replacement design variance, which the bootstrap's falls short of by that factor);
    - n is at most ``files``, and scaled by (z / t(F - 1))^2, their correction for a variance
      estimated from F families (quantiles at ``confidence``; they write t(files - 1) for z,
      which would let copies of a radiograph narrow the interval a little);
    - where p is 0 or 1 or var is 0 (nothing was missed, so nothing measures the clustering),
      n is F: the interval of F families out of F, or none out of F.

    With x = n p, the lower bound is the (1 - confidence) quantile of Beta(x, n - x + 1), the
    upper the confidence quantile of Beta(x + 1, n - x): exact for a count of a few misses,
    where a percentile or normal bound is optimistic."""
    from scipy.stats import beta, norm, t

    p = np.asarray(point, np.float64)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)      # a column without two finite draws
        var = np.nanvar(draws, axis=0, ddof=1)
        n = p * (1 - p) / var
    if families > 1:
        df_correction = (norm.ppf(confidence) / t.ppf(confidence, families - 1)) ** 2
        n = np.minimum(n * (families - 1) / families, files) * df_correction
    n = np.clip(np.where((var > 0) & (p > 0) & (p < 1), n, families), 1.0, max(files, 1))
    x = n * p
    lo = np.where(x > 0, beta.ppf(1 - confidence, np.maximum(x, 1e-300), n - x + 1), 0.0)
    hi = np.where(x < n, beta.ppf(confidence, x + 1, np.maximum(n - x, 1e-300)), 1.0)
    return lo, hi


def _class_counts(y: np.ndarray, families, label: int) -> tuple[int, int]:
    """Files of class ``label`` and the families they come from."""
    of_class = y == label
    return int(of_class.sum()), len(np.unique(np.asarray(families)[of_class]))


def threshold_for_lower_bound(y_true, prob, families, target: float, confidence: float = 0.9,
                              n_boot: int = 2000, seed: int = 0) -> float:
    """The highest threshold at which the lower bound of sensitivity (one-sided, at
    ``confidence``; :func:`_bounds`) still reaches ``target``: the lower-bound rule.

    Candidates are the positives' scores, all bounded at once from one set of family-bootstrap
    draws. Where no candidate's bound reaches the target (too few positive radiographs to show
    it at this confidence: with every positive flagged the bound is (1 - confidence) ** (1 / F)
    for F positive families), the lowest candidate, which flags every positive, is returned and
    a warning says so.
    """
    check_rule(target, confidence)
    y, prob = np.asarray(y_true).astype(int), np.asarray(prob, np.float64)
    candidates = np.unique(_positive_scores(y, prob))[::-1]
    sens, _ = _bootstrap_rates(y, prob, families, candidates, n_boot, seed)
    files, fams = _class_counts(y, families, 1)
    pos = np.sort(prob[y == 1])
    point = (files - np.searchsorted(pos, candidates, side="left")) / files
    meets = _bounds(point, sens, files, fams, confidence)[0] >= target
    if not meets.any():
        log.warning("sensitivity %.2f cannot be shown at %s confidence with %d positive famil%s: the threshold "
                    "flags every positive and its lower bound falls short", target, _percent(confidence), fams,
                    "y" if fams == 1 else "ies")
        return float(candidates[-1])
    return float(candidates[np.argmax(meets)])


def _rate_intervals(y, prob, families, threshold: float, confidence: float, n_boot: int,
                    seed: int) -> tuple[list, list]:
    """Sensitivity and specificity intervals at ``threshold`` (:func:`_bounds`; [None, None]
    for a class without images)."""
    sens, spec = _bootstrap_rates(y, prob, families, [threshold], n_boot, seed)
    flagged = prob >= threshold
    out = []
    for label, draws, hit in ((1, sens, flagged), (0, spec, ~flagged)):
        files, fams = _class_counts(y, families, label)
        if not files:
            out.append([None, None])
            continue
        lo, hi = _bounds([hit[y == label].mean()], draws, files, fams, confidence)
        out.append([float(lo[0]), float(hi[0])])
    return out[0], out[1]


def operating_point(y_true, prob, families, target_sensitivity: float = 0.95, confidence: float = 0.9,
                    n_boot: int = 2000, seed: int = 0) -> dict:
    """Temperature, the lower-bound rule's threshold (on the calibrated probability) and what
    they give on these predictions: sensitivity and specificity with their intervals (each end a
    one-sided bound at ``confidence``, :func:`_bounds`), the ECE before and after calibration.
    ``target_met`` is False where too few positive radiographs let the bound reach the target.

    The temperature is rounded before it is applied, and the threshold is not rounded at all:
    a spec carrying both reproduces exactly the decisions measured here.
    """
    y = np.asarray(y_true).astype(int)
    t = round(fit_temperature(y, prob), 6)
    cal = apply_temperature(prob, t)
    thr = threshold_for_lower_bound(y, cal, families, target_sensitivity, confidence, n_boot, seed)
    sens_interval, spec_interval = _rate_intervals(y, cal, families, thr, confidence, n_boot, seed)
    pred = cal >= thr
    return {
        "target_sensitivity": target_sensitivity,
        "confidence": confidence,
        "rule": "lower bound",
        "threshold": thr,
        "target_met": bool(sens_interval[0] >= target_sensitivity),
        "temperature": t,
        "sensitivity": float(pred[y == 1].mean()),
        "sensitivity_interval": sens_interval,
        "specificity": float((~pred[y == 0]).mean()) if (y == 0).any() else None,
        "specificity_interval": spec_interval,
        "interval": {"kind": "family bootstrap", "n": n_boot, "method": "Korn-Graubard",
                     "one_sided": confidence, "central": round(2 * confidence - 1, 6)},
        "ece_raw": reliability(y, prob)["ece"],
        "ece_calibrated": reliability(y, cal)["ece"],
    }


def describe(op: dict) -> str:
    """One line for people: the threshold, what it promises and what cross-validation measured
    there, the interval named for what it is (its ends are one-sided bounds at the confidence,
    so together a 2c - 1 interval). ``op`` is cv's operating point or a spec's record plus its
    threshold; predict and cv print this line, and the Java and JavaScript demos word it alike."""
    c = op["confidence"]
    (s_lo, s_hi), (p_lo, p_hi) = op["sensitivity_interval"], op["specificity_interval"]
    return (f"threshold {op['threshold']:.3f} for sensitivity >= {op['target_sensitivity']:.2f} at {_percent(c)} "
            f"confidence (expected {op['sensitivity']:.2f}, {_percent(2 * c - 1)} interval {s_lo:.2f}-{s_hi:.2f}; "
            f"specificity {op['specificity']:.2f}, {p_lo:.2f}-{p_hi:.2f}; family bootstrap on cross-validation)")


def _percent(x: float) -> str:
    return f"{round(100 * x, 1):g} %"


def spec_record(op: dict) -> OperatingPoint | None:
    """What a spec carries of cv's ``operating_point.json``. None for a file written before the
    lower-bound rule: its threshold still applies, but it has no interval to promise."""
    if op.get("rule") != "lower bound":
        log.warning("operating point without a lower-bound rule (older cv): its sensitivity is a point "
                    "estimate, and the spec will carry no interval; rerun cv to get one")
        return None
    try:
        return OperatingPoint(**{name: op[name] for name in OperatingPoint.__dataclass_fields__})
    except KeyError as exc:
        raise InputError(f"operating point without {exc.args[0]!r}") from None
