"""`demo`: the whole path on synthetic data."""

from __future__ import annotations

from pathlib import Path

import click

from .app import NON_NEGATIVE


@click.command(epilog="Example: fracture-edge demo --out demo_out")
@click.option("--out", default="demo_out", show_default=True, type=click.Path(path_type=Path))
@click.option("--n", "n", default=1200, show_default=True, help="Synthetic images.")
@click.option("--img-size", default=64, show_default=True)
@click.option("--epochs", default=20, show_default=True)
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE)
def demo(out, n, img_size, epochs, seed):
    """The whole path on synthetic data: synthesise, train deepconvnet, export float32 + int8, bench."""
    from ..training.demo import run_demo

    run_demo(out, n=n, img_size=img_size, epochs=epochs, seed=seed, echo=click.echo)
