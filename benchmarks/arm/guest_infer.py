"""Runs inside the emulated arm64 Python: load one .tflite with LiteRT (XNNPACK, 1 thread) and
invoke it N times on a fixed input. Only the ARM64 wheels of ai-edge-litert and numpy are needed.

Usage (under qemu-aarch64): python3.11 guest_infer.py MODEL.tflite N
"""

import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter

model, n = sys.argv[1], int(sys.argv[2])
it = Interpreter(model_path=model, num_threads=1)
it.allocate_tensors()
d = it.get_input_details()[0]
rng = np.random.default_rng(0)
if np.issubdtype(d["dtype"], np.integer):
    info = np.iinfo(d["dtype"])
    x = rng.integers(info.min, info.max, d["shape"], endpoint=True).astype(d["dtype"])
else:
    x = rng.normal(0, 1, d["shape"]).astype(d["dtype"])
for _ in range(n):
    it.set_tensor(d["index"], x)
    it.invoke()
print(float(it.get_tensor(it.get_output_details()[0]["index"]).reshape(-1)[0]))
