"""Helpers for the mobile tests (Java core, web demo) and every test that needs something from outside.

Tests that need something outside Python (javac, node, Chromium; the real radiographs in
../shared) skip locally when it is missing, with what to do as the reason, and fail in CI
(CI=true), where .ci/run installs the tools and the checkout has the data: a skip there would
hide that they never ran.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_FUSED: dict[Path, Path] = {}


INSTALL_HINT = "run scripts/install-system-deps.sh, or `make test`, which does"


def require(ok: bool, what: str, hint: str = INSTALL_HINT, ci_hint: str = ".ci/run should have installed it") -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing in CI ({ci_hint})")
    pytest.skip(f"{what} is missing ({hint})")


def fused_exports(tiny_run: Path, tmp_path_factory) -> Path:
    """Fused float32 and int8 exports of the session's tiny run (``float32-fused``,
    ``int8-fused``), made once per test session for the Java and browser tests."""
    if tiny_run not in _FUSED:
        from fracture_edge.core.variants import get_variant
        from fracture_edge.training.export.exporter import export_run

        out = tmp_path_factory.mktemp("export-fused") / "export"
        export_run(tiny_run, [get_variant("float32"), get_variant("int8")], out, calibration_size=64, fused=True)
        _FUSED[tiny_run] = out
    return _FUSED[tiny_run]
