"""Golden vectors: written from the one Python implementation, committed set kept current."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np

from fracture_edge.core import golden
from fracture_edge.core import preprocess as pp
from fracture_edge.core.spec import PreprocessSpec

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "android_demo" / "core" / "src" / "test" / "resources" / "golden"


def test_goldens_are_what_preprocess_makes(tmp_path):
    gs = golden.write_golden(tmp_path, golden.synthetic_images(32), golden.golden_specs(32))
    index = json.loads((tmp_path / "index.json").read_text())
    images = {im["name"]: golden.read_array(tmp_path, im) for im in index["images"]}
    assert len(gs.cases) == len(images) * len(index["specs"])
    for case in gs.cases:
        spec = PreprocessSpec.from_dict(index["specs"][case["spec"]])
        x = golden.read_array(tmp_path, case["input"])
        expected = pp.model_input(images[case["image"]], spec)
        assert x.dtype == expected.dtype and np.array_equal(x, expected), case["name"]
        assert x.shape == spec.input_shape
        assert ("edges" in case["steps"]) == ("canny" in spec.host_steps)


def test_goldens_cover_fused_and_unfused_float_and_integer():
    specs = golden.golden_specs(128)
    kinds = {(s.fused, s.input_dtype) for s in specs.values()}
    assert {(False, "float32"), (False, "uint8"), (True, "float32"), (True, "uint8"), (False, "int8")} <= kinds
    assert {s.interpolation for s in specs.values()} == {"linear", "nearest"}
    assert {s.canny.aperture for s in specs.values() if s.canny} == {3, 5, 7}


def test_committed_goldens_are_current_and_small(tmp_path):
    """The set the Java and JS tests use by default is exactly what the code writes today.

    After a deliberate change to preprocessing, regenerate it with the command in
    fracture_edge/core/golden.py's docstring.
    """
    golden.main(["--out", str(tmp_path), "--size", "32"])
    ours = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(COMMITTED).as_posix() for p in COMMITTED.rglob("*") if p.is_file())
    assert ours == theirs
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, COMMITTED, ours, shallow=False)
    assert not mismatch and not errors, f"stale committed goldens: {mismatch[:5]}"
    assert sum((COMMITTED / f).stat().st_size for f in theirs) < 1_000_000


def test_goldens_cover_efficientnet_lite_as_trained_and_exported():
    """The Lite cases use the normalisation and channel choices the registry gives train, with
    one and three gray channels and the integer inputs its int8 exports take: if the registry
    changes, these cases (and the Java and JS ports held to them) must follow."""
    from fracture_edge.training.models import registry

    row = registry.info("efficientnet-lite0")
    lite = {k: s for k, s in golden.golden_specs(32).items() if k.startswith("lite-")}
    assert {(s.fusion, s.input_dtype) for s in lite.values()} >= {
        (row.fusion, "float32"), (row.fusion, "uint8"), (("gray",) * 3, "int8")}
    for s in lite.values():
        c = len(s.fusion)
        assert (s.mean, s.std, s.canny) == (row.mean[:1] * c, row.std[:1] * c, None)
    # uint8 carries the grey level itself, int8 the grey level less 128: no rounding ties.
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    u8 = pp.model_input(pixels, lite["lite-gray-uint8"].replace(height=16, width=16))
    i8 = pp.model_input(pixels, lite["lite-gray3-int8"].replace(height=16, width=16))
    assert np.array_equal(u8[..., 0], pixels)
    assert np.array_equal(i8, np.repeat((pixels.astype(int) - 128)[..., None], 3, -1).astype(np.int8))
