"""Run every (model, runtime, threads) combination on one data split and return rows.

A row is a flat dict; the Markdown table, JSON and plots are views of the rows. A failure in
one row (missing runtime package, a model that will not load) is caught and reported in that
row's ``status``, so one bad variant does not hide the others.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.folders import LoadedImages, load_dataset, load_images
from ..errors import FractureEdgeError, InputError
from ..metrics import classification_metrics
from ..postprocess import calibrated
from ..preprocess import tensor_from_gray
from ..progress import progress
from ..runtimes import RUNTIMES, RuntimeUnavailable, check_names, open_session

log = logging.getLogger("fracture_edge")


@dataclass(frozen=True)
class ModelRef:
    path: Path       # a .tflite file, or a training run folder (Keras)
    kind: str        # "tflite" or "keras"
    variant: str


def expand_models(paths) -> list[ModelRef]:
    """.tflite files, export folders (every ``*/model.tflite``) and run folders (``model.keras``)."""
    refs: list[ModelRef] = []
    for p in map(Path, paths):
        if p.is_file() and p.suffix == ".tflite":
            variant = p.parent.name if p.name == "model.tflite" else p.stem
            refs.append(ModelRef(p, "tflite", variant))
        elif p.is_dir() and (p / "model.keras").exists():
            refs.append(ModelRef(p, "keras", "keras-float"))
        elif p.is_dir() and (p / "model.tflite").exists():
            refs.append(ModelRef(p / "model.tflite", "tflite", p.name))
        elif p.is_dir() and sorted(p.glob("*/model.tflite")):
            refs.extend(ModelRef(f, "tflite", f.parent.name) for f in sorted(p.glob("*/model.tflite")))
        elif not p.exists():
            raise InputError(f"model path does not exist: {p}")
        else:
            raise InputError(f"not a model: {p} (expected a .tflite, an export folder or a run folder)")
    return refs


def time_inference(session, x: np.ndarray, warmup: int, iterations: int) -> dict:
    """Batch-1 latency after warm-up: median, p90 and p99 in milliseconds."""
    t0 = time.perf_counter()
    session.run(x)
    first = (time.perf_counter() - t0) * 1000
    for _ in range(warmup):
        session.run(x)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        session.run(x)
        times.append((time.perf_counter() - t0) * 1000)
    q = np.percentile(times, [50, 90, 99])
    return {"first_ms": first, "latency_ms": float(q[0]), "p90_ms": float(q[1]), "p99_ms": float(q[2]),
            "iterations": iterations}


def _size(ref: ModelRef) -> int:
    return (ref.path / "model.keras").stat().st_size if ref.kind == "keras" else ref.path.stat().st_size


def bench(models, data, split: str | None = "test", runtimes=None, threads=(2,),
          warmup: int = 10, iterations: int = 100) -> list[dict]:
    refs = expand_models(models)
    if runtimes is not None:
        check_names(runtimes)
    dataset = load_dataset(data)
    samples = dataset.subset(split) if split and split in dataset.splits else dataset.samples
    if split and dataset.splits and split not in dataset.splits:
        raise InputError(f"{data}: no '{split}' split (has {', '.join(dataset.splits)})")
    cache: dict = {}
    rows = []
    jobs = [(ref, rt, th) for ref in refs for rt in (runtimes or RUNTIMES)
            if RUNTIMES[rt].model_kind == ref.kind for th in threads]
    if not jobs:
        raise InputError("no (model, runtime) pair to bench: check --runtimes against the model files")
    for ref, rt, th in progress(jobs, total=len(jobs), desc="bench", unit="row"):
        row = {"model": str(ref.path), "variant": ref.variant, "runtime": rt, "threads": th,
               "size_bytes": _size(ref)}
        try:
            session = open_session(rt, ref.path, th)
            row.update(_evaluate(session, samples, cache))
            x = tensor_from_gray(_images_for(session.spec, samples, cache).gray[0], session.spec)
            row.update(time_inference(session, x, warmup, iterations))
            row["status"] = "ok"
        except RuntimeUnavailable as exc:
            row["status"] = f"unavailable: {exc}"
        except FractureEdgeError as exc:
            row["status"] = f"error: {exc}"
        rows.append(row)
    return rows


def _images_for(spec, samples, cache) -> LoadedImages:
    key = (spec.height, spec.width, spec.interpolation, spec.gray_weights)
    if key not in cache:
        cache[key] = load_images(samples, spec, desc="decode")
    return cache[key]


def _evaluate(session, samples, cache) -> dict:
    spec = session.spec
    images = _images_for(spec, samples, cache)
    if images.gray.shape[1:] != spec.input_shape[:2]:
        raise InputError(f"model input {spec.input_shape} does not match the data")
    pre_times, probs = [], []
    for g in images.gray:
        t0 = time.perf_counter()
        x = tensor_from_gray(g, spec)
        pre_times.append((time.perf_counter() - t0) * 1000)
        probs.append(calibrated(session.run(x), spec))
    m = classification_metrics(images.labels, probs, spec.threshold)
    m.pop("confusion")
    m["preprocess_ms"] = statistics.median(pre_times)
    m["probabilities"] = [float(p) for p in probs]
    return m
