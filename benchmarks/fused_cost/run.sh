#!/usr/bin/env bash
# Cost of fused preprocessing: fused model latency vs unfused model + OpenCV preprocessing.
# Regenerate (about 5 minutes on 2 cores):  bash benchmarks/fused_cost/run.sh /tmp/fused_cost
# A deepconvnet (width 16) trained one epoch on synthetic 224-px images: latency does not
# depend on the weights, and the parity of fused and unfused predictions is tested in
# tests/test_fused.py on real radiographs.
set -euo pipefail
WORK=${1:-/tmp/fused_cost}
FE=${FE:-.venv/bin/fracture-edge}
mkdir -p "$WORK"
for SIZE in 128 224; do
  $FE data synth "$WORK/data$SIZE" --n 240 --size "$SIZE" --force
  $FE train "$WORK/data$SIZE" --img-size "$SIZE" --width 16 --epochs 1 --fusion gray,edges,gray \
      --out "$WORK/run$SIZE" --force
  $FE export "$WORK/run$SIZE" --float32 --int8 --out "$WORK/export$SIZE" --min-agreement 0 --force
  $FE export "$WORK/run$SIZE" --float32 --int8 --fused --out "$WORK/export$SIZE" --min-agreement 0 --force
  $FE bench "$WORK/export$SIZE" --data "$WORK/data$SIZE" --runtimes litert --threads 1,2 \
      --iterations 200 --json "benchmarks/fused_cost/bench$SIZE.json"
done
