"""Library versions for manifests: what produced a file matters when a number is questioned."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("fracture-edge", "numpy", "opencv-python-headless", "ai-edge-litert", "scikit-learn",
            "tensorflow", "tf-keras", "tensorflow-model-optimization")


def library_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
