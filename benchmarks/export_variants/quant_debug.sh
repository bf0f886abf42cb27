#!/usr/bin/env bash
# The new quantisation variants (int16x8, selective) beside float32, int8 and the collapsing
# pruned-qat-int8 on the shipped DeepConvNet run, with --debug-quant, and pruned-qat-int8 again
# with --fallback auto at the default 95 % gate; benched with LiteRT on the run's validation
# split (the only held-out split of the shipped run). About 40 minutes on one loaded core:
#
#     bash benchmarks/export_variants/quant_debug.sh RUN_DIR /tmp/quant_debug
#
# RUN_DIR is the shipped run folder (benchmarks/recipe/final records it; its images are those
# its split.csv names). Rewrites benchmarks/export_variants/quant_debug.md.
set -euo pipefail
RUN=$1
OUT=${2:-/tmp/quant_debug}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
FE="$REPO/.venv/bin/fracture-edge"
export FRACTURE_EDGE_PROGRESS=off
mkdir -p "$OUT"
# --min-agreement 0: record every variant, the gate's verdict is in each manifest.
[ -d "$OUT/dcn/pruned-qat-int8" ] || "$FE" export "$RUN" --variant float32 --variant int8 --variant int16x8 \
  --variant selective --variant pruned-qat-int8 --debug-quant --min-agreement 0 --out "$OUT/dcn"
# The gate's verdict with fallback, passed or refused (a refusal writes no model, only this line).
[ -f "$OUT/fallback.txt" ] || { "$FE" export "$RUN" --variant pruned-qat-int8 --debug-quant --fallback auto \
  --out "$OUT/dcn_fb" 2>&1 | grep -E '^(error: |pruned-qat-int8: )' > "$OUT/fallback.txt" || true; }
[ -f "$OUT/bench.json" ] || "$FE" bench "$RUN" "$OUT/dcn" --data "$RUN/split.csv" --split val \
  --runtimes litert --threads 2 --warmup 5 --json "$OUT/bench.json" > /dev/null
"$REPO/.venv/bin/python" "$REPO/benchmarks/export_variants/quant_table.py" "$OUT" > "$REPO/benchmarks/export_variants/quant_debug.md"
