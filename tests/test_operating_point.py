"""The operating point's threshold rules and intervals, against truth known by construction."""

import math

import numpy as np
import pytest

from fracture_edge.errors import InputError
from fracture_edge.metrics import percentile_interval, resample_indices
from fracture_edge.operating_point import (check_rule, describe, operating_point, spec_record,
                                           threshold_for_lower_bound, threshold_for_sensitivity)

#: Spread of a file's score around its radiograph's (copies of one radiograph score alike).
WITHIN = 0.5


def cv_like(rng, radiographs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positive radiographs of 1-4 files each: a radiograph scores N(0, 1), each of its files
    that plus N(0, WITHIN^2). Family sizes do not depend on scores, so a new file's score is
    N(0, 1 + WITHIN^2) and the true sensitivity at any threshold is known (:func:`true_sensitivity`)."""
    sizes = rng.integers(1, 5, radiographs)
    family = np.repeat(np.arange(radiographs), sizes)
    score = rng.normal(0, 1, radiographs)[family] + rng.normal(0, WITHIN, family.size)
    return np.ones(family.size, int), score, family


def true_sensitivity(threshold: float) -> float:
    return 0.5 * math.erfc(threshold / math.sqrt(2 * (1 + WITHIN ** 2)))


def test_lower_bound_rule_nearly_keeps_its_promise_and_the_point_rule_half_the_time():
    """300 synthetic cross-validations of 150 positive radiographs; each rule picks a threshold
    for sensitivity 0.95, and the truth decides whether it reached 0.95 on new radiographs.

    The point rule meets the target on its own data by construction, on new data about half
    the time (0.47 in 2,000 runs). The lower-bound rule at confidence 0.9 met it in 0.85 of 2,500
    runs (0.81-0.88 per 500): the percentile bootstrap is a little optimistic for a count of a
    few missed radiographs, as a Wald interval is. Asserted: at least 0.8 (here 0.86; the
    binomial sd of 300 runs is 0.02), and the point rule between 0.3 and 0.7 (here 0.55)."""
    rng = np.random.default_rng(7)
    runs = 300
    met = {"lower bound": 0, "point": 0}
    for i in range(runs):
        y, score, family = cv_like(rng, 150)
        chosen = {"lower bound": threshold_for_lower_bound(y, score, family, 0.95, 0.9, n_boot=100, seed=i),
                  "point": threshold_for_sensitivity(y, score, 0.95)}
        for rule, t in chosen.items():
            met[rule] += true_sensitivity(t) >= 0.95
            assert (score >= t).mean() >= 0.95              # both meet the target on their own data
        assert chosen["lower bound"] <= chosen["point"]
    assert met["lower bound"] / runs >= 0.8, met
    assert 0.3 <= met["point"] / runs <= 0.7, met


def direct_rates(y, prob, families, threshold, n_boot, seed) -> tuple[list, list]:
    """Sensitivity and specificity at ``threshold`` in each family-bootstrap draw, counted the
    plain way (the vectorised count in operating_point must agree)."""
    sens, spec = [], []
    for idx in resample_indices(len(y), families, n_boot, seed):
        flagged, truth = prob[idx] >= threshold, y[idx]
        if truth.any():
            sens.append(flagged[truth == 1].mean())
        if (truth == 0).any():
            spec.append((~flagged[truth == 0]).mean())
    return sens, spec


def test_intervals_are_the_family_bootstrap_and_the_threshold_the_highest_that_meets_the_target():
    rng = np.random.default_rng(3)
    family = np.repeat(np.arange(60), rng.integers(1, 6, 60))
    y = (family % 3 == 0).astype(int)
    raw = 1 / (1 + np.exp(-(2.0 * y - 1 + rng.normal(0, 1.2, 60)[family] + rng.normal(0, 0.3, family.size))))
    op = operating_point(y, raw, family.astype(str), 0.9, 0.8, n_boot=300, seed=5)
    cal = 1 / (1 + np.exp(-np.log(raw / (1 - raw)) / op["temperature"]))
    sens, spec = direct_rates(y, cal, family.astype(str), op["threshold"], 300, 5)
    alpha = 2 * (1 - 0.8)                                     # ends: one-sided 80 % bounds
    assert op["sensitivity_interval"] == pytest.approx(percentile_interval(sens, alpha))
    assert op["specificity_interval"] == pytest.approx(percentile_interval(spec, alpha))
    assert op["sensitivity_interval"][0] >= 0.9
    assert op["sensitivity"] == pytest.approx((cal[y == 1] >= op["threshold"]).mean())
    assert op["interval"] == {"kind": "family bootstrap", "n": 300, "percentiles": [20.0, 80.0]}
    assert op["rule"] == "lower bound" and op["confidence"] == 0.8
    higher = np.unique(cal[(y == 1) & (cal > op["threshold"])])[0]   # the next candidate up misses
    assert percentile_interval(direct_rates(y, cal, family.astype(str), higher, 300, 5)[0], alpha)[0] < 0.9


def test_copies_of_one_radiograph_widen_the_interval():
    """Forty copies of each radiograph are the evidence of one: resampled by family the
    interval is that of the radiographs alone; file by file it would be far too narrow."""
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(40, int), np.zeros(40, int)]
    score = rng.normal(y * 1.5, 1)
    copies = 40
    one = threshold_for_lower_bound(y, score, np.arange(80), 0.9, 0.9, n_boot=400, seed=1)
    many = threshold_for_lower_bound(np.repeat(y, copies), np.repeat(score, copies), np.repeat(np.arange(80), copies),
                                     0.9, 0.9, n_boot=400, seed=1)
    by_file = threshold_for_lower_bound(np.repeat(y, copies), np.repeat(score, copies), np.arange(80 * copies),
                                        0.9, 0.9, n_boot=400, seed=1)
    assert many == one and by_file > one


@pytest.mark.parametrize("target, confidence, message", [
    (0.0, 0.9, "--target-sensitivity must lie in (0, 1]"),
    (0.95, 1.5, "--confidence must lie in (0.5, 1)"),
    (0.95, 0.5, "--confidence must lie in (0.5, 1)"),
])
def test_meaningless_rules_are_refused(target, confidence, message):
    with pytest.raises(InputError) as err:
        check_rule(target, confidence)
    assert message in str(err.value)


def test_description_names_the_interval_for_what_it_is():
    op = {"threshold": 0.3127, "target_sensitivity": 0.95, "confidence": 0.9, "sensitivity": 0.9612,
          "sensitivity_interval": [0.951, 0.978], "specificity": 0.43, "specificity_interval": [0.371, 0.492]}
    assert describe(op) == ("threshold 0.313 for sensitivity >= 0.95 at 90 % confidence (expected 0.96, 80 % "
                            "interval 0.95-0.98; specificity 0.43, 0.37-0.49; family bootstrap on cross-validation)")


def test_spec_record_carries_the_promise_and_an_older_file_none(caplog):
    y = np.r_[np.ones(30, int), np.zeros(30, int)]
    prob = np.r_[np.linspace(0.4, 0.95, 30), np.linspace(0.05, 0.6, 30)]
    op = operating_point(y, prob, np.arange(60), n_boot=100)
    record = spec_record(op)
    assert record.sensitivity_interval == tuple(op["sensitivity_interval"]) and record.confidence == 0.9
    older = {"target_sensitivity": 0.95, "threshold": 0.3, "temperature": 2.0, "sensitivity": 0.96}
    assert spec_record(older) is None and "no interval" in caplog.text
    with pytest.raises(InputError, match="operating point without 'specificity'"):
        spec_record({k: v for k, v in op.items() if k != "specificity"})


class FakeSession:
    """A model that says 0.5 to everything, with the spec it was given (predict needs no more)."""

    def __init__(self, spec):
        self.spec, self.input_shape = spec, spec.input_shape

    def run(self, x):
        return 0.5


@pytest.mark.parametrize("shipped", [True, False])
def test_predict_shows_the_operating_point_once_and_json_rows_carry_it(shipped, tmp_path, monkeypatch, capsys):
    import json

    import cv2

    from fracture_edge.cli import main
    from fracture_edge.spec import OperatingPoint, PreprocessSpec

    record = OperatingPoint(0.95, 0.9, 0.9612, (0.951, 0.978), 0.4304, (0.371, 0.492)) if shipped else None
    spec = PreprocessSpec(height=32, width=32, threshold=0.3127, operating_point=record)
    monkeypatch.setattr("fracture_edge.predict.open_session", lambda runtime, model, threads: FakeSession(spec))
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(tmp_path / name), np.full((40, 40), 128, np.uint8))
    main(["predict", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--model", str(tmp_path / "m.tflite")])
    out = capsys.readouterr().out.splitlines()
    head, table = out[:-2], out[-2:]
    line = ("operating point: threshold 0.313 for sensitivity >= 0.95 at 90 % confidence (expected 0.96, 80 % "
            "interval 0.95-0.98; specificity 0.43, 0.37-0.49; family bootstrap on cross-validation)")
    assert head == ([line] if shipped else []) and all(row.endswith("\tfractured") for row in table)
    main(["predict", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--model", str(tmp_path / "m.tflite"), "--json"])
    rows = [json.loads(r) for r in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and all(r["label"] == "fractured" for r in rows)
    expected = {"threshold": 0.3127, "target_sensitivity": 0.95, "confidence": 0.9, "sensitivity": 0.9612,
                "sensitivity_interval": [0.951, 0.978], "specificity": 0.4304, "specificity_interval": [0.371, 0.492]}
    assert [r.get("operating_point") for r in rows] == [expected if shipped else None] * 2
