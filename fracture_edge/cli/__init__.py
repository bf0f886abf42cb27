"""The ``fracture-edge`` command: one thin click command per stage, one module per command group.

Each command parses its options, calls one library function and prints. Library modules are
imported inside the commands, so ``fracture-edge --help`` imports neither TensorFlow nor
OpenCV (``tests/test_layers.py`` checks it). The group, the shared option types and the entry
point live in :mod:`.app`.
"""

from __future__ import annotations

from . import bench, data, demo, export, predict, train
from .app import cli, main

for command in (data.data, train.train, train.cv, train.pretrain, train.evaluate, export.export, export.inspect,
                bench.bench, predict.predict, demo.demo):
    cli.add_command(command)

__all__ = ["cli", "main"]
