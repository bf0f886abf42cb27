"""Every export variant on a tiny synthetic model: size, sparsity, dtypes, closeness to float."""

import dataclasses
import json

import numpy as np
import pytest

from fracture_edge.core.errors import InputError
from fracture_edge.core.variants import VARIANTS, choose, get_variant, load_recipe
from fracture_edge.training.export.validate import DEFAULT_MIN_AGREEMENT

pytestmark = pytest.mark.slow

#: What each variant must show; a new recipe without a row here fails test_every_variant_is_tested.
EXPECT = {
    # name: (max size vs float32, input dtype, min sparsity)
    "float32": (1.0, "float32", 0.0),
    "float16": (0.55, "float32", 0.0),
    "dynamic": (0.35, "float32", 0.0),
    "int8": (0.35, "uint8", 0.0),
    "int8-io": (0.35, "int8", 0.0),
    "qat-int8": (0.35, "uint8", 0.0),
    "pruned": (1.0, "float32", 0.73),
    "pruned-int8": (0.35, "uint8", 0.73),
    "pruned-qat-int8": (0.35, "uint8", 0.73),
    "int16x8": (0.4, "float32", 0.0),
    "selective": (0.4, "float32", 0.0),
}


def test_every_variant_is_tested():
    assert set(EXPECT) == set(VARIANTS)


#: Pruning costs decisions beyond the gate even on a good tiny model, as on real data (where the
#: gate refuses pruned at 92 % agreement: benchmarks/export_variants). Pruned to 75 % with one
#: fine-tune epoch, the session's model (1 of 166 validation images wrong) kept 84-92 % of its
#: validation decisions over runs; a like model 92-94 % with the recipes' four epochs, 94-96 %
#: with ten. The pruning variants are therefore exported for their mechanics
#: (sparsity, size, dtypes) with a one-epoch fine-tune outside the gate; every other variant, QAT
#: with its recipe's fine-tune included, is held to the real gate.
PRUNING = [name for name, v in VARIANTS.items() if v.prune_sparsity]


@pytest.fixture(scope="module")
def all_exports(tiny_run, tmp_path_factory):
    from fracture_edge.training.export import finetune
    from fracture_edge.training.export.exporter import export_run

    out = tmp_path_factory.mktemp("variants")
    fits = []      # what each fine-tune fit was for, to check that pruning is shared
    fit = finetune._fit

    def counted_fit(model, data, variant, callbacks):
        fits.append("prune" if callbacks else "qat")      # pruning fits carry UpdatePruningStep
        fit(model, data, variant, callbacks)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(finetune, "_fit", counted_fit)
        export_run(tiny_run, [v for name, v in VARIANTS.items() if name not in PRUNING], out, calibration_size=64)
        export_run(tiny_run, [dataclasses.replace(VARIANTS[name], fine_tune_epochs=1) for name in PRUNING], out,
                   calibration_size=64, min_agreement=0.0)
    return out, fits


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_variant_exports_as_expected(name, all_exports):
    from ai_edge_litert.interpreter import Interpreter

    out, _ = all_exports
    max_ratio, io_dtype, min_sparsity = EXPECT[name]
    m = json.loads((out / name / "manifest.json").read_text())
    f32 = json.loads((out / "float32" / "manifest.json").read_text())
    assert m["size_bytes"] <= max_ratio * f32["size_bytes"] + 1
    assert m["input"]["dtype"] == io_dtype
    sparsity = m["weight_sparsity"]["sparsity"]
    if min_sparsity:
        assert abs(sparsity - 0.75) <= 0.02, sparsity          # target within 2 points
        assert m["gzip_bytes"] < 0.6 * f32["gzip_bytes"]       # zeros compress
    else:
        assert sparsity < 0.1
    if name.endswith("int8") or name == "int8-io":
        it = Interpreter(model_path=str(out / name / "model.tflite"))
        acts = {np.dtype(t["dtype"]).name for t in it.get_tensor_details() if len(t["shape"]) == 4}
        assert acts <= {"int8", "uint8"}, acts
    if name in ("int16x8", "selective"):
        it = Interpreter(model_path=str(out / name / "model.tflite"))
        ops = {}
        for o in it._get_ops_details():
            if o["op_name"] in ("CONV_2D", "FULLY_CONNECTED"):
                ops.setdefault(o["op_name"], set()).update(np.dtype(it.get_tensor_details()[t]["dtype"]).name
                                                           for t in o["outputs"])
        # 16x8: int16 activations throughout; selective: int8 convolutions beside the float layers
        assert ops == ({"CONV_2D": {"int16"}, "FULLY_CONNECTED": {"int16"}} if name == "int16x8"
                       else {"CONV_2D": {"int8", "float32"}, "FULLY_CONNECTED": {"float32"}}), ops


def test_qat_stays_close_to_float(all_exports):
    """QAT (the recipe's own fine-tune) passed the real gate and does not collapse onto one class."""
    out, _ = all_exports
    v = json.loads((out / "qat-int8" / "manifest.json").read_text())["validation"]
    assert v["min_agreement"] == DEFAULT_MIN_AGREEMENT <= v["agreement_with_keras"]
    predicted = np.sum(v["metrics"]["confusion"], axis=0)
    if (np.sum(v["keras_metrics"]["confusion"], axis=0) > 0).all():
        assert (predicted > 0).all(), f"qat-int8 predicts one class only: {v['metrics']['confusion']}"


def test_pruning_variants_share_one_pruned_model(all_exports):
    """One export of every variant prunes once (pruned, pruned-int8 and pruned-qat-int8 share
    it) and runs one QAT fine-tune per QAT variant."""
    _, fits = all_exports
    assert sorted(fits) == ["prune", "qat", "qat"]


def test_fine_tunes_train_as_the_run_was_trained(tiny_run, monkeypatch):
    """A run trained with augmentation and per-family loss weights (not the defaults) is
    fine-tuned the same way."""
    from fracture_edge.training import pipeline
    from fracture_edge.training.augment import Augment
    from fracture_edge.training.export.finetune import FineTunes
    from fracture_edge.training.export.run_folder import RunFolder

    seen = {}

    def dataset(images, spec, augment, batch, seed, balance):
        seen.update(augment=augment, balance=balance)

    monkeypatch.setattr(pipeline, "make_train_dataset", dataset)
    run = RunFolder(tiny_run)
    matched = Augment(max_rotation=15.0)
    run.manifest = {"config": {**run.manifest["config"], "augment": dataclasses.asdict(matched), "balance": "family"}}
    FineTunes(run)._data()
    assert seen == {"augment": matched, "balance": "family"}


def test_choose_maps_flags_to_the_table():
    assert [v.name for v in choose()] == ["float32"]
    assert [v.name for v in choose(int8=True, float16=True)] == ["float16", "int8"]
    pruned = choose(prune=0.5, int8=True)
    assert [(v.name, v.prune_sparsity) for v in pruned] == [("pruned-int8", 0.5)]
    assert [v.name for v in choose(prune=0.75, qat=True)] == ["pruned-qat-int8"]
    assert [v.name for v in choose(all_variants=True)] == list(VARIANTS)
    with pytest.raises(InputError, match="between 0 and 1"):
        choose(prune=1.5)
    with pytest.raises(InputError, match="choose from float32"):
        choose(names=["int4"])


@pytest.mark.parametrize("text, message", [
    ('name = "x"\ndescription = "y"\nio_dtype = "uint8"\n', "integer I/O needs"),
    ('name = "x"\ndescription = "y"\nprune_sparsity = 1.2\nfine_tune_epochs = 1\n', "prune_sparsity"),
    ('name = "x"\ndescription = "y"\nqat = true\n', "fine_tune_epochs >= 1"),
    ('name = "x"\ndescription = "y"\noptimisations = ["DEFAULT"]\n', "did you mean 'optimizations'"),
    ('name = "x"\n', "needs 'description'"),
    ('name = "x"\ndescription = "y"\nfloat_layers = ["a"]\n', "float_layers needs calibrate = true"),
    ('name = "x"\ndescription = "y"\ncalibrate = true\nfloat_layers = ["("]\n', "not a regular expression"),
    ('name = "x"\ndescription = "y"\nactivations = "int4"\n', "activations"),
    ('name = "x"\ndescription = "y"\nactivations = "int16"\ncalibrate = true\nint8_only = true\n',
     "activations needs calibrate = true, float32 I/O"),
])
def test_bad_recipes(tmp_path, text, message):
    f = tmp_path / "r.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        load_recipe(f)


def test_too_few_calibration_images(tiny_run, tmp_path):
    from fracture_edge.training.export.exporter import export_run

    with pytest.raises(InputError, match="too few calibration images"):
        export_run(tiny_run, [get_variant("int8")], tmp_path / "x", calibration_size=4)
    assert not (tmp_path / "x" / "int8").exists()


def test_unwritable_output(tiny_run, tmp_path):
    """An output folder that cannot be created (a file stands in its way; works as root too)."""
    from fracture_edge.training.export.exporter import export_run

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot create folder"):
        export_run(tiny_run, [get_variant("float32")], blocker / "out")


@pytest.fixture(scope="module")
def resnet_exports(resnet_run, tmp_path_factory) -> dict:
    """ResNet50 through the two tfmot paths whose graph handling differs from DeepConvNet's:
    QAT (``quantize_model`` needs a flat graph) and pruning, one fine-tune epoch each, both
    outside the agreement gate: two epochs on 48 images teach ResNet50 nothing, its outputs sit
    at the threshold (label smoothing keeps them off the ends), and any fine-tune flips its
    decisions wholesale (measured: 0 % agreement for QAT; with smoothing off it called every
    image fractured and "passed"). Training it to real decisions would take this CPU far longer
    than the suite; the gate itself is tested on the tiny model, and ResNet50's real-data rows
    are in benchmarks/export_variants, as is plain int8, the converter path the tiny model covers."""
    from fracture_edge.training.export.exporter import export_run

    out = tmp_path_factory.mktemp("resnet_exports")
    qat, pruned = (dataclasses.replace(get_variant(n), fine_tune_epochs=1) for n in ("qat-int8", "pruned-int8"))
    ms = export_run(resnet_run[0], [qat, pruned], out, calibration_size=32, min_agreement=0.0)
    return {m["variant"]: m for m in ms}


def test_resnet50_exports_qat_int8(resnet_exports):
    m = resnet_exports["qat-int8"]
    assert m["input"]["dtype"] == "uint8" and m["fine_tune"]["qat"]
    assert m["size_bytes"] < 30e6        # int8 weights: float32 ResNet50 is about 94 MB


def test_resnet50_exports_pruned_int8(resnet_exports):
    m = resnet_exports["pruned-int8"]
    assert m["input"]["dtype"] == "uint8"
    sparsity = m["weight_sparsity"]["sparsity"]
    assert abs(sparsity - get_variant("pruned-int8").prune_sparsity) <= 0.02, m["weight_sparsity"]
    assert m["gzip_bytes"] < 0.5 * m["size_bytes"]
