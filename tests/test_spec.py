import json

import pytest

from fracture_edge.core.errors import SpecError
from fracture_edge.core.spec import Blur, Canny, Clahe, OperatingPoint, PreprocessSpec, Quantization

#: What `train --operating-point` puts into a spec from cv's operating_point.json.
SHIPPED = OperatingPoint(target_sensitivity=0.95, confidence=0.9, sensitivity=0.9612,
                         sensitivity_interval=(0.951, 0.978), specificity=0.43, specificity_interval=(0.371, 0.492))


def test_json_round_trip_keeps_every_field():
    spec = PreprocessSpec(height=96, width=80, clahe=Clahe(3.0, 4), blur=Blur(5, 1.2),
                          canny=Canny(30, 90, 5, True), fusion=("edges", "gray"), mean=(0.1, 0.2),
                          std=(0.3, 0.4), input_dtype="uint8", input_quantization=Quantization(0.02, 7),
                          threshold=0.3, temperature=1.7, operating_point=SHIPPED)
    again = PreprocessSpec.from_json(spec.to_json())
    assert again == spec


def test_unknown_version_is_refused():
    d = PreprocessSpec().to_dict()
    d["version"] = 2
    with pytest.raises(SpecError, match="unsupported spec version 2"):
        PreprocessSpec.from_dict(d)


@pytest.mark.parametrize("where", ["top", "input", "canny"])
def test_unknown_field_is_refused(where):
    d = PreprocessSpec().to_dict()
    target = d if where == "top" else d[where]
    target["bogus"] = 1
    with pytest.raises(SpecError, match="unknown field.*bogus"):
        PreprocessSpec.from_dict(d)


def test_not_json_and_wrong_schema():
    with pytest.raises(SpecError, match="not valid JSON"):
        PreprocessSpec.from_json(b"\xff{")
    with pytest.raises(SpecError, match="not a fracture-edge spec"):
        PreprocessSpec.from_json(json.dumps({"schema": "other", "version": 1}))


@pytest.mark.parametrize("changes, message", [
    ({"fusion": ("gray", "edges"), "canny": None, "mean": (0, 0), "std": (1, 1)}, "canny is null"),
    ({"mean": (0.0,)}, "one value per fused channel"),
    ({"input_dtype": "uint8"}, "quantization is required"),
    ({"in_graph": ("fusion",)}, "trailing run"),
    ({"positive_label": "broken"}, "include positive_label"),
    ({"interpolation": "cubic"}, "interpolation"),
])
def test_inconsistent_specs_are_refused(changes, message):
    with pytest.raises(SpecError, match=message):
        PreprocessSpec(**changes)


def test_host_steps_of_fused_and_unfused():
    unfused = PreprocessSpec()
    assert unfused.host_steps == ("grayscale", "resize", "canny", "fusion", "normalize")
    assert unfused.input_shape == (128, 128, 3)
    fused = PreprocessSpec(in_graph=("canny", "fusion", "normalize"), input_dtype="uint8",
                           input_quantization=Quantization(1.0, 0))
    assert fused.host_steps == ("grayscale", "resize", "quantize")
    assert fused.input_shape == (128, 128, 1)


def test_default_channels_follow_the_architecture():
    from fracture_edge.training.config import TrainConfig, default_spec

    dcn = default_spec(TrainConfig())
    assert dcn.fusion == ("gray",) and dcn.canny is None and dcn.input_shape == (96, 96, 1)
    r50 = default_spec(TrainConfig(arch="resnet50"))
    assert r50.fusion == ("gray", "gray", "gray")
    edges = default_spec(TrainConfig(fusion=("gray", "edges", "gray")))
    assert edges.canny is not None and edges.input_shape == (96, 96, 3)


def test_a_spec_without_operating_point_reads_and_writes_as_before():
    """Models exported before the record existed still read; specs without one gain no key,
    so readers that predate it read them too. An explicit null is the same as no record."""
    d = PreprocessSpec().to_dict()
    assert "operating_point" not in d
    assert PreprocessSpec.from_dict(d).operating_point is None
    assert PreprocessSpec.from_dict({**d, "operating_point": None}) == PreprocessSpec()
    with_op = PreprocessSpec(operating_point=SHIPPED).to_dict()["operating_point"]
    assert with_op == {"target_sensitivity": 0.95, "confidence": 0.9, "sensitivity": 0.9612,
                       "sensitivity_interval": (0.951, 0.978), "specificity": 0.43,
                       "specificity_interval": (0.371, 0.492)}


@pytest.mark.parametrize("change, message", [
    ({"bogus": 1}, "unknown field(s) in spec.operating_point: bogus"),
    ({"confidence": 1.5}, "operating_point.confidence must lie in (0.5, 1)"),
    ({"confidence": "0.9"}, "operating_point.confidence must be a number"),
    ({"sensitivity": True}, "operating_point.sensitivity must be a number"),
    ({"target_sensitivity": 0}, "operating_point.target_sensitivity must lie in (0, 1]"),
    ({"specificity": 1.2}, "operating_point.specificity must lie in [0, 1]"),
    ({"sensitivity_interval": [0.98, 0.95]}, "operating_point.sensitivity_interval needs 0 <= low <= high <= 1"),
    ({"specificity_interval": [0.4]}, "operating_point.specificity_interval must be two numbers"),
])
def test_operating_point_is_checked_strictly(change, message):
    d = PreprocessSpec(operating_point=SHIPPED).to_dict()
    d["operating_point"] = {**d["operating_point"], **change}
    with pytest.raises(SpecError) as err:
        PreprocessSpec.from_json(json.dumps(d))
    assert message in str(err.value)


def test_operating_point_without_a_field_is_refused():
    d = PreprocessSpec(operating_point=SHIPPED).to_dict()
    del d["operating_point"]["specificity"]
    with pytest.raises(SpecError, match="operating_point.*specificity"):
        PreprocessSpec.from_dict(d)
