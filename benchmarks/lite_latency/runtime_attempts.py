"""Runtime settings the product's LiteRT adapter does not use, timed on the int8 Lite0 exports
with bench's own timing function (same warm-up and iteration counts as run.sh's bench runs).

- ``default``: what `fracture-edge bench` and the apps run (XNNPACK, its default features).
- ``xnnpack-latest``: ``experimental_default_delegate_latest_features=True``.
- ``no-xnnpack``: LiteRT's builtin optimised kernels (ruy), XNNPACK off.

    python benchmarks/lite_latency/runtime_attempts.py EXPORTS_DIR OUT_JSON
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from fracture_edge.core.bench.runner import time_inference

SETTINGS = {
    "default": {},
    "xnnpack-latest": {"experimental_default_delegate_latest_features": True},
    "no-xnnpack": {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES},
}
MODELS = ("l0-160-gray/int8", "l0-224-gray/int8", "l0-224-ggg/int8")


class Session:
    def __init__(self, path: Path, **kwargs):
        self.it = Interpreter(model_path=str(path), num_threads=1, **kwargs)
        self.it.allocate_tensors()
        self.input = self.it.get_input_details()[0]

    def run(self, x):
        self.it.set_tensor(self.input["index"], x)
        self.it.invoke()


def main(exports: Path, out: Path) -> None:
    rows = []
    for model in MODELS:
        for name, kwargs in SETTINGS.items():
            s = Session(exports / model / "model.tflite", **kwargs)
            rng = np.random.default_rng(0)
            x = rng.integers(0, 256, s.input["shape"], dtype=np.uint8).astype(s.input["dtype"])
            row = {"model": model, "setting": name, **time_inference(s, x, warmup=20, iterations=300)}
            rows.append(row)
            print(f"{model} {name}: {row['latency_ms']:.2f} ms")
    out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python benchmarks/lite_latency/runtime_attempts.py EXPORTS_DIR OUT_JSON", file=sys.stderr)
        sys.exit(2)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
