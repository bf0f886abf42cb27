"""The operating point's threshold rules and intervals, against truth known by construction."""

import math

import numpy as np
import pytest
from scipy import stats

from fracture_edge.core.errors import InputError
from fracture_edge.core.bootstrap import resample_indices
from fracture_edge.core.operating_point import (
    check_rule,
    describe,
    operating_point,
    spec_record,
    threshold_for_lower_bound,
    threshold_for_sensitivity,
)

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


def test_lower_bound_rule_keeps_its_promise_and_the_point_rule_half_the_time():
    """Synthetic cross-validations of 150 positive radiographs; each rule picks a threshold for
    sensitivity 0.95, and the truth decides whether it reached 0.95 on new radiographs.

    The point rule meets the target on its own data by construction, on new data about half the
    time. The lower-bound rule at confidence 0.9 must meet it in at least 0.9 of runs, less twice
    the binomial standard error of this many runs (here 0.925 of 400, the point rule 0.525).

    Offline, 12,000 runs with cv's 2,000 bootstrap draws (standard error 0.002-0.0035): the
    lower-bound rule met the target in 0.829, 0.910 and 0.9495 of runs at confidence 0.8, 0.9
    and 0.95, the point rule in 0.472; the percentile bootstrap bound used before in 0.745,
    0.848 and 0.904. With this test's 100 draws (10,000 runs): 0.826, 0.906, 0.947."""
    rng = np.random.default_rng(7)
    runs, confidence = 400, 0.9
    met = {"lower bound": 0, "point": 0}
    for i in range(runs):
        y, score, family = cv_like(rng, 150)
        chosen = {"lower bound": threshold_for_lower_bound(y, score, family, 0.95, confidence, n_boot=100, seed=i),
                  "point": threshold_for_sensitivity(y, score, 0.95)}
        for rule, t in chosen.items():
            met[rule] += true_sensitivity(t) >= 0.95
            assert (score >= t).mean() >= 0.95              # both meet the target on their own data
        assert chosen["lower bound"] <= chosen["point"]
    assert met["lower bound"] / runs >= confidence - 2 * math.sqrt(confidence * (1 - confidence) / runs), met
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


def korn_graubard(hits, families, draws, confidence) -> tuple[float, float]:
    """The interval written out for one proportion: the share of ``hits`` (one bool per file),
    the files' ``families``, the proportion's bootstrap ``draws``."""
    p, files, fams = np.mean(hits), len(hits), len(set(families))
    var = np.var(draws, ddof=1) * fams / (fams - 1)
    if 0 < p < 1 and var > 0:
        n = min(p * (1 - p) / var, files) * (stats.norm.ppf(confidence) / stats.t.ppf(confidence, fams - 1)) ** 2
    else:
        n = fams
    x = n * p
    return (stats.beta.ppf(1 - confidence, x, n - x + 1) if x > 0 else 0.0,
            stats.beta.ppf(confidence, x + 1, n - x) if x < n else 1.0)


def test_intervals_are_korn_graubard_and_the_threshold_the_highest_that_meets_the_target():
    rng = np.random.default_rng(3)
    family = np.repeat(np.arange(60), rng.integers(1, 6, 60))
    y = (family % 3 == 0).astype(int)
    raw = 1 / (1 + np.exp(-(2.0 * y - 1 + rng.normal(0, 1.2, 60)[family] + rng.normal(0, 0.3, family.size))))
    op = operating_point(y, raw, family.astype(str), 0.9, 0.8, n_boot=300, seed=5)
    cal = 1 / (1 + np.exp(-np.log(raw / (1 - raw)) / op["temperature"]))

    def intervals(threshold):
        sens, spec = direct_rates(y, cal, family.astype(str), threshold, 300, 5)
        flagged = cal >= threshold
        return (korn_graubard(flagged[y == 1], family[y == 1], sens, 0.8),
                korn_graubard(~flagged[y == 0], family[y == 0], spec, 0.8))

    sens_interval, spec_interval = intervals(op["threshold"])
    assert 0 < op["sensitivity"] < 1 and 0 < op["specificity"] < 1      # the effective-size branch
    assert op["sensitivity_interval"] == pytest.approx(sens_interval, abs=1e-9)
    assert op["specificity_interval"] == pytest.approx(spec_interval, abs=1e-9)
    assert op["sensitivity_interval"][0] >= 0.9 and op["target_met"]
    assert op["sensitivity"] == pytest.approx((cal[y == 1] >= op["threshold"]).mean())
    assert op["interval"] == {"kind": "family bootstrap", "n": 300, "method": "Korn-Graubard",
                              "one_sided": 0.8, "central": 0.6}
    assert op["rule"] == "lower bound" and op["confidence"] == 0.8
    higher = np.unique(cal[(y == 1) & (cal > op["threshold"])])[0]   # the next candidate up misses
    assert intervals(higher)[0][0] < 0.9


def test_nothing_missed_is_clopper_pearson_on_families_and_too_few_cannot_show_the_target(caplog):
    """With every positive flagged the bootstrap has nothing to measure: the bound is that of
    F families out of F, (1 - confidence) ** (1 / F), however many files each has. Twenty
    positive radiographs cannot show sensitivity 0.95 at confidence 0.9 (0.1 ** (1 / 20) =
    0.891): the threshold flags every positive, and the operating point says the target is not met."""
    rng = np.random.default_rng(2)
    family = np.repeat(np.arange(40), 3)
    y = (family < 20).astype(int)
    prob = 1 / (1 + np.exp(-(2.0 * y - 1 + rng.normal(0, 1, 40)[family] + rng.normal(0, 0.3, family.size))))
    t = threshold_for_lower_bound(y, prob, family, 0.95, 0.9, n_boot=200)
    assert t == prob[y == 1].min() and "cannot be shown" in caplog.text and "20 positive families" in caplog.text
    op = operating_point(y, prob, family, 0.95, 0.9, n_boot=200)
    assert op["sensitivity"] == 1.0 and not op["target_met"]
    assert op["sensitivity_interval"] == pytest.approx([0.1 ** (1 / 20), 1.0])
    assert threshold_for_lower_bound(y, prob, family, 0.85, 0.9, n_boot=200) > t    # 0.891 shows 0.85


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
    from fracture_edge.core.spec import OperatingPoint, PreprocessSpec

    record = OperatingPoint(0.95, 0.9, 0.9612, (0.951, 0.978), 0.4304, (0.371, 0.492)) if shipped else None
    spec = PreprocessSpec(height=32, width=32, threshold=0.3127, operating_point=record)
    monkeypatch.setattr("fracture_edge.core.predict.open_session", lambda runtime, model, threads: FakeSession(spec))
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
