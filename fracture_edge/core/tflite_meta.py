"""Read the spec embedded in a ``.tflite`` file, without TensorFlow.

Export stores the spec in the flatbuffer's standard ``metadata`` list under the name
``fracture_edge.spec``, its value a buffer of UTF-8 JSON. The model still loads unchanged in
any LiteRT runtime, and any language with a flatbuffer reader (Java's ByteBuffer is enough; see
android_demo/core) can find it. This module is a minimal reader of the TFLite schema fields it
needs (Model.buffers, Model.metadata, Buffer.data/offset/size, Metadata.name/buffer).
"""

from __future__ import annotations

import os
import struct

from .errors import ModelFileError, SpecError
from .files import regular_file
from .spec import PreprocessSpec

METADATA_NAME = "fracture_edge.spec"
FILE_IDENTIFIER = b"TFL3"

# Field indices in schema.fbs.
_MODEL_OPERATOR_CODES, _MODEL_SUBGRAPHS, _MODEL_BUFFERS, _MODEL_METADATA = 1, 2, 4, 6
_SUBGRAPH_TENSORS, _SUBGRAPH_INPUTS, _SUBGRAPH_OUTPUTS, _SUBGRAPH_OPERATORS = 0, 1, 2, 3
_BUFFER_DATA, _BUFFER_OFFSET, _BUFFER_SIZE = 0, 1, 2
_METADATA_NAME, _METADATA_BUFFER = 0, 1


class _Table:
    """A flatbuffer table at byte position ``pos`` of ``buf``."""

    def __init__(self, buf: bytes, pos: int):
        self.buf, self.pos = buf, pos
        self.vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt_size = struct.unpack_from("<H", buf, self.vtable)[0]

    def _field(self, index: int) -> int | None:
        off = 4 + 2 * index
        if off >= self.vt_size:
            return None
        rel = struct.unpack_from("<H", self.buf, self.vtable + off)[0]
        return self.pos + rel if rel else None

    def scalar(self, index: int, fmt: str, default=0):
        p = self._field(index)
        return default if p is None else struct.unpack_from(fmt, self.buf, p)[0]

    def _indirect(self, p: int) -> int:
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def vector(self, index: int) -> tuple[int, int]:
        """(start, length) of a vector field; (0, 0) when absent."""
        p = self._field(index)
        if p is None:
            return 0, 0
        v = self._indirect(p)
        return v + 4, struct.unpack_from("<I", self.buf, v)[0]

    def has(self, index: int) -> bool:
        return self._field(index) is not None

    def table(self, index: int) -> "_Table | None":
        p = self._field(index)
        return None if p is None else _Table(self.buf, self._indirect(p))

    def floats(self, index: int) -> list[float]:
        start, n = self.vector(index)
        return list(struct.unpack_from(f"<{n}f", self.buf, start))

    def tables(self, index: int) -> list["_Table"]:
        start, n = self.vector(index)
        return [_Table(self.buf, self._indirect(start + 4 * i)) for i in range(n)]

    def string(self, index: int) -> str | None:
        start, n = self.vector(index)
        return None if self._field(index) is None else self.buf[start:start + n].decode("utf-8")


def _model(buf: bytes, name: str) -> _Table:
    if len(buf) < 8 or buf[4:8] != FILE_IDENTIFIER:
        raise ModelFileError(f"{name}: not a .tflite model (no TFL3 identifier)")
    try:
        return _Table(buf, struct.unpack_from("<I", buf, 0)[0])
    except struct.error:
        raise ModelFileError(f"{name}: corrupt .tflite flatbuffer") from None


def read_metadata(buf: bytes, name: str = "<model>") -> dict[str, bytes]:
    """All ``metadata`` entries of a TFLite flatbuffer, as name -> buffer bytes."""
    model = _model(buf, name)
    try:
        buffers = model.tables(_MODEL_BUFFERS)
        out = {}
        for md in model.tables(_MODEL_METADATA):
            key = md.string(_METADATA_NAME)
            b = buffers[md.scalar(_METADATA_BUFFER, "<I")]
            offset = b.scalar(_BUFFER_OFFSET, "<Q")
            if offset > 1:  # large-model layout: data lives after the flatbuffer
                out[key] = buf[offset:offset + b.scalar(_BUFFER_SIZE, "<Q")]
            else:
                start, n = b.vector(_BUFFER_DATA)
                out[key] = buf[start:start + n]
        return out
    except (struct.error, IndexError, UnicodeDecodeError):
        raise ModelFileError(f"{name}: corrupt .tflite flatbuffer") from None


#: Lists LiteRT reads without checking that they exist: (field index, what it holds).
_REQUIRED_IN_MODEL = ((_MODEL_OPERATOR_CODES, "operator codes"), (_MODEL_SUBGRAPHS, "subgraphs"),
                      (_MODEL_BUFFERS, "buffers"))
_REQUIRED_IN_SUBGRAPH = ((_SUBGRAPH_TENSORS, "tensors"), (_SUBGRAPH_INPUTS, "inputs"),
                         (_SUBGRAPH_OUTPUTS, "outputs"), (_SUBGRAPH_OPERATORS, "operators"))


def check_model(buf: bytes, name: str = "<model>") -> None:
    """Refuse a model that omits a list LiteRT reads without checking. Every flatbuffer field
    is optional, so its verifier passes a model without, say, a subgraph list, and LiteRT then
    follows a null pointer and the process dies. Out-of-range indices it reports itself."""
    model = _model(buf, name)
    try:
        missing = _absent(model, _REQUIRED_IN_MODEL)
        if not missing:
            graphs = model.tables(_MODEL_SUBGRAPHS)
            missing = [what for graph in graphs for what in _absent(graph, _REQUIRED_IN_SUBGRAPH)]
            if not missing and graphs and not (graphs[0].vector(_SUBGRAPH_INPUTS)[1]
                                               and graphs[0].vector(_SUBGRAPH_OUTPUTS)[1]):
                missing = ["input or output"]
    except (struct.error, IndexError):
        raise ModelFileError(f"{name}: corrupt .tflite flatbuffer") from None
    if missing:
        raise ModelFileError(f"{name}: damaged .tflite: no {', '.join(dict.fromkeys(missing))}")


def _absent(table: _Table, required) -> list[str]:
    return [what for index, what in required if not table.has(index)]


def load_model_bytes(path: str | os.PathLike) -> bytes:
    path = regular_file(path, "a .tflite model", ModelFileError)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror})") from None
    check_model(data, str(path))
    return data


def read_spec(path_or_bytes: str | os.PathLike | bytes, name: str | None = None) -> PreprocessSpec:
    """The PreprocessSpec embedded in a model; a one-line error when there is none."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        buf, name = bytes(path_or_bytes), name or "<model>"
    else:
        buf, name = load_model_bytes(path_or_bytes), str(path_or_bytes)
    meta = read_metadata(buf, name)
    if METADATA_NAME not in meta:
        raise ModelFileError(
            f"{name}: .tflite has no fracture-edge spec (metadata '{METADATA_NAME}'); "
            "export it with `fracture-edge export`"
        )
    return spec_of(meta[METADATA_NAME], name)


def spec_of(text: str | bytes, name: str) -> PreprocessSpec:
    """The spec a model carries; a malformed one is an error that names the model file."""
    try:
        return PreprocessSpec.from_json(text)
    except SpecError as exc:
        raise SpecError(f"{name}: {exc}") from None
