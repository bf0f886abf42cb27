"""Run every (model, runtime, threads) combination on one data split and return rows.

A row is a flat dict; the Markdown table, JSON, CSV, plots and HTML page are views of the rows.
A failure in one row (missing runtime package, a model that will not load) is caught and
reported in that row's ``status``, so one bad variant does not hide the others.

Variants are named, ordered and classed (reference or reduced precision) by the export variant
table, read generically: the reference is the recipe with no optimisation, no calibration and
float I/O, and every other variant is compared with it on the same images.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.folders import LoadedImages, load_dataset, load_images
from ..errors import FractureEdgeError, InputError, ModelFileError, check_choice
from ..metrics import agreement, auc_views, bootstrap_auc_difference, classification_metrics, mcnemar
from ..postprocess import calibrated
from ..preprocess import tensor_from_gray
from ..progress import progress
from ..runtimes import RUNTIMES, RuntimeUnavailable, check_names, open_session
from ..variants import VARIANTS, Variant
from .memory import PeakRSS

log = logging.getLogger("fracture_edge")

KERAS_VARIANT = "keras"
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class ModelRef:
    path: Path       # a .tflite or .onnx file, or a training run folder (Keras)
    kind: str        # "tflite", "onnx" or "keras"
    variant: str
    run: str         # the training run it came from: rows of one run are compared with its float model


def reference_variant(table: dict[str, Variant] = VARIANTS) -> str:
    """The variant every other one is compared with: no optimisation, no calibration, float I/O."""
    return next(v.name for v in table.values() if not v.optimizations and not v.calibrate and not v.integer_io)


def _source_run(model_file: Path) -> str:
    """The training run recorded in the variant's export manifest, else the export folder."""
    try:
        source = json.loads(model_file.with_name("manifest.json").read_text(encoding="utf-8")).get("source_run")
    except (OSError, ValueError, AttributeError):      # none, or not one export wrote: not fatal here
        source = None
    if isinstance(source, str) and source:
        return str(Path(source).resolve())
    return str(model_file.parent.parent.resolve())


def _file_ref(f: Path, kind: str) -> ModelRef:
    variant = f.parent.name if f.name == f"model.{kind}" else f.stem
    return ModelRef(f, kind, variant, _source_run(f))


def expand_models(paths) -> list[ModelRef]:
    """.tflite/.onnx files, export folders (every ``*/model.tflite``) and run folders (``model.keras``)."""
    refs: list[ModelRef] = []
    for p in map(Path, paths):
        if p.is_file() and p.suffix in (".tflite", ".onnx"):
            refs.append(_file_ref(p, p.suffix[1:]))
        elif p.is_dir() and (p / "model.keras").exists():
            refs.append(ModelRef(p, "keras", KERAS_VARIANT, str(p.resolve())))
        elif p.is_dir() and (p / "model.tflite").exists():
            refs.append(_file_ref(p / "model.tflite", "tflite"))
        elif p.is_dir() and _variant_files(p):
            refs.extend(_file_ref(f, "tflite") for f in _variant_files(p))
        elif not p.exists():
            raise InputError(f"model path does not exist: {p}")
        else:
            raise InputError(f"not a model: {p} (expected a .tflite, an export folder or a run folder)")
    return refs


def _variant_files(export_dir: Path) -> list[Path]:
    """``*/model.tflite`` of an export folder, but not in hidden folders: a killed export's
    temporary folder (``.NAME.PID.RANDOM.tmp``) is not a variant."""
    return sorted(f for f in export_dir.glob("*/model.tflite") if not f.parent.name.startswith("."))


def check_variants(names) -> list[str]:
    return check_choice(list(names), [*VARIANTS, KERAS_VARIANT], "variant")


def _onnx_refs(keras_refs: list[ModelRef], convert_onnx) -> tuple[list[ModelRef], list[dict]]:
    """ONNX float32 and ORT-int8 models of each run (converted once, cached in ``RUN/onnx``) by
    ``convert_onnx`` (run folder -> model files), which the training layer provides: the core
    runs ONNX models but cannot make them from Keras."""
    refs, failed = [], []
    for k in keras_refs:
        if convert_onnx is None:
            failed.append({"ref": k, "status": "unavailable: ONNX conversion of a Keras run needs the training layer"})
            continue
        try:
            refs.extend(ModelRef(f, "onnx", f.parent.name, k.run) for f in convert_onnx(k.path))
        except ImportError as exc:
            failed.append({"ref": k, "status": f"unavailable: ONNX conversion needs {exc.name} "
                                                 "(pip install 'fracture-edge[runtimes]')"})
        except FractureEdgeError as exc:
            failed.append({"ref": k, "status": f"error: ONNX conversion: {exc}"})
    return refs, failed


def _order(ref: ModelRef) -> tuple:
    """Run, then the Keras model, the reference variant and the rest in the variant table's order."""
    names = [KERAS_VARIANT, reference_variant(), *VARIANTS]
    return (ref.run, names.index(ref.variant) if ref.variant in names else len(names), ref.variant, ref.kind)


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
            "min_ms": float(min(times)),
            "iterations": iterations, "warmup": warmup}


def _sizes(ref: ModelRef) -> dict:
    path = ref.path / "model.keras" if ref.kind == "keras" else ref.path
    return _file_sizes(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _file_sizes(path: Path, mtime_ns: int) -> dict:
    """File and gzip size, once per file version (a ResNet50 file appears in several rows)."""
    data = path.read_bytes()
    return {"size_bytes": len(data), "gzip_bytes": len(gzip.compress(data, compresslevel=9, mtime=0))}


def bench(models, data, split: str | None = "test", runtimes=None, threads=(2,), warmup: int = 10,
          iterations: int = 100, variants=None, n_boot: int = 1000, convert_onnx=None) -> list[dict]:
    """One row per (model, runtime, threads), then the comparison of each variant with float.
    ``convert_onnx``: how a Keras run becomes ONNX models for the onnxruntime rows (the CLI passes
    :func:`fracture_edge.training.onnx_convert.convert_run`; without it those rows say why not)."""
    refs = expand_models(models)
    runtimes = check_names(runtimes) if runtimes is not None else list(RUNTIMES)
    if variants is not None:
        check_variants(variants)
    dataset = load_dataset(data)
    if split and dataset.splits and split not in dataset.splits:
        raise InputError(f"{data}: no '{split}' split (has {', '.join(dataset.splits)})")
    samples = dataset.subset(split) if split and split in dataset.splits else dataset.samples
    failed: list[dict] = []
    if "onnxruntime" in runtimes:
        onnx, failed = _onnx_refs([r for r in refs if r.kind == "keras"], convert_onnx)
        refs += onnx
    if variants is not None:
        refs = [r for r in refs if r.variant in variants]
    refs.sort(key=_order)
    jobs = [(ref, rt, th) for ref in refs for rt in runtimes if RUNTIMES[rt].model_kind == ref.kind
            for th in (threads if RUNTIMES[rt].sets_threads else threads[:1])]
    if not jobs and not failed:
        raise InputError("no (model, runtime) pair to bench: check --runtimes and --variants against the models")
    cache: dict = {}
    rows = [_failed_row(f["ref"], f["status"]) for f in failed]
    for ref, rt, th in progress(jobs, total=len(jobs), desc="bench", unit="row"):
        rows.append(_bench_row(ref, rt, th, samples, cache, warmup, iterations, n_boot))
    compare_with_float(rows, n_boot)
    return rows


def failed_rows(rows: list[dict], named_runtimes: bool) -> list[str]:
    """The rows that failed, named ``model/variant/runtime/N threads``: every error, and an
    unavailable runtime where the user named the runtimes (left to choose, the bench runs what
    is installed and the CPU supports, and an unavailable row only says what was left out)."""
    failed = ("error", "unavailable") if named_runtimes else ("error",)
    return [f"{r['model']}/{r['variant']}/{r['runtime']}" + (f"/{r['threads']} threads" if r.get("threads") else "")
            for r in rows if r["status"].split(":")[0] in failed]


def _failed_row(ref: ModelRef, status: str) -> dict:
    return {"model": Path(ref.run).name, "variant": "onnx", "runtime": "onnxruntime", "threads": None,
            "path": str(ref.path), "status": status}


def _bench_row(ref, rt, th, samples, cache, warmup, iterations, n_boot) -> dict:
    row = {"model": Path(ref.run).name, "variant": ref.variant, "runtime": rt, "threads": th,
           "path": str(ref.path), "run": ref.run, "kind": ref.kind,
           "reduced_precision": ref.variant not in (reference_variant(), KERAS_VARIANT), **_sizes(ref)}
    try:
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            session = open_session(rt, ref.path, th)
            row["load_ms"] = (time.perf_counter() - t0) * 1000
            row.update(getattr(session, "details", {}))
            images = _images_for(session, samples, cache)
            x = tensor_from_gray(images.gray[0], session.spec)
            row.update(time_inference(session, x, warmup, iterations))
            row.update(_evaluate(session, images, n_boot))
        row["peak_rss_mb"] = rss.added_mb
        row["status"] = "ok"
    except RuntimeUnavailable as exc:
        row["status"] = f"unavailable: {exc}"
    except FractureEdgeError as exc:
        row["status"] = f"error: {exc}"
    return row


def _images_for(session, samples, cache) -> LoadedImages:
    spec = session.spec
    if tuple(session.input_shape) != spec.input_shape:
        raise ModelFileError(f"model input {tuple(session.input_shape)} differs from the {spec.input_shape} "
                             "its spec makes from the data")
    key = (spec.height, spec.width, spec.interpolation, spec.gray_weights)
    if key not in cache:
        cache[key] = load_images(samples, spec, desc="decode")
    if not len(cache[key].samples):
        raise InputError("no image of the data split could be decoded")
    return cache[key]


def _evaluate(session, images: LoadedImages, n_boot: int) -> dict:
    spec = session.spec
    pre_times, probs = [], []
    for g in images.gray:
        t0 = time.perf_counter()
        x = tensor_from_gray(g, spec)
        pre_times.append((time.perf_counter() - t0) * 1000)
        probs.append(calibrated(session.run(x), spec))
    m = classification_metrics(images.labels, probs, spec.threshold)
    m.pop("confusion")
    families = [s.family for s in images.samples]
    groups = families if all(families) else None
    # the three AUCs (per file; each radiograph weighted equally; per radiograph) where the data
    # has families, per file alone where it does not; "auc" stays the per-file one
    for view, v in auc_views(images.labels, probs, groups, n_boot).items():
        key = "auc" if view == "per_file" else f"auc_{view}"
        m[key], (m[f"{key}_lo"], m[f"{key}_hi"]) = v["auc"], v["interval"]
    m["bootstrap_unit"] = "family" if groups else "image"
    m["preprocess_ms"] = statistics.median(pre_times)
    m["fused"] = spec.fused
    m["labels"] = images.labels.tolist()
    m["groups"] = groups
    m["probabilities"] = [float(p) for p in probs]
    return m


def _reference_row(row: dict, rows: list[dict]) -> dict | None:
    """The float model of the same run: the reference variant on the same runtime and threads, else
    the reference variant on any runtime, else the Keras model."""
    ok = [r for r in rows if r.get("status") == "ok" and r.get("run") == row.get("run")]
    for match in (lambda r: r["variant"] == reference_variant() and r["runtime"] == row["runtime"]
                  and r["threads"] == row["threads"],
                  lambda r: r["variant"] == reference_variant(),
                  lambda r: r["variant"] == KERAS_VARIANT):
        found = [r for r in ok if match(r)]
        if found:
            return found[0]
    return None


def compare_with_float(rows: list[dict], n_boot: int = 1000) -> None:
    """Agreement, McNemar and the AUC-difference interval of each row against its float model."""
    for row in rows:
        ref = _reference_row(row, rows) if row.get("status") == "ok" else None
        if ref is None:
            continue
        y = np.asarray(row["labels"])
        a, b = np.asarray(row["probabilities"]), np.asarray(ref["probabilities"])
        row["reference"] = f"{ref['variant']}/{ref['runtime']}"
        row["agreement"] = agreement(a, b, row["threshold"])
        if ref is row:
            continue
        t = mcnemar((b >= ref["threshold"]) == y, (a >= row["threshold"]) == y)
        d = bootstrap_auc_difference(y, a, b, row["groups"], n_boot)
        row.update({"mcnemar_b": t["b"], "mcnemar_c": t["c"], "mcnemar_p": t["p_value"],
                    "auc_delta": d["delta"], "auc_delta_lo": d["lo"], "auc_delta_hi": d["hi"]})
        row["versus_float"] = verdict(d["lo"], d["hi"], t)


def verdict(auc_lo: float | None, auc_hi: float | None, mcnemar_test: dict) -> str:
    """"worse" where the ΔAUC interval lies below 0 or McNemar finds more decisions lost than
    won (p < 0.05), "better" where either finds the opposite and neither a loss, else "n.s."."""
    decisive = mcnemar_test["p_value"] < SIGNIFICANCE
    lost, won = mcnemar_test["b"], mcnemar_test["c"]
    if (auc_hi is not None and auc_hi < 0) or (decisive and lost > won):
        return "worse"
    if (auc_lo is not None and auc_lo > 0) or (decisive and won > lost):
        return "better"
    return "n.s."


def bench_meta(models, data, split, threads, warmup: int, iterations: int) -> dict:
    """What a reader of a report needs to trust or redo its numbers: among them the CPU's model
    and instruction-set flags, which decide the kernels (and OpenVINO's default precision)."""
    import os

    from ..cpu import cpu_info
    from ..versions import library_versions

    cpu = cpu_info()
    return {"models": [str(m) for m in models], "data": str(data), "split": split, "threads": list(threads),
            "warmup": warmup, "iterations": iterations, "cpu": cpu["model"],
            "cpu_flags": ", ".join(cpu["flags"]) or "unknown", "cpu_count": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "versions": library_versions()}
