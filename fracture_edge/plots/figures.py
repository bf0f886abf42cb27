"""PNG plots where a picture beats a table: ROC curves, confusion matrices, reliability.

matplotlib is imported inside each function (Agg backend), so the core stays light.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import FractureEdgeError
from ..core.files import atomic_path

#: The install extra that brings matplotlib (pyproject.toml); ``[edge]`` has none.
PLOTS_EXTRA = "train"


def pyplot():
    """matplotlib's pyplot on the Agg backend. The ``[edge]`` install (predict, bench) has no
    matplotlib, and ``bench --report`` is the plotting path it offers: its absence is a
    one-line error naming the extra that brings it, not a traceback."""
    try:
        import matplotlib
    except ImportError:
        raise FractureEdgeError(f"plots need matplotlib, which is not installed: "
                                f"pip install 'fracture-edge[{PLOTS_EXTRA}]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | os.PathLike) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    pyplot().close(fig)
    return Path(path)


def roc_curves(curves: dict[str, tuple], path, title: str = "ROC") -> Path:
    """``curves``: name -> (y_true, prob). One line per model, AUC in the legend."""
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for name, (y, p) in curves.items():
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate (sensitivity)", title=title)
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def confusion_matrix(cm, labels, path, title: str = "Confusion matrix") -> Path:
    plt = pyplot()
    cm = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(4, 3.6))
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
    ax.set_xticks([0, 1], labels)
    ax.set_yticks([0, 1], labels)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return _save(fig, path)


def reliability_diagram(curves: dict[str, dict], path, title: str = "Reliability") -> Path:
    """``curves``: name -> :func:`..operating_point.reliability` output. Observed positive rate
    against mean predicted probability per bin; the diagonal is perfect calibration."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for name, rel in curves.items():
        bins = rel["bins"]
        ax.plot([b["mean_prob"] for b in bins], [b["positive_rate"] for b in bins], marker="o",
                label=f"{name} (ECE {rel['ece']:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.set(xlabel="mean predicted probability", ylabel="observed fracture rate", xlim=(0, 1), ylim=(0, 1),
           title=title)
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)
