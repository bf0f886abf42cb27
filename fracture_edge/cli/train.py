"""`train`, `cv`, `pretrain` and `evaluate`: the commands that train or score Keras models."""

from __future__ import annotations

from pathlib import Path

import click

from .app import NON_NEGATIVE, fmt, read_json

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
                 "file within a class, or per family (copies of one radiograph share one weight); default: the "
                 "architecture's (deepconvnet class, efficientnet-lite family)."),
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


def _recipe_options(f):
    for option in reversed(_RECIPE_OPTIONS):
        f = option(f)
    return f


@click.command(epilog="Example: fracture-edge train split.csv --arch deepconvnet --out runs/dcn "
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
    from ..training.config import config_from_options
    from ..training.train import train as run_train

    cfg = config_from_options(recipe)
    op = read_json(operating_point, "operating point") if operating_point else None
    m = run_train(data_path, out, cfg, force=force, operating_point=op, teachers=teachers)
    if not m["distribution"]["chief"]:
        click.echo(f"trained in step with the chief worker, which writes the run folder ({m['train_seconds']} s)")
        return
    ev = m["eval"]
    click.echo(f"best epochs {m['best']['epoch'] - m['best']['epochs'] + 1}-{m['best']['epoch']} "
               f"(val AUC {m['best']['val_auc']:.3f}); "
               f"{ev['split']}: accuracy {ev['accuracy']:.3f}, F1 {ev['f1']:.3f}, AUC {fmt(ev['auc'])}")
    click.echo(f"run folder: {out}  ({m['train_seconds']} s, {m['images_per_second']} images/s, "
               f"{m['skipped_files']} file(s) skipped)")


@click.command(epilog="Example: fracture-edge cv data/multiregion --folds 5 --by family --arch deepconvnet "
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
    from ..core.metrics import format_auc_views
    from ..core.operating_point import describe
    from ..training.config import config_from_options
    from ..training.crossval import cross_validate
    from ..training.pretrain import PretrainConfig

    seed = recipe.get("seed") or 0
    cfg = config_from_options(recipe)
    pretrain = PretrainConfig(epochs=pretrain_epochs, seed=seed) if pretrain_epochs else None
    s = cross_validate(data_path, out, cfg, folds=folds, by=by, seed=seed, target_sensitivity=target_sensitivity,
                       confidence=confidence, save_models=save_models, teachers=teachers, variants=variants,
                       pretrain=pretrain, force=force)
    p, op = s["pooled"], s["operating_point"]
    lines = [f"out-of-fold AUC {format_auc_views(p['auc_views'])} (95 % family bootstrap; folds "
             f"{s['fold_auc_mean']:.3f} ± {s['fold_auc_sd']:.3f}); balanced accuracy "
             f"{p['balanced_accuracy']:.3f}, F1 {p['f1']:.3f}"]
    lines += [f"{name}: AUC {format_auc_views(v['auc_views'])}, agreement with float {v['agreement_with_float']:.1%}"
              for name, v in s["variants"].items()]
    lines.append(f"operating point: {describe(op)}; temperature {op['temperature']:.3f}, "
                 f"ECE {op['ece_raw']:.3f} -> {op['ece_calibrated']:.3f}")
    click.echo("\n".join([*lines, f"report: {Path(out) / 'report.md'}"]))


@click.command(epilog="Example: fracture-edge pretrain data/multiregion --arch deepconvnet --epochs 20 --out pre/dcn, "
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
    from ..training.config import config_from_options
    from ..training.pretrain import PretrainConfig
    from ..training.pretrain import pretrain as run_pretrain

    cfg = PretrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                         temperature=temperature, seed=seed)
    m = run_pretrain(data_path, out, config_from_options(recipe), cfg, force=force)
    click.echo(f"{m['data']['unique_images']} unique images of {m['data']['files']} "
               f"({m['data']['skipped_count']} skipped); NT-Xent loss {m['loss']['first']:.3f} -> "
               f"{m['loss']['last']:.3f} (chance {m['loss']['chance']:.3f}); {m['seconds']} s")
    click.echo(f"encoder: {Path(out) / 'encoder.h5'}; use: {m['use']}")


@click.command(epilog="Example: fracture-edge evaluate runs/dcn --data data/synth --split test")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--data", "data_path", required=True, type=click.Path(path_type=Path))
@click.option("--split", default="test", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default RUN_DIR/eval/SPLIT).")
def evaluate(run_dir, data_path, split, out):
    """Score a run's Keras model on a data split: metrics JSON, ROC and confusion PNGs."""
    from ..core.metrics import format_auc_views
    from ..training.evaluate import evaluate_run

    m = evaluate_run(run_dir, data_path, split, out)
    click.echo(f"{split}: n={m['n']} accuracy {m['accuracy']:.3f} balanced {fmt(m['balanced_accuracy'])} "
               f"F1 {m['f1']:.3f}; AUC {format_auc_views(m['auc_views'])} "
               f"(95 % bootstrap over {m['bootstrap_unit']})  report: {m['report']}")
