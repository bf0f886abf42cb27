"""PreprocessSpec: the contract from decoded pixels to the model's input tensor.

Most deployed classifiers fail in preprocessing that differs between Python and the phone, not
in the network. So every step is written down here, travels inside the exported ``.tflite``
(see :mod:`fracture_edge.core.tflite_meta`), and every consumer (training, calibration, evaluation,
LiteRT inference, Java, JavaScript) reads it from the model file rather than from flags.

The steps, in order (``STEPS``)::

    grayscale -> resize -> clahe -> blur -> canny -> fusion -> normalize -> quantize

``in_graph`` names the trailing steps that the model itself performs (a *fused* export runs
``canny, fusion, normalize`` inside the graph, so an app only decodes and resizes). The JSON
form is versioned; unknown versions or fields are refused, never silently ignored.

``operating_point`` (optional, absent from the JSON when None) records what cross-validation
promises at ``threshold``; specs written before it existed read unchanged.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import SpecError

SCHEMA = "fracture_edge.spec"
VERSION = 1
STEPS = ("grayscale", "resize", "clahe", "blur", "canny", "fusion", "normalize", "quantize")
#: Steps a model graph can take over (a suffix of STEPS before quantize).
GRAPH_STEPS = ("canny", "fusion", "normalize")
CHANNELS = ("gray", "edges")
INTERPOLATIONS = ("linear", "area", "nearest")
INPUT_DTYPES = ("float32", "uint8", "int8")
BT601 = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class Clahe:
    """Contrast-limited adaptive histogram equalisation (cv2.createCLAHE)."""

    clip_limit: float = 2.0
    tile_grid: int = 8


@dataclass(frozen=True)
class Blur:
    """Gaussian blur before edge detection (cv2.GaussianBlur, BORDER_REFLECT_101)."""

    ksize: int = 3
    sigma: float = 0.0


@dataclass(frozen=True)
class Canny:
    """cv2.Canny thresholds on the uint8 grayscale image; edges are 0 or 255."""

    low: float = 50.0
    high: float = 150.0
    aperture: int = 3
    l2_gradient: bool = False


@dataclass(frozen=True)
class Quantization:
    """Affine quantisation of the input tensor: q = clip(rint(x / scale) + zero_point)."""

    scale: float
    zero_point: int


@dataclass(frozen=True)
class OperatingPoint:
    """Why ``threshold`` is where it is (:mod:`fracture_edge.core.operating_point`): chosen on
    cross-validated predictions so that the family-bootstrap lower bound of sensitivity,
    one-sided at ``confidence``, reaches ``target_sensitivity``. ``sensitivity`` and
    ``specificity`` are what those predictions gave at the threshold; each interval's ends are
    one-sided bounds at ``confidence`` (together a central 2 * confidence - 1 interval).

    Checked strictly (numbers only, in range), as the Java and JavaScript readers check it.
    """

    target_sensitivity: float
    confidence: float
    sensitivity: float
    sensitivity_interval: tuple[float, float]
    specificity: float
    specificity_interval: tuple[float, float]

    def __post_init__(self) -> None:
        def fail(name: str, msg: str):
            raise SpecError(f"invalid spec: operating_point.{name} {msg}")

        for name in ("target_sensitivity", "confidence", "sensitivity", "specificity"):
            if not _is_number(getattr(self, name)):
                fail(name, "must be a number")
            object.__setattr__(self, name, float(getattr(self, name)))
        for name in ("sensitivity_interval", "specificity_interval"):
            v = getattr(self, name)
            if not isinstance(v, (list, tuple)) or len(v) != 2 or not all(map(_is_number, v)):
                fail(name, "must be two numbers")
            object.__setattr__(self, name, (float(v[0]), float(v[1])))
            if not 0.0 <= v[0] <= v[1] <= 1.0:
                fail(name, "needs 0 <= low <= high <= 1")
        if not 0.0 < self.target_sensitivity <= 1.0:
            fail("target_sensitivity", "must lie in (0, 1]")
        if not 0.5 < self.confidence < 1.0:
            fail("confidence", "must lie in (0.5, 1)")
        for name in ("sensitivity", "specificity"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                fail(name, "must lie in [0, 1]")


@dataclass(frozen=True)
class PreprocessSpec:
    """Every step from decoded pixels to the model's input tensor, plus how to read the output."""

    height: int = 128
    width: int = 128
    gray_weights: tuple[float, float, float] = BT601
    interpolation: str = "linear"
    clahe: Clahe | None = None
    blur: Blur | None = None
    canny: Canny | None = field(default_factory=Canny)
    fusion: tuple[str, ...] = ("gray", "edges", "gray")
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    input_dtype: str = "float32"
    input_quantization: Quantization | None = None
    in_graph: tuple[str, ...] = ()
    labels: tuple[str, str] = ("not fractured", "fractured")
    positive_label: str = "fractured"
    threshold: float = 0.5
    temperature: float = 1.0
    operating_point: OperatingPoint | None = None

    def __post_init__(self) -> None:
        _validate(self)

    # ----------------------------------------------------------------- derived views
    @property
    def channels(self) -> int:
        return len(self.fusion)

    @property
    def positive_index(self) -> int:
        return self.labels.index(self.positive_label)

    @property
    def fused(self) -> bool:
        """True when the graph runs Canny/fusion/normalisation and takes grayscale pixels."""
        return bool(self.in_graph)

    @property
    def host_steps(self) -> tuple[str, ...]:
        """Steps the caller must run before handing the tensor to the model."""
        steps = [s for s in STEPS if s not in self.in_graph and self._active(s)]
        return tuple(steps)

    def _active(self, step: str) -> bool:
        if step == "clahe":
            return self.clahe is not None
        if step == "blur":
            return self.blur is not None
        if step == "canny":
            return self.canny is not None
        if step == "quantize":
            return self.input_quantization is not None
        return True

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of the model input: C is 1 for a fused model (grayscale pixels)."""
        return (self.height, self.width, 1 if self.fused else self.channels)

    def replace(self, **changes: Any) -> "PreprocessSpec":
        return dataclasses.replace(self, **changes)

    def to_fused(self) -> "PreprocessSpec":
        """The spec of a fused model: the graph runs canny, fusion and normalize and takes the
        resized uint8 grayscale image (quantisation 1/0: the pixel values themselves)."""
        if self.clahe is not None or self.blur is not None:
            # They would have to run on the host before Canny: the app would do more than resize.
            raise SpecError("a fused model needs a spec without CLAHE or blur (they cannot run in-graph)")
        return self.replace(in_graph=GRAPH_STEPS, input_dtype="uint8", input_quantization=Quantization(1.0, 0))

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "input": {
                "height": self.height,
                "width": self.width,
                "dtype": self.input_dtype,
                "quantization": _asdict(self.input_quantization),
            },
            "grayscale": {"weights": list(self.gray_weights), "fixed_point_bits": 14},
            "resize": {"interpolation": self.interpolation},
            "clahe": _asdict(self.clahe),
            "blur": _asdict(self.blur),
            "canny": _asdict(self.canny),
            "fusion": list(self.fusion),
            "normalize": {"scale": "1/255", "mean": list(self.mean), "std": list(self.std)},
            "in_graph": list(self.in_graph),
            "labels": list(self.labels),
            "positive_label": self.positive_label,
            "threshold": self.threshold,
            "temperature": self.temperature,
            **({} if self.operating_point is None else {"operating_point": _asdict(self.operating_point)}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessSpec":
        if not isinstance(d, dict):
            raise SpecError("spec must be a JSON object")
        if d.get("schema") != SCHEMA:
            raise SpecError(f"not a fracture-edge spec (schema {d.get('schema')!r}, expected {SCHEMA!r})")
        if d.get("version") != VERSION:
            raise SpecError(
                f"unsupported spec version {d.get('version')!r}: this fracture-edge reads version {VERSION}"
            )
        top = {
            "schema", "version", "input", "grayscale", "resize", "clahe", "blur", "canny", "fusion",
            "normalize", "in_graph", "labels", "positive_label", "threshold", "temperature", "operating_point",
        }
        _no_unknown(d, top, "spec")
        inp = _section(d, "input", {"height", "width", "dtype", "quantization"})
        gray = _section(d, "grayscale", {"weights", "fixed_point_bits"})
        if gray.get("fixed_point_bits", 14) != 14:
            raise SpecError("spec.grayscale.fixed_point_bits must be 14")
        resize = _section(d, "resize", {"interpolation"})
        norm = _section(d, "normalize", {"scale", "mean", "std"})
        if norm.get("scale", "1/255") != "1/255":
            raise SpecError("spec.normalize.scale must be '1/255'")
        try:
            return cls(
                height=int(inp["height"]),
                width=int(inp["width"]),
                input_dtype=inp.get("dtype", "float32"),
                input_quantization=_sub(Quantization, inp.get("quantization"), "input.quantization"),
                gray_weights=tuple(float(w) for w in gray.get("weights", BT601)),
                interpolation=resize.get("interpolation", "linear"),
                clahe=_sub(Clahe, d.get("clahe"), "clahe"),
                blur=_sub(Blur, d.get("blur"), "blur"),
                canny=_sub(Canny, d.get("canny"), "canny"),
                fusion=tuple(d.get("fusion", ())),
                mean=tuple(float(m) for m in norm.get("mean", ())),
                std=tuple(float(s) for s in norm.get("std", ())),
                in_graph=tuple(d.get("in_graph", ())),
                labels=tuple(d["labels"]),
                positive_label=d["positive_label"],
                threshold=float(d.get("threshold", 0.5)),
                temperature=float(d.get("temperature", 1.0)),
                operating_point=_sub(OperatingPoint, d.get("operating_point"), "operating_point"),
            )
        except KeyError as exc:
            raise SpecError(f"spec is missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise SpecError(f"spec has a malformed value: {exc}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> "PreprocessSpec":
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SpecError(f"spec is not valid JSON: {exc}") from None
        return cls.from_dict(d)


def _asdict(obj) -> dict | None:
    return None if obj is None else dataclasses.asdict(obj)


def _no_unknown(d: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise SpecError(f"unknown field(s) in {where}: {', '.join(unknown)}")


def _section(d: dict, key: str, allowed: set[str]) -> dict:
    sec = d.get(key)
    if not isinstance(sec, dict):
        raise SpecError(f"spec.{key} must be an object")
    _no_unknown(sec, allowed, f"spec.{key}")
    return sec


def _is_number(v) -> bool:
    """A JSON number: bool is an int in Python but true/false in JSON, and Java and JavaScript
    refuse it as a number too."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _sub(cls, value, where: str):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SpecError(f"spec.{where} must be an object or null")
    names = {f.name for f in dataclasses.fields(cls)}
    _no_unknown(value, names, f"spec.{where}")
    try:
        return cls(**value)
    except TypeError as exc:
        raise SpecError(f"spec.{where}: {exc}") from None


def _validate(s: PreprocessSpec) -> None:
    def fail(msg: str):
        raise SpecError(f"invalid spec: {msg}")

    if s.height < 16 or s.width < 16:
        fail(f"input size {s.height}x{s.width} is below 16")
    if len(s.gray_weights) != 3 or abs(sum(s.gray_weights) - 1.0) > 1e-6:
        fail("grayscale weights must be three numbers summing to 1")
    if s.interpolation not in INTERPOLATIONS:
        fail(f"interpolation {s.interpolation!r} not one of {', '.join(INTERPOLATIONS)}")
    if not s.fusion or any(c not in CHANNELS for c in s.fusion):
        fail(f"fusion {list(s.fusion)} must list channels from {', '.join(CHANNELS)}")
    if "edges" in s.fusion and s.canny is None:
        fail("fusion uses 'edges' but canny is null")
    if len(s.mean) != len(s.fusion) or len(s.std) != len(s.fusion):
        fail("normalize mean/std need one value per fused channel")
    if any(v <= 0 for v in s.std):
        fail("normalize std must be positive")
    if s.canny is not None:
        if s.canny.aperture not in (3, 5, 7):
            fail("canny aperture must be 3, 5 or 7")
        if not 0 <= s.canny.low <= s.canny.high:
            fail("canny thresholds need 0 <= low <= high")
    if s.blur is not None and (s.blur.ksize < 1 or s.blur.ksize % 2 == 0):
        fail("blur ksize must be odd and positive")
    if s.input_dtype not in INPUT_DTYPES:
        fail(f"input dtype {s.input_dtype!r} not one of {', '.join(INPUT_DTYPES)}")
    if (s.input_dtype == "float32") != (s.input_quantization is None):
        fail("input quantization is required for integer inputs and forbidden for float32")
    if s.in_graph and tuple(s.in_graph) != GRAPH_STEPS[GRAPH_STEPS.index(s.in_graph[0]):]:
        fail(f"in_graph must be a trailing run of {', '.join(GRAPH_STEPS)}, got {list(s.in_graph)}")
    if len(s.labels) != 2 or s.positive_label not in s.labels:
        fail("labels must be two names and include positive_label")
    if not 0.0 <= s.threshold <= 1.0:
        fail("threshold must lie in [0, 1]")
    if s.temperature <= 0:
        fail("temperature must be positive")
