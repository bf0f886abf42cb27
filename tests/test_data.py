import logging

import cv2
import numpy as np
import pytest

from fracture_edge.core.data.folders import label_of, load_dataset, load_images
from fracture_edge.core.data.synth import image_rng, radiograph, synthesize
from fracture_edge.core.errors import InputError
from fracture_edge.core.spec import PreprocessSpec


@pytest.mark.parametrize("name, label", [
    ("fractured", 1), ("Fractured", 1), ("not fractured", 0), ("not_fractured", 0),
    ("Non-Fractured", 0), ("normal", 0), ("NOT FRACTURED", 0), ("unrelated", None),
])
def test_class_folder_aliases(name, label):
    assert label_of(name) == label


def _write(folder, n, value=128):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((20, 20), value + i, np.uint8))


def test_kaggle_layout_with_split_folders(tmp_path):
    _write(tmp_path / "train" / "Fractured", 3)
    _write(tmp_path / "train" / "not_fractured", 2)
    _write(tmp_path / "Valid" / "fractured", 1)
    _write(tmp_path / "valid" / "normal", 1)
    (tmp_path / "train" / "fractured" / "notes.txt").parent.mkdir(exist_ok=True)
    ds = load_dataset(tmp_path)
    assert ds.splits == ["train", "val"]
    assert ds.counts()["train"] == {"not fractured": 2, "fractured": 3}


def test_flat_class_folders_and_manifest(tmp_path):
    _write(tmp_path / "fractured", 2)
    _write(tmp_path / "normal", 2)
    ds = load_dataset(tmp_path)
    assert ds.splits == [] and len(ds.samples) == 4
    csv = tmp_path / "split.csv"
    csv.write_text("path,label,split,family\nfractured/0.png,fractured,train,a\nnormal/1.png,normal,test,b\n")
    m = load_dataset(csv)
    assert [(s.label, s.split, s.family) for s in m.samples] == [(1, "train", "a"), (0, "test", "b")]
    assert m.samples[0].path == tmp_path / "fractured" / "0.png"


def test_folder_without_class_folders_is_a_one_line_error(tmp_path):
    (tmp_path / "cats").mkdir()
    with pytest.raises(InputError, match="no class folders"):
        load_dataset(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        load_dataset(tmp_path / "missing")


def test_bad_file_is_skipped_with_a_named_warning(tmp_path, caplog):
    _write(tmp_path / "fractured", 2)
    _write(tmp_path / "normal", 2)
    bad = tmp_path / "normal" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)        # JPEG header, no end marker
    ds = load_dataset(tmp_path)
    with caplog.at_level(logging.WARNING, logger="fracture_edge"):
        images = load_images(ds.samples, PreprocessSpec(height=16, width=16))
    assert len(images.samples) == 4 and images.gray.shape == (4, 16, 16)
    assert images.manifest()["skipped_count"] == 1
    assert any("broken.jpg" in r.getMessage() and "truncated" in r.getMessage() for r in caplog.records)


def test_synth_is_deterministic_and_labelled(tmp_path):
    a = radiograph(image_rng(7, 3), 64, True)
    b = radiograph(image_rng(7, 3), 64, True)
    c = radiograph(image_rng(8, 3), 64, True)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    counts = synthesize(tmp_path / "s", 40, seed=1, size=48)
    assert sum(counts.values()) == 40
    ds = load_dataset(tmp_path / "s")
    assert set(ds.splits) <= {"train", "val", "test"} and {s.label for s in ds.samples} == {0, 1}
    with pytest.raises(InputError, match="exists"):
        synthesize(tmp_path / "s", 40)


def test_crack_darkens_the_bone():
    """The fractured image differs from the intact one made with the same draws only at the crack."""
    intact = radiograph(image_rng(0, 5), 96, False).astype(int)
    broken = radiograph(image_rng(0, 5), 96, True).astype(int)
    assert (intact - broken).max() > 40
