"""The Android demo's plain-Java core on this JVM: golden vectors and exported models from Python.

scripts/java-test.sh compiles the core (and the app's sources that use only the core) with javac
and runs the JUnit 4 tests; `make test` also runs it alone on the committed golden set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mobile_support import fused_exports, require

from fracture_edge.core import golden

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "java-test.sh"
COMMITTED = REPO / "android_demo" / "core" / "src" / "test" / "resources" / "golden"


def java_tests(**env) -> tuple[int, int, int, str]:
    """(returncode, passed, failed, output) of one run of scripts/java-test.sh."""
    require(shutil.which("javac") is not None, "javac (Debian package openjdk-17-jdk-headless)")
    require(Path("/usr/share/java/junit4.jar").exists(), "JUnit 4 (Debian package junit4)")
    r = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=600,
                       env={**os.environ, **{k: str(v) for k, v in env.items()}})
    out = r.stdout + r.stderr
    m = re.search(r"^(\d+) passed, (\d+) failed", out, re.M)
    assert m, f"no closing line from java-test.sh:\n{out[-3000:]}"
    return r.returncode, int(m.group(1)), int(m.group(2)), out


@pytest.mark.realdata
def test_java_reproduces_python_on_real_and_synthetic_images(real_dir, tmp_path):
    images = golden.synthetic_images(128)
    real = golden.real_images(real_dir, 12)
    images.update(real)
    gs = golden.write_golden(tmp_path / "golden", images, golden.golden_specs(128), {k: "real" for k in real})
    rc, passed, failed, out = java_tests(GOLDEN_DIR=tmp_path / "golden")
    assert (rc, failed) == (0, 0), out[-3000:]
    assert passed >= len(gs.cases)
    print(f"Java core: {len(gs.cases)} golden cases ({len(real)} real images), {passed} passed, {failed} failed")


def test_a_one_pixel_change_in_a_golden_fails_the_java_tests(tmp_path):
    copy = tmp_path / "golden"
    shutil.copytree(COMMITTED, copy)
    case = "shapes-gray-75x100--unfused-uint8"
    f = copy / "cases" / case / "input.u8"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 1
    f.write_bytes(bytes(data))
    rc, passed, failed, out = java_tests(GOLDEN_DIR=copy)
    assert rc != 0 and failed >= 1
    assert f"FAIL matchesPython[{case}]" in out and "input: 1 of 3072 elements differ" in out


@pytest.mark.slow
def test_java_reads_spec_and_tensors_of_exported_models(tiny_exports, tiny_run, tmp_path_factory, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(tiny_exports, models)
    shutil.copytree(fused_exports(tiny_run, tmp_path_factory), models, dirs_exist_ok=True)
    assert sorted(p.name for p in models.iterdir()) == ["float32", "float32-fused", "int8", "int8-fused"]
    rc, passed, failed, out = java_tests(MODELS_DIR=models)
    assert (rc, failed) == (0, 0), out[-3000:]
    assert "SKIP readsEveryExportedModel" not in out


@pytest.mark.slow
def test_java_reads_an_int8_efficientnet_lite0_export(lite_int8_export, tmp_path):
    """The Android core takes Lite0's int8 export: its spec ((x-127)/128, one gray channel), its
    uint8 input and output tensors, and a Classifier built on them (the app runs it with LiteRT)."""
    models = tmp_path / "models"
    shutil.copytree(lite_int8_export, models / "int8")
    rc, passed, failed, out = java_tests(MODELS_DIR=models)
    assert (rc, failed) == (0, 0), out[-3000:]
    assert "SKIP readsEveryExportedModel" not in out
