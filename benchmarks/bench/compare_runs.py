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
    diffs = []
    print("| model | variant | runtime | thr | p50 ms run 1 | p50 ms run 2 | diff |")
    print("|---|---|---|---|---|---|---|")
    for key in a:
        if key in b:
            x, y = a[key]["latency_ms"], b[key]["latency_ms"]
            d = (y - x) / x
            diffs.append(abs(d))
            print(f"| {' | '.join(map(str, key))} | {x:.2f} | {y:.2f} | {d:+.1%} |")
    within = sum(d <= 0.10 for d in diffs)
    print(f"\n{len(diffs)} rows: median |diff| {statistics.median(diffs):.1%}, largest {max(diffs):.1%}, "
          f"{within}/{len(diffs)} within 10 %")


if __name__ == "__main__":
    main(*sys.argv[1:3])
