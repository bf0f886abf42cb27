"""table.md for benchmarks/export_variants from a run of run.sh: one row per model x variant.

Test metrics and agreement come from the bench (LiteRT, 2 threads, test split, agreement with
the float32 .tflite on the same images); sparsity, sizes and the validation agreement with the
Keras model come from each variant's export manifest. Usage: python table.py OUT > table.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MODELS = {"dcn": "DeepConvNet", "r50": "ResNet50"}


def main(out: Path) -> None:
    print("| model | variant | size KB | % of float32 | gzip KB | gzip % of float32 | weight sparsity | "
          "test accuracy | F1 | AUC [95 % family CI] | agreement with float32 (test) | "
          "agreement with Keras (val) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run, label in MODELS.items():
        bench = out / f"{run}_bench.json"
        if not bench.exists():
            continue
        rows = [r for r in json.loads(bench.read_text()) if r.get("runtime") == "litert" and r.get("status") == "ok"]
        manifests = {m.parent.name: json.loads(m.read_text()) for m in (out / run / "export").glob("*/manifest.json")}
        base = manifests["float32"]
        for r in sorted(rows, key=lambda r: r["size_bytes"], reverse=True):
            m = manifests.get(r["variant"])
            if m is None:
                continue
            agree = r.get("agreement")
            print(f"| {label} | {r['variant']} | {m['size_bytes'] / 1024:.0f} | "
                  f"{100 * m['size_bytes'] / base['size_bytes']:.1f} | {m['gzip_bytes'] / 1024:.0f} | "
                  f"{100 * m['gzip_bytes'] / base['gzip_bytes']:.1f} | {m['weight_sparsity']['sparsity']:.1%} | "
                  f"{r['accuracy']:.3f} | {r['f1']:.3f} | {r['auc']:.3f} [{r['auc_lo']:.3f}, {r['auc_hi']:.3f}] | "
                  f"{'' if agree is None else f'{agree:.1%}'} | "
                  f"{m['validation']['agreement_with_keras']:.1%} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
