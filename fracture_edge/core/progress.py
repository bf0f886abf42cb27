"""Progress bars on long work (tqdm), quiet when stderr is not a terminal or in CI logs."""

from __future__ import annotations

import os
import sys
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(it: Iterable[T], total: int | None = None, desc: str = "", unit: str = "img") -> Iterable[T]:
    disable = os.environ.get("FRACTURE_EDGE_PROGRESS", "auto") == "off" or (
        os.environ.get("FRACTURE_EDGE_PROGRESS", "auto") == "auto" and not sys.stderr.isatty()
    )
    return tqdm(it, total=total, desc=desc, unit=unit, disable=disable, leave=False, dynamic_ncols=True)
