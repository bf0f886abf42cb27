"""The linear probe (a pretrained model's head fitted in closed form) and how training stages
are chosen: the probe's head computes what its logistic regression computed, soft targets are
fitted as targets, a probe counts as a settled window that fine-tuning must beat, and stage
names are checked before any data is read."""

from __future__ import annotations

import numpy as np
import pytest
from hostile import assert_one_line_error, run_cli


def _tiny_model(keras):
    """A backbone that keeps the mean brightness (the informative feature here), pooled by a
    layer named like the real heads' ``gap``, then dropout and the sigmoid unit."""
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(0.5, name="dropout")(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid", name="fracture_prob")(x))


def _images(n, seed):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(0, 1, (n, 8, 8, 1)) + 0.6 * y[:, None, None, None] + 5.0     # offset: needs standardising
    return x.astype(np.float32), y.astype(np.float32)


def test_the_fitted_head_computes_what_the_regression_chose():
    from fracture_edge.training.keras_env import keras
    from fracture_edge.training.probe import C_GRID, fit_probe, weighted_auc

    keras.utils.set_random_seed(0)
    model = _tiny_model(keras)
    x, y = _images(200, 0)
    vx, vy = _images(100, 1)
    w, vw = np.ones(len(y)), np.ones(len(vy))
    before = model.get_layer("conv").get_weights()
    row = fit_probe(model, x, y, y, w, np.arange(len(y)) // 2, vx, vy, vw)     # families of two copies
    assert row["val_auc"] > 0.85 and row["C"] in C_GRID
    # The folded standardisation: the model's own output ranks validation as the probe did.
    assert weighted_auc(vy, model.predict(vx, verbose=0).reshape(-1), vw) == pytest.approx(row["val_auc"], abs=1e-4)
    for a, b in zip(before, model.get_layer("conv").get_weights()):
        np.testing.assert_array_equal(a, b)        # the backbone is not touched


def test_soft_targets_are_fitted_as_probabilities():
    """Every image with target 0.8: nothing in the images explains anything, so the fit is
    the constant 0.8 (each image is a positive row of weight 0.8 and a negative one of 0.2)."""
    from fracture_edge.training.keras_env import keras
    from fracture_edge.training.probe import fit_probe

    model = _tiny_model(keras)
    x, y = _images(200, 2)
    vx, vy = _images(60, 3)
    fit_probe(model, x, y, np.full(len(y), 0.8), np.ones(len(y)), np.arange(len(y)), vx, vy, np.ones(len(vy)))
    np.testing.assert_allclose(model.predict(x, verbose=0).mean(), 0.8, atol=0.02)


def test_the_strength_is_chosen_across_families():
    """Log-loss over held-out families picks a strong penalty for noise features and a weak one
    when one feature separates the classes; one family per class cannot be split."""
    from fracture_edge.core.errors import InputError
    from fracture_edge.training.probe import C_GRID, choose_c

    rng = np.random.default_rng(0)
    y = np.arange(300) % 2
    noise = rng.normal(size=(300, 50))
    signal = np.c_[(2 * y - 1) * 3 + rng.normal(size=300), noise]
    ones, fams = np.ones(300), np.arange(300) // 3
    c_noise, loss_noise = choose_c(noise, y, y.astype(float), ones, fams)
    assert c_noise <= 1e-3 and loss_noise == pytest.approx(np.log(2), abs=0.01)    # next to a coin
    assert choose_c(signal, y, y.astype(float), ones, fams)[0] == C_GRID[-1]
    with pytest.raises(InputError, match="at least 2 families of each class"):
        choose_c(noise, y, y.astype(float), ones, y)


@pytest.mark.parametrize("aucs, replaced", [((0.79, 0.81, 0.82), True), ((0.75, 0.85, 0.77), False)])
def test_fine_tuning_replaces_a_probe_only_by_a_better_full_window(aucs, replaced):
    from fracture_edge.training.fit import window_keeper
    from fracture_edge.training.keras_env import keras

    model = _tiny_model(keras)
    keeper = window_keeper(keras, 3, 6, None)
    keeper.start_stage("probe", 1)
    keeper.offer(model, 0, 0.8)
    assert keeper.best["stage"] == "probe"
    keeper.start_stage("top", 6)
    for epoch, auc in enumerate(aucs, start=1):
        keeper.on_epoch_end(epoch, {"val_auc": auc})
        assert keeper.best["stage"] == "probe" or epoch == 3     # never a partial window
    assert (keeper.best["stage"] == "top") == replaced


@pytest.mark.parametrize("args, message", [
    (["--stages", "probe"], "unknown deepconvnet stage 'probe' (choose from all)"),
    (["--arch", "efficientnet-lite0", "--stages", "probe,bogus"], "unknown efficientnet-lite0 stage 'bogus'"),
    (["--arch", "efficientnet-lite0", "--stages", ","], "--stages names no stage"),
])
def test_unknown_stages_are_one_line_errors(tmp_path, args, message):
    assert_one_line_error(run_cli("train", tmp_path, "--out", tmp_path / "run", *args), message)
    assert not (tmp_path / "run").exists()


def test_an_architecture_brings_its_own_recipe():
    from fracture_edge.core.errors import InputError
    from fracture_edge.training.config import TrainConfig
    from fracture_edge.training.models.registry import LITE_RECIPE, LITE_STAGES

    lite = TrainConfig(arch="efficientnet-lite0")
    assert {k: getattr(lite, k) for k, _ in LITE_RECIPE} == dict(LITE_RECIPE) and lite.stages == LITE_STAGES
    assert (TrainConfig().img_size, TrainConfig().weights, TrainConfig().stages) == (96, "none", ("all",))
    mine = TrainConfig(arch="efficientnet-lite0", img_size=224, weights="none", stages=("head",))
    assert (mine.img_size, mine.weights, mine.stages, mine.epochs) == (224, "none", ("head",), 3)
    with pytest.raises(InputError, match="unknown architecture 'lite'"):
        TrainConfig(arch="lite")
