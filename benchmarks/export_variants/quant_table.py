"""quant_debug.md from a run of quant_debug.sh: the variant table, the per-layer report of the
collapsing variant, and what --fallback auto kept. Usage: python quant_table.py OUT > quant_debug.md"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(out: Path) -> None:
    bench = {(Path(r["path"]).parent.parent.name, r["variant"]): r for r in json.loads((out / "bench.json").read_text())
             if r.get("runtime") == "litert" and r.get("status") == "ok"}
    manifests = {(m.parent.parent.name, m.parent.name): json.loads(m.read_text())
                 for m in sorted(out.glob("dcn*/*/manifest.json"))}
    base = manifests[("dcn", "float32")]
    print("| export | variant | size KB | % of float32 | val AUC [95 % family CI] | agreement with float32 (val) | "
          "agreement with Keras (val) | p50 ms | p90 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, m in manifests.items():
        r = bench.get(key)
        if r is None:
            continue
        label = f"{key[1]} (fallback)" if key[0] == "dcn_fb" else key[1]
        print(f"| {key[0]} | {label} | {m['size_bytes'] / 1024:.0f} | {100 * m['size_bytes'] / base['size_bytes']:.1f} | "
              f"{r['auc']:.3f} [{r['auc_lo']:.3f}, {r['auc_hi']:.3f}] | {r['agreement']:.1%} | "
              f"{m['validation']['agreement_with_keras']:.1%} | {r['latency_ms']:.2f} | {r['p90_ms']:.2f} |")
    for key in (("dcn", "int8"), ("dcn", "pruned-qat-int8")):
        layers = manifests[key]["debug_quant"]["layers"]
        print(f"\n### {key[1]}: per-layer error against float32 ({manifests[key]['debug_quant']['images']} val images)\n")
        print("| layer | op | SNR dB | SNR drop dB | cosine |")
        print("|---|---|---|---|---|")
        for row in layers:
            drop = "—" if row["snr_drop_db"] is None else f"{row['snr_drop_db']:+.1f}"
            print(f"| {row['layer']} | {row['op']} | {row['snr_db']:.1f} | {drop} | {row['cosine']:.4f} |")
    verdict = out / "fallback.txt"
    if verdict.exists():
        print(f"\n### pruned-qat-int8 with --fallback auto at the 95 % gate\n\n```\n{verdict.read_text().strip()}\n```")
    fb = manifests.get(("dcn_fb", "pruned-qat-int8"), {}).get("fallback")
    if fb:
        print(f"\n### pruned-qat-int8 --fallback auto (size budget {fb['size_budget_bytes'] / 1024:.0f} KB; "
              f"QAT dropped: {fb['qat_dropped']}; passed: {fb['passed']})\n")
        print("| step | layers kept in float | agreement with Keras (val) | size KB |")
        print("|---|---|---|---|")
        for i, step in enumerate(fb["steps"]):
            print(f"| {i} | {', '.join(step['kept_float']) or '—'} | {step['agreement']:.1%} | "
                  f"{step['size_bytes'] / 1024:.0f} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
