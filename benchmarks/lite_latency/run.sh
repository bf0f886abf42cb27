#!/usr/bin/env bash
# int8 EfficientNet-Lite0 latency at 160 and 224 px beside DeepConvNet and ResNet50 int8, all
# rows in each `fracture-edge bench` run (LiteRT, batch 1, 1 thread), REPEATS runs pinned to one
# core. Regenerate (about an hour on 2 cores, mostly training and exporting; each bench run about
# 3 minutes):
#
#     bash benchmarks/lite_latency/run.sh /tmp/lite_latency
#
# Writes WORK/{images,split.csv,runs,exports} and benchmarks/lite_latency/{bench_coreC_runI.json,
# load_coreC_runI.txt (uptime and the busiest processes, with the core each last ran on, before
# each run), runtime_attempts_coreC.json, table.md}. CORE (default 1) is the core every step is
# pinned to; runs pinned to different cores are tabled apart.
set -euo pipefail
WORK=${1:-/tmp/lite_latency}
REPEATS=${REPEATS:-3}
CORE=${CORE:-1}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$REPO/benchmarks/lite_latency"
PY="$REPO/.venv/bin/python"
FE="taskset -c $CORE $REPO/.venv/bin/fracture-edge"
DATA="$REPO/../shared/data/multiregion-dev"
export FRACTURE_EDGE_PROGRESS=off
mkdir -p "$WORK/runs" "$WORK/exports"
if [ ! -d "$WORK/images" ]; then
  mkdir -p "$WORK/images" && tar -xJf "$DATA/images.tar.xz" -C "$WORK/images"
fi
[ -f "$WORK/split.csv" ] || "$PY" "$HERE/make_split.py" "$WORK/images" "$DATA/families.csv" "$WORK/split.csv"

# name: train options. Heads trained briefly on the 200 training radiographs (latency does not
# depend on the weights; the brief training gives calibration real activations to range).
# EfficientNet-Lite0 from its ImageNet weights, one gray channel (the summed stem) and gray
# copied to three channels (the RGB stem); DeepConvNet (default width) and ResNet50 from scratch.
declare -A RUNS=(
  [l0-160-gray]="--arch efficientnet-lite0 --weights imagenet --img-size 160 --epochs 4"
  [l0-160-ggg]="--arch efficientnet-lite0 --weights imagenet --img-size 160 --epochs 4 --fusion gray,gray,gray"
  [l0-224-gray]="--arch efficientnet-lite0 --weights imagenet --img-size 224 --epochs 4"
  [l0-224-ggg]="--arch efficientnet-lite0 --weights imagenet --img-size 224 --epochs 4 --fusion gray,gray,gray"
  [dcn-160]="--arch deepconvnet --img-size 160 --epochs 4"
  [dcn-224]="--arch deepconvnet --img-size 224 --epochs 4"
  [r50-160]="--arch resnet50 --weights none --img-size 160 --epochs 2"
  [r50-224]="--arch resnet50 --weights none --img-size 224 --epochs 2"
)
for name in $(printf '%s\n' "${!RUNS[@]}" | sort); do
  [ -d "$WORK/runs/$name" ] || $FE train "$WORK/split.csv" ${RUNS[$name]} --seed 0 --out "$WORK/runs/$name"
  # --min-agreement 0: every export is kept and its agreement recorded (briefly trained heads).
  extra=()
  case $name in l0-*) extra=(--variant int8-io) ;; esac
  [ -f "$WORK/exports/$name/int8/model.tflite" ] || \
    $FE export "$WORK/runs/$name" --float32 --int8 "${extra[@]}" --calibration-size 200 --min-agreement 0 \
      --out "$WORK/exports/$name"
done
# Converter settings and head changes the export table does not offer, on Lite0 at 224 px.
[ -d "$WORK/exports/l0-224-gray/int8-per-tensor" ] || \
  taskset -c "$CORE" "$PY" "$HERE/attempts.py" "$WORK/runs/l0-224-gray" "$WORK/exports/l0-224-gray"

for i in $(seq 1 "$REPEATS"); do
  { uptime; ps -eo psr,pcpu,args --sort=-pcpu | head -6 | cut -c1-120; } > "$HERE/load_core${CORE}_run$i.txt"
  $FE bench "$WORK"/exports/* --data "$WORK/split.csv" --split test --runtimes litert --threads 1 \
    --warmup 20 --iterations 300 --bootstrap 200 --json "$HERE/bench_core${CORE}_run$i.json"
done
taskset -c "$CORE" "$PY" "$HERE/runtime_attempts.py" "$WORK/exports" "$HERE/runtime_attempts_core$CORE.json"
"$PY" "$HERE/table.py" "$HERE" > "$HERE/table.md"
