"""How well the audit's families agree with the reference grouping of multiregion-dev.

Runs ``fracture_edge.core.data.audit.audit`` on the unpacked images (timed, on the given number of
threads), then compares its families with ``families.csv``: B-cubed and pairwise precision and
recall, against exact-hash grouping as a baseline, and over a sweep of link thresholds (the
candidate pairs and their scores are kept, so the sweep only re-runs union-find). Writes
``grouping.json`` beside this file and prints a Markdown table.

    python benchmarks/leakage/grouping.py --data /tmp/leakbench/data --workers 2
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from pathlib import Path

import numpy as np

from fracture_edge.core.data.audit import summarise
from fracture_edge.core.data.families import linked_components
from fracture_edge.core.data.scan import scan
from fracture_edge.core.files import write_json

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[2] / "shared" / "data" / "multiregion-dev" / "families.csv"
SWEEP = (0.90, 0.93, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99)


def agreement(pred: list, true: list) -> dict:
    """B-cubed (per file, averaged) and pairwise (over same-family pairs) precision and recall."""
    cp, ct, both = Counter(pred), Counter(true), Counter(zip(pred, true))
    pairs = lambda c: sum(n * (n - 1) / 2 for n in c.values())  # noqa: E731
    return {
        "bcubed_precision": float(np.mean([both[(p, t)] / cp[p] for p, t in zip(pred, true)])),
        "bcubed_recall": float(np.mean([both[(p, t)] / ct[t] for p, t in zip(pred, true)])),
        "pairwise_precision": pairs(both) / pairs(cp) if pairs(cp) else 1.0,
        "pairwise_recall": pairs(both) / pairs(ct) if pairs(ct) else 1.0,
        "families": len(cp),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with open(REFERENCE, newline="") as fh:
        reference = {r["path"]: r["family"] for r in csv.DictReader(fh)}

    t0 = time.perf_counter()
    s = scan(args.data, args.workers)
    summary = summarise(s)
    total = time.perf_counter() - t0
    usable = s.usable()
    true = [reference[s.relpath(r)] for r in usable]
    index = {h: i for i, h in enumerate(s.contents)}
    content = [index[r.sha256] for r in usable]
    fam = s.families
    rows = {"exact hash only": agreement([r.sha256 for r in usable], true)}
    for t in SWEEP:
        family = linked_components(len(s.contents), fam.pairs[fam.scores >= t])
        rows[f"link at {t}" + (" (default)" if t == fam.threshold else "")] = agreement(
            [family[c] for c in content], true)
    out = {
        "workers": args.workers,
        "audit_seconds": round(total, 2),
        "timings": {k: round(v, 2) for k, v in summary["timings"].items()},
        "files": len(s.records),
        "leakage": summary["leakage"],
        "unusable": len(summary["unusable"]),
        "extension_mismatch": len(summary["extension_mismatch"]),
        "reference_families": len(set(true)),
        "agreement": rows,
        "mixed_label_families": summary["families"]["mixed_label"],
    }
    write_json(HERE / "grouping.json", out)
    print(f"audit: {total:.1f} s on {args.workers} threads; {out['timings']}")
    print("| grouping | families | B-cubed P | B-cubed R | pairwise P | pairwise R |\n|---|---|---|---|---|---|")
    for name, a in rows.items():
        print(f"| {name} | {a['families']} | {a['bcubed_precision']:.3f} | {a['bcubed_recall']:.3f} | "
              f"{a['pairwise_precision']:.3f} | {a['pairwise_recall']:.3f} |")


if __name__ == "__main__":
    main()
