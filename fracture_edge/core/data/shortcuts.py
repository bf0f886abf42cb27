"""Shortcut hints: can the label be told from file properties alone, without looking at bones?

If image size, aspect ratio, file format or file size predict the label, a network can learn
that instead of fractures (e.g. when the two classes came from different sources). Each is
scored by cross-validated ROC AUC of a small decision tree, with folds grouped by family so
copies of one radiograph do not inflate it. 0.5 means no hint; near 1.0 means a shortcut.
"""

from __future__ import annotations

import numpy as np

from .scan import FileRecord

FOLDS = 5


def _features(records: list[FileRecord]) -> dict[str, np.ndarray]:
    w = np.array([r.width for r in records], np.float64)
    h = np.array([r.height for r in records], np.float64)
    formats = sorted({r.format for r in records})
    fmt = np.array([[r.format == f for f in formats] for r in records], np.float64)
    size = np.array([r.size_bytes for r in records], np.float64)
    feats = {"image size": np.stack([w, h], 1), "aspect ratio": (w / h)[:, None],
             "file format": fmt, "file size": size[:, None]}
    feats["all of these"] = np.concatenate(list(feats.values()), axis=1)
    return feats


def shortcut_hints(records: list[FileRecord], seed: int = 0) -> dict[str, float | None]:
    """Cross-validated AUC per property over decodable files (None when it cannot be measured)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier

    y = np.array([r.sample.label for r in records])
    groups = np.array([r.family for r in records])
    if len(np.unique(y)) < 2 or min(np.bincount(y)) < FOLDS or len(np.unique(groups)) < FOLDS:
        return {name: None for name in _features(records)} if records else {}
    cv = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=seed)
    out = {}
    for name, x in _features(records).items():
        tree = DecisionTreeClassifier(max_depth=4, min_samples_leaf=20, random_state=seed)
        prob = cross_val_predict(tree, x, y, groups=groups, cv=cv, method="predict_proba")[:, 1]
        out[name] = float(roc_auc_score(y, prob))
    return out
