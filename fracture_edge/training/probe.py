"""The linear probe: the head of a pretrained model fitted in closed form on frozen features.

Gradient descent on a frozen backbone recomputes the same features every epoch; here they are
computed once (one forward pass per image) and a weighted logistic regression is fitted on
them. Its L2 strength is chosen by cross-validation over whole families *inside the training
split* (see :func:`choose_c`): chosen by AUC on the validation split (a few dozen families),
family 5-fold CV on multiregion-dev lost 0.05 AUC against the best fixed strength. The result is written into
the model's sigmoid unit, so what ships is the same Keras graph as after any other stage (and
exports the same way). As a first stage it gives the fine-tuning stages that follow a head that
already fits, instead of a random one whose gradients would disturb the pretrained blocks
(linear probing, then fine-tuning: Kumar et al., ICLR 2022).

The probe sees the images as they are (no augmentation): a fixed feature per image is what
makes it cheap. Soft targets (label smoothing, distillation) are fitted exactly by giving each
image a positive row weighted by its target and a negative row weighted by the rest.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import InputError

#: the layer whose output the probe reads (global average pooling) and the unit it writes
FEATURES, OUTPUT = "gap", "fracture_prob"
#: inverse L2 strengths tried (on standardised features); on multiregion-dev's family folds
#: the AUC is flat from 1e-4 to 3e-3 and falls off on both sides
C_GRID = tuple(np.logspace(-5, 0, 11))
INNER_FOLDS = 5


def features(model, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """The frozen backbone's pooled features of model inputs ``x``."""
    from .keras_env import keras

    extractor = keras.Model(model.input, model.get_layer(FEATURES).output)
    return extractor.predict(x, batch_size=batch_size, verbose=0).astype(np.float64)


def weighted_auc(y: np.ndarray, prob: np.ndarray, w: np.ndarray) -> float:
    """Validation AUC as :func:`.train.fit` measures it for epochs (Keras's weighted AUC), so the
    probe and the epochs of later stages compete on one scale."""
    from .keras_env import keras

    m = keras.metrics.AUC()
    m.update_state(y, prob, sample_weight=w)
    return float(m.result().numpy())


def _regression(z: np.ndarray, targets: np.ndarray, weights: np.ndarray, c: float):
    """Weighted logistic regression on soft targets: a positive row of weight w*t and a negative
    row of weight w*(1-t) per image."""
    from sklearn.linear_model import LogisticRegression

    rows_y = np.r_[np.ones(len(targets)), np.zeros(len(targets))]
    rows_w = np.r_[weights * targets, weights * (1 - targets)]
    keep = rows_w > 0
    return LogisticRegression(C=c, max_iter=2000).fit(np.r_[z, z][keep], rows_y[keep], sample_weight=rows_w[keep])


def choose_c(z: np.ndarray, labels: np.ndarray, targets: np.ndarray, weights: np.ndarray, groups) -> tuple[float, float]:
    """(C, its mean inner log-loss) over :data:`INNER_FOLDS` folds of whole families stratified
    by label. Scored by log-loss, each file weighted by its loss weight over its family's size
    (radiographs count equally), not by AUC: the AUC curve is flat and noisy near its top. On
    multiregion-dev's family folds the held-out AUC with radiographs weighted equally was
    0.875 picking by log-loss, 0.859 by the best mean AUC, 0.872 by the one-standard-error rule
    on AUC, 0.881 for the best fixed strength (3e-4, known only after the fact;
    benchmarks/recipe/probe_strength.py)."""
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedGroupKFold

    groups = np.asarray(groups, dtype=object).astype(str)
    per_class = min(len(set(groups[labels == c])) for c in (0, 1))
    if per_class < 2:
        raise InputError("the probe chooses its L2 strength by cross-validation over families of the training "
                         f"split: it needs at least 2 families of each class (found {per_class})")
    inverse = np.unique(groups, return_inverse=True)[1]
    score_w = weights / np.bincount(inverse)[inverse]
    folds = list(StratifiedGroupKFold(min(INNER_FOLDS, per_class), shuffle=True, random_state=0)
                 .split(z, labels, groups))
    losses = [np.mean([log_loss(labels[test], _regression(z[fit], targets[fit], weights[fit], c)
                                .predict_proba(z[test])[:, 1], sample_weight=score_w[test], labels=[0, 1])
                       for fit, test in folds])
              for c in C_GRID]
    best = int(np.argmin(losses))
    return float(C_GRID[best]), float(losses[best])


def fit_probe(model, train_x: np.ndarray, labels: np.ndarray, targets: np.ndarray, weights: np.ndarray, groups,
              val_x: np.ndarray, val_y: np.ndarray, val_w: np.ndarray) -> dict:
    """Fit the head of ``model`` on features of ``train_x`` (hard ``labels``, soft ``targets``
    in [0, 1], loss ``weights``, families ``groups``); sets the sigmoid unit's weights and
    returns ``{"val_auc", "C", "inner_log_loss"}``."""
    f_train, f_val = features(model, train_x), features(model, val_x)
    mean, sd = f_train.mean(axis=0), f_train.std(axis=0) + 1e-6
    z_train = (f_train - mean) / sd
    t = np.asarray(targets, np.float64)
    c, inner = choose_c(z_train, np.asarray(labels), t, weights, groups)
    lr = _regression(z_train, t, weights, c)
    kernel = (lr.coef_[0] / sd).reshape(-1, 1)
    bias = lr.intercept_ - (lr.coef_[0] * mean / sd).sum()
    model.get_layer(OUTPUT).set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    val_auc = weighted_auc(val_y, lr.predict_proba((f_val - mean) / sd)[:, 1], val_w)
    return {"val_auc": round(val_auc, 4), "C": c, "inner_log_loss": round(inner, 4)}
