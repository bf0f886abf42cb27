"""Classification metrics from scikit-learn, in one dict shape used by evaluate, export and bench."""

from __future__ import annotations

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
