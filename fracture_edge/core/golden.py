"""Golden vectors: what :mod:`fracture_edge.core.preprocess` makes of given pixels, for other languages.

The Java core (``android_demo/core``) and the JavaScript port (``web_demo``) are pinned to the one
Python implementation by these files. A golden folder holds raw little-endian arrays and an
``index.json`` that describes them::

    index.json        {"format": "fracture-edge golden", "version": 1, "images": [...], "specs": {...}, "cases": [...]}
    images/NAME.u8    decoded pixels (what decode.decode_file returns): uint8, H x W or H x W x 3
    images/NAME.grayK.u8   its grayscale conversion (one per set of weights)
    cases/IMAGE--SPEC/     resized.u8, edges.u8 (when the host runs Canny), input.<u8|i8|f32>

``index.json`` lists the images, the specs by name (their JSON form) and the cases (image,
spec name, and the file, dtype and shape of each step).

Each case pairs one image with one spec and gives every intermediate step, so a port that
drifts is told which step drifted. The expected input tensor is bit-exact for integer dtypes;
for float32 the ports are held to 1e-6 (they match bit for bit where they compute in float32).

Bit-exactness starts at the decoded pixels: phones decode JPEGs with their own decoders.

Regenerate the small committed set (synthetic images only) with::

    python -m fracture_edge.core.golden --out android_demo/core/src/test/resources/golden --size 32
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import preprocess as pp
from .decode import decode_file, image_files
from .errors import DecodeError
from .spec import Canny, OperatingPoint, PreprocessSpec, Quantization

FORMAT = "fracture-edge golden"
VERSION = 1
#: The input scale an int8 export with uint8 input typically gets (1/255 in float32).
UINT8_SCALE = float(np.float32(1.0 / 255.0))
#: EfficientNet-Lite's normalisation, (x - 127) / 128 in grey levels, in the spec's
#: (x/255 - mean) / std form (models/registry.py; tests/test_golden.py keeps the two equal).
LITE_MEAN, LITE_STD = 127 / 255, 128 / 255
#: The input quantisation the converter gives EfficientNet-Lite0's int8 exports calibrated on
#: radiographs (benchmarks/lite_latency): a scale two float32 ulps under 1/128, zero point 127
#: for uint8 input (the grey level itself) and -1 for int8 (the grey level less 128).
LITE_SCALE = 0.007812499068677425


def golden_specs(size: int) -> dict[str, PreprocessSpec]:
    """The specs every golden image is run through, by case-name suffix.

    The first four are the ones the issue names (unfused and fused, float and integer input);
    the next six each change one setting a port could get wrong; the last three are
    EfficientNet-Lite's (its mean/std, one or three gray channels, uint8 and int8 input).
    """
    base = PreprocessSpec(height=size, width=size)
    lite = base.replace(canny=None, fusion=("gray",), mean=(LITE_MEAN,), std=(LITE_STD,))
    lite3 = lite.replace(fusion=("gray",) * 3, mean=(LITE_MEAN,) * 3, std=(LITE_STD,) * 3)
    fused = base.to_fused()  # what a fused export embeds: uint8 gray pixels in, scale 1
    return {
        "unfused-float32": base,
        "unfused-uint8": base.replace(input_dtype="uint8", input_quantization=Quantization(UINT8_SCALE, 0)),
        "fused-float32": fused.replace(input_dtype="float32", input_quantization=None),
        # What a shipped export embeds, with an operating point as `train --operating-point` adds one
        # (made-up numbers: the readers must take them as written).
        "fused-uint8": fused.replace(threshold=0.3127, temperature=2.5, operating_point=OperatingPoint(
            target_sensitivity=0.95, confidence=0.9, sensitivity=0.9612, sensitivity_interval=(0.951, 0.978),
            specificity=0.4304, specificity_interval=(0.371, 0.492))),
        # int8 input with a zero point and non-trivial mean/std: rint ties and clipping.
        "unfused-int8-meanstd": base.replace(
            mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), input_dtype="int8",
            input_quantization=Quantization(0.017352764, -14)),
        "nearest-float32": base.replace(interpolation="nearest"),
        "canny-l2-aperture5": base.replace(canny=Canny(30.0, 90.5, 5, True), fusion=("edges", "gray"),
                                           mean=(0.0, 0.0), std=(1.0, 1.0)),
        "canny-aperture7": base.replace(canny=Canny(400.0, 1200.0, 7, False), fusion=("edges",),
                                        mean=(0.5,), std=(0.5,)),
        "weights-bt709-gray-only": base.replace(gray_weights=(0.2126, 0.7152, 0.0722), canny=None,
                                                fusion=("gray",), mean=(0.2,), std=(0.7,)),
        # 256 columns from an odd width put resize weights exactly half way between two
        # 1/256 steps: OpenCV rounds those to even.
        "resize-ties-uint8": base.replace(width=256, height=24, canny=None, fusion=("gray",), mean=(0.0,),
                                          std=(1.0,), input_dtype="uint8",
                                          input_quantization=Quantization(UINT8_SCALE, 0)),
        # EfficientNet-Lite as train writes it (one gray channel for the summed stem, or gray
        # copied to three for the RGB stem) and as its int8 exports take it.
        "lite-gray-float32": lite,
        "lite-gray-uint8": lite.replace(input_dtype="uint8", input_quantization=Quantization(LITE_SCALE, 127)),
        "lite-gray3-int8": lite3.replace(input_dtype="int8", input_quantization=Quantization(LITE_SCALE, -1)),
    }


def synthetic_images(size: int) -> dict[str, np.ndarray]:
    """Small deterministic images that exercise resize and Canny corner cases.

    One of them already has the model's ``size``, so every source pixel reaches the tensor.
    """
    rng = np.random.default_rng(20240611)
    images = {f"noise-gray-{size}x{size}": rng.integers(0, 256, (size, size), dtype=np.uint8)}
    images["noise-rgb-37x45"] = rng.integers(0, 256, (37, 45, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:64, 0:64]
    images["gradient-gray-64x64"] = ((xx * 3 + yy * 2) % 256).astype(np.uint8)  # exact 2x down
    shapes = np.full((75, 100), 40, np.uint8)
    shapes[10:60, 15:45] = 200
    shapes[30:70, 60:90] = 120
    rr = (yy[:40, :40] - 20) ** 2 + (xx[:40, :40] - 20) ** 2 < 15 ** 2
    shapes[20:60, 50:90][rr] = 250
    shapes = np.clip(shapes.astype(int) + rng.integers(-12, 13, shapes.shape), 0, 255).astype(np.uint8)
    images["shapes-gray-75x100"] = shapes
    images["small-rgb-13x20"] = rng.integers(0, 256, (13, 20, 3), dtype=np.uint8)      # upscaled
    stripes = np.zeros((97, 31, 3), np.uint8)
    stripes[::4] = (255, 0, 0)
    stripes[1::4] = (0, 255, 0)
    stripes[2::4] = (0, 0, 255)
    stripes[:, ::5] = (255, 255, 255)
    images["stripes-rgb-97x31"] = stripes
    flat = np.zeros((50, 50), np.uint8)
    flat[10:40, 10:40] = 255
    images["binary-gray-50x50"] = flat
    return images


def real_images(root: Path, count: int) -> dict[str, np.ndarray]:
    """``count`` decodable images from a folder tree, spread evenly over its sorted file list."""
    files = image_files(root)
    if not files:
        raise FileNotFoundError(f"no images under {root}")
    out: dict[str, np.ndarray] = {}
    step = max(1, len(files) // count)
    for f in files[::step]:
        if len(out) == count:
            break
        try:
            pixels = decode_file(f)
        except DecodeError:  # damaged files are the decode tests' business, not ours
            continue
        name = "real-" + "".join(c if c.isalnum() else "-" for c in f.relative_to(root).as_posix())
        out[name] = pixels
    return out


@dataclass
class GoldenSet:
    root: Path
    index: dict

    @property
    def cases(self) -> list[dict]:
        return self.index["cases"]


def write_golden(out: Path, images: dict[str, np.ndarray], specs: dict[str, PreprocessSpec],
                 sources: dict[str, str] | None = None) -> GoldenSet:
    """Run every image through every spec and write the golden folder ``out``."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    index = {"format": FORMAT, "version": VERSION, "images": [], "specs": {}, "cases": []}
    for suffix, spec in specs.items():
        index["specs"][suffix] = spec.to_dict()
    for name, pixels in images.items():
        pixels = np.ascontiguousarray(pixels, np.uint8)
        index["images"].append({"name": name, **_array(out, "images", name, pixels),
                                "source": (sources or {}).get(name, "synthetic")})
        grays: dict[tuple, dict] = {}  # one gray image per set of weights
        for suffix, spec in specs.items():
            gray = pp.to_gray(pixels, spec)
            if spec.gray_weights not in grays:
                grays[spec.gray_weights] = _array(out, "images", f"{name}.gray{len(grays)}", gray)
            index["cases"].append(_write_case(out, name, suffix, pixels, gray, grays[spec.gray_weights], spec))
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return GoldenSet(out, index)


def _write_case(out: Path, image: str, suffix: str, pixels: np.ndarray, gray: np.ndarray, gray_entry: dict,
                spec: PreprocessSpec) -> dict:
    case = f"{image}--{suffix}"
    folder = f"cases/{case}"
    resized = pp.resize(gray, spec)
    steps = {"gray": gray_entry, "resized": _array(out, folder, "resized", resized)}
    if "canny" in spec.host_steps:
        steps["edges"] = _array(out, folder, "edges", pp.edges(pp.enhance(resized, spec), spec))
    return {"name": case, "image": image, "spec": suffix, "steps": steps,
            "input": _array(out, folder, "input", pp.model_input(pixels, spec))}


_EXT = {"uint8": "u8", "int8": "i8", "float32": "f32"}


def _array(out: Path, folder: str, stem: str, a: np.ndarray) -> dict:
    dtype = a.dtype.name
    path = f"{folder}/{stem}.{_EXT[dtype]}"
    (out / folder).mkdir(parents=True, exist_ok=True)
    (out / path).write_bytes(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes())
    return {"file": path, "dtype": dtype, "shape": list(a.shape)}


def read_array(root: Path, entry: dict) -> np.ndarray:
    """An array a golden index entry points to (for tests and tools)."""
    dtype = np.dtype(entry.get("dtype", "uint8")).newbyteorder("<")
    return np.fromfile(Path(root) / entry["file"], dtype).reshape(entry["shape"])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Write golden preprocessing vectors for the Java/JS ports.")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--size", type=int, default=32, help="model input height and width")
    ap.add_argument("--real", type=Path, help="also take images from this folder tree")
    ap.add_argument("--real-count", type=int, default=12)
    args = ap.parse_args(argv)
    images = synthetic_images(args.size)
    sources = {}
    if args.real:
        real = real_images(args.real, args.real_count)
        images.update(real)
        sources = {k: "real" for k in real}
    gs = write_golden(args.out, images, golden_specs(args.size), sources)
    print(f"wrote {len(gs.cases)} golden cases ({len(images)} images) to {args.out}")


if __name__ == "__main__":
    main()
