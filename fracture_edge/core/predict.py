"""Predict fracture probability for image files with an exported model and its embedded spec."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path

from .decode import decode_file, image_files
from .errors import DecodeError, InputError, ModelFileError
from .postprocess import calibrated, label_for
from .preprocess import model_input
from .runtimes import open_session

log = logging.getLogger("fracture_edge")


def expand_inputs(paths) -> list[Path]:
    """Files as given, folders as every image file below them (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = image_files(p)
            if not found:
                raise InputError(f"no image files in folder {p}")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise InputError(f"input does not exist: {p}")
    return out


class Predictor:
    """One loaded model; ``__call__`` maps decoded pixels to a result dict, which names the
    operating point that decided its label when the spec carries one."""

    def __init__(self, model: str | os.PathLike, runtime: str = "litert", threads: int = 2):
        self.model = Path(model)
        self.session = open_session(runtime, self.model, threads)
        self.spec = self.session.spec
        if tuple(self.session.input_shape) != self.spec.input_shape:
            raise ModelFileError(
                f"{model}: model input {self.session.input_shape} does not match its spec {self.spec.input_shape}"
            )
        op = self.spec.operating_point
        self.operating_point = None if op is None else {"threshold": self.spec.threshold, **dataclasses.asdict(op)}

    def __call__(self, pixels) -> dict:
        x = model_input(pixels, self.spec)
        t0 = time.perf_counter()
        raw = self.session.run(x)
        ms = (time.perf_counter() - t0) * 1000
        prob = calibrated(raw, self.spec)
        shipped = {} if self.operating_point is None else {"operating_point": self.operating_point}
        return {"probability": prob, "label": label_for(prob, self.spec), "inference_ms": ms, **shipped}


def predict_files(paths, model, runtime: str = "litert", threads: int = 2,
                  explain=None) -> tuple[list[dict], int]:
    """Results for each input (folders expanded) and the number that failed to decode.

    A single bad input is an error; inside a batch it is reported in its row and warned about.
    ``explain``, when given, is called as ``explain(path, pixels)`` on every decoded image and
    its return value stored as the row's ``explain`` (the Grad-CAM overlay's path, see
    :class:`fracture_edge.training.gradcam.Explainer`): a hook, so that this module needs no TensorFlow.
    """
    files = expand_inputs(paths)
    predictor = Predictor(model, runtime, threads)
    rows, failed = [], 0
    for f in files:
        try:
            pixels = decode_file(f)
        except DecodeError as exc:
            if len(files) == 1:
                raise
            log.warning("skipped %s", exc)
            rows.append({"path": str(f), "error": str(exc)})
            failed += 1
            continue
        row = {"path": str(f), **predictor(pixels)}
        if explain is not None:
            row["explain"] = explain(f, pixels)
        rows.append(row)
    return rows, failed
