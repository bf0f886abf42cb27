"""Write PyTorch checkpoints without PyTorch, in both of its formats, for the reader's tests.

The pickle names ``torch._utils._rebuild_tensor_v2`` and ``torch.FloatStorage`` as PyTorch's own
``torch.save`` does; stand-in modules registered under those names let the standard pickler
write the references.
"""

from __future__ import annotations

import collections
import io
import pickle
import sys
import types
import zipfile

import numpy as np

DTYPE_STORAGE = {np.dtype(np.float32): "FloatStorage", np.dtype(np.int64): "LongStorage",
                 np.dtype(np.float16): "HalfStorage"}


def _stand_ins():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called: only pickled")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in DTYPE_STORAGE.values():
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    return {"torch": torch, "torch._utils": utils}


class _Tensor:
    def __init__(self, key, storage_type, offset, shape, stride, rebuild):
        self.args = (key, storage_type, offset, shape, stride)
        self.rebuild = rebuild

    def __reduce__(self):
        key, storage_type, offset, shape, stride = self.args
        return self.rebuild, (("storage", storage_type, key), offset, shape, stride, False,
                              collections.OrderedDict())


class _Pickler(pickle.Pickler):
    def __init__(self, f, numel):
        super().__init__(f, protocol=2)
        self.numel = numel

    def persistent_id(self, obj):
        if isinstance(obj, tuple) and len(obj) == 3 and obj[0] == "storage":
            _, storage_type, key = obj
            return ("storage", storage_type, key, "cpu", self.numel[key])
        return None


def write_checkpoint(path, tensors: dict, fmt: str = "legacy", views: dict | None = None, obj=None) -> None:
    """``tensors``: name -> array, each in its own storage. ``views``: name -> (storage name,
    offset, shape, stride) for tensors that view another's storage. ``obj`` replaces the pickled
    object (e.g. something that is not a state_dict)."""
    modules = _stand_ins()
    saved = {k: sys.modules.get(k) for k in modules}
    sys.modules.update(modules)
    try:
        rebuild = modules["torch._utils"]._rebuild_tensor_v2
        keys = {name: str(i) for i, name in enumerate(tensors)}
        storages = {keys[n]: np.ascontiguousarray(a) for n, a in tensors.items()}
        numel = {k: int(a.size) for k, a in storages.items()}

        def ref(name, key, offset, shape, stride, dtype):
            return _Tensor(key, getattr(modules["torch"], DTYPE_STORAGE[dtype]), offset, shape, stride, rebuild)

        state = collections.OrderedDict(
            (n, ref(n, keys[n], 0, a.shape, tuple(s // a.itemsize for s in np.ascontiguousarray(a).strides),
                    a.dtype)) for n, a in tensors.items())
        for n, (source, offset, shape, stride) in (views or {}).items():
            state[n] = ref(n, keys[source], offset, shape, stride, tensors[source].dtype)
        body = io.BytesIO()
        _Pickler(body, numel).dump(state if obj is None else obj)
        if fmt == "legacy":
            out = io.BytesIO()
            for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
                pickle.dump(header, out, protocol=2)
            out.write(body.getvalue())
            pickle.dump(sorted(storages), out, protocol=2)
            for key in sorted(storages):
                out.write(np.int64(storages[key].size).tobytes())
                out.write(storages[key].astype(storages[key].dtype.newbyteorder("<")).tobytes())
            data = out.getvalue()
        else:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("archive/data.pkl", body.getvalue())
                for key, a in storages.items():
                    z.writestr(f"archive/data/{key}", a.tobytes())
            data = buf.getvalue()
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    with open(path, "wb") as f:
        f.write(data)
