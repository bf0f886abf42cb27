"""The linear probe: the head of a pretrained model fitted in closed form on frozen features.

Gradient descent on a frozen backbone recomputes the same features every epoch; here they are
computed once (one forward pass per image) and a weighted logistic regression is fitted on
them for each strength of its L2 penalty, the strength chosen by the validation AUC that
selects epochs in :func:`.train.fit`. The result is written into the model's sigmoid unit, so
what ships is the same Keras graph as after any other stage (and exports the same way). As a
first stage it also gives the fine-tuning stages that follow a head that already fits, instead
of a random one whose gradients would disturb the pretrained blocks (linear probing, then
fine-tuning: Kumar et al., ICLR 2022).

The probe sees the images as they are (no augmentation): a fixed feature per image is what
makes it cheap. Soft targets (label smoothing, distillation) are fitted exactly by giving each
image a positive row weighted by its target and a negative row weighted by the rest.
"""

from __future__ import annotations

import numpy as np

#: the layer whose output the probe reads (global average pooling) and the unit it writes
FEATURES, OUTPUT = "gap", "fracture_prob"
#: inverse L2 strengths tried (on standardised features); family CV on multiregion-dev chose
#: values from 3e-5 to 1 across folds, so the grid spans them and more
C_GRID = tuple(np.logspace(-5, 1, 13))


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


def fit_probe(model, train_x: np.ndarray, targets: np.ndarray, weights: np.ndarray, val_x: np.ndarray,
              val_y: np.ndarray, val_w: np.ndarray) -> dict:
    """Fit the head of ``model`` on features of ``train_x`` (soft ``targets`` in [0, 1], loss
    ``weights``), choosing the L2 strength by weighted validation AUC; sets the sigmoid unit's
    weights and returns ``{"val_auc", "C"}``."""
    from sklearn.linear_model import LogisticRegression

    f_train, f_val = features(model, train_x), features(model, val_x)
    mean, sd = f_train.mean(axis=0), f_train.std(axis=0) + 1e-6
    z_train, z_val = (f_train - mean) / sd, (f_val - mean) / sd
    t = np.asarray(targets, np.float64)
    rows_y = np.r_[np.ones(len(t)), np.zeros(len(t))]
    rows_w = np.r_[weights * t, weights * (1 - t)]
    keep = rows_w > 0
    z_rows, rows_y, rows_w = np.r_[z_train, z_train][keep], rows_y[keep], rows_w[keep]
    best = None
    for c in C_GRID:
        lr = LogisticRegression(C=c, max_iter=2000).fit(z_rows, rows_y, sample_weight=rows_w)
        auc = weighted_auc(val_y, lr.predict_proba(z_val)[:, 1], val_w)
        if best is None or auc > best[0]:
            best = (auc, c, lr)
    auc, c, lr = best
    kernel = (lr.coef_[0] / sd).reshape(-1, 1)
    bias = lr.intercept_ - (lr.coef_[0] * mean / sd).sum()
    model.get_layer(OUTPUT).set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    return {"val_auc": round(auc, 4), "C": float(c)}
