"""The dataset audit: copies found from pixels (any rotation, mirroring), leakage, reports.

Synthetic leaky folders check the grouping exactly; the real multiregion-dev radiographs check
it against the reference grouping in families.csv (an oracle for this test only).
"""

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from leaky_data import SIZE, make_leaky_folder, rotate

from fracture_edge.core.data import families as fam_mod
from fracture_edge.core.data.audit import audit
from fracture_edge.core.data.fingerprint import fingerprint
from fracture_edge.core.data.folders import Sample
from fracture_edge.core.data.scan import FileRecord, scan
from fracture_edge.core.data.shortcuts import shortcut_hints
from fracture_edge.core.data.synth import radiograph


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaky") / "data"
    return root, make_leaky_folder(root)


@pytest.fixture(scope="module")
def leaky_scan(leaky):
    return scan(leaky[0], workers=2)


def test_polar_similarity_sees_through_rotation_and_mirroring():
    rng = np.random.default_rng(1)
    a, b = radiograph(rng, SIZE, True), radiograph(rng, SIZE, True)
    prints = [fingerprint(x) for x in (a, rotate(a, 41), rotate(a[:, ::-1].copy(), -70), np.rot90(a).copy(), b)]
    polar = np.stack([p.polar for p in prints])
    pairs = np.array([[0, 1], [0, 2], [0, 3], [0, 4]])
    s = fam_mod.polar_similarity(polar, pairs)
    assert np.all(s[:3] > 0.98) and s[3] < fam_mod.LINK_THRESHOLD
    sig = np.stack([p.signature for p in prints])
    assert np.allclose(sig[0], sig[3], atol=0.05)            # invariant under a quarter turn


def test_linked_components_numbers_components_by_size():
    labels = fam_mod.linked_components(6, np.array([[4, 5], [0, 5], [1, 2]]))
    assert labels.tolist() == [0, 1, 1, 2, 0, 0]


def test_every_kind_of_copy_lands_in_its_source_family(leaky, leaky_scan):
    root, truth = leaky
    true_family = {p: f for f, paths in truth.items() for p in paths}
    found: dict[int, set] = {}
    for rec in leaky_scan.usable():
        found.setdefault(rec.family, set()).add(true_family[leaky_scan.relpath(rec)])
    assert all(len(sources) == 1 for sources in found.values())          # precision
    assert len(found) == len(truth)                                       # recall


def test_truncated_and_misnamed_files_are_reported(leaky_scan):
    bad = {leaky_scan.relpath(r): r.error for r in leaky_scan.records if r.error}
    assert bad == {"train/not fractured/cut.jpg": "truncated JPEG (no end-of-image marker)"}
    mismatched = [leaky_scan.relpath(r) for r in leaky_scan.records if r.extension_mismatch]
    assert mismatched == ["train/fractured/png_inside.jpg"]


def test_audit_writes_report_json_and_contact_sheets(leaky, tmp_path):
    m = audit(leaky[0], json_path=tmp_path / "a.json", report_dir=tmp_path / "report", workers=2)
    assert m["leakage"]["test"] == {"files": 9, "family_in_train": 6, "family_share": 6 / 9,
                                    "byte_copy_in_train": 3, "byte_copy_share": 3 / 9}
    assert m["families"]["count"] == 17 and m["families"]["mixed_label"] == 0
    assert m["unusable"] == [{"path": "train/not fractured/cut.jpg", "reason": "truncated JPEG (no end-of-image marker)"}]
    assert json.loads((tmp_path / "a.json").read_text())["files"] == m["files"]
    report = tmp_path / "report"
    for name in ("report.md", "audit.json", "families.csv", "largest_families.png", "borderline_pairs.png"):
        assert (report / name).stat().st_size > 0, name
    text = (report / "report.md").read_text()
    assert "| test | 9 | 6 (66.7%) | 3 (33.3%) |" in text and "fracture-edge data split" in text
    rows = list(csv.DictReader(open(report / "families.csv")))
    assert len(rows) == m["files"] and sum(r["family"] == "" for r in rows) == 1


def _records(labels, formats, sizes, families):
    return [FileRecord(Sample(Path(f"{i}.x"), int(y)), int(s), f"{i:064x}", f, 100, 100, family=int(g))
            for i, (y, f, s, g) in enumerate(zip(labels, formats, sizes, families))]


def test_shortcut_hints_flag_a_format_that_gives_the_label_away():
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2
    recs = _records(y, np.where(y == 1, "png", "jpeg"), rng.integers(1000, 2000, 200), np.arange(200))
    hints = shortcut_hints(recs)
    assert hints["file format"] == pytest.approx(1.0) and abs(hints["file size"] - 0.5) < 0.15
    assert hints["image size"] == pytest.approx(0.5)


# ----------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def real_scan(real_dir):
    return scan(real_dir, workers=2)


@pytest.fixture(scope="module")
def reference(real_families):
    with open(real_families, newline="") as fh:
        return {r["path"]: r["family"] for r in csv.DictReader(fh)}


def b_cubed(pred: list, true: list) -> tuple[float, float]:
    cp, ct, both = Counter(pred), Counter(true), Counter(zip(pred, true))
    precision = np.mean([both[(p, t)] / cp[p] for p, t in zip(pred, true)])
    recall = np.mean([both[(p, t)] / ct[t] for p, t in zip(pred, true)])
    return float(precision), float(recall)


def test_real_data_grouping_agrees_with_the_reference(real_scan, reference):
    usable = real_scan.usable()
    precision, recall = b_cubed([r.family for r in usable], [reference[real_scan.relpath(r)] for r in usable])
    assert precision >= 0.95 and recall >= 0.85, (precision, recall)


def test_real_data_truncated_files_and_leakage(real_scan, reference):
    from fracture_edge.core.data.leakage import leakage

    truncated = sorted(real_scan.relpath(r) for r in real_scan.records if r.error)
    assert len(truncated) == 8 and all("IMG000" in p for p in truncated)
    assert sum(r.extension_mismatch for r in real_scan.records) == 21
    train_families = {f for p, f in reference.items() if p.startswith("train/")}
    test = [f for p, f in reference.items() if p.startswith("test/")]
    truth = sum(f in train_families for f in test) / len(test)
    assert abs(leakage(real_scan)["test"]["family_share"] - truth) <= 0.02


def test_real_data_family_split_keeps_reference_families_whole(real_scan, reference):
    from fracture_edge.core.data.split import family_split

    rows = family_split(real_scan, 0.15, 0.15, seed=0)
    splits: dict[str, set] = {}
    for row in rows:
        rel = Path(row["path"]).relative_to(real_scan.root).as_posix()
        splits.setdefault(reference[rel], set()).add(row["split"])
    assert all(len(s) == 1 for s in splits.values())
    share = Counter(row["split"] for row in rows)
    assert abs(share["test"] / len(rows) - 0.15) < 0.03 and abs(share["val"] / len(rows) - 0.15) < 0.03
