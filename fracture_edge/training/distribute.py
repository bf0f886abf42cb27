"""Where training runs: one process, every local device, or several workers in step.

``one`` is TensorFlow's default strategy (training exactly as without ``tf.distribute``);
``mirrored`` copies the model onto every local device (on a CPU-only machine that is one
replica); ``multiworker`` trains in lockstep with the other processes named in ``TF_CONFIG``,
averaging gradients over the network after each global batch.

``TF_CONFIG`` is checked here without TensorFlow, so a bad cluster description is a one-line
error before any data is read. The strategy itself is made once per process: TensorFlow
configures collective ops once, and only before its first op runs, so :func:`.train.train`
asks for it before anything touches TensorFlow.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..core.errors import InputError, check_choice
from ..core.files import atomic_dir

STRATEGIES = ("one", "mirrored", "multiworker")


def check_strategy(name: str, environ=os.environ) -> None:
    """A known strategy name and, for ``multiworker``, a usable ``TF_CONFIG``."""
    check_choice(name, STRATEGIES, "--strategy")
    if name == "multiworker":
        tf_config_task(environ)


def tf_config_task(environ=os.environ) -> tuple[str, int]:
    """This process's (task type, index) from ``TF_CONFIG``, checked against its cluster.

    The cluster lists ``host:port`` per job (``worker``, optionally one ``chief``); the task
    names one of them. TensorFlow itself would fail later and less clearly (or wait forever for
    a worker that was never listed)."""
    text = environ.get("TF_CONFIG")
    if not text:
        raise InputError("--strategy multiworker needs TF_CONFIG (JSON with cluster and task; see docs/architecture.md)")
    try:
        cfg = json.loads(text)
        cluster, task = cfg["cluster"], cfg["task"]
        kind, index = task["type"], task["index"]
        jobs = {job: list(cluster[job]) for job in cluster}
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"TF_CONFIG is not a cluster description ({type(exc).__name__}: {exc}); "
                         'expected {"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": 0}}'
                         ) from None
    if not jobs.get("worker") and not jobs.get("chief"):
        raise InputError("TF_CONFIG cluster lists no workers")
    if set(jobs) - {"chief", "worker"}:
        raise InputError(f"TF_CONFIG cluster jobs must be chief and worker (got {', '.join(sorted(jobs))})")
    if kind not in jobs or not isinstance(index, int) or not 0 <= index < len(jobs[kind]):
        raise InputError(f"TF_CONFIG task {kind}:{index} is not in the cluster "
                         f"({', '.join(f'{job}: {len(hosts)}' for job, hosts in jobs.items())})")
    return kind, index


def distribution_strategy(name: str):
    """The ``tf.distribute`` strategy for ``name``: for ``one`` the strategy in effect (outside
    any scope, TensorFlow's default), otherwise one made on the first call and returned again
    on every later one.

    For ``multiworker``, call this before any TensorFlow op runs (creating a tensor, a model,
    a dataset): collective ops can only be configured at start-up, and TensorFlow refuses
    afterwards with "Collective ops must be configured at program startup".
    """
    check_strategy(name)
    from .keras_env import tf

    return tf.distribute.get_strategy() if name == "one" else _made(name)


@functools.cache
def _made(name: str):
    """One per process: a second MultiWorkerMirroredStrategy would configure collectives again."""
    from .keras_env import tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def is_chief(strategy) -> bool:
    """Whether this process writes results: always, except on the non-chief workers of a
    cluster (TensorFlow's own rule, which its checkpoint callbacks follow too)."""
    return bool(strategy.extended.should_checkpoint)


@contextlib.contextmanager
def output_dir(out: Path, force: bool, chief: bool, kind: str) -> Iterator[Path]:
    """The folder this process writes its run into.

    The chief builds ``out`` (an output of ``kind``) atomically. Other workers write the same files into a temporary
    folder that is deleted afterwards: they cannot skip the writes, because saving a model reads
    variables that are aggregated across workers (BatchNorm statistics, metrics), and that read
    is a collective every worker must join.
    """
    if chief:
        with atomic_dir(out, force=force, kind=kind) as tmp:
            yield tmp
    else:
        with tempfile.TemporaryDirectory(prefix="fracture-edge-worker.") as tmp:
            yield Path(tmp)
