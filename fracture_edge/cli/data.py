"""`fracture-edge data`: make, audit and split datasets."""

from __future__ import annotations

from pathlib import Path

import click

from .app import COUNT, NON_NEGATIVE, fmt


@click.group(epilog="Example: fracture-edge data synth data/synth --n 400 --seed 0")
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
    from ..core.data.synth import synthesize

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
    from ..core.data.audit import audit

    m = audit(data_path, json_path, report_dir, workers)
    fam, ex = m["families"], m["exact_duplicates"]
    click.echo(f"{m['files']} files, {ex['distinct_contents']} distinct contents, {fam['count']} families "
               f"({fam['mixed_label']} with both labels); {len(m['unusable'])} unusable, "
               f"{len(m['extension_mismatch'])} with a misleading extension")
    for split, v in m["leakage"].items():
        click.echo(f"{split}: {v['family_share']:.1%} of {v['files']} files have a copy in train "
                   f"({v['byte_copy_share']:.1%} byte-identical)")
    hints = ", ".join(f"{k} {fmt(v)}" for k, v in m["shortcut_hints"].items()) or "n/a (no decodable images)"
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
    from ..core.data.split import family_split, split_summary, write_manifest

    rows = family_split(data_path, val, test, seed, by, workers)
    write_manifest(rows, out)
    for split, v in split_summary(rows).items():
        click.echo(f"{split}: {v['files']} files ({v['fractured']} fractured), {v['families']} groups")
    click.echo(f"manifest: {out}")
