"""Per-tensor weight sparsity of exported .tflite files: which layers kept their zeros.

    .venv/bin/python benchmarks/export_variants/layer_sparsity.py \
        /tmp/export_variants/r50/export/pruned-int8/model.tflite \
        /tmp/export_variants/r50/export/pruned-qat-int8/model.tflite

Prints, per file, how many weight tensors are under 70 % zeros and what share of the weights
they hold, then those tensors.
"""

import sys

import numpy as np

from fracture_edge.core.runtimes.litert import weight_tensors

for path in sys.argv[1:]:
    rows = [(name, w.size, float(np.mean(w == 0))) for name, w in weight_tensors(path)]
    low = [r for r in rows if r[2] < 0.7]
    print(f"{path}: {len(rows)} weight tensors, {len(low)} under 70 % zeros holding "
          f"{sum(r[1] for r in low) / sum(r[1] for r in rows):.0%} of the weights")
    for name, size, zeros in low:
        print(f"  {zeros:6.1%} of {size:>8}  {name[:70]}")
