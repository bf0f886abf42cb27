"""Load a local weights file into a model built here: one message for every way it can fail."""

from __future__ import annotations

from pathlib import Path

from ...core.errors import InputError


def load_weights_file(model, weights: str | Path) -> None:
    """``.h5`` files load by layer name, skipping layers whose shapes differ (a backbone's weights
    into a whole classifier); other formats must match the model exactly."""
    path = Path(weights)
    if not path.is_file():
        raise InputError(f"weights file not found: {path} (use --weights none|imagenet|PATH)")
    try:
        model.load_weights(str(path), by_name=path.suffix == ".h5", skip_mismatch=path.suffix == ".h5")
    except Exception as exc:   # Keras raises many types for a foreign or damaged file
        raise InputError(f"cannot load weights from {path}: {str(exc).splitlines()[0][:160]}") from None
