"""How much do two runs of the same bench differ? Median latency of each row, side by side.

Usage: python benchmarks/bench/compare_runs.py FIRST.json SECOND.json
Prints one line per (model, variant, runtime, threads) and the median and largest relative
difference of the median latency; exit code 0 either way (this reports, it does not judge).
"""

import json
import statistics
import sys


def rows_by_key(path):
    rows = json.load(open(path))
    rows = rows["rows"] if isinstance(rows, dict) else rows
    return {(r["model"], r["variant"], r["runtime"], r["threads"]): r for r in rows if r.get("status") == "ok"}


def main(first, second):
    a, b = rows_by_key(first), rows_by_key(second)
    diffs = {"latency_ms": [], "min_ms": []}
    print("| model | variant | runtime | thr | p50 ms run 1 | p50 ms run 2 | diff | min ms run 1 | min ms run 2 | diff |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in a:
        if key in b:
            cells = []
            for stat in diffs:
                x, y = a[key].get(stat), b[key].get(stat)
                if x is None or y is None:
                    cells.append("— | — | —")
                    continue
                diffs[stat].append(abs((y - x) / x))
                cells.append(f"{x:.2f} | {y:.2f} | {(y - x) / x:+.1%}")
            print(f"| {' | '.join(map(str, key))} | {' | '.join(cells)} |")
    for stat, d in diffs.items():
        if d:
            print(f"\n{stat}: {len(d)} rows, median |diff| {statistics.median(d):.1%}, largest {max(d):.1%}, "
                  f"{sum(x <= 0.10 for x in d)}/{len(d)} within 10 %")


if __name__ == "__main__":
    main(*sys.argv[1:3])
