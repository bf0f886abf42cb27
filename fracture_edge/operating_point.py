"""The decision threshold and probability calibration a model ships with.

Both are chosen on out-of-fold predictions (:mod:`.cv`): scores of images whose family the
scoring model never saw, which is the situation a deployed model is in. The threshold is set
for a target sensitivity, because in fracture triage a missed fracture costs more than a second
look; the temperature rescales the logit so that "0.8" means right about 80 % of the time.
Both travel in the spec (``threshold``, ``temperature``) and every runtime applies them.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InputError

_EPS = 1e-7


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def apply_temperature(p, temperature: float) -> np.ndarray:
    """``sigmoid(logit(p) / T)``: the one implementation of temperature scaling (predict,
    bench and export use it through :func:`.postprocess.calibrated`)."""
    return 1.0 / (1.0 + np.exp(-logit(p) / temperature))


def threshold_for_sensitivity(y_true, prob, target: float) -> float:
    """The highest threshold at which ``prob >= threshold`` flags at least ``target`` of the
    positives: the ceil(target * n_pos)-th highest positive score. Higher thresholds would miss
    more fractures; lower ones only add false alarms."""
    if not 0.0 < target <= 1.0:
        raise InputError(f"--target-sensitivity must lie in (0, 1] (got {target})")
    y_true, prob = np.asarray(y_true).astype(int), np.asarray(prob, np.float64)
    pos = np.sort(prob[y_true == 1])[::-1]
    if not len(pos):
        raise InputError("no positive images: cannot choose a threshold for a sensitivity")
    k = max(1, math.ceil(target * len(pos) - 1e-9))
    return float(pos[k - 1])


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


def operating_point(y_true, prob, target_sensitivity: float = 0.95) -> dict:
    """Temperature, threshold (on the calibrated probability) and what they give on these
    predictions: sensitivity, specificity and the ECE before and after calibration."""
    y = np.asarray(y_true).astype(int)
    t = fit_temperature(y, prob)
    cal = apply_temperature(prob, t)
    thr = threshold_for_sensitivity(y, cal, target_sensitivity)
    pred = cal >= thr
    return {
        "target_sensitivity": target_sensitivity,
        "threshold": round(thr, 6),
        "temperature": round(t, 6),
        "sensitivity": float(pred[y == 1].mean()),
        "specificity": float((~pred[y == 0]).mean()) if (y == 0).any() else None,
        "ece_raw": reliability(y, prob)["ece"],
        "ece_calibrated": reliability(y, cal)["ece"],
    }
