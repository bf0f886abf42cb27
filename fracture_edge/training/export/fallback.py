"""``--fallback auto``: a calibrated variant that fails the gate is re-quantised with the layers
that added most error kept in float, one more at a time, within a size budget."""

from __future__ import annotations

import logging

from ...core.errors import FractureEdgeError
from ...core.files import write_bytes
from ...core.metrics import agreement
from .run_folder import RunFolder
from .validate import litert_probabilities, spec_for_model

log = logging.getLogger("fracture_edge")

#: ``--fallback auto`` stops before the model outgrows this fraction of the float32 file.
FALLBACK_SIZE_BUDGET = 0.5


def fall_back(run, variant, fine_tunes, calibration_set, rows, agree, size, tmp, val_images, keras_prob,
              min_agreement, batch, float32_size):
    """Re-quantise the variant's float model to int8 except the layers that added most error
    (``debug_quant.worst``), kept in float one more at a time (the selective variant's
    mechanism, float I/O) until the gate passes or the next model would outgrow
    ``FALLBACK_SIZE_BUDGET`` of ``float32_size`` (the float reference's file), logging each step.
    QAT's fake quantisation is left out (a selective conversion calibrates a float model), so a
    QAT variant falls back to post-training int8 of its (pruned) float model. Returns the last model tried, its spec, probabilities, agreement,
    and the record of every step for the manifest."""
    import dataclasses
    import re

    from ...core.runtimes.litert import Session
    from .convert import convert
    from .debug_quant import worst
    from .embed import embed_spec

    model = fine_tunes.float_model_for(variant)
    budget = FALLBACK_SIZE_BUDGET * float32_size
    base = dataclasses.replace(variant, qat=False, int8_only=False, io_dtype="float32", activations="int8")
    steps, kept = [{"kept_float": [], "agreement": agree, "size_bytes": size}], []
    result = None
    for layer in worst(rows, len(rows)):
        names = tuple("^" + re.escape(name) + "$" for name in kept + [layer["name"]])
        raw = convert(model, dataclasses.replace(base, float_layers=names), calibration_set, batch=batch)
        spec = spec_for_model(run.spec, raw)
        data = embed_spec(raw, spec)
        if len(data) > budget:
            break
        kept.append(layer["name"])
        write_bytes(tmp / "model.tflite", data)
        prob = litert_probabilities(Session(tmp / "model.tflite", threads=2), val_images.gray)
        agree = agreement(prob, keras_prob, spec.threshold)
        steps.append({"kept_float": [r["layer"] for r in rows if r["name"] in kept], "agreement": agree,
                      "size_bytes": len(data)})
        log.info("--fallback auto: %s in float, %.0f KB, agreement %.1f%%", ", ".join(steps[-1]["kept_float"]),
                 len(data) / 1024, 100 * agree)
        result = data, spec, prob
        if agree >= min_agreement:
            break
    if result is None:
        raise FractureEdgeError(f"variant {variant.name}: --fallback auto found no layer to keep in float "
                                f"within {FALLBACK_SIZE_BUDGET:.0%} of the float32 size; nothing written")
    record = {"qat_dropped": variant.qat, "io": "float32", "size_budget_bytes": int(budget),
              "passed": agree >= min_agreement, "steps": steps}
    return (*result, agree, record)


class FloatReference:
    """The float32 conversion of the run's Keras model, with its spec embedded: what
    ``--debug-quant`` measures each quantised variant against; converted once, when first needed."""

    def __init__(self, run: RunFolder, batch: int | None):
        self.run, self.batch, self._model = run, batch, None

    def model(self) -> bytes:
        if self._model is None:
            from ...core.variants import get_variant
            from .convert import convert
            from .embed import embed_spec

            raw = convert(self.run.keras_model(), get_variant("float32"), batch=self.batch)
            self._model = embed_spec(raw, spec_for_model(self.run.spec, raw))
        return self._model
