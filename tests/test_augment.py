"""Augmentation: off means the model sees the decoded, resized image; on, each transform does
what it says and nothing else.

A zeroed ``Augment`` once kept the class default ``zoom`` and cropped every image of recipes
recorded as "no augmentation"; these tests compare against the plain image, never against
another ``Augment``.
"""

from dataclasses import asdict, replace

import numpy as np
import pytest

from fracture_edge.core.preprocess import tensor_from_gray
from fracture_edge.core.spec import PreprocessSpec
from fracture_edge.training.augment import ZOOM_ONLY, Augment, recorded

#: every transform off: the starting point of the one-transform cases below
OFF = Augment(flip_h=False, flip_v=False, max_rotation=0.0, contrast=0.0, brightness=0.0, zoom=0.0, noise=0.0)


def _image(seed=0, size=48):
    """A smooth asymmetric image (a gradient plus a blob off-centre) so flips and warps show."""
    y, x = np.mgrid[:size, :size].astype(np.float32)
    g = 40 + 2.0 * x + 1.0 * y + 80 * np.exp(-((x - 12) ** 2 + (y - 30) ** 2) / 30)
    g += np.random.default_rng(seed).normal(0, 3, g.shape)
    return np.clip(np.rint(g), 0, 255).astype(np.uint8)


def _spec(size=48):
    return PreprocessSpec(height=size, width=size)


def test_off_trains_on_the_decoded_resized_image():
    from fracture_edge.training.pipeline import augmented_loader

    gray = np.stack([_image(s) for s in range(4)])
    spec = _spec()
    load = augmented_loader(gray, spec, None, seed=0)
    for _ in range(3):
        for i in range(len(gray)):
            np.testing.assert_array_equal(load(i), tensor_from_gray(gray[i], spec).astype(np.float32))


def test_off_through_the_training_pipeline():
    """The tf.data pipeline that fit() reads yields exactly the un-augmented inputs."""
    pytest.importorskip("tensorflow")
    from fracture_edge.core.data.folders import LoadedImages
    from fracture_edge.training.pipeline import make_train_dataset

    gray = np.stack([_image(s) for s in range(6)])
    spec = _spec()
    images = LoadedImages(gray=gray, labels=np.array([0, 1] * 3), samples=[], skipped=[], content_hash="")
    seen = []
    for x, _y, _w in make_train_dataset(images, spec, None, batch=6, seed=0, balance="class").take(2):
        seen.append(np.asarray(x))
    expected = {tensor_from_gray(g, spec).astype(np.float32).tobytes() for g in gray}
    for batch in seen:
        assert {x.tobytes() for x in batch} == expected


def test_zoom_only_crops_and_does_nothing_else():
    g = _image()
    rng = np.random.default_rng(0)
    changed = [np.mean(ZOOM_ONLY(g, rng) != g) for _ in range(20)]
    assert min(changed) > 0.05 and np.mean(changed) > 0.5    # every call crops (scale > 1 almost surely)
    assert ZOOM_ONLY == replace(OFF, zoom=0.15)


def test_flips_only_mirror():
    g = _image()
    aug = replace(OFF, flip_h=True, flip_v=True)
    rng = np.random.default_rng(1)
    allowed = {g.tobytes(): "none", g[:, ::-1].tobytes(): "h", g[::-1].tobytes(): "v", g[::-1, ::-1].tobytes(): "hv"}
    seen = {allowed[aug(g, rng).tobytes()] for _ in range(64)}
    assert seen == {"none", "h", "v", "hv"}


def test_rotation_turns_the_image_and_keeps_its_histogram_roughly():
    g = _image()
    out = replace(OFF, max_rotation=180.0)(g, np.random.default_rng(2))
    assert np.mean(out != g) > 0.5
    assert abs(float(out.mean()) - float(g.mean())) < 15    # a warp with reflected borders, no exposure change


def test_contrast_and_brightness_map_grey_levels_affinely():
    g = _image()
    out = replace(OFF, contrast=0.2, brightness=20.0)(g, np.random.default_rng(3))
    gain, offset = np.polyfit(g.ravel().astype(float), out.ravel().astype(float), 1)
    assert 0.8 <= gain <= 1.2 and -21 <= offset <= 21
    assert not np.array_equal(out, g)
    # the same pixel positions: a per-pixel map, no warp
    assert np.corrcoef(g.ravel(), out.ravel())[0, 1] > 0.999


def test_noise_adds_its_sigma():
    g = np.full((64, 64), 128, np.uint8)
    out = replace(OFF, noise=5.0)(g, np.random.default_rng(4))
    assert 4.0 < float(np.std(out.astype(float) - 128)) < 6.0


def test_off_fields_change_nothing():
    g = _image()
    np.testing.assert_array_equal(OFF(g, np.random.default_rng(5)), g)


@pytest.mark.parametrize("config, expected", [
    ({"augment": None}, None),
    ({"augment": asdict(ZOOM_ONLY)}, ZOOM_ONLY),
    ({}, Augment()),
], ids=["off", "zoom-only", "not recorded"])
def test_recorded_augmentation(config, expected):
    assert recorded(config) == expected
