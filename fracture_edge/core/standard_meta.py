"""Standard TFLite Metadata (the schema MediaPipe Tasks and Android Studio read) for a spec.

Why: an app that loads a classifier with MediaPipe Tasks' ``ImageClassifier`` finds how to feed
it in the standard ``TFLITE_METADATA`` entry (input ``ImageProperties`` and
``NormalizationOptions``), what its output means in a label file, how to calibrate its score
(``ScoreCalibrationOptions``) and when to report it (``ScoreThresholdingOptions``). Export
writes that entry beside the project's own ``fracture_edge.spec``, which stays the source of
truth; only specs whose every host step the standard can express get one, and
:func:`standard_gap` says why the others do not.

What the standard cannot say, and why that is still exact or bounded:

- it has no resize method: MediaPipe resizes with its own (bilinear) code, so images already at
  the model's size are fed exactly and larger ones within the resize difference;
- its label file labels the output's one score, the positive label's;
- a uint8 input takes MediaPipe's raw pixels, which are the spec's quantised tensor only when
  the input scale and zero point map pixels onto the normalised range within one step.

The writer needs only the ``flatbuffers`` package (LiteRT depends on it); the schema's field
slots are those of ``metadata_schema.fbs``. Associated files (labels, calibration) travel as an
uncompressed zip appended to the flatbuffer, as the standard prescribes; :func:`read_standard`
reads the entry back for ``inspect``.
"""

from __future__ import annotations

import io
import struct
import zipfile

from .spec import BT601, PreprocessSpec

STANDARD_NAME = "TFLITE_METADATA"
LABEL_FILE = "labels.txt"
CALIBRATION_FILE = "score_calibration.txt"
#: metadata_schema.fbs features used here (score thresholding) need parser 1.0.1 or later.
MIN_PARSER_VERSION = "1.0.1"
_IDENTIFIER = b"M001"

# Enum values of metadata_schema.fbs.
_RGB, _GRAYSCALE = 1, 2
_IMAGE_PROPERTIES = 2
_NORMALIZATION, _SCORE_CALIBRATION, _SCORE_THRESHOLDING = 1, 2, 3
_AXIS_LABELS, _AXIS_SCORE_CALIBRATION = 2, 4
_INVERSE_LOGISTIC = 2


def standard_gap(spec: PreprocessSpec) -> str | None:
    """Why the standard metadata cannot describe how to feed a model with this spec, or None.

    MediaPipe decodes an image, converts it to the model's colour space, resizes it and
    normalises it; a spec that needs anything else on the host would be fed wrongly."""
    if spec.fused:
        return None if tuple(spec.gray_weights) == BT601 else _weights_gap(spec)
    if spec.canny is not None or "edges" in spec.fusion:
        return "the input carries a Canny edge channel computed on the host; the standard has no edge step"
    if spec.clahe is not None or spec.blur is not None:
        return "the host applies CLAHE or blur before the model; the standard has no such step"
    if spec.channels not in (1, 3):
        return f"the input has {spec.channels} channels; the standard describes gray (1) or RGB (3) images"
    if spec.channels == 1 and tuple(spec.gray_weights) != BT601:
        return _weights_gap(spec)
    if spec.input_dtype not in ("float32", "uint8"):
        return f"the input is {spec.input_dtype}; MediaPipe feeds images as float32 or uint8 tensors"
    if spec.input_dtype == "uint8":
        steps = raw_pixel_error(spec)
        if steps > 1.0:
            return (f"the uint8 input's quantisation puts raw pixels up to {steps:.1f} steps from the spec's "
                    "tensor, and MediaPipe feeds raw pixels to uint8 inputs")
    return None


def _weights_gap(spec: PreprocessSpec) -> str:
    return f"grayscale weights {list(spec.gray_weights)} are not BT.601, the conversion MediaPipe uses"


def raw_pixel_error(spec: PreprocessSpec) -> float:
    """Largest distance, in input quantisation steps, between a raw pixel (what MediaPipe feeds
    a uint8 input) and the spec's quantised tensor for that pixel, over 0..255. The map from
    pixel to real value is affine in both, so the ends of the range bound it."""
    q = spec.input_quantization
    worst = 0.0
    for channel in range(spec.channels):
        for pixel in (0.0, 255.0):
            real = (pixel / 255.0 - spec.mean[channel]) / spec.std[channel]
            worst = max(worst, abs(real / q.scale + q.zero_point - pixel))
    return worst


def normalization(spec: PreprocessSpec) -> tuple[list[float], list[float]]:
    """The spec's mean and std in the standard's units, ``(pixel - mean) / std`` on 0..255; a
    fused model takes the pixels themselves (its graph normalises)."""
    if spec.fused:
        return [0.0], [1.0]
    return [m * 255.0 for m in spec.mean], [s * 255.0 for s in spec.std]


def standard_metadata(spec: PreprocessSpec, input_name: str, output_name: str) -> tuple[bytes, dict[str, bytes]]:
    """The ``TFLITE_METADATA`` flatbuffer for a describable spec, and the files it names."""
    import flatbuffers

    b = flatbuffers.Builder(1024)

    def table(slots):
        """One table: ``slots`` is a list of (slot, kind, value) with offsets already built."""
        b.StartObject(max(s for s, _, _ in slots) + 1)
        for slot, kind, value in slots:
            if kind == "offset":
                b.PrependUOffsetTRelativeSlot(slot, value, 0)
            elif kind == "byte":
                b.PrependInt8Slot(slot, value, -1)      # -1: never the default, always written
            elif kind == "uint":
                b.PrependUint32Slot(slot, value, 0xFFFFFFFF)
            else:
                b.PrependFloat32Slot(slot, value, float("nan"))
        return b.EndObject()

    def vector(offsets):
        b.StartVector(4, len(offsets), 4)
        for o in reversed(offsets):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    def floats(values):
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependFloat32(v)
        return b.EndVector()

    def process_unit(kind, options):
        return table([(0, "byte", kind), (1, "offset", options)])

    def associated(name, kind, description):
        name, description = b.CreateString(name), b.CreateString(description)
        return table([(0, "offset", name), (1, "offset", description), (2, "byte", kind)])

    mean, std = normalization(spec)
    size = table([(0, "uint", spec.width), (1, "uint", spec.height)])
    gray = spec.input_shape[2] == 1
    image = table([(0, "byte", _GRAYSCALE if gray else _RGB), (1, "offset", size)])
    content = table([(0, "byte", _IMAGE_PROPERTIES), (1, "offset", image)])
    norm = table([(0, "offset", floats(mean)), (1, "offset", floats(std))])
    low, high = (min(-m / s for m, s in zip(mean, std)), max((255 - m) / s for m, s in zip(mean, std)))
    stats = table([(0, "offset", floats([high])), (1, "offset", floats([low]))])
    inp = table([(0, "offset", b.CreateString(input_name)),
                 (1, "offset", b.CreateString(f"Resized image ({'gray' if gray else 'RGB'}), "
                                              "normalised as the spec's 'normalize' step")),
                 (3, "offset", content), (4, "offset", vector([process_unit(_NORMALIZATION, norm)])),
                 (5, "offset", stats)])

    files = {LABEL_FILE: spec.positive_label.encode("utf-8")}   # one line per score, none after
    out_files = [associated(LABEL_FILE, _AXIS_LABELS, "The output's one score is this label's probability.")]
    units = []
    if spec.temperature != 1.0:
        # sigmoid(slope * logit(p) + offset) with slope 1/T is the spec's temperature scaling.
        files[CALIBRATION_FILE] = f"1.0,{1.0 / spec.temperature!r},0.0".encode("ascii")  # an empty line would be a class
        out_files.append(associated(CALIBRATION_FILE, _AXIS_SCORE_CALIBRATION,
                                    "Temperature scaling of the spec: sigmoid(logit(p) / T)."))
        calibration = table([(0, "byte", _INVERSE_LOGISTIC), (1, "float", 0.0)])
        units.append(process_unit(_SCORE_CALIBRATION, calibration))
    units.append(process_unit(_SCORE_THRESHOLDING, table([(0, "float", spec.threshold)])))
    out_content = table([(0, "byte", 1), (1, "offset", table([(0, "uint", 0)]))])   # FeatureProperties
    out_stats = table([(0, "offset", floats([1.0])), (1, "offset", floats([0.0]))])
    out = table([(0, "offset", b.CreateString(output_name)),
                 (1, "offset", b.CreateString(f"Probability that the image shows '{spec.positive_label}'; "
                                              f"decide at the threshold {spec.threshold:.6g}")),
                 (3, "offset", out_content), (4, "offset", vector(units)), (5, "offset", out_stats),
                 (6, "offset", vector(out_files))])
    subgraph = table([(0, "offset", b.CreateString("image_classifier")),
                      (2, "offset", vector([inp])), (3, "offset", vector([out]))])
    model = table([(0, "offset", b.CreateString("fracture-edge classifier")),
                   (1, "offset", b.CreateString("Bone-fracture X-ray classifier exported by fracture-edge; "
                                                "the fracture_edge.spec metadata entry is the full preprocessing "
                                                "spec. Research software: not a medical device.")),
                   (3, "offset", vector([subgraph])),
                   (7, "offset", b.CreateString(MIN_PARSER_VERSION))])
    b.Finish(model, file_identifier=_IDENTIFIER)
    return bytes(b.Output()), files


def append_files(model_bytes: bytes, files: dict[str, bytes]) -> bytes:
    """The model with ``files`` appended as an uncompressed zip (MediaPipe reads stored entries
    only); the flatbuffer's offsets all point backwards, so runtimes read it unchanged."""
    if not files:
        return model_bytes
    out = io.BytesIO(model_bytes)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))   # same bytes on every export
            z.writestr(info, data)
    return out.getvalue()


def read_standard(buf: bytes, name: str = "<model>") -> dict | None:
    """What the standard entry tells a reader (for ``inspect``), or None when there is none."""
    from .errors import ModelFileError
    from .tflite_meta import _Table, read_metadata

    data = read_metadata(buf, name).get(STANDARD_NAME)
    if data is None:
        return None
    try:
        if data[4:8] != _IDENTIFIER:
            raise struct.error
        graph = _Table(data, struct.unpack_from("<I", data, 0)[0]).tables(3)[0]
        inp, out = graph.tables(2)[0], graph.tables(3)[0]
        image = inp.table(3).table(1)
        size = image.table(1)
        norm = inp.tables(4)[0].table(1)
        units = {u.scalar(0, "<B"): u.table(1) for u in out.tables(4)}
        files = [f.string(0) for f in out.tables(6)]
        with zipfile.ZipFile(io.BytesIO(buf)) as z:
            labels = z.read(LABEL_FILE).decode("utf-8").splitlines()
            calibration = z.read(CALIBRATION_FILE).decode("ascii").strip() if CALIBRATION_FILE in files else None
    except (struct.error, IndexError, AttributeError, KeyError, UnicodeDecodeError, zipfile.BadZipFile):
        raise ModelFileError(f"{name}: corrupt standard metadata ({STANDARD_NAME})") from None
    threshold = units.get(_SCORE_THRESHOLDING)
    return {"color_space": {_RGB: "RGB", _GRAYSCALE: "GRAYSCALE"}.get(image.scalar(0, "<b"), "UNKNOWN"),
            "size": [size.scalar(0, "<I"), size.scalar(1, "<I")],
            "normalization": {"mean": norm.floats(0), "std": norm.floats(1)},
            "labels": labels, "score_calibration": calibration,
            "score_threshold": None if threshold is None else threshold.scalar(0, "<f"),
            "associated_files": files}
