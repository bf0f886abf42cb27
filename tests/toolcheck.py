"""Tests that need a tool outside Python (javac, node, Chromium) skip locally when it is missing,
with the install command as the reason, and fail in CI (CI=true), where .ci/run installs them."""

from __future__ import annotations

import os

import pytest


def require(ok: bool, what: str) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing in CI (.ci/run should have installed it)")
    pytest.skip(f"{what} is missing (run scripts/install-system-deps.sh, or `make test`, which does)")
