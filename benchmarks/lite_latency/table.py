"""table.md for benchmarks/lite_latency from run.sh's outputs: the median over the bench runs of
each row's median latency (LiteRT, 1 thread, batch 1), every run's figure beside it, the
fastest single inference of all runs (a floor that other tenants of the core disturb least),
size against the same run's float32, and the runtime-setting attempts.

    python benchmarks/lite_latency/table.py benchmarks/lite_latency > benchmarks/lite_latency/table.md
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

LABELS = {"dcn": "DeepConvNet", "r50": "ResNet50", "l0": "EfficientNet-Lite0"}
INPUT = {"gray": "1 ch (summed stem)", "ggg": "gray ×3 (RGB stem)"}


def label(model: str) -> tuple[str, int, str]:
    arch, size, *rest = model.split("-")
    return LABELS[arch], int(size), INPUT.get(rest[0], rest[0]) if rest else ("1 ch" if arch == "dcn" else "gray ×3")


def main(here: Path) -> None:
    cores = sorted({p.name.split("_")[1] for p in here.glob("bench_core*_run*.json")})
    for core in cores:
        print(f"## Pinned to {core.replace('core', 'core ')}\n")
        section(here, core)
        print()


def section(here: Path, core: str) -> None:
    runs = [json.loads(p.read_text()) for p in sorted(here.glob(f"bench_{core}_run*.json"))]
    rows: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        for r in run:
            if r.get("status") == "ok":
                rows.setdefault((r["model"], r["variant"]), []).append(r)
    float_size = {m: rs[0]["size_bytes"] for (m, v), rs in rows.items() if v == "float32"}
    print(f"LiteRT, 1 thread, batch 1; latency: median of each bench run's median "
          f"({len(runs)} runs, {runs[0][0]['iterations']} timed inferences each after {runs[0][0]['warmup']} warm-up).\n")
    print("| model | px | input | variant | size KB | % of float32 | latency ms (median of runs) | each run | "
          "fastest inference ms | agreement with float32 (test) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    order = {"float32": 0, "int8": 1, "int8-io": 2}
    for (model, variant), rs in sorted(rows.items(), key=lambda kv: (label(kv[0][0])[0], label(kv[0][0])[1],
                                                                    kv[0][0], order.get(kv[0][1], 9), kv[0][1])):
        name, px, inp = label(model)
        lat = [r["latency_ms"] for r in rs]
        agree = rs[0].get("agreement")
        print(f"| {name} | {px} | {inp} | {variant} | {rs[0]['size_bytes'] / 1024:.0f} | "
              f"{100 * rs[0]['size_bytes'] / float_size[model]:.1f} | **{statistics.median(lat):.2f}** | "
              f"{', '.join(f'{x:.2f}' for x in lat)} | {min(r['min_ms'] for r in rs):.2f} | {'' if agree is None else f'{agree:.1%}'} |")
    attempts = here / f"runtime_attempts_{core}.json"
    if attempts.exists():
        print("\nRuntime settings (runtime_attempts.py, same timing function, outside `bench`):\n")
        print("| model | setting | latency ms | p90 ms |")
        print("|---|---|---|---|")
        for r in json.loads(attempts.read_text()):
            print(f"| {r['model']} | {r['setting']} | {r['latency_ms']:.2f} | {r['p90_ms']:.2f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python benchmarks/lite_latency/table.py DIR", file=sys.stderr)
        sys.exit(2)
    main(Path(sys.argv[1]))
