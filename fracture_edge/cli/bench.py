"""`bench`: accuracy, size, memory and latency of every variant on every runtime."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import COUNT, EXIT_ROWS_FAILED, NON_NEGATIVE


@click.command(epilog="Example: fracture-edge bench runs/dcn runs/dcn/export --data data/synth "
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
    from ..core.bench.report import markdown_table, rows_for_json
    from ..core.bench.runner import bench as run_bench
    from ..core.bench.runner import bench_meta, failed_rows
    from ..core.errors import InputError
    from ..core.files import write_json
    from ..plots.bench import write_report
    from ..training.onnx_convert import convert_run  # imports tf2onnx and TensorFlow only when it runs

    try:
        thread_list = tuple(int(t) for t in threads.split(","))
    except ValueError:
        raise InputError(f"--threads must be comma-separated integers, got {threads!r}") from None
    if min(thread_list) < 1:
        raise InputError(f"--threads must be at least 1, got {threads!r}")
    rt = [r.strip() for r in runtimes.split(",")] if runtimes else None
    var = [v.strip() for v in variants.split(",")] if variants else None
    if report_dir:
        from ..plots.figures import pyplot

        pyplot()        # the [edge] install has no matplotlib: say so before the rows take minutes
    rows = run_bench(models, data_path, split, rt, thread_list, warmup, iterations, var, bootstrap,
                     convert_onnx=convert_run)
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
