"""Export a training run to TFLite variants: convert, validate against Keras, then write.

For each variant: convert the run's Keras model per its recipe, read the input quantisation
the converter chose into the spec, embed the spec in the flatbuffer, run the result on the
run's validation split and compare it with the float Keras model. Only a model that passes
the agreement gate is renamed into ``<out>/<variant>/`` (model.tflite, spec.json,
manifest.json); a failing one leaves nothing behind.

``fused=True`` exports ``<variant>-fused``: the float in-graph preprocessing (Canny, fusion,
normalisation) stitched in front of the variant's network, taking uint8 grayscale pixels.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ...core.data.folders import load_images
from ...core.errors import FractureEdgeError, InputError
from ...core.files import atomic_dir, write_bytes, write_json, write_text
from ...core.metrics import agreement, classification_metrics
from ...core.postprocess import calibrated
from ...core.variants import Variant
from ...core.versions import library_versions
from .calibration import DEFAULT_SIZE, representative_tensors
from .fallback import FloatReference, fall_back
from .run_folder import RunFolder
from .validate import DEFAULT_MIN_AGREEMENT, litert_probabilities, spec_for_model, tensor_info

#: A variant folder's manifest kind (what --force may replace).
KIND = "fracture-edge export"


log = logging.getLogger("fracture_edge")


def variant_dir_name(variant: Variant, fused: bool) -> str:
    return f"{variant.name}-fused" if fused else variant.name


def export_run(run_dir, variants: list[Variant], out=None, force: bool = False,
               calibration_size: int = DEFAULT_SIZE, min_agreement: float = DEFAULT_MIN_AGREEMENT,
               seed: int = 0, fused: bool = False, on_done=None, batch: int | None = None,
               debug_quant: bool = False, fallback: bool = False) -> list[dict]:
    """Export each variant; returns their manifests, and hands each to ``on_done`` as soon as
    it is written. A failing variant raises with nothing of it written; earlier ones stay.
    ``batch`` fixes the models' batch dimension (None: dynamic, as Keras has it);
    ``debug_quant`` adds the per-layer error report to every quantised variant; ``fallback``
    (``--fallback auto``) re-quantises a calibrated variant that fails the gate with its worst
    layers kept in float, one more at a time (:func:`.fallback.fall_back`)."""
    run = RunFolder(run_dir)
    out = Path(out) if out else run.path / "export"
    if fused:
        run.spec.to_fused()          # refuses specs that cannot run in-graph, before any work
    run_sha256 = run.sha256()
    requests = {v.name: export_request(run_sha256, v, fused, calibration_size, min_agreement, seed, batch,
                                       debug_quant, fallback) for v in variants}
    if fallback and fused:
        raise InputError("--fallback auto re-quantises the network alone; export without --fused")
    done = {}                        # variants this same export finished before (a rerun after a kill)
    for v in variants:
        target = out / variant_dir_name(v, fused)
        if target.exists() and not force:
            done[v.name] = _finished(target, requests[v.name])
            if done[v.name] is None:
                raise InputError(f"output exists: {target} (use --force to replace it)")
            log.info("kept %s: exported before from the same run, recipe and options", target)
    val = run.split("val")
    if not val:
        raise InputError(f"{run.path}: split.csv has no validation images to check the export against")
    val_images = load_images(val, run.spec, desc="validation")
    val_x = val_images.tensors(run.spec)
    keras_prob = np.array([calibrated(float(p), run.spec)    # as every runtime reports it
                           for p in run.keras_model().predict(val_x, verbose=0).reshape(-1)])
    from .finetune import FineTunes

    representative = calibration = None
    fine_tunes = FineTunes(run, seed=seed)
    reference = FloatReference(run, batch) if debug_quant or fallback else None
    manifests = []
    for v in variants:
        if v.name in done:
            manifests.append(done[v.name])
            if on_done:
                on_done(manifests[-1])
            continue
        if v.calibrate and representative is None:
            representative, calibration = representative_tensors(run.samples, run.spec, calibration_size, seed)
        manifests.append(_export_one(run, v, out / variant_dir_name(v, fused), force, representative,
                                     calibration if v.calibrate else None, val_images, keras_prob,
                                     min_agreement, fused, fine_tunes, requests[v.name], batch, reference,
                                     debug_quant, fallback))
        if on_done:
            on_done(manifests[-1])
    return manifests


def export_request(run_sha256: str, variant: Variant, fused: bool, calibration_size: int, min_agreement: float,
                   seed: int, batch: int | None = None, debug_quant: bool = False, fallback: bool = False) -> dict:
    """Everything an export's result depends on: the run's files (by content), the recipe and
    the options. Its manifest records it, so that rerunning the same command (after a kill
    part-way through several variants) keeps what was finished instead of refusing it."""
    return json.loads(json.dumps({
        "run_sha256": run_sha256, "recipe": asdict(variant), "fused": fused,
        "calibration_size": calibration_size if variant.calibrate else None, "min_agreement": min_agreement,
        "seed": seed, "batch": batch, "debug_quant": debug_quant, "fallback": fallback}))


def _finished(target: Path, request: dict) -> dict | None:
    """The manifest of a variant folder written by the same request, else None."""
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = isinstance(manifest, dict) and manifest.get("request") == request
    return manifest if same and (target / "model.tflite").is_file() else None


def _export_one(run, variant, target, force, representative, calibration, val_images, keras_prob,
                min_agreement, fused, fine_tunes, request, batch, reference, debug_quant, fallback) -> dict:
    from ...core.runtimes.litert import Session, weight_sparsity
    from .convert import convert, convert_preprocessing
    from .embed import embed_spec
    from .stitch import stitch

    t0 = time.time()
    model, fine_tune = run.keras_model(), None
    if variant.needs_fine_tune:
        model = fine_tunes.model_for(variant)
        fine_tune = {"epochs": variant.fine_tune_epochs, "learning_rate": variant.fine_tune_lr,
                     "images": len(fine_tunes.images.samples), "qat": variant.qat,
                     "target_sparsity": variant.prune_sparsity}
    calibration_set = representative if variant.calibrate else None
    if fused:
        net = convert(model, variant, calibration_set, float_input=True, batch=batch)
        raw = stitch(convert_preprocessing(run.spec, batch), net)
        spec = run.spec.to_fused()
    else:
        raw = convert(model, variant, calibration_set, batch=batch)
        spec = spec_for_model(run.spec, raw)
    data = embed_spec(raw, spec)
    debug = fell_back = None
    if reference is not None and variant.quantized:
        from .debug_quant import DEBUG_IMAGES, layer_errors, worst

        debug = layer_errors(reference.model(), data, val_images.gray[:DEBUG_IMAGES])
    with atomic_dir(target, force=force, kind=KIND) as tmp:
        write_bytes(tmp / "model.tflite", data)
        session = Session(tmp / "model.tflite", threads=2)
        prob = litert_probabilities(session, val_images.gray)
        agree = agreement(prob, keras_prob, spec.threshold)
        if agree < min_agreement and fallback and variant.calibrate:
            data, spec, prob, agree, fell_back = fall_back(
                run, variant, fine_tunes, calibration_set, debug, agree, len(data), tmp, val_images, keras_prob,
                min_agreement, batch, len(reference.model()))
            session = Session(tmp / "model.tflite", threads=2)
        if agree < min_agreement:
            where = ("; layers adding most error: " + ", ".join(r["layer"] for r in worst(debug, 3)) if debug
                     else "; --debug-quant names the layers that lose most")
            if fell_back:
                steps = fell_back["steps"]
                where += (f"; --fallback auto kept {len(steps) - 1} of them in float "
                          "(" + ", ".join(f"{s['agreement']:.1%}" for s in steps) + ") within the size budget")
            raise FractureEdgeError(
                f"variant {variant.name} agrees with the float Keras model on {agree:.1%} of "
                f"{len(prob)} validation images, under the {min_agreement:.0%} gate; nothing written "
                f"(lower --min-agreement to keep it anyway){where}"
            )
        manifest = {
            "kind": KIND,
            "variant": variant_dir_name(variant, fused),
            "recipe": variant.name,
            "fused": fused,
            "batch": batch,
            "description": variant.description,
            "architecture": run.arch,
            "source_run": str(run.path.resolve()),
            "input": tensor_info(session.input),
            "output": tensor_info(session.output),
            "size_bytes": len(data),
            "weight_sparsity": weight_sparsity(tmp / "model.tflite"),
            "fine_tune": fine_tune,
            "fallback": fell_back,
            "gzip_bytes": len(gzip.compress(data, compresslevel=9)),
            "sha256": hashlib.sha256(data).hexdigest(),
            "calibration": calibration,
            "validation": {
                "split": "val",
                "images": len(prob),
                "agreement_with_keras": agree,
                "max_abs_prob_diff": float(np.max(np.abs(prob - keras_prob))),
                "metrics": classification_metrics(val_images.labels, prob, spec.threshold),
                "keras_metrics": classification_metrics(val_images.labels, keras_prob, spec.threshold),
                "min_agreement": min_agreement,
            },
            "export_seconds": round(time.time() - t0, 1),
            "request": request,
            "versions": library_versions(),
        }
        if debug_quant and debug is not None:
            from .debug_quant import write_report

            manifest["debug_quant"] = {"reference": "float32 conversion of the run's Keras model",
                                       "of": "the variant before --fallback" if fell_back else "this model",
                                       "images": min(len(val_images.gray), DEBUG_IMAGES), "layers": debug}
            write_report(tmp, manifest["variant"], debug)
        write_text(tmp / "spec.json", spec.to_json() + "\n")
        write_json(tmp / "manifest.json", manifest)
    return manifest
