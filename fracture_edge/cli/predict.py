"""`predict`: fracture probabilities of image files from an exported model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .app import COUNT, EXIT_USER_ERROR


@click.command(epilog="Example: fracture-edge predict xray1.png xrays/ --model exports/dcn/int8/model.tflite --json\n\n"
                    "Grad-CAM: fracture-edge predict xray1.png --model runs/dcn/export/int8/model.tflite "
                    "--run runs/dcn --explain gradcam/")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--model", required=True, type=click.Path(path_type=Path), help="An exported .tflite.")
@click.option("--runtime", default="litert", show_default=True,
              help="litert, litert-ref, openvino or openvino-bf16 (.tflite), onnxruntime (.onnx): the bench's "
                   "adapters.")
@click.option("--threads", default=2, show_default=True, type=COUNT)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@click.option("--explain", "explain_dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Write a Grad-CAM overlay DIR/<image stem>.gradcam.png per image (needs --run RUN_DIR).")
@click.option("--run", "run_dir", type=click.Path(path_type=Path), default=None, metavar="RUN_DIR",
              help="With --explain: the training run folder whose Keras model (model.keras) makes the heatmaps.")
def predict(images, model, runtime, threads, as_json, explain_dir, run_dir):
    """Fracture probability and label per image, preprocessed per the model's embedded spec; first,
    once, the operating point the model ships with (in every JSON row), when its spec has one."""
    from ..core.operating_point import describe
    from ..core.predict import predict_files

    explain = None
    if explain_dir is not None:
        from ..training.gradcam import Explainer, explain_run

        explain = Explainer(explain_run(run_dir, model), explain_dir)
    elif run_dir is not None:
        from ..core.errors import InputError

        raise InputError("--run is used only with --explain DIR")
    rows, failed = predict_files(images, model, runtime, threads, explain)
    shipped = next((r["operating_point"] for r in rows if "operating_point" in r), None)
    if shipped and not as_json:
        click.echo(f"operating point: {describe(shipped)}")
    for r in rows:
        if as_json:
            click.echo(json.dumps(r))
        elif "error" in r:
            click.echo(f"{r['path']}\terror: {r['error']}")
        else:
            click.echo(f"{r['path']}\t{r['probability']:.4f}\t{r['label']}" + (f"\t{r['explain']}" if explain else ""))
    if failed:
        sys.exit(EXIT_USER_ERROR)
