"""The ``fracture-edge`` command: one thin click command per stage.

Each command parses its options, calls one library function and prints. Library modules are
imported inside the commands, so ``fracture-edge --help`` imports neither TensorFlow nor
OpenCV. A :class:`~fracture_edge.core.errors.FractureEdgeError` becomes a one-line message on
stderr and exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from ..core.errors import FractureEdgeError

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


def echo_json(obj) -> None:
    from ..core.files import _json_default

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


def read_json(path: Path, what: str) -> dict:
    from ..core.files import regular_file

    try:
        return json.loads(regular_file(path, f"the {what} JSON").read_text())
    except (OSError, ValueError) as exc:
        raise FractureEdgeError(f"cannot read {what} {path}: {exc}") from None


def fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


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
