"""Write the spec into a .tflite's ``metadata`` list (the reader is core's ``tflite_meta``).

Uses TensorFlow's own TFLite schema object API to append one buffer and one metadata entry,
replacing an older fracture-edge spec if present. Everything else in the model is untouched.
"""

from __future__ import annotations

import numpy as np

from ..spec import PreprocessSpec
from ..tflite_meta import METADATA_NAME


def embed_spec(model_bytes: bytes, spec: PreprocessSpec) -> bytes:
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(spec.to_json().encode("utf-8"), np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    kept = [m for m in (model.metadata or []) if _name(m) != METADATA_NAME]
    model.metadata = kept + [entry]
    return flatbuffer_utils.convert_object_to_bytearray(model)


def _name(m) -> str:
    return m.name.decode() if isinstance(m.name, bytes) else m.name
