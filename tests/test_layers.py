"""Architecture rules that a refactor could silently break: the core never imports TensorFlow,
and the CLI imports library modules only inside its commands."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "fracture_edge"
CORE = ["spec.py", "decode.py", "dicom.py", "preprocess.py", "postprocess.py", "tflite_meta.py", "metrics.py",
        "predict.py", "errors.py", "io.py", "progress.py", "versions.py", "augment.py", "cpu.py", "runtimes/__init__.py",
        "runtimes/litert.py", "runtimes/litert_ref.py", "runtimes/openvino_cpu.py",
        "runtimes/onnxruntime_cpu.py", "bench", "data"]
#: TF-free modules of the training layer that the core may read (the variant table is tomllib only).
TF_FREE_TRAINING = {"..export.variants"}
TF_MODULES = {"tensorflow", "tf_keras", "keras", "tensorflow_model_optimization"}


def _imports(path: Path, top_level_only: bool = False):
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


def _core_files():
    for entry in CORE:
        p = PKG / entry
        yield from (sorted(p.rglob("*.py")) if p.is_dir() else [p])


def test_core_never_imports_tensorflow():
    for f in _core_files():
        for name in _imports(f):
            assert name.split(".")[0] not in TF_MODULES, f"{f.relative_to(PKG)} imports {name}"
            assert not name.endswith("keras_env"), f"{f.relative_to(PKG)} imports {name}"
            assert name in TF_FREE_TRAINING or ("train" not in name.split(".") and "export" not in name.split(".")), \
                f"{f.relative_to(PKG)} imports the training layer ({name})"


def test_cli_imports_only_click_and_errors_at_module_level():
    allowed = {"__future__", "json", "logging", "sys", "pathlib", "click", ".errors"}
    top = set(_imports(PKG / "cli.py", top_level_only=True))
    assert top <= allowed, top - allowed
