"""`export` (a run folder to validated .tflite variants) and `inspect` (what a .tflite carries)."""

from __future__ import annotations

from pathlib import Path

import click

from .app import COUNT, FiniteRange, echo_json, fmt, read_json


@click.command(epilog="Example: fracture-edge export runs/dcn --int8 --fused --out exports/dcn\n\n"
                    "More: fracture-edge export runs/dcn --prune 0.75 --int8;  "
                    "fracture-edge export runs/dcn --all --force")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Export folder (default RUN_DIR/export).")
@click.option("--float32", "float32", is_flag=True, help="float32 (the default when no variant is named).")
@click.option("--float16", is_flag=True, help="float16 weights.")
@click.option("--dynamic", is_flag=True, help="Dynamic-range int8 weights.")
@click.option("--int8", is_flag=True, help="Full integer, uint8 I/O, calibrated on training images.")
@click.option("--qat", is_flag=True, help="Quantisation-aware fine-tune, then full int8.")
@click.option("--prune", type=float, default=None, metavar="SPARSITY",
              help="Prune to this sparsity (e.g. 0.75); with --int8 or --qat, then quantise.")
@click.option("--variant", "names", multiple=True, metavar="NAME",
              help="A variant by name from the table (see `recipes/`), e.g. int8-io.")
@click.option("--recipe", "recipes", multiple=True, type=click.Path(path_type=Path), help="A recipe TOML file.")
@click.option("--all", "all_variants", is_flag=True, help="Every variant in the table.")
@click.option("--fused", is_flag=True,
              help="Run Canny, fusion and normalisation inside the model; input is uint8 grayscale.")
@click.option("--calibration-size", default=200, show_default=True, type=COUNT,
              help="Representative images (training split).")
@click.option("--min-agreement", default=0.95, show_default=True, type=FiniteRange(0, 1),
              help="Validation agreement gate with Keras.")
@click.option("--force", is_flag=True, help="Replace existing variant folders.")
@click.option("--batch", type=click.IntRange(1, 1), default=None,
              help="Fix the batch dimension to 1 (LiteRT.js, some accelerators); default: dynamic.")
@click.option("--debug-quant", is_flag=True,
              help="Per-layer quantisation error against float32 (manifest table, debug_quant.md/.html/.png).")
@click.option("--fallback", type=click.Choice(["none", "auto"]), default="none", show_default=True,
              help="auto: a calibrated variant that fails the gate is re-quantised with its worst layers kept in "
                   "float, one at a time, until it passes or reaches half the float32 size.")
def export(run_dir, out, names, recipes, all_variants, fused, calibration_size, min_agreement, force, prune,
           batch, debug_quant, fallback, **flags):
    """Export a training run to TFLite; each variant is validated against the Keras model first."""
    from ..core.variants import choose
    from ..training.export.exporter import export_run

    def done(m):
        v = m["validation"]
        click.echo(f"{m['variant']}: {m['size_bytes'] / 1024:.0f} KB (gzip {m['gzip_bytes'] / 1024:.0f} KB), "
                   f"input {m['input']['dtype']}, sparsity {m['weight_sparsity']['sparsity']:.1%}, "
                   f"agreement {v['agreement_with_keras']:.1%} on {v['images']} val images, "
                   f"val AUC {fmt(v['metrics']['auc'])}")

    chosen = choose(names, recipes, prune=prune, all_variants=all_variants, **flags)
    export_run(run_dir, chosen, out, force, calibration_size, min_agreement, fused=fused, on_done=done, batch=batch,
               debug_quant=debug_quant, fallback=fallback == "auto")
    click.echo(f"export folder: {out or Path(run_dir) / 'export'}")


@click.command(epilog="Example: fracture-edge inspect exports/dcn/int8/model.tflite")
@click.argument("model", type=click.Path(path_type=Path))
def inspect(model):
    """Print a .tflite's embedded spec, its input/output tensors, the standard TFLite Metadata
    (or why the standard cannot describe the spec) and its export manifest."""
    from ..core.runtimes.litert import Session
    from ..core.standard_meta import read_standard, standard_gap
    from ..core.tflite_meta import load_model_bytes

    s = Session(model, threads=1)
    standard = read_standard(load_model_bytes(model), str(model))
    out = {"spec": s.spec.to_dict(),
           "input": {k: s.input[k] for k in ("name", "dtype", "shape", "quantization")},
           "output": {k: s.output[k] for k in ("name", "dtype", "shape", "quantization")},
           "standard_metadata": standard or {"written": False, "why": standard_gap(s.spec)
                                             or "exported before fracture-edge wrote it"}}
    manifest = Path(model).with_name("manifest.json")
    if manifest.exists():
        out["manifest"] = read_json(manifest, "export manifest")
    out["input"]["dtype"] = out["input"]["dtype"].__name__
    out["output"]["dtype"] = out["output"]["dtype"].__name__
    echo_json(out)
