"""Self-supervised pretraining: the loss, the command, and the way its encoder reaches training."""

from __future__ import annotations

import csv
import json
import math

import h5py
import numpy as np
import pytest
from test_cli import run_cli

from fracture_edge.core.errors import InputError


def test_nt_xent_is_low_for_matching_pairs_and_chance_for_random_ones():
    from fracture_edge.training.pretrain import nt_xent

    rng = np.random.default_rng(0)
    n = 32
    z1 = rng.normal(size=(n, 16)).astype(np.float32)
    chance = math.log(2 * n - 1)
    matched = float(nt_xent(z1, z1 + 0.01 * rng.normal(size=z1.shape).astype(np.float32), 0.1))
    unrelated = float(nt_xent(z1, rng.normal(size=(n, 16)).astype(np.float32), 0.1))
    assert matched < 0.1 * chance
    assert unrelated > 0.9 * chance


@pytest.mark.slow
def test_pretraining_views_are_augmented_whatever_the_recipe(monkeypatch):
    """A recipe may train without augmentation; SimCLR's two views must still differ, so
    pretraining draws them from its own (data-matched) augmentation."""
    from fracture_edge.training import pretrain
    from fracture_edge.training.augment import Augment
    from fracture_edge.training.config import TrainConfig, default_spec

    recipe = TrainConfig(img_size=64, width=4, augment=None)
    seen = []
    real = pretrain.augmented_loader

    def loader(gray, spec, augment, seed):
        seen.append(augment)
        return real(gray, spec, augment, seed)

    monkeypatch.setattr(pretrain, "augmented_loader", loader)
    gray = np.random.default_rng(0).integers(0, 256, (16, 64, 64), dtype=np.uint8)
    pretrain.fit_encoder(gray, default_spec(recipe), recipe, pretrain.PretrainConfig(epochs=1, batch_size=8))
    assert seen == [Augment()]


@pytest.mark.slow
def test_pretrain_then_train_from_its_encoder(tmp_path, synth_dir):
    out = tmp_path / "pre"
    r = run_cli("pretrain", str(synth_dir), "--width", "4", "--epochs", "4", "--batch-size", "16", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((out / "manifest.json").read_text())
    assert m["data"]["files"] == 320 and len(list(csv.DictReader(open(out / "history.csv")))) == 4
    # 4 epochs on 320 synthetic images learn something: below NT-Xent's chance level
    assert m["loss"]["last"] < m["loss"]["chance"] - 0.2, m["loss"]

    from fracture_edge.training.models import registry

    mod = registry.get("deepconvnet")
    model = mod.build((64, 64, 1), width=4, weights=str(out / "encoder.h5"))
    with h5py.File(out / "encoder.h5") as f:
        kernel = np.array(f["s4b_conv"]["s4b_conv"]["kernel:0"])
    np.testing.assert_array_equal(model.get_layer("s4b_conv").get_weights()[0], kernel)
    with pytest.raises(InputError, match="same --arch, --width"):
        mod.build((64, 64, 1), width=8, weights=str(out / "encoder.h5"))

    run = tmp_path / "run"
    r = run_cli("train", str(synth_dir), "--width", "4", "--epochs", "1", "--weights", str(out / "encoder.h5"),
                "--out", str(run))
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((run / "manifest.json").read_text())["config"]["weights"] == str(out / "encoder.h5")


@pytest.mark.slow
def test_cv_pretrains_each_fold_on_its_training_images(tmp_path, synth_dir):
    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.crossval import cross_validate
    from fracture_edge.training.pretrain import PretrainConfig

    s = cross_validate(synth_dir, tmp_path / "cv", TrainConfig(img_size=64, width=4, epochs=1), folds=2,
                       pretrain=PretrainConfig(epochs=1, batch_size=16), n_boot=50)
    assert len(s["per_fold"]) == 2
    assert json.loads((tmp_path / "cv" / "manifest.json").read_text())["pretrain"]["epochs"] == 1
    assert not list((tmp_path / "cv").glob("*.h5"))            # fold encoders are scratch


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--temperature", "0"], "--temperature must be positive"),
    (["--batch-size", "200"], "pretraining needs at least 400 images"),
])
def test_pretrain_bad_options_are_one_line_errors(tmp_path, synth_dir, args, message):
    r = run_cli("pretrain", str(synth_dir), "--width", "4", "--out", str(tmp_path / "pre"), *args)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if not ln.startswith("LOADED=")]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert not (tmp_path / "pre").exists()


def test_deepconvnet_has_no_imagenet_weights(tmp_path, synth_dir):
    r = run_cli("train", str(synth_dir), "--weights", "imagenet", "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and "deepconvnet has no ImageNet weights" in r.stderr
    assert not (tmp_path / "run").exists()
