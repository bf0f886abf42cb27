"""The ``fracture-edge`` command: one thin click command per stage.

Each command parses its options, calls one library function and prints. Library modules are
imported inside the commands, so ``fracture-edge --help`` imports neither TensorFlow nor
OpenCV. A :class:`~fracture_edge.errors.FractureEdgeError` becomes a one-line message on
stderr and exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from .errors import FractureEdgeError

EXIT_USER_ERROR = 2
#: bench: some rows failed (the table of the others is still written)
EXIT_ROWS_FAILED = 1


class FiniteRange(click.FloatRange):
    """click's FloatRange that also refuses NaN and the infinities: click parses ``nan`` as a
    float, and NaN compares false with every bound, so a plain range lets it through."""

    def convert(self, value, param, ctx):
        import math

        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


COUNT, NON_NEGATIVE = click.IntRange(min=1), click.IntRange(min=0)


class _OneLine(logging.Formatter):
    def format(self, record):
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    log = logging.getLogger("fracture_edge")
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def _echo_json(obj) -> None:
    from .io import _json_default

    click.echo(json.dumps(obj, indent=2, default=_json_default))


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Example: fracture-edge demo --out demo_out")
@click.version_option(package_name="fracture-edge")
@click.option("-v", "--verbose", is_flag=True, help="More log output.")
def cli(verbose):
    """Bone-fracture X-ray classifiers from training to phones.

    Stages: data -> train -> export -> bench -> predict. Run `fracture-edge COMMAND --help`.
    """
    _setup_logging(verbose)


# ----------------------------------------------------------------------------- data
@cli.group(epilog="Example: fracture-edge data synth data/synth --n 400 --seed 0")
def data():
    """Make, audit and split datasets."""


@data.command("synth", epilog="Example: fracture-edge data synth data/synth --n 400 --seed 0 --size 96")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--n", "n", default=400, show_default=True, help="Number of images.")
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE, help="Random seed; same seed, same images.")
@click.option("--size", default=128, show_default=True, help="Image side in pixels.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def data_synth(out, n, seed, size, force):
    """Write deterministic synthetic radiographs into OUT/{train,val,test}/{fractured,not fractured}."""
    from .data.synth import synthesize

    counts = synthesize(out, n, seed, size, force)
    for key, count in sorted(counts.items()):
        click.echo(f"{key}: {count}")
    click.echo(f"wrote {sum(counts.values())} images to {out}")


@data.command("audit", epilog="Example: fracture-edge data audit data/multiregion --report audit_out --json audit.json")
@click.argument("data_path", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the summary as JSON.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for report.md, audit.json, families.csv and contact sheets.")
@click.option("--workers", type=COUNT, default=None, help="Decoding threads (default: cores, at most 4).")
def data_audit(data_path, json_path, report_dir, workers):
    """Counts, unusable files, duplicate families (rotated/mirrored copies), leakage, shortcut hints."""
    from .data.audit import audit

    m = audit(data_path, json_path, report_dir, workers)
    fam, ex = m["families"], m["exact_duplicates"]
    click.echo(f"{m['files']} files, {ex['distinct_contents']} distinct contents, {fam['count']} families "
               f"({fam['mixed_label']} with both labels); {len(m['unusable'])} unusable, "
               f"{len(m['extension_mismatch'])} with a misleading extension")
    for split, v in m["leakage"].items():
        click.echo(f"{split}: {v['family_share']:.1%} of {v['files']} files have a copy in train "
                   f"({v['byte_copy_share']:.1%} byte-identical)")
    hints = ", ".join(f"{k} {_fmt(v)}" for k, v in m["shortcut_hints"].items()) or "n/a (no decodable images)"
    click.echo(f"shortcut AUCs: {hints}")
    click.echo(f"{m['timings']['total_s']} s" + (f"; report: {report_dir}" if report_dir else ""))


@data.command("split", epilog="Example: fracture-edge data split data/multiregion --by family --val 0.15 --test 0.15 --seed 0 --out split.csv")
@click.argument("data_path", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Manifest CSV to write.")
@click.option("--by", default="family", show_default=True, type=click.Choice(["family", "content"]),
              help="Keep whole families (copies incl. rotated/mirrored) or only byte copies together.")
@click.option("--val", default=0.15, show_default=True, help="Share of files for validation.")
@click.option("--test", default=0.15, show_default=True, help="Share of files for test.")
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE)
@click.option("--workers", type=COUNT, default=None, help="Decoding threads (default: cores, at most 4).")
def data_split(data_path, out, by, val, test, seed, workers):
    """Write a split manifest (path,label,split,family) in which no family spans two splits."""
    from .data.split import family_split, split_summary, write_manifest

    rows = family_split(data_path, val, test, seed, by, workers)
    write_manifest(rows, out)
    for split, v in split_summary(rows).items():
        click.echo(f"{split}: {v['files']} files ({v['fractured']} fractured), {v['families']} groups")
    click.echo(f"manifest: {out}")


# ----------------------------------------------------------------------------- train / cv
_RECIPE_OPTIONS = [
    click.option("--arch", default="deepconvnet", show_default=True,
                 help="deepconvnet, resnet50, or efficientnet-lite0/1/2 (ImageNet weights offline with "
                      "--weights imagenet and the pretrained extra)."),
    click.option("--img-size", type=int, help="Square input size (>= 64; default: the architecture's, "
                                              "deepconvnet 96, efficientnet-lite 160)."),
    click.option("--epochs", type=int, help="Epochs, shared equally by the stages that train by gradient descent."),
    click.option("--stages", help="What trains, in order, comma-separated (default: the architecture's): probe "
                                  "(the head fitted in closed form on frozen features), head, top (the top blocks), "
                                  "all (every layer; BatchNorm statistics stay frozen), e.g. probe,top."),
    click.option("--batch-size", type=int),
    click.option("--lr", "learning_rate", type=float, help="Learning rate (default: the architecture's)."),
    click.option("--weights", help="none; imagenet (resnet50: downloaded, needs internet; efficientnet-lite0/1/2: "
                                   "offline, from the pretrained extra, and their default); or PATH to a weights "
                                   "file (resnet50) or an encoder.h5 from fracture-edge pretrain."),
    click.option("--width", type=int, help="deepconvnet base width."),
    click.option("--fusion", help="Input channels, comma-separated from gray and edges (Canny), e.g. gray,edges,gray "
                                  "(default: the architecture's; see benchmarks/canny_fusion)."),
    click.option("--patience", type=int, help="Stop after this many epochs without a better windowed val AUC."),
    click.option("--window", type=int, help="Average the weights of the best N consecutive epochs (1: best epoch)."),
    click.option("--balance", type=click.Choice(["family", "class"]), help="Loss weighting: equal weight per "
                 "file within a class (default), or per family (copies of one radiograph share one weight)."),
    click.option("--schedule", type=click.Choice(["cosine", "constant"]), help="Learning-rate schedule."),
    click.option("--augment/--no-augment", default=None,
                 help="Augment with flips, rotation by any angle, crops, contrast and exposure (the default "
                      "trains on the images as they are: family CV measured it better here, see "
                      "benchmarks/recipe)."),
    click.option("--rotation", type=float, help="Augmentation (implies --augment): max rotation in degrees "
                                                "(180: any angle)."),
    click.option("--zoom", type=float, help="Augmentation (implies --augment): random crop, scale up to 1 + ZOOM."),
    click.option("--noise", type=float, help="Augmentation (implies --augment): Gaussian noise sigma in grey "
                                             "levels."),
    click.option("--dropout", type=float),
    click.option("--l2", type=float, help="deepconvnet: L2 weight decay on conv kernels."),
    click.option("--bn-momentum", type=float, help="deepconvnet: BatchNorm moving-average momentum."),
    click.option("--label-smoothing", type=float),
    click.option("--distill", type=float, help="Weight of the teacher's soft labels in [0, 1] (needs --teacher)."),
    click.option("--seed", type=int),
    click.option("--strategy", type=click.Choice(["one", "mirrored", "multiworker"]),
                 help="tf.distribute: one device (default), every local device (mirrored), or the workers "
                      "listed in the TF_CONFIG environment variable (multiworker; run once per worker). "
                      "--batch-size is the global batch."),
]

_AUGMENT_KEYS = {"rotation": "max_rotation", "zoom": "zoom", "noise": "noise"}


def _recipe_options(f):
    for option in reversed(_RECIPE_OPTIONS):
        f = option(f)
    return f


def _train_config(kw: dict):
    """A TrainConfig from the recipe options given; the rest keep the recipe's defaults, which
    live in one place (:class:`~fracture_edge.train.TrainConfig`). ``--augment`` starts from the
    data-matched augmentation (:class:`~fracture_edge.augment.Augment`); ``--rotation`` and
    the like adjust it and so imply ``--augment``."""
    from dataclasses import replace

    from .augment import Augment
    from .errors import InputError
    from .train import TrainConfig

    augment = kw.pop("augment", None)     # a flag here, an Augment in TrainConfig
    fields = {k: kw.pop(k) for k in list(kw) if k in TrainConfig.__dataclass_fields__ and kw[k] is not None}
    for key in ("fusion", "stages"):
        if fields.get(key):
            fields[key] = tuple(c.strip() for c in fields[key].split(",") if c.strip())
    cfg = TrainConfig(**fields)
    adjust = {_AUGMENT_KEYS[k]: kw.pop(k) for k in list(_AUGMENT_KEYS) if kw.get(k) is not None}
    if augment is False and adjust:
        raise InputError("--no-augment contradicts --rotation, --zoom and --noise (they adjust the augmentation)")
    if augment is False:
        return replace(cfg, augment=None)
    if augment or adjust:
        return replace(cfg, augment=replace(Augment(), **adjust))
    return cfg


@cli.command(epilog="Example: fracture-edge train split.csv --arch deepconvnet --out runs/dcn "
                    "--operating-point cv/dcn/operating_point.json\n\n"
                    "On several machines: fracture-edge train split.csv --strategy multiworker --out runs/dcn "
                    "(once per worker, each with its TF_CONFIG; worker 0 writes the run folder; "
                    "see docs/architecture.md)")
@click.argument("data_path", metavar="DATA", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder to create.")
@_recipe_options
@click.option("--operating-point", type=click.Path(path_type=Path), default=None,
              help="operating_point.json from `fracture-edge cv`: threshold and temperature for the spec.")
@click.option("--teacher", "teachers", multiple=True, type=click.Path(path_type=Path),
              help="Distil from a `fracture-edge cv` folder of the same files: its out-of-fold predictions are "
                   "the soft labels (with --distill); repeat for an ensemble.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def train(data_path, out, operating_point, teachers, force, **recipe):
    """Train a classifier on DATA (class folders, optional train/val/test, or a split CSV)."""
    from .train import train as run_train

    cfg = _train_config(recipe)
    op = _read_json(operating_point, "operating point") if operating_point else None
    m = run_train(data_path, out, cfg, force=force, operating_point=op, teachers=teachers)
    if not m["distribution"]["chief"]:
        click.echo(f"trained in step with the chief worker, which writes the run folder ({m['train_seconds']} s)")
        return
    ev = m["eval"]
    click.echo(f"best epochs {m['best']['epoch'] - m['best']['epochs'] + 1}-{m['best']['epoch']} "
               f"(val AUC {m['best']['val_auc']:.3f}); "
               f"{ev['split']}: accuracy {ev['accuracy']:.3f}, F1 {ev['f1']:.3f}, AUC {_fmt(ev['auc'])}")
    click.echo(f"run folder: {out}  ({m['train_seconds']} s, {m['images_per_second']} images/s, "
               f"{m['skipped_files']} file(s) skipped)")


@cli.command(epilog="Example: fracture-edge cv data/multiregion --folds 5 --by family --arch deepconvnet "
                    "--export int8 --out cv/dcn")
@click.argument("data_path", metavar="DATA", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="CV folder to create.")
@click.option("--folds", default=5, show_default=True)
@click.option("--by", default="family", show_default=True, type=click.Choice(["family", "content"]),
              help="What never spans two folds: families (copies incl. rotated) or byte copies only.")
@_recipe_options
@click.option("--export", "variants", multiple=True, metavar="VARIANT",
              help="Also export each fold model as `fracture-edge export` does (its calibration set and "
                   "fine-tunes, from the fold's training images), e.g. int8, and score it out of fold with LiteRT.")
@click.option("--target-sensitivity", default=0.95, show_default=True,
              help="Operating point to choose: the threshold's sensitivity, at its lower bound.")
@click.option("--confidence", default=0.9, show_default=True,
              help="Confidence of that one-sided lower bound (a bootstrap over families), in (0.5, 1).")
@click.option("--save-models", is_flag=True, help="Keep each fold's Keras model (a teacher for --distill).")
@click.option("--teacher", "teachers", multiple=True, type=click.Path(path_type=Path),
              help="A CV folder of the same data and folds, run with --save-models; repeat for an ensemble.")
@click.option("--pretrain-epochs", type=NON_NEGATIVE, default=0, show_default=True,
              help="Pretrain each fold's encoder self-supervised (SimCLR) on its training images for this "
                   "many epochs first (0: no pretraining).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def cv(data_path, out, folds, by, variants, target_sensitivity, confidence, save_models, teachers, pretrain_epochs,
       force, **recipe):
    """Family k-fold cross-validation: out-of-fold AUC with a family bootstrap interval, the
    operating point whose sensitivity meets a target at its lower bound, calibration, ROC and
    reliability plots."""
    from .cv import cross_validate
    from .operating_point import describe
    from .pretrain import PretrainConfig

    seed = recipe.get("seed") or 0
    cfg = _train_config(recipe)
    pretrain = PretrainConfig(epochs=pretrain_epochs, seed=seed) if pretrain_epochs else None
    s = cross_validate(data_path, out, cfg, folds=folds, by=by, seed=seed, target_sensitivity=target_sensitivity,
                       confidence=confidence, save_models=save_models, teachers=teachers, variants=variants, pretrain=pretrain, force=force)
    p, op = s["pooled"], s["operating_point"]
    from .metrics import format_auc_views

    click.echo(f"out-of-fold AUC {format_auc_views(p['auc_views'])} (95 % family bootstrap; folds "
               f"{s['fold_auc_mean']:.3f} ± {s['fold_auc_sd']:.3f}); balanced accuracy "
               f"{p['balanced_accuracy']:.3f}, F1 {p['f1']:.3f}")
    for name, v in s["variants"].items():
        click.echo(f"{name}: AUC {format_auc_views(v['auc_views'])}, agreement with float "
                   f"{v['agreement_with_float']:.1%}")
    click.echo(f"operating point: {describe(op)}; temperature {op['temperature']:.3f}, "
               f"ECE {op['ece_raw']:.3f} -> {op['ece_calibrated']:.3f}")
    click.echo(f"report: {Path(out) / 'report.md'}")


@cli.command(epilog="Example: fracture-edge pretrain data/multiregion --arch deepconvnet --epochs 20 --out pre/dcn, "
                    "then: fracture-edge train split.csv --weights pre/dcn/encoder.h5 --out runs/dcn")
@click.argument("data_path", metavar="DATA", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to create (encoder.h5, "
              "history.csv, manifest.json).")
@click.option("--arch", default="deepconvnet", show_default=True, help="deepconvnet or resnet50.")
@click.option("--img-size", type=int, help="Square input size (>= 64; default: train's).")
@click.option("--width", type=int, help="deepconvnet base width (default: train's).")
@click.option("--fusion", help="Input channels, as for train.")
@click.option("--epochs", default=20, show_default=True)
@click.option("--batch-size", default=64, show_default=True, help="Image pairs per step.")
@click.option("--lr", "learning_rate", default=1e-3, show_default=True)
@click.option("--temperature", default=0.2, show_default=True, help="NT-Xent softmax temperature.")
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE)
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def pretrain(data_path, out, epochs, batch_size, learning_rate, temperature, seed, force, **recipe):
    """Self-supervised (SimCLR) pretraining of an encoder on unlabelled images: every image under
    DATA (labels ignored), or a split CSV's train rows. Use the result with train --weights."""
    from .pretrain import PretrainConfig, pretrain as run_pretrain

    cfg = PretrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                         temperature=temperature, seed=seed)
    m = run_pretrain(data_path, out, _train_config(recipe), cfg, force=force)
    click.echo(f"{m['data']['unique_images']} unique images of {m['data']['files']} "
               f"({m['data']['skipped_count']} skipped); NT-Xent loss {m['loss']['first']:.3f} -> "
               f"{m['loss']['last']:.3f} (chance {m['loss']['chance']:.3f}); {m['seconds']} s")
    click.echo(f"encoder: {Path(out) / 'encoder.h5'}; use: {m['use']}")


def _read_json(path: Path, what: str) -> dict:
    from .io import regular_file

    try:
        return json.loads(regular_file(path, f"the {what} JSON").read_text())
    except (OSError, ValueError) as exc:
        raise FractureEdgeError(f"cannot read {what} {path}: {exc}") from None


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


# ----------------------------------------------------------------------------- evaluate
@cli.command(epilog="Example: fracture-edge evaluate runs/dcn --data data/synth --split test")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--data", "data_path", required=True, type=click.Path(path_type=Path))
@click.option("--split", default="test", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default RUN_DIR/eval/SPLIT).")
def evaluate(run_dir, data_path, split, out):
    """Score a run's Keras model on a data split: metrics JSON, ROC and confusion PNGs."""
    from .evaluate import evaluate_run

    from .metrics import format_auc_views

    m = evaluate_run(run_dir, data_path, split, out)
    click.echo(f"{split}: n={m['n']} accuracy {m['accuracy']:.3f} balanced {_fmt(m['balanced_accuracy'])} "
               f"F1 {m['f1']:.3f}; AUC {format_auc_views(m['auc_views'])} "
               f"(95 % bootstrap over {m['bootstrap_unit']})  report: {m['report']}")


# ----------------------------------------------------------------------------- export
@cli.command(epilog="Example: fracture-edge export runs/dcn --int8 --fused --out exports/dcn\n\n"
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
              help="A variant by name from the table (see `export/`), e.g. int8-io.")
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
    from .export import export_run
    from .export.variants import choose

    def done(m):
        v = m["validation"]
        click.echo(f"{m['variant']}: {m['size_bytes'] / 1024:.0f} KB (gzip {m['gzip_bytes'] / 1024:.0f} KB), "
                   f"input {m['input']['dtype']}, sparsity {m['weight_sparsity']['sparsity']:.1%}, "
                   f"agreement {v['agreement_with_keras']:.1%} on {v['images']} val images, "
                   f"val AUC {_fmt(v['metrics']['auc'])}")

    chosen = choose(names, recipes, prune=prune, all_variants=all_variants, **flags)
    export_run(run_dir, chosen, out, force, calibration_size, min_agreement, fused=fused, on_done=done, batch=batch,
               debug_quant=debug_quant, fallback=fallback == "auto")
    click.echo(f"export folder: {out or Path(run_dir) / 'export'}")


# ----------------------------------------------------------------------------- inspect
@cli.command(epilog="Example: fracture-edge inspect exports/dcn/int8/model.tflite")
@click.argument("model", type=click.Path(path_type=Path))
def inspect(model):
    """Print a .tflite's embedded spec, its input/output tensors, the standard TFLite Metadata
    (or why the standard cannot describe the spec) and its export manifest."""
    from .runtimes.litert import Session
    from .standard_meta import read_standard, standard_gap
    from .tflite_meta import load_model_bytes

    s = Session(model, threads=1)
    standard = read_standard(load_model_bytes(model), str(model))
    out = {"spec": s.spec.to_dict(),
           "input": {k: s.input[k] for k in ("name", "dtype", "shape", "quantization")},
           "output": {k: s.output[k] for k in ("name", "dtype", "shape", "quantization")},
           "standard_metadata": standard or {"written": False, "why": standard_gap(s.spec)
                                             or "exported before fracture-edge wrote it"}}
    manifest = Path(model).with_name("manifest.json")
    if manifest.exists():
        out["manifest"] = _read_json(manifest, "export manifest")
    out["input"]["dtype"] = out["input"]["dtype"].__name__
    out["output"]["dtype"] = out["output"]["dtype"].__name__
    _echo_json(out)


# ----------------------------------------------------------------------------- bench
@cli.command(epilog="Example: fracture-edge bench runs/dcn runs/dcn/export --data data/synth "
                    "--runtimes litert,openvino --threads 1,2 --report bench_report")
@click.argument("models", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--data", "data_path", required=True, type=click.Path(path_type=Path), help="Folder or split CSV.")
@click.option("--split", default="test", show_default=True)
@click.option("--runtimes", default=None,
              help="Comma-separated: litert, litert-ref, openvino (float math pinned to float32), openvino-bf16 "
                   "(bfloat16, where the CPU has it), onnxruntime, keras (default: all that fit).")
@click.option("--variants", default=None, help="Comma-separated variant names (default: every variant found).")
@click.option("--threads", default="2", show_default=True, help="Comma-separated thread counts.")
@click.option("--warmup", default=10, show_default=True, type=NON_NEGATIVE, help="Untimed runs per row before timing.")
@click.option("--iterations", default=100, show_default=True, type=COUNT, help="Timed runs per row, after warm-up.")
@click.option("--bootstrap", default=1000, show_default=True, type=COUNT, help="Bootstrap resamples for AUC intervals.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write rows as JSON.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for rows.json/.csv, table.md, PNG plots and a self-contained index.html.")
@click.option("--keep-going", is_flag=True,
              help="Exit 0 even when rows failed (a partial table is fine); by default a failed row exits 1.")
def bench(models, data_path, split, runtimes, variants, threads, warmup, iterations, bootstrap, json_path,
          report_dir, keep_going):
    """Accuracy (with 95% intervals), size, memory and batch-1 latency of every variant on every runtime."""
    from .bench.report import markdown_table, rows_for_json, write_report
    from .bench.runner import bench as run_bench, bench_meta, failed_rows
    from .errors import InputError
    from .io import write_json

    try:
        thread_list = tuple(int(t) for t in threads.split(","))
    except ValueError:
        raise InputError(f"--threads must be comma-separated integers, got {threads!r}") from None
    if min(thread_list) < 1:
        raise InputError(f"--threads must be at least 1, got {threads!r}")
    rt = [r.strip() for r in runtimes.split(",")] if runtimes else None
    var = [v.strip() for v in variants.split(",")] if variants else None
    if report_dir:
        from .plots import pyplot

        pyplot()        # the [edge] install has no matplotlib: say so before the rows take minutes
    rows = run_bench(models, data_path, split, rt, thread_list, warmup, iterations, var, bootstrap)
    click.echo(markdown_table(rows))
    if json_path:
        write_json(json_path, rows_for_json(rows))
        click.echo(f"rows: {json_path}")
    if report_dir:
        write_report(rows, report_dir, bench_meta(models, data_path, split, thread_list, warmup, iterations))
        click.echo(f"report: {report_dir / 'index.html'}")
    failed = failed_rows(rows, named_runtimes=rt is not None)
    if failed and not keep_going:
        click.echo(f"error: {len(failed)} of {len(rows)} rows failed: {', '.join(failed)} (see the status column; "
                   "--keep-going accepts a partial table)", err=True)
        sys.exit(EXIT_ROWS_FAILED)


# ----------------------------------------------------------------------------- predict
@cli.command(epilog="Example: fracture-edge predict xray1.png xrays/ --model exports/dcn/int8/model.tflite --json\n\n"
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
    from .operating_point import describe
    from .predict import predict_files

    explain = None
    if explain_dir is not None:
        from .gradcam import Explainer, explain_run

        explain = Explainer(explain_run(run_dir, model), explain_dir)
    elif run_dir is not None:
        from .errors import InputError

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


# ----------------------------------------------------------------------------- demo
@cli.command(epilog="Example: fracture-edge demo --out demo_out")
@click.option("--out", default="demo_out", show_default=True, type=click.Path(path_type=Path))
@click.option("--n", "n", default=1200, show_default=True, help="Synthetic images.")
@click.option("--img-size", default=64, show_default=True)
@click.option("--epochs", default=20, show_default=True)
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE)
def demo(out, n, img_size, epochs, seed):
    """The whole path on synthetic data: synthesise, train deepconvnet, export float32 + int8, bench."""
    from .demo import run_demo

    run_demo(out, n=n, img_size=img_size, epochs=epochs, seed=seed, echo=click.echo)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM (a scheduler's kill, ``timeout``) into SystemExit, so that the ``finally``
    blocks of atomic writes run and a killed command leaves no temporary folder behind (by
    default Python dies on SIGTERM without unwinding). Signal handlers can only be set from
    the main thread; elsewhere the default stays."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def main(argv=None) -> None:
    """Console entry point: user errors become one line and exit code 2."""
    _exit_on_sigterm()
    try:
        cli.main(args=argv, prog_name="fracture-edge", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:     # a bad option value or usage: one line too
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except FractureEdgeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
