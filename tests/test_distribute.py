"""Training beyond one process: strategy names and TF_CONFIG checked before any data is read,
and two workers on loopback that train in step and match a single-worker run."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fracture_edge.core.errors import InputError
from fracture_edge.training.distribute import check_strategy, tf_config_task

TWO_WORKERS = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 1}}


def _env(**tf_config):
    return {"TF_CONFIG": json.dumps(tf_config)}


def test_tf_config_names_this_task():
    assert tf_config_task(_env(**TWO_WORKERS)) == ("worker", 1)
    chief = {"cluster": {"chief": ["a:1"], "worker": ["b:1"]}, "task": {"type": "chief", "index": 0}}
    assert tf_config_task(_env(**chief)) == ("chief", 0)


@pytest.mark.parametrize("environ, needle", [
    ({}, "needs TF_CONFIG"),
    ({"TF_CONFIG": "{not json"}, "not a cluster description"),
    ({"TF_CONFIG": '{"cluster": {"worker": ["a:1"]}}'}, "not a cluster description"),
    (_env(cluster={"worker": []}, task={"type": "worker", "index": 0}), "lists no workers"),
    (_env(cluster={"ps": ["a:1"], "worker": ["b:1"]}, task={"type": "worker", "index": 0}), "must be chief and worker"),
    (_env(cluster={"worker": ["a:1", "b:1"]}, task={"type": "worker", "index": 2}), "task worker:2 is not in"),
    (_env(cluster={"worker": ["a:1"]}, task={"type": "chief", "index": 0}), "task chief:0 is not in"),
], ids=["missing", "not-json", "no-task", "no-workers", "ps-job", "index-out-of-range", "no-such-job"])
def test_bad_tf_config_is_one_clear_error(environ, needle):
    with pytest.raises(InputError, match=needle):
        check_strategy("multiworker", environ)


def test_unknown_strategy_names_the_choices():
    with pytest.raises(InputError, match="choose from one, mirrored, multiworker"):
        check_strategy("horovod", {})
    check_strategy("one", {})
    check_strategy("mirrored", {})


def _train(*args, logs: Path, tf_config=None):
    """Start ``fracture-edge train`` in a fresh interpreter that imports this checkout's package
    (the environment, PYTHONPATH included, passes through), with ``TF_CONFIG`` set or removed
    and temporary files in ``logs/tmp``. Output goes to files in ``logs``, not to pipes: a full
    pipe would stall a worker, and its peer with it."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env["FRACTURE_EDGE_PROGRESS"] = "off"
    env["TMPDIR"] = str(logs / "tmp")
    (logs / "tmp").mkdir(parents=True, exist_ok=True)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    name = f"train-{time.monotonic_ns()}"
    files = open(logs / f"{name}.out", "w+"), open(logs / f"{name}.err", "w+")
    code = "import sys; from fracture_edge.cli import main; main(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, "train", *map(str, args)], env=env, text=True,
                            stdout=files[0], stderr=files[1])
    proc.files = files
    return proc


def _finish(procs, timeout: float) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) per process. The first failure or the deadline kills the
    rest: a worker whose peer is gone would wait in its next all-reduce forever."""
    deadline = time.monotonic() + timeout
    while any(p.poll() is None for p in procs):
        if any(p.poll() not in (None, 0) for p in procs) or time.monotonic() > deadline:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            break
        time.sleep(0.5)
    results = []
    for p in procs:
        for f in p.files:
            f.seek(0)
        results.append((p.returncode, *(f.read() for f in p.files)))
        for f in p.files:
            f.close()
    return results


def _one_line_error(proc, needle):
    [(rc, out, err)] = _finish([proc], timeout=120)
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1 and needle in lines[0], (rc, out, err)


def test_cli_multiworker_without_tf_config_is_refused_before_reading_data(tmp_path):
    _one_line_error(_train(tmp_path / "no-such-data", "--strategy", "multiworker", "--out", tmp_path / "run",
                              logs=tmp_path), "needs TF_CONFIG")
    assert not (tmp_path / "run").exists()


def test_cli_unknown_strategy(tmp_path):
    """Click's own usage error (usage line, hint, error), like every other choice option."""
    [(rc, _, err)] = _finish([_train(tmp_path, "--strategy", "bogus", "--out", tmp_path / "run", logs=tmp_path)],
                            timeout=120)
    assert rc == 2 and "Invalid value for '--strategy': 'bogus' is not one of 'one', 'mirrored', 'multiworker'" in err


def _bars(out: Path, n: int = 480, size: int = 64, seed: int = 0) -> Path:
    """A task this small model learns in a few epochs: a bright bar at any angle on noise, and
    in "fractured" images a dark gap across it. On the synthetic radiographs of
    :mod:`fracture_edge.core.data.synth` this model was still near chance after 10 epochs on 320
    images (and for some seeds on 800; the demo trains 20 epochs on 1200), and comparing two
    chance-level models proves nothing."""
    import cv2

    splits = ("train",) * 6 + ("val",) * 2 + ("test",) * 2
    rng = np.random.default_rng(seed)
    for i in range(n):
        fractured = bool(rng.integers(2))
        img = rng.normal(60, 12, (size, size))
        angle = rng.uniform(0, np.pi)
        along, across = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle), np.cos(angle)])
        centre = size / 2 + rng.uniform(-6, 6, 2)
        ends = [tuple(int(v) for v in centre + k * size * along) for k in (-1, 1)]
        cv2.line(img, *ends, float(rng.uniform(160, 220)), int(rng.integers(8, 13)))
        if fractured:
            gap = centre + rng.uniform(-0.25, 0.25) * size * along
            ends = [tuple(int(v) for v in gap + k * 10 * across) for k in (-1, 1)]
            cv2.line(img, *ends, 60.0, int(rng.integers(4, 7)))
        folder = out / splits[i % 10] / ("fractured" if fractured else "not fractured")
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"bar_{i:04d}.png"), np.clip(img, 0, 255).astype(np.uint8))
    return out


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _epoch_lines(stdout: str) -> list[str]:
    """Keras's per-epoch lines without their timings: steps per epoch and metric values."""
    lines = [line for line in stdout.splitlines() if re.match(r"\d+/\d+ - ", line)]
    return [re.sub(r" - [\d.]+m?s(/epoch|/step)?", "", line) for line in lines]


def _auc_and_predictions(run: Path, data: Path, model_file: str, splits=("val", "test")):
    """AUC and probabilities of a run's model on ``splits``. For the last epoch's weights
    (``checkpoints/last.keras``), BatchNorm statistics are first re-estimated on the training
    images, as training does for every averaged window."""
    from fracture_edge.core.data.folders import load_dataset, load_images
    from fracture_edge.core.metrics import classification_metrics
    from fracture_edge.core.spec import PreprocessSpec
    from fracture_edge.training.batchnorm import recalibrate_batchnorm
    from fracture_edge.training.keras_env import keras

    spec = PreprocessSpec.from_json((run / "spec.json").read_text())
    samples = load_dataset(data).samples
    scored = load_images([s for s in samples if s.split in splits], spec)
    model = keras.models.load_model(run / model_file, compile=False)
    if model_file.endswith("last.keras"):
        recalibrate_batchnorm(model, spec, load_images([s for s in samples if s.split == "train"], spec), 16)
    prob = model.predict(scored.tensors(spec), verbose=0).reshape(-1)
    return classification_metrics(scored.labels, prob)["auc"], prob


RUN_FILES = ["model.keras", "spec.json", "split.csv", "manifest.json", "history.csv", "checkpoints/best.keras",
             "checkpoints/last.keras", "eval/metrics.json", "eval/roc.png", "eval/confusion.png"]


@pytest.mark.slow
def test_two_workers_on_loopback_train_in_step_and_match_one_worker(tmp_path):
    """Two ``MultiWorkerMirroredStrategy`` workers on 127.0.0.1 and one single-worker run of the
    same recipe, all three at once (about 2 minutes on two busy cores).

    In step: both workers print the same steps per epoch as the single run (the global batch
    stays ``--batch-size``) and the same per-epoch metrics as each other (the metrics are
    all-reduced). Files: worker 0 writes a complete run folder, worker 1 leaves nothing, not
    even in its temporary folder.

    Matching: the results are not bit-identical and cannot be. BatchNorm normalises each
    worker's half batch separately, dropout masks are drawn per half batch, and single runs on
    CPU do not even reproduce themselves (thread-parallel float sums; augmentation draws in
    whatever order the threads finish). What is compared is the trained weights: the last
    epoch, BatchNorm statistics re-estimated, scored on the 192 val and test images. (The
    shipped ``model.keras`` is not compared: after 72 steps BatchNorm's moving averages are
    stale, validation AUC during training is near 0.5 for every run, and the window it
    selects is a coin toss; measured, it shipped chance-level epoch-1 models from single and
    two-worker runs alike.) Measured on this recipe: AUC 0.85-0.89 in five seed-0 single runs
    and 0.85-0.88 in five two-worker runs; prediction correlation single vs single (same seed)
    0.82-0.91 (3 pairs), single vs two-worker 0.84-0.89 (7 pairs), but seed 0 vs seed 1 only
    0.57-0.66 (4 pairs; with the single run at seed 1 this test failed, as it should). Hence:
    AUC within 0.1 of the single run, and correlation above 0.75, a line that runs of the same
    training clear and a differently initialised or differently ordered run does not.
    """
    data = _bars(tmp_path / "bars")
    recipe = [data, "--img-size", "64", "--width", "8", "--epochs", "4", "--batch-size", "16", "--seed", "0"]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    logs = [tmp_path / f"logs{i}" for i in range(3)]
    for folder in logs:
        folder.mkdir()
    procs = [_train(*recipe, "--strategy", "multiworker", "--out", tmp_path / f"worker{i}", logs=logs[i],
                       tf_config={"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in (0, 1)]
    procs.append(_train(*recipe, "--strategy", "one", "--out", tmp_path / "single", logs=logs[2]))
    results = _finish(procs, timeout=540)
    for rc, out, err in results:
        assert rc == 0, f"exit {rc}:\n{out[-2000:]}\n{err[-4000:]}"
    (_, chief_out, _), (_, other_out, _), (_, single_out, _) = results

    chief_epochs, other_epochs, single_epochs = map(_epoch_lines, (chief_out, other_out, single_out))
    assert len(chief_epochs) == 4 and chief_epochs == other_epochs
    assert [e.split()[0] for e in chief_epochs] == [e.split()[0] for e in single_epochs]
    assert "trained in step with the chief worker" in other_out

    run = tmp_path / "worker0"
    assert all((run / f).is_file() for f in RUN_FILES), sorted(p.name for p in run.rglob("*"))
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["distribution"] == {"strategy": "multiworker", "replicas": 2, "chief": True}
    assert manifest["config"]["strategy"] == "multiworker"
    assert not (tmp_path / "worker1").exists()
    assert not any((logs[1] / "tmp").iterdir()), list((logs[1] / "tmp").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bars", "logs0", "logs1", "logs2", "single", "worker0"]

    # The chief's evaluation ran under the strategy too; its AUC is that of its model.keras.
    auc, _ = _auc_and_predictions(run, data, "model.keras", splits=("test",))
    assert auc == pytest.approx(manifest["eval"]["auc"], abs=1e-3)

    auc_two, p_two = _auc_and_predictions(run, data, "checkpoints/last.keras")
    auc_one, p_one = _auc_and_predictions(tmp_path / "single", data, "checkpoints/last.keras")
    corr = float(np.corrcoef(p_two, p_one)[0, 1])
    print(f"AUC two workers {auc_two:.3f}, one worker {auc_one:.3f}; prediction correlation {corr:.3f}")
    assert abs(auc_two - auc_one) <= 0.1 and corr > 0.75, (auc_two, auc_one, corr)
