"""Contact sheets: PNG mosaics of thumbnails so a user can check the grouping by eye."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..decode import decode_file
from ..errors import DecodeError
from ..files import write_bytes

CELL = 96
CAPTION = 18


def _thumb(path: Path) -> np.ndarray:
    try:
        px = decode_file(path)
    except DecodeError:
        return np.full((CELL, CELL), 64, np.uint8)
    gray = px if px.ndim == 2 else cv2.cvtColor(px, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    scale = CELL / max(h, w)
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    cell = np.zeros((CELL, CELL), np.uint8)
    y, x = (CELL - small.shape[0]) // 2, (CELL - small.shape[1]) // 2
    cell[y:y + small.shape[0], x:x + small.shape[1]] = small
    return cell


def _caption(text: str, width: int) -> np.ndarray:
    strip = np.full((CAPTION, width), 255, np.uint8)
    cv2.putText(strip, text, (3, CAPTION - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1, cv2.LINE_AA)
    return strip


def contact_sheet(rows: list[tuple[str, list[Path]]], path: str | os.PathLike, columns: int) -> Path:
    """One captioned row of up to ``columns`` thumbnails per (caption, paths) entry; writes a PNG."""
    width = columns * (CELL + 2)
    blocks = []
    for caption, paths in rows:
        cells = [np.pad(_thumb(p), ((0, 0), (0, 2)), constant_values=255) for p in paths[:columns]]
        line = np.full((CELL, width), 255, np.uint8)
        if cells:
            strip = np.hstack(cells)
            line[:, :strip.shape[1]] = strip
        blocks += [_caption(caption, width), line, np.full((4, width), 255, np.uint8)]
    image = np.vstack(blocks) if blocks else _caption("nothing to show", width)
    ok, png = cv2.imencode(".png", image)
    return write_bytes(path, png.tobytes())
