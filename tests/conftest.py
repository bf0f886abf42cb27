"""Session-scoped fixtures: synthetic data, one tiny trained run and its exports, real images.

Everything expensive (training, conversion, unpacking the real archive) happens once per
session; tests then read the artefacts.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest
from mobile_support import require

os.environ.setdefault("FRACTURE_EDGE_PROGRESS", "off")

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "multiregion-dev"
REAL_ARCHIVE = REAL_DATA / "images.tar.xz"


def require_real_data(path: Path) -> Path:
    """``path`` from the multiregion-dev data, which lives beside the checkout (../shared)."""
    require(path.exists(), f"real data {path}", hint="check out ../shared beside this repository",
            ci_hint="the real-data tests must run in CI")
    return path


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    from fracture_edge.core.data.synth import synthesize

    out = tmp_path_factory.mktemp("synth") / "data"
    synthesize(out, 320, seed=3, size=64)
    return out


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A deepconvnet (width 16) trained for 40 epochs on 960 64-px synthetic images of its own
    (seed 4, none of them in ``synth_dir``), with the Canny edge channel so the fused and edge
    paths are exercised; one to two minutes on two cores.

    Trained to real decisions (validation AUC about 0.996, 1 of 166 validation images wrong),
    because its exports are held to the real 95 % agreement gate, which a model deciding near
    0.5 fails by chance: the width-8 run trained 10 epochs on ``synth_dir``'s 224 training
    images reached validation AUC 0.59, and a QAT fine-tune flipped 8 % of its decisions; after
    30 epochs here, 10 of 166 were wrong and QAT flipped 4 %, at the gate's edge (0-1 % after 40).
    The bones lie at any angle, so the data-matched augmentation, not the default for
    radiographs (without augmentation the network memorised its images: validation AUC 0.66)."""
    from fracture_edge.core.data.synth import synthesize
    from fracture_edge.training.augment import Augment
    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.train import train

    root = tmp_path_factory.mktemp("run")
    synthesize(root / "data", 960, seed=4, size=64)
    train(root / "data", root / "run", TrainConfig(img_size=64, epochs=40, width=16, batch_size=16, patience=40,
                                                   fusion=("gray", "edges", "gray"), augment=Augment()))
    return root / "run"


@pytest.fixture(scope="session")
def resnet_run(synth_dir, tmp_path_factory) -> tuple[Path, Path]:
    """(run folder, weights file): ResNet50 fine-tuned in two stages from a local weights file, as
    users run it offline (the weights come from a model built here: ImageNet's cannot be
    downloaded on these machines), on 24 images per split and class (ResNet50 is slow on CPU).
    Shared by the fine-tune test and the ResNet50 export tests."""
    import shutil

    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.models import registry
    from fracture_edge.training.train import train

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
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.export.exporter import export_run

    out = tmp_path_factory.mktemp("export") / "export"
    export_run(tiny_run, [get_variant("float32"), get_variant("int8")], out, calibration_size=64)
    return out


@pytest.fixture(scope="session")
def lite_int8_export(synth_dir, tmp_path_factory) -> Path:
    """An int8 EfficientNet-Lite0 export (uint8 input, one gray channel, 64 px) for the Java and
    browser tests: the graph and spec the mobile apps must load and run, not a classifier
    (weights=none, two epochs on ``synth_dir``: it decides near chance, so no agreement gate)."""
    from fracture_edge.core.variants import get_variant
    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.export.exporter import export_run
    from fracture_edge.training.train import train

    root = tmp_path_factory.mktemp("lite")
    train(synth_dir, root / "run", TrainConfig(arch="efficientnet-lite0", img_size=64, epochs=2, batch_size=32,
                                               weights="none", window=1))
    export_run(root / "run", [get_variant("int8")], root / "export", calibration_size=32, min_agreement=0)
    return root / "export" / "int8"


@pytest.fixture(scope="session")
def real_dir(tmp_path_factory) -> Path:
    """The multiregion-dev radiographs, unpacked once per session (skipped where absent, a
    failure in CI)."""
    out = tmp_path_factory.mktemp("multiregion")
    with tarfile.open(require_real_data(REAL_ARCHIVE)) as tar:
        tar.extractall(out, filter="data")
    return out


@pytest.fixture(scope="session")
def real_families() -> Path:
    """The reference family of every multiregion-dev file (families.csv)."""
    return require_real_data(REAL_DATA / "families.csv")
