"""Family cross-validation and the operating point chosen on its out-of-fold predictions."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from leaky_data import make_leaky_folder
from test_cli import run_cli

from fracture_edge.core.data.split import assign_groups, family_folds
from fracture_edge.core.operating_point import (
    apply_temperature,
    fit_temperature,
    operating_point,
    reliability,
    threshold_for_sensitivity,
)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [2, 3, 5])
def test_fold_assignment_never_splits_a_group(seed, k):
    """Property over random group sizes (a few huge families, many singletons): every group
    lands in exactly one fold, every fold gets both labels, file counts stay balanced."""
    rng = np.random.default_rng(seed)
    sizes = np.concatenate([rng.integers(20, 80, 4), rng.integers(1, 6, 120)])
    groups = {f"g{i}": [int(i % 2)] * int(n) for i, n in enumerate(sizes)}
    labels = {g: v[0] for g, v in groups.items()}
    folds = assign_groups(groups, labels, {f"fold{i}": 1 / k for i in range(k)}, seed)
    assert set(folds) == set(groups)                       # a dict: one fold per group
    for label in (0, 1):
        per_fold = [sum(len(groups[g]) for g in groups if folds[g] == f and labels[g] == label) for f in set(folds.values())]
        assert len(per_fold) == k and min(per_fold) > 0
        assert max(per_fold) - min(per_fold) <= sizes.max()


def test_family_folds_keep_every_copy_together(tmp_path):
    families = make_leaky_folder(tmp_path / "data", sources=24, with_copies=12)
    rows = family_folds(tmp_path / "data", folds=4, seed=1)
    root = (tmp_path / "data").resolve()
    fold_of = {Path(r["path"]).resolve().relative_to(root).as_posix(): r["split"] for r in rows}
    assert {r["split"] for r in rows} == {f"fold{i}" for i in range(4)}
    for members in families.values():
        assert len({fold_of[m] for m in members}) == 1, members


def test_family_weighted_auc_counts_each_radiograph_once():
    from fracture_edge.core.metrics import family_weighted_auc

    # A positive radiograph copied 9 times ranks above the negative; another positive, once, below.
    y = [1] * 10 + [0]
    prob = [0.9] * 9 + [0.1, 0.5]
    families = ["p1"] * 9 + ["p2", "n1"]
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, prob) == pytest.approx(0.9)
    assert family_weighted_auc(y, prob, families) == pytest.approx(0.5)
    assert family_weighted_auc([1, 1], [0.2, 0.3], ["a", "b"]) is None


def test_threshold_hits_target_sensitivity():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    for target in (0.5, 0.8, 0.95, 1.0):
        t = threshold_for_sensitivity(y, p, target)
        assert (p[y == 1] >= t).mean() >= target
        above = np.unique(p[p > t])
        if len(above):          # the next higher score misses the target: t is the highest that works
            assert (p[y == 1] >= above[0]).mean() < target


def test_temperature_recovers_known_miscalibration():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, 20000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(int)
    overconfident = 1 / (1 + np.exp(-2.5 * z))             # logits scaled by 2.5
    t = fit_temperature(y, overconfident)
    assert t == pytest.approx(2.5, rel=0.08)
    before = reliability(y, overconfident)["ece"]
    after = reliability(y, apply_temperature(overconfident, t))["ece"]
    assert after < before / 3
    op = operating_point(y, overconfident, np.arange(len(y)), 0.9, n_boot=50)
    assert op["sensitivity_interval"][0] >= 0.9 and op["temperature"] == pytest.approx(t, rel=1e-3)


def test_evaluation_thresholds_the_calibrated_probability(tmp_path):
    """A run's eval applies the spec's threshold where it was chosen: on the probabilities after
    temperature scaling, as predict and bench report them."""
    from dataclasses import replace

    from fracture_edge.core.spec import PreprocessSpec
    from fracture_edge.training.evaluate import evaluate_arrays

    raw = np.array([0.005, 0.02, 0.2, 0.9])                  # calibrated at T=4: 0.21, 0.28, 0.41, 0.64
    spec = replace(PreprocessSpec(height=64, width=64), threshold=0.25, temperature=4.0)
    m = evaluate_arrays([0, 1, 1, 1], raw, spec, tmp_path)
    assert m["confusion"] == [[1, 0], [0, 3]]
    assert m["auc"] == 1.0


@pytest.mark.slow
def test_cv_end_to_end_then_train_with_its_operating_point(tmp_path):
    families = make_leaky_folder(tmp_path / "data", sources=40, with_copies=16)
    out = tmp_path / "cv"
    r = run_cli("cv", str(tmp_path / "data"), "--folds", "3", "--img-size", "64", "--epochs", "2", "--width", "4",
                "--export", "int8", "--save-models", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "out-of-fold AUC per file" in r.stdout and "int8: AUC per file" in r.stdout
    rows = list(csv.DictReader(open(out / "oof.csv")))
    assert len(rows) == sum(len(m) for m in families.values())
    root = (tmp_path / "data").resolve()
    fold_of = {Path(row["path"]).relative_to(root).as_posix(): row["fold"] for row in rows}
    for members in families.values():
        assert len({fold_of[m] for m in members}) == 1
    # the prob column is each file's own fold model, which never trained on it (fold 0 checked)
    from fracture_edge.core.data.folders import LABEL_NAMES, Sample, load_images
    from fracture_edge.core.spec import PreprocessSpec
    from fracture_edge.training.keras_env import keras

    spec = PreprocessSpec.from_dict(json.loads((out / "manifest.json").read_text())["spec"])
    fold0 = [row for row in rows if row["fold"] == "0"]
    images = load_images([Sample(Path(row["path"]), LABEL_NAMES.index(row["label"])) for row in fold0], spec)
    model = keras.models.load_model(out / "models" / "fold0.keras", compile=False)
    np.testing.assert_allclose(model.predict(images.tensors(spec), verbose=0).reshape(-1),
                               [float(row["prob"]) for row in fold0], atol=1e-5)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pooled"]["n"] == len(rows) and len(summary["per_fold"]) == 3
    # the three AUCs are those of the out-of-fold predictions, with their family intervals
    from fracture_edge.core.metrics import AUC_VIEWS, auc_views

    views = summary["pooled"]["auc_views"]
    expected = auc_views([row["label"] == "fractured" for row in rows], [float(row["prob"]) for row in rows],
                         [row["family"] for row in rows], n_boot=10)
    assert set(views) == set(AUC_VIEWS)
    for view, v in views.items():
        assert v["auc"] == pytest.approx(expected[view]["auc"], abs=1e-6), view
        assert v["interval"][0] <= v["auc"] <= v["interval"][1], view
    report = (out / "report.md").read_text()
    assert all(title in report for title in AUC_VIEWS.values())
    # The int8 column comes from the uint8-output .tflite (scores on its 1/256 grid) and tracks
    # the float fold model; two epochs leave scores near 0.5, so decisions are not compared here.
    prob = np.array([float(row["prob"]) for row in rows])
    int8 = np.array([float(row["int8"]) for row in rows])
    assert np.allclose(int8 * 256, np.round(int8 * 256), atol=1e-3)
    assert np.mean(np.abs(int8 - prob)) < 0.02
    for f in ("roc.png", "reliability.png", "report.md", "operating_point.json"):
        assert (out / f).stat().st_size > 0

    # Distillation: fold i's student learns from fold i's teacher; other folds are refused.
    student = tmp_path / "student"
    r = run_cli("cv", str(tmp_path / "data"), "--folds", "3", "--img-size", "64", "--epochs", "1", "--width", "4",
                "--teacher", str(out), "--distill", "0.5", "--out", str(student))
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((student / "manifest.json").read_text())["teachers"] == [str(out.resolve())]
    r = run_cli("cv", str(tmp_path / "data"), "--folds", "2", "--teacher", str(out), "--distill", "0.5",
                "--out", str(tmp_path / "other"))
    assert r.returncode == 2 and "its folds differ" in r.stderr and not (tmp_path / "other").exists()

    # The shipped student: trained on every file, distilled from the CV's out-of-fold predictions.
    run = tmp_path / "run"
    r = run_cli("train", str(tmp_path / "data"), "--img-size", "64", "--epochs", "1", "--width", "4",
                "--operating-point", str(out / "operating_point.json"), "--teacher", str(out), "--distill", "0.5",
                "--out", str(run))
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((run / "manifest.json").read_text())["teachers"] == [str(out.resolve())]
    op = json.loads((out / "operating_point.json").read_text())
    spec = json.loads((run / "spec.json").read_text())
    assert spec["threshold"] == op["threshold"] and spec["temperature"] == op["temperature"]
    # the threshold is the lower-bound rule's, and the spec carries what it promises
    assert op["rule"] == "lower bound" and op["interval"]["kind"] == "family bootstrap"
    assert op["target_sensitivity"] == 0.95 and op["confidence"] == 0.9
    # the bound meets the target, or the data cannot show it (too few positive radiographs:
    # with every positive flagged the bound is 0.1 ** (1 / families)) and the record says so
    assert op["target_met"] == (op["sensitivity_interval"][0] >= op["target_sensitivity"])
    assert spec["operating_point"] == {k: op[k] for k in spec["operating_point"]}
    assert "lower bound of sensitivity" in (out / "report.md").read_text()


@pytest.mark.slow
def test_cv_export_runs_the_export_command(tmp_path, synth_dir, monkeypatch):
    """cv --export exports each fold model with export's own code: qat-int8 gets its QAT
    fine-tune (not plain int8 under its name), and int8 calibrates on the very set export
    chooses from the fold's training images."""
    import dataclasses

    from fracture_edge.core.data.folders import Sample, load_images
    from fracture_edge.core.variants import VARIANTS
    from fracture_edge.training import crossval as cv
    from fracture_edge.training.config import TrainConfig, default_spec
    from fracture_edge.training.export.calibration import representative_tensors
    from fracture_edge.training.export.validate import DEFAULT_MIN_AGREEMENT

    monkeypatch.setitem(VARIANTS, "qat-int8", dataclasses.replace(VARIANTS["qat-int8"], fine_tune_epochs=1))
    cfg = TrainConfig(img_size=64, width=4, epochs=1)
    s = cv.cross_validate(synth_dir, tmp_path / "cv", cfg, folds=2, variants=("int8", "qat-int8"), n_boot=20)
    rows = list(csv.DictReader(open(tmp_path / "cv" / "oof.csv")))
    assert max(abs(float(r["int8"]) - float(r["qat-int8"])) for r in rows) > 0.01
    images = load_images(cv.fold_samples(synth_dir, 2, 0, "family"), default_spec(cfg))
    for i, fold in enumerate(s["per_fold"]):
        int8, qat = fold["exports"]["int8"], fold["exports"]["qat-int8"]
        assert int8["fine_tune"] is None
        assert qat["fine_tune"]["qat"] and qat["fine_tune"]["epochs"] == 1
        train = cv._fold_parts(images, i, cfg.val_fraction, i)["train"].samples
        _, expected = representative_tensors([Sample(t.path, t.label, "train", t.family) for t in train],
                                             default_spec(cfg))
        assert int8["calibration"] == qat["calibration"] == expected
        assert int8["passes_export_gate"] == (int8["val_agreement_with_keras"] >= DEFAULT_MIN_AGREEMENT)
    assert not list((tmp_path / "cv").glob("fold*.run"))          # the fold run folders are scratch


@pytest.mark.parametrize("command, args, message", [
    ("cv", ["--folds", "1"], "--folds must be at least 2"),
    ("cv", ["--target-sensitivity", "0"], "--target-sensitivity must lie in"),
    ("cv", ["--confidence", "1.5"], "--confidence must lie in (0.5, 1) (got 1.5)"),
    ("cv", ["--distill", "0.5"], "--distill and --teacher CV_DIR go together"),
    ("cv", ["--window", "0"], "--window must be at least 1"),
    ("train", ["--distill", "0.5"], "--distill and --teacher CV_DIR go together"),
    ("train", ["--distill", "0.5", "--teacher", "."], "cannot read its oof.csv"),
])
def test_recipe_option_errors_are_one_line(tmp_path, synth_dir, command, args, message):
    r = run_cli(command, str(synth_dir), "--out", str(tmp_path / "out"), *args)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if not ln.startswith("LOADED=")]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert not (tmp_path / "out").exists()
