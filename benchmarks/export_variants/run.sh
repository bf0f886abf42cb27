#!/usr/bin/env bash
# Every export variant of DeepConvNet and ResNet50, trained on a family split of
# multiregion-dev, scored on the split's test families. Regenerate (about two hours on 2 cores):
#
#     bash benchmarks/export_variants/run.sh /tmp/export_variants
#
# Writes OUT/{split.csv,dcn,r50,*_bench.json} and rewrites benchmarks/export_variants/table.md.
set -euo pipefail
OUT=${1:-/tmp/export_variants}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
FE="$REPO/.venv/bin/fracture-edge"
export FRACTURE_EDGE_PROGRESS=off
mkdir -p "$OUT"
if [ ! -d "$OUT/images" ]; then
  mkdir -p "$OUT/images" && tar -xJf "$REPO/../shared/data/multiregion-dev/images.tar.xz" -C "$OUT/images"
fi
[ -f "$OUT/split.csv" ] || "$FE" data split "$OUT/images" --by family --val 0.15 --test 0.15 --seed 0 --out "$OUT/split.csv"

# The default recipe at the size benchmarks/recipe measures it (64 px, width 16, 15 epochs);
# ResNet50 from scratch (weights=none: ImageNet weights cannot be downloaded on these machines).
[ -d "$OUT/dcn" ] || "$FE" train "$OUT/split.csv" --arch deepconvnet --img-size 64 --width 16 --epochs 15 --out "$OUT/dcn"
[ -d "$OUT/r50" ] || "$FE" train "$OUT/split.csv" --arch resnet50 --img-size 64 --epochs 4 --out "$OUT/r50"
for run in dcn r50; do
  # The missing variants in one call, so the pruned ones share one pruning fine-tune; each is
  # written as it finishes, so an interrupted run resumes with those still missing.
  # --min-agreement 0: record every variant, including those the 95 % gate would refuse.
  missing=()
  for recipe in "$REPO"/recipes/*.toml; do
    [ -d "$OUT/$run/export/$(basename "$recipe" .toml)" ] || missing+=(--recipe "$recipe")
  done
  [ ${#missing[@]} -eq 0 ] || "$FE" export "$OUT/$run" "${missing[@]}" --min-agreement 0
  [ -d "$OUT/$run/export/int8-fused" ] || "$FE" export "$OUT/$run" --int8 --fused --min-agreement 0
  # Bench again only when an export is newer than the last bench.
  if [ ! -f "$OUT/${run}_bench.json" ] || [ -n "$(find "$OUT/$run/export" -name manifest.json -newer "$OUT/${run}_bench.json")" ]; then
    "$FE" bench "$OUT/$run" "$OUT/$run/export" --data "$OUT/split.csv" --split test --runtimes litert,keras \
      --threads 2 --warmup 5 --json "$OUT/${run}_bench.json"
  fi
done
"$REPO/.venv/bin/python" "$REPO/benchmarks/export_variants/table.py" "$OUT" > "$REPO/benchmarks/export_variants/table.md"
