"""Family splits: whole families per split, stratified by label, readable by every command."""

import logging
from collections import Counter

import pytest
from leaky_data import make_leaky_folder

from fracture_edge.cli import main
from fracture_edge.core.data.folders import load_dataset
from fracture_edge.core.data.leakage import warn_if_leaky
from fracture_edge.core.data.scan import scan
from fracture_edge.core.data.split import assign_groups, family_split, write_manifest
from fracture_edge.core.errors import InputError


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaky") / "data"
    return root, make_leaky_folder(root, sources=24, with_copies=6)


def test_assign_groups_is_stratified_and_seeded():
    groups = {f"g{i}": [i % 2] * (1 + i % 5) for i in range(200)}
    labels = {k: v[0] for k, v in groups.items()}
    shares = {"train": 0.7, "val": 0.15, "test": 0.15}
    out = assign_groups(groups, labels, shares, seed=0)
    for stratum in (0, 1):
        files = Counter()
        for k, split in out.items():
            if labels[k] == stratum:
                files[split] += len(groups[k])
        total = sum(files.values())
        assert all(abs(files[s] / total - share) < 0.02 for s, share in shares.items())
    assert out == assign_groups(groups, labels, shares, seed=0)
    assert out != assign_groups(groups, labels, shares, seed=1)


def test_family_split_keeps_families_whole_and_round_trips(leaky, tmp_path):
    root, truth = leaky
    rows = family_split(scan(root, workers=2), val=0.2, test=0.2, seed=0)
    true_family = {root / p: f for f, paths in truth.items() for p in paths}
    split_of_family: dict[str, set] = {}
    for row in rows:
        split_of_family.setdefault(true_family[row["path"]], set()).add(row["split"])
    assert all(len(s) == 1 for s in split_of_family.values())
    assert {r["split"] for r in rows} == {"train", "val", "test"}
    assert not any(r["path"].name == "cut.jpg" for r in rows)       # unusable: skipped

    out = write_manifest(rows, tmp_path / "sub" / "split.csv")
    assert out.read_text().splitlines()[0] == "path,label,split,family,sha256"
    assert "../" in out.read_text()                                    # relative to the CSV's folder
    ds = load_dataset(out)
    assert sorted(s.path.resolve() for s in ds.samples) == sorted(r["path"].resolve() for r in rows)
    assert {s.family for s in ds.samples} == {r["family"] for r in rows}


def test_split_by_content_only_keeps_byte_copies_together(leaky):
    rows = family_split(scan(leaky[0], workers=2), by="content")
    by_hash: dict[str, set] = {}
    for row in rows:
        by_hash.setdefault(row["sha256"], set()).add(row["split"])
    assert all(len(s) == 1 for s in by_hash.values())
    assert len({r["family"] for r in rows}) > len(leaky[1])            # rotated copies stay apart


@pytest.mark.parametrize("val, test", [(0.6, 0.5), (-0.1, 0.2)])
def test_bad_shares_are_refused_before_scanning(tmp_path, val, test):
    with pytest.raises(InputError, match="must be shares"):
        family_split(tmp_path / "not even there", val, test)


def test_leaky_folders_warn_and_point_at_data_split(leaky, caplog):
    with caplog.at_level(logging.WARNING, logger="fracture_edge"):
        shares = warn_if_leaky(load_dataset(leaky[0]))
    assert shares["test"]["family_in_train"] == 6
    msg = [r.getMessage() for r in caplog.records if "leaks into train" in r.getMessage()]
    assert len(msg) == 1 and "fracture-edge data split" in msg[0] and "% of its" in msg[0]


def test_manifests_and_flat_folders_do_not_warn(leaky, tmp_path):
    rows = family_split(scan(leaky[0], workers=2))
    out = write_manifest(rows, tmp_path / "split.csv")
    assert warn_if_leaky(load_dataset(out)) == {}
    assert warn_if_leaky(load_dataset(leaky[0] / "train")) == {}


def test_cli_split_and_audit(leaky, tmp_path, capsys):
    main(["data", "split", str(leaky[0]), "--by", "family", "--val", "0.15", "--test", "0.15", "--seed", "0",
          "--out", str(tmp_path / "split.csv")])
    out = capsys.readouterr().out
    assert "train:" in out and "test:" in out and (tmp_path / "split.csv").exists()
    main(["data", "audit", str(leaky[0]), "--json", str(tmp_path / "a.json")])
    out = capsys.readouterr().out
    assert "test: 54.5% of 11 files have a copy in train (27.3% byte-identical)" in out
    assert (tmp_path / "a.json").exists()


def test_cli_split_bad_shares_is_one_line_exit_2(leaky, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["data", "split", str(leaky[0]), "--val", "0.7", "--test", "0.7", "--out", str(tmp_path / "s.csv")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "must be shares" in err[0]
    assert not (tmp_path / "s.csv").exists()
