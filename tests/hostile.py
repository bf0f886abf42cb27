"""The hostile-input corpus, made at test time (no binary fixtures), and the harness that runs
``fracture-edge`` in this process as its console script does.

Shared by ``test_hostile.py`` (what the command line does with each file) and ``test_fuzz.py``
(what the readers underneath do with random bytes).
"""

from __future__ import annotations

import io
import json
import logging
import os
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import flatbuffers
import numpy as np

from fracture_edge.core.files import TEMP_NAME


# ----------------------------------------------------------------------------- running the CLI
@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """What the tool wrote on stderr. In this process TensorFlow's and absl's logs go to
        file descriptor 2 directly, not through ``sys.stderr``, so none of them is here."""
        return self.err.splitlines()


def run_cli(*args) -> Outcome:
    """``fracture-edge ARGS`` through :func:`fracture_edge.cli.main`, as the console script runs
    it (exit codes included), with stdout and stderr captured apart. Any exception that is not
    an exit (a traceback, a bug) propagates and fails the test."""
    from click.testing import CliRunner

    from fracture_edge.cli import main

    log = logging.getLogger("fracture_edge")
    saved = (log.handlers[:], log.level, log.propagate)
    try:
        with CliRunner().isolation() as (out, err, _), warnings.catch_warnings(record=True) as caught:
            try:
                main([str(a) for a in args])
                code = 0
            except SystemExit as exc:
                code = exc.code or 0
        shown = "".join(f"{w.category.__name__}: {w.message}\n" for w in caught if not issubclass(w.category, _HIDDEN))
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode() + shown)
    finally:
        log.handlers[:], log.level, log.propagate = saved


#: Warning classes Python's default filters hide from a console script's user; any other
#: warning would be an extra line on the user's stderr.
_HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def assert_one_line_error(outcome: Outcome, needle: str, code: int = 2) -> None:
    """Exit ``code``, and exactly one line on stderr: an error that says ``needle``."""
    assert outcome.code == code, (outcome.code, outcome.err, outcome.out)
    assert len(outcome.lines) == 1, outcome.err
    assert outcome.lines[0].startswith("error: ") and needle in outcome.lines[0], outcome.lines[0]
    assert "Traceback" not in outcome.err


# ----------------------------------------------------------------------------- what a command wrote
def tree(root: Path) -> dict[str, tuple]:
    """Every entry below ``root`` (links not followed) with its type, size and mtime."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder, name)
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_mode >> 12, st.st_size, st.st_mtime_ns)
    return out


def changed_outside(before: dict, after: dict, allowed: tuple[str, ...]) -> list[str]:
    """Paths created, changed or deleted that lie outside every folder in ``allowed``
    (relative paths; the folders themselves count as inside)."""
    touched = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    return sorted(p for p in touched if not any(p == a or p.startswith(a + os.sep) for a in allowed))


def leftovers(root: Path) -> list[Path]:
    """Temporary files and folders of an atomic write anywhere below ``root``."""
    return [p for p in root.rglob(".*") if TEMP_NAME.match(p.name)]


# ----------------------------------------------------------------------------- images
def png_bytes(width: int = 8, height: int = 8, body: bytes | None = None) -> bytes:
    """A grey PNG whose header declares ``width`` x ``height``; ``body`` replaces the pixels
    (a decompression bomb declares a huge size over a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    raw = body if body is not None else b"".join(b"\x00" + bytes(range(width)) for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def jpeg_bytes(size: int = 16) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.tile(np.arange(size, dtype=np.uint8) * 8, (size, 1)))
    assert ok
    return buf.tobytes()


def bombs() -> dict[str, bytes]:
    """Headers that declare billions of pixels over a few bytes, one per sniffed format."""
    side, jpeg_side = 100_000, 65_000                 # a JPEG's sides are 16-bit
    sof = b"\xff\xc0\x00\x0b\x08" + jpeg_side.to_bytes(2, "big") * 2 + b"\x01\x01\x11\x00"
    bmp_header = (b"BM" + (0).to_bytes(4, "little") + b"\0\0\0\0" + (54).to_bytes(4, "little")
                  + (40).to_bytes(4, "little") + side.to_bytes(4, "little") + side.to_bytes(4, "little")
                  + (1).to_bytes(2, "little") + (8).to_bytes(2, "little") + b"\0" * 24)
    webp = b"RIFF" + (30).to_bytes(4, "little") + b"WEBPVP8X" + (10).to_bytes(4, "little") + b"\0" * 4 \
        + (side - 1).to_bytes(3, "little") + (side - 1).to_bytes(3, "little")
    tiff = b"II*\x00" + (8).to_bytes(4, "little") + (2).to_bytes(2, "little") \
        + (256).to_bytes(2, "little") + (4).to_bytes(2, "little") + (1).to_bytes(4, "little") + side.to_bytes(4, "little") \
        + (257).to_bytes(2, "little") + (4).to_bytes(2, "little") + (1).to_bytes(4, "little") + side.to_bytes(4, "little")
    return {                                          # by file extension
        "png": png_bytes(side, side, body=b"\x00" * 64),
        "jpg": b"\xff\xd8" + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 32 + b"\xff\xd9",
        "bmp": bmp_header,
        "webp": webp,
        "tiff": tiff,
    }


def dicom_variants() -> dict[str, tuple[bytes, str | None]]:
    """DICOM files and what decoding each must say (None: it decodes)."""
    from pydicom.uid import JPEG2000Lossless
    from test_dicom import RAMP, make_dicom

    good = make_dicom()
    return {
        "ok": (good, None),
        "monochrome1": (make_dicom(photometric="MONOCHROME1"), None),
        "no-pixels": (_without_pixels(), "no pixel data"),
        "short-pixels": (make_dicom(pixels=RAMP, Rows=400), "cannot decode DICOM pixel data"),
        "bomb": (make_dicom(Rows=60000, Columns=60000), "exceeds the limit"),
        "jpeg2000-junk": (make_dicom(syntax=JPEG2000Lossless), "cannot decode DICOM pixel data"),
        "colour-of-one-sample": (make_dicom(photometric="YBR_FULL"), "cannot decode DICOM pixel data"),
        "truncated": (good[: len(good) // 3], "cannot decode DICOM pixel data"),
        "magic-only": (b"\0" * 128 + b"DICM" + b"\xff" * 64, "no pixel data"),
    }


def _without_pixels() -> bytes:
    import pydicom
    from test_dicom import make_dicom

    ds = pydicom.dcmread(io.BytesIO(make_dicom()))
    del ds.PixelData
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


# ----------------------------------------------------------------------------- models
def flatbuffer_model(metadata: dict[str, bytes], lists: bool = True) -> bytes:
    """A TFL3 flatbuffer of schema version 3 with ``buffers``, ``metadata`` and, with ``lists``,
    empty operator-code and subgraph lists: enough for the spec reader, not a runnable model."""
    b = flatbuffers.Builder(0)
    buffers = _vector(b, [_table(b, {0: b.CreateByteVector(data)}) for data in [b"", *metadata.values()]])
    entries = []
    for i, name in enumerate(metadata, start=1):
        text = b.CreateString(name)
        b.StartObject(2)
        b.PrependUOffsetTRelativeSlot(0, text, 0)
        b.PrependUint32Slot(1, i, 0)
        entries.append(b.EndObject())
    fields = {4: buffers, 6: _vector(b, entries)}
    if lists:
        fields.update({1: _vector(b, []), 2: _vector(b, [])})
    model = _table(b, fields, version=3)
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def _table(b, offsets: dict[int, int], version: int | None = None) -> int:
    """A table of offset fields by slot (and, for a Model, its uint32 ``version`` in slot 0)."""
    b.StartObject(max(offsets) + 1)
    if version is not None:
        b.PrependUint32Slot(0, version, 0)
    for slot, off in offsets.items():
        b.PrependUOffsetTRelativeSlot(slot, off, 0)
    return b.EndObject()


def _vector(b, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def spec_json(**changes) -> bytes:
    from fracture_edge.core.spec import PreprocessSpec

    d = json.loads(PreprocessSpec(height=64, width=64).to_json())
    d.update(changes)
    return json.dumps(d).encode()


def flipped(data: bytes, count: int, seed: int = 0) -> list[tuple[int, bytes]]:
    """``count`` copies of ``data``, each with one byte inverted: half in the first 4 KiB (the
    flatbuffer's tables and vtables), half anywhere (mostly weights)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        pos = int(rng.integers(min(len(data), 4096) if k % 2 == 0 else len(data)))
        b = bytearray(data)
        b[pos] ^= 0xFF
        out.append((pos, bytes(b)))
    return out
