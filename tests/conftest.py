"""Session-scoped fixtures: synthetic data, one tiny trained run and its exports, real images.

Everything expensive (training, conversion, unpacking the real archive) happens once per
session; tests then read the artefacts.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

os.environ.setdefault("FRACTURE_EDGE_PROGRESS", "off")

REPO = Path(__file__).resolve().parents[1]
REAL_ARCHIVE = REPO.parent / "shared" / "data" / "multiregion-dev" / "images.tar.xz"


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    from fracture_edge.data.synth import synthesize

    out = tmp_path_factory.mktemp("synth") / "data"
    synthesize(out, 320, seed=3, size=64)
    return out


@pytest.fixture(scope="session")
def tiny_run(synth_dir, tmp_path_factory) -> Path:
    """A deepconvnet trained for 10 epochs on 64-px synthetic images (about 30 s), with the
    Canny edge channel so the fused and edge paths are exercised. Trained well enough that
    its decisions are not coin flips: the variant tests compare decisions with it."""
    from fracture_edge.train import TrainConfig, train

    out = tmp_path_factory.mktemp("run") / "run"
    train(synth_dir, out, TrainConfig(img_size=64, epochs=10, width=8, batch_size=16, patience=10,
                                            fusion=("gray", "edges", "gray")))
    return out


@pytest.fixture(scope="session")
def resnet_run(synth_dir, tmp_path_factory) -> tuple[Path, Path]:
    """(run folder, weights file): ResNet50 fine-tuned in two stages from a local weights file, as
    users run it offline (the weights come from a model built here: ImageNet's cannot be
    downloaded on these machines), on 24 images per split and class (ResNet50 is slow on CPU).
    Shared by the fine-tune test and the ResNet50 export tests."""
    import shutil

    from fracture_edge.models import registry
    from fracture_edge.train import TrainConfig, train

    root = tmp_path_factory.mktemp("resnet")
    weights = root / "pretrained.h5"
    registry.get("resnet50").build((64, 64, 3)).save_weights(str(weights))
    small = root / "data"
    for folder in sorted(synth_dir.glob("*/*")):
        (small / folder.relative_to(synth_dir)).mkdir(parents=True)
        for f in sorted(folder.glob("*.png"))[:24]:
            shutil.copy(f, small / folder.relative_to(synth_dir) / f.name)
    train(small, root / "run", TrainConfig(arch="resnet50", img_size=64, epochs=2, batch_size=16,
                                           weights=str(weights), window=1))
    return root / "run", weights


@pytest.fixture(scope="session")
def tiny_exports(tiny_run, tmp_path_factory) -> Path:
    from fracture_edge.export import export_run
    from fracture_edge.export.variants import get_variant

    out = tmp_path_factory.mktemp("export") / "export"
    export_run(tiny_run, [get_variant("float32"), get_variant("int8")], out, calibration_size=64,
               min_agreement=0.0)
    return out


@pytest.fixture(scope="session")
def real_dir(tmp_path_factory) -> Path:
    """The multiregion-dev radiographs, unpacked once per session (skipped where absent)."""
    if not REAL_ARCHIVE.exists():
        pytest.skip(f"real data archive not found at {REAL_ARCHIVE}")
    out = tmp_path_factory.mktemp("multiregion")
    with tarfile.open(REAL_ARCHIVE) as tar:
        tar.extractall(out, filter="data")
    return out
