"""Per-layer quantisation error of an exported model against the float model (``--debug-quant``).

Why: when a quantised variant loses decisions (``pruned-qat-int8`` calls almost every real
radiograph fractured), the agreement figure says *that* it broke, not *where*. Both models run
on the validation images with LiteRT keeping every intermediate tensor; each layer's output in
the quantised model (dequantised with its own scale and zero point) is compared with the same
layer's output in the float32 conversion of the run's Keras model: mean squared error,
signal-to-noise ratio in dB, cosine similarity, pooled over the images. Layers are matched by
their tensor names, which both conversions take from the Keras layers (less the ``quant_``
prefix tfmot's QAT wrappers add). A layer's error includes
what it inherited, so ``snr_drop_db`` (its SNR below that of the layer feeding it) is what the
layer itself added; ``--fallback auto`` keeps the layers with the largest drops in float.

The report: a table in the variant's manifest, ``debug_quant.md`` and ``debug_quant.html``
beside the model, and ``debug_quant.png`` (SNR per layer, in graph order).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np

from ...core.files import write_text
from ...core.preprocess import tensor_from_gray
from ...core.tflite_meta import read_spec

#: Validation images the report runs (LiteRT without XNNPACK, every tensor kept: about 0.25 s
#: an image for DeepConvNet at 96 px on one core).
DEBUG_IMAGES = 100


def layer_errors(float_model: bytes, quant_model: bytes, grays) -> list[dict]:
    """One row per layer the two models share, in the quantised model's graph order."""
    runs = [_Traced(float_model), _Traced(quant_model)]
    sums: dict[str, np.ndarray] = {}
    for gray in grays:
        ref, got = (r.run(gray) for r in runs)
        for name, value in got.items():
            if name in ref and ref[name].shape == value.shape:
                f, q = ref[name].astype(np.float64).ravel(), value.astype(np.float64).ravel()
                row = np.array([np.sum((q - f) ** 2), np.sum(f ** 2), np.dot(f, q), np.dot(q, q), f.size])
                sums[name] = sums.get(name, 0) + row
    rows = []
    for raw, producer in runs[1].layers:
        name = _unwrapped(raw)
        if name not in sums:
            continue
        err, signal, dot, qq, n = sums[name]
        snr = 10 * np.log10(signal / err) if err > 0 else float("inf")
        cosine = dot / np.sqrt(signal * qq) if signal > 0 and qq > 0 else 1.0
        before = next((r["snr_db"] for r in rows if r["name"] == producer), None)
        rows.append({"layer": layer_name(name), "name": name, "op": runs[1].op_of[name], "mse": float(err / n),
                     "snr_db": float(snr), "cosine": float(cosine),
                     "snr_drop_db": float(before - snr) if before is not None and np.isfinite(before) else None})
    return rows


class _Traced:
    """A LiteRT interpreter that keeps every tensor, fed the model's own spec's input. Without
    the XNNPACK delegate, whose fused subgraph would hide the layers inside it."""

    def __init__(self, model: bytes):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        self.spec = read_spec(model)
        self.it = Interpreter(model_content=model, experimental_preserve_all_tensors=True, num_threads=2,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        self.it.allocate_tensors()
        details = self.it.get_tensor_details()
        self.by_index = {d["index"]: d for d in details}
        self.by_name = {d["name"]: d for d in details}
        ops = self.it._get_ops_details()
        made_by = {t: op for op in ops for t in op["outputs"]}
        self.op_of, self.layers = {}, []
        for op in ops:
            for t in op["outputs"]:
                name = self.by_index[t]["name"]
                feeders = [made_by[i] for i in op["inputs"] if i in made_by]
                producer = self.by_index[feeders[0]["outputs"][0]]["name"] if feeders else None
                self.op_of[_unwrapped(name)] = op["op_name"]
                self.layers.append((name, producer and _unwrapped(producer)))

    def run(self, gray) -> dict[str, np.ndarray]:
        inp = self.it.get_input_details()[0]
        self.it.set_tensor(inp["index"], tensor_from_gray(gray, self.spec)[None])
        self.it.invoke()
        out = {}
        for name, _ in self.layers:
            d = self.by_name[name]
            value = self.it.get_tensor(d["index"])
            scale, zero = d["quantization"]
            out[_unwrapped(name)] = (value.astype(np.float64) - zero) * scale if scale else value
        return out


def _unwrapped(name: str) -> str:
    """A tensor name without the ``quant_`` prefix tfmot's QAT wrappers give each layer."""
    return re.sub(r"(?<=/)quant_", "", name)


def layer_name(name: str) -> str:
    """The Keras layer a fused TFLite tensor name starts with (``model/layer/Op;...``)."""
    parts = name.split(";")[0].split("/")
    return parts[1] if len(parts) > 2 else parts[0]


def worst(rows: list[dict], n: int) -> list[dict]:
    """The ``n`` layers that added most error (largest SNR drop; the first layer by its SNR)."""
    def added(r):
        return r["snr_drop_db"] if r["snr_drop_db"] is not None else -r["snr_db"]
    return sorted((r for r in rows if np.isfinite(r["snr_db"])), key=added, reverse=True)[:n]


def write_report(folder: Path, variant: str, rows: list[dict]) -> None:
    """``debug_quant.md``, ``.html`` and ``.png`` in ``folder``."""
    from ...plots.figures import _save, pyplot

    head = ("| # | layer | op | MSE | SNR dB | SNR drop dB | cosine |", "|---|---|---|---|---|---|---|")
    top = worst(rows, 3)
    cells = [(str(i), r["layer"], r["op"], f"{r['mse']:.3g}", f"{r['snr_db']:.1f}",
              "—" if r["snr_drop_db"] is None else format(r["snr_drop_db"], "+.1f"), f"{r['cosine']:.4f}")
             for i, r in enumerate(rows)]
    intro = (f"Per-layer quantisation error of `{variant}` against the float32 conversion of the run's Keras "
             f"model, on the validation images. Layers adding most error: "
             + ", ".join(f"{r['layer']} ({r['op']})" for r in top) + ".")
    write_text(folder / "debug_quant.md", f"# {variant}: per-layer quantisation error\n\n{intro}\n\n"
               + "\n".join([*head, *("| " + " | ".join(c) + " |" for c in cells)]) + "\n")
    table = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in c) + "</tr>" for c in cells)
    write_text(folder / "debug_quant.html",
               f"<!doctype html><meta charset=utf-8><title>{html.escape(variant)} quantisation error</title>"
               f"<h1>{html.escape(variant)}: per-layer quantisation error</h1><p>{html.escape(intro)}</p>"
               "<img src=debug_quant.png alt='SNR per layer'><table border=1><tr><th>#<th>layer<th>op<th>MSE"
               f"<th>SNR dB<th>SNR drop dB<th>cosine</tr>{table}</table>\n")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(rows)), 4))
    snr = [min(r["snr_db"], 80.0) for r in rows]
    ax.bar(range(len(rows)), snr, color=["#c0392b" if r in top else "#2c7fb8" for r in rows])
    ax.set_xticks(range(len(rows)), [r["layer"] for r in rows], rotation=90, fontsize=7)
    ax.set_ylabel("SNR vs float (dB, capped at 80)")
    ax.set_title(f"{variant}: per-layer quantisation error (red: adds most)")
    _save(fig, folder / "debug_quant.png")

