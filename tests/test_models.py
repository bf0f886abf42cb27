import json

import numpy as np
import pytest

from fracture_edge.core.errors import InputError
from fracture_edge.training.models import registry

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("arch", sorted(registry.ARCHITECTURES))
@pytest.mark.parametrize("size", [64, 96])
def test_every_architecture_builds_for_any_size(arch, size):
    model = registry.build(arch, (size, size, 3), width=8)
    out = model(np.zeros((2, size, size, 3), np.float32))
    assert tuple(out.shape) == (2, 1)
    assert float(np.min(out)) >= 0 and float(np.max(out)) <= 1


def test_unknown_architecture_and_small_input():
    with pytest.raises(InputError, match="choose from deepconvnet, resnet50, efficientnet-lite0, "
                                         "efficientnet-lite1, efficientnet-lite2"):
        registry.get("vgg")
    with pytest.raises(InputError, match="at least 64"):
        registry.check_input_size(32)


def test_resnet50_imagenet_offline_points_at_none_or_path(monkeypatch):
    from tf_keras.src.applications import resnet

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3] "
                        "Temporary failure in name resolution")

    monkeypatch.setattr(resnet.data_utils, "get_file", offline)
    with pytest.raises(InputError, match="offline, --arch efficientnet-lite0 --weights imagenet reads"):
        registry.get("resnet50").build((64, 64, 3), weights="imagenet")


def test_resnet50_loads_local_weights_and_stages(tmp_path):
    mod = registry.get("resnet50")
    source = mod.build((64, 64, 3))
    path = tmp_path / "model.h5"
    source.save_weights(str(path))
    model = mod.build((64, 64, 3), weights=str(path))
    a = source.get_layer("conv1_conv").get_weights()[0]
    b = model.get_layer("conv1_conv").get_weights()[0]
    assert np.array_equal(a, b)
    mod.set_stage(model, "head")
    assert not model.get_layer("conv5_block3_3_conv").trainable and model.get_layer("fracture_prob").trainable
    mod.set_stage(model, "top")
    assert model.get_layer("conv5_block1_1_conv").trainable and not model.get_layer("conv4_block1_1_conv").trainable
    assert not model.get_layer("conv5_block1_1_bn").trainable
    with pytest.raises(InputError, match="weights file not found"):
        mod.build((64, 64, 3), weights=str(tmp_path / "missing.h5"))


@pytest.mark.slow
def test_resnet50_two_stage_fine_tune_from_a_local_weights_file(resnet_run):
    """Transfer learning as users run it offline: `train --arch resnet50 --weights PATH`.
    Stage one trains the head on the loaded, frozen backbone; stage two the conv5 blocks: so
    conv1 must ship exactly as loaded and conv5 must have moved."""
    from fracture_edge.training.keras_env import keras

    run, weights = resnet_run
    source = registry.get("resnet50").build((64, 64, 3))
    source.load_weights(str(weights))
    assert [row["stage"] for row in _history(run)] == ["head", "top"]
    assert json.loads((run / "manifest.json").read_text())["config"]["weights"] == str(weights)
    # The last epoch's weights (the shipped ones may come from the head stage's best epoch).
    model = keras.models.load_model(run / "checkpoints" / "last.keras", compile=False)
    for name, moved in (("conv1_conv", False), ("conv4_block6_3_conv", False), ("conv5_block3_3_conv", True)):
        same = np.array_equal(model.get_layer(name).get_weights()[0], source.get_layer(name).get_weights()[0])
        assert same != moved, name


def _history(run):
    import csv

    return list(csv.DictReader(open(run / "history.csv")))
