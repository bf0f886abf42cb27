"""The command line as a user meets it: help without TensorFlow, one-line errors, exit code 2."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

COMMANDS = [[], ["data"], ["data", "synth"], ["data", "audit"], ["data", "split"], ["train"], ["cv"], ["pretrain"], ["evaluate"], ["export"], ["inspect"],
            ["bench"], ["predict"], ["demo"]]


def run_cli(*args, block_tensorflow=False, cwd=None):
    """Run ``fracture-edge`` in a fresh interpreter; optionally make ``import tensorflow`` fail."""
    prelude = ""
    if block_tensorflow:
        prelude = textwrap.dedent("""
            import sys
            class _Block:
                def find_spec(self, name, path=None, target=None):
                    if name.split('.')[0] in ('tensorflow', 'tf_keras', 'keras'):
                        raise ImportError('tensorflow is blocked in this test')
            sys.meta_path.insert(0, _Block())
        """)
    code = prelude + textwrap.dedent(f"""
        import sys
        from fracture_edge.cli import main
        try:
            main({list(args)!r})
        finally:
            heavy = sorted(m for m in ('tensorflow', 'tf_keras', 'cv2') if m in sys.modules)
            print('LOADED=' + ','.join(heavy), file=sys.stderr)
    """)
    env = {**os.environ, "FRACTURE_EDGE_PROGRESS": "off"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def loaded(proc) -> str:
    return [line for line in proc.stderr.splitlines() if line.startswith("LOADED=")][-1]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help_has_an_example_and_imports_nothing_heavy(cmd):
    proc = run_cli(*cmd, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Example: fracture-edge" in proc.stdout
    assert loaded(proc) == "LOADED="


def _one_line_error(proc, needle):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("LOADED=")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert needle in errors[0]


def test_missing_data_path(tmp_path):
    _one_line_error(run_cli("train", str(tmp_path / "nope"), "--out", str(tmp_path / "r")), "does not exist")
    assert not (tmp_path / "r").exists()


def test_folder_without_class_folders(tmp_path):
    (tmp_path / "pets").mkdir()
    _one_line_error(run_cli("train", str(tmp_path), "--out", str(tmp_path / "r")), "no class folders")
    assert not (tmp_path / "r").exists()


def test_model_that_is_not_tflite(tmp_path):
    (tmp_path / "m.tflite").write_text("hello")
    (tmp_path / "x.png").write_bytes(b"\x89PNG")
    _one_line_error(run_cli("predict", str(tmp_path / "x.png"), "--model", str(tmp_path / "m.tflite")),
                    "not a .tflite")


def test_unknown_variant_recipe_key(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('name = "x"\ndescription = "y"\ncalibrat = true\n')
    (tmp_path / "run").mkdir()
    _one_line_error(run_cli("export", str(tmp_path / "run"), "--recipe", str(recipe)), "did you mean 'calibrate'")


def test_unknown_runtime(tmp_path):
    (tmp_path / "m.tflite").write_text("x")
    _one_line_error(run_cli("bench", str(tmp_path / "m.tflite"), "--data", str(tmp_path), "--runtimes", "tpu"),
                    "choose from litert, litert-ref, openvino, openvino-bf16, onnxruntime, keras")


@pytest.mark.slow
def test_predict_and_litert_bench_run_without_tensorflow(tiny_exports, synth_dir, tmp_path):
    model = str(tiny_exports / "int8" / "model.tflite")
    image = str(sorted((synth_dir / "test" / "fractured").glob("*.png"))[0])
    proc = run_cli("predict", image, "--model", model, "--json", block_tensorflow=True)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout.splitlines()[0])
    from fracture_edge.core.predict import predict_files

    [expected], _ = predict_files([image], model)          # what predict says in this process
    assert row["label"] == expected["label"] and row["probability"] == pytest.approx(expected["probability"])
    assert loaded(proc) == "LOADED=cv2"

    out = tmp_path / "rows.json"
    proc = run_cli("bench", model, "--data", str(synth_dir), "--runtimes", "litert", "--iterations", "3",
                   "--json", str(out), block_tensorflow=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())[0]["status"] == "ok"
    assert "tensorflow" not in loaded(proc)


@pytest.mark.slow
def test_inspect_prints_spec_and_manifest(tiny_exports):
    proc = run_cli("inspect", str(tiny_exports / "int8" / "model.tflite"), block_tensorflow=True)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["spec"]["schema"] == "fracture_edge.spec" and info["input"]["dtype"] == "uint8"
    assert info["manifest"]["variant"] == "int8"


@pytest.mark.parametrize("args, augment", [
    ([], "none"), (["--no-augment"], "none"), (["--augment"], "matched"),
    (["--rotation", "15"], "rotation 15"),
], ids=["default", "no-augment", "augment", "rotation"])
def test_recipe_options_reach_the_train_config(args, augment, tmp_path, monkeypatch):
    """The default recipe does not augment (None, not a zeroed Augment) and weights files per
    class (what benchmarks/recipe chose); --augment starts from the data-matched set, which
    --rotation, --zoom and the like adjust."""
    from dataclasses import replace

    from click.testing import CliRunner

    from fracture_edge.cli import cli
    from fracture_edge.training import train
    from fracture_edge.training.augment import Augment

    seen = {}

    def fake_train(data, out, cfg, **kw):
        seen["cfg"] = cfg
        raise SystemExit(0)

    monkeypatch.setattr(train, "train", fake_train)
    result = CliRunner().invoke(cli, ["train", str(tmp_path), "--out", str(tmp_path / "r"), *args])
    assert result.exit_code == 0, result.output
    expected = {"none": None, "matched": Augment(), "rotation 15": replace(Augment(), max_rotation=15.0)}[augment]
    assert seen["cfg"].augment == expected
    assert seen["cfg"].balance == "class"


def test_no_augment_with_an_augmentation_option_is_refused(tmp_path):
    _one_line_error(run_cli("train", str(tmp_path), "--out", str(tmp_path / "r"), "--no-augment", "--zoom", "0.1"),
                    "--no-augment contradicts")


def test_sigterm_leaves_no_temporary_folder(tmp_path):
    """A command killed with SIGTERM while it writes exits 143 and removes its temporary folder."""
    import signal
    import time

    code = "from fracture_edge.cli import main; main(['data', 'synth', 'out', '--n', '100000', '--size', '64'])"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "FRACTURE_EDGE_PROGRESS": "off"})
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.*.tmp/*/*/*.png")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "timeout"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM, proc.stderr.read()
    assert list(tmp_path.iterdir()) == []
