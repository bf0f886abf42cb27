"""Export a training run to validated TFLite variants.

:mod:`.exporter` runs an export (:func:`~.exporter.export_run`), :mod:`.run_folder` reads the
run, :mod:`.convert` and :mod:`.calibration` make each variant, :mod:`.finetune` runs the QAT
and pruning fine-tunes, :mod:`.embed` writes the spec and the standard metadata into the file,
:mod:`.validate` measures it against the Keras model before anything is written,
:mod:`.debug_quant` and :mod:`.fallback` explain and repair an int8 model that fails that gate,
and :mod:`.stitch` puts the in-graph preprocessing in front of a fused variant.
"""
