"""Write the spec into a .tflite's ``metadata`` list (the reader is core's ``tflite_meta``), and
beside it the standard TFLite Metadata where the standard can describe the spec.

Uses TensorFlow's own TFLite schema object API to append one buffer and one metadata entry per
name, replacing an older entry of that name if present. Everything else in the model is
untouched; the standard entry's label and calibration files are appended last, as a zip
(``standard_meta.append_files``), since re-serialising the flatbuffer would drop them.
"""

from __future__ import annotations

import numpy as np

from ...core.spec import PreprocessSpec
from ...core.standard_meta import (
    STANDARD_NAME,
    append_files,
    standard_gap,
    standard_metadata,
)
from ...core.tflite_meta import METADATA_NAME


def embed_spec(model_bytes: bytes, spec: PreprocessSpec) -> bytes:
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    _put(model, METADATA_NAME, spec.to_json().encode("utf-8"))
    files = {}
    if standard_gap(spec) is None:
        graph = model.subgraphs[0]
        meta, files = standard_metadata(spec, _name(graph.tensors[graph.inputs[0]]),
                                        _name(graph.tensors[graph.outputs[0]]))
        _put(model, STANDARD_NAME, meta)
    return append_files(bytes(flatbuffer_utils.convert_object_to_bytearray(model)), files)


def _put(model, name: str, data: bytes) -> None:
    from tensorflow.lite.python import schema_py_generated as schema

    buffer = schema.BufferT()
    buffer.data = np.frombuffer(data, np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if _name(m) != name] + [entry]


def _name(m) -> str:
    return m.name.decode() if isinstance(m.name, bytes) else m.name
