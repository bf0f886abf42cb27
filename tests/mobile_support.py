"""Helpers for the mobile tests (Java core, web demo).

Tests that need a tool outside Python (javac, node, Chromium) skip locally when it is missing,
with the install command as the reason, and fail in CI (CI=true), where .ci/run installs them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_FUSED: dict[Path, Path] = {}


def require(ok: bool, what: str) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing in CI (.ci/run should have installed it)")
    pytest.skip(f"{what} is missing (run scripts/install-system-deps.sh, or `make test`, which does)")


def fused_exports(tiny_run: Path, tmp_path_factory) -> Path:
    """Fused float32 and int8 exports of the session's tiny run (``float32-fused``,
    ``int8-fused``), made once per test session for the Java and browser tests."""
    if tiny_run not in _FUSED:
        from fracture_edge.export import export_run
        from fracture_edge.export.variants import get_variant

        out = tmp_path_factory.mktemp("export-fused") / "export"
        export_run(tiny_run, [get_variant("float32"), get_variant("int8")], out, calibration_size=64,
                   min_agreement=0.0, fused=True)
        _FUSED[tiny_run] = out
    return _FUSED[tiny_run]
