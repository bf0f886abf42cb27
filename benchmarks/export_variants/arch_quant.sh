#!/usr/bin/env bash
# Issue 19 for every architecture: the new variants (int16x8, selective) beside float32, float16,
# dynamic and int8 (and qat-int8 for EfficientNet-Lite0), each with --debug-quant, then int8
# with --fallback auto at the default 95 % gate; benched with LiteRT on the test families of a
# family split of multiregion-dev. Regenerate (about 1.5 hours on one core):
#
#     taskset -c 0 bash benchmarks/export_variants/arch_quant.sh /tmp/qd [dcn r50 lite0]
#
# Writes OUT/{split.csv,ARCH/...} and rewrites benchmarks/export_variants/arch_quant.md.
# Environment: VENV (default REPO/.venv), IMAGES (the unpacked images; default: unpack
# shared/data/multiregion-dev into OUT/images), THREADS (LiteRT bench threads, default 1),
# SUB (int16x8 of resnet50 / efficientnet-lite0 runs on every SUB-th val and test file of each
# family, default 5: LiteRT runs int16 activations on its reference kernels, ~280x int8's time).
set -euo pipefail
OUT=${1:-/tmp/qd}
shift || true
ARCHS=("$@")
[ ${#ARCHS[@]} -gt 0 ] || ARCHS=(dcn r50 lite0)
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
HERE="$REPO/benchmarks/export_variants"
VENV=${VENV:-$REPO/.venv}
FE="$VENV/bin/fracture-edge"
PY="$VENV/bin/python"
THREADS=${THREADS:-1}
SUB=${SUB:-5}
IMAGES=${IMAGES:-$OUT/images}
export FRACTURE_EDGE_PROGRESS=off
mkdir -p "$OUT"
if [ ! -d "$IMAGES" ]; then
  mkdir -p "$IMAGES" && tar -xJf "$REPO/../shared/data/multiregion-dev/images.tar.xz" -C "$IMAGES"
fi
[ -f "$OUT/split.csv" ] || "$FE" data split "$IMAGES" --by family --val 0.15 --test 0.15 --seed 0 --out "$OUT/split.csv"

# Stdout and the error line of an export (a refusal writes no model, only this line).
verdict() { grep -E '^(error: |[a-z0-9.-]+: [0-9]+ KB)' || true; }

for a in "${ARCHS[@]}"; do
  case $a in
    dcn)   train=(--arch deepconvnet);;                                        # its recipe: 96 px, gray
    r50)   train=(--arch resnet50 --weights none --img-size 64 --epochs 4);;   # no ImageNet download here
    lite0) train=(--arch efficientnet-lite0);;                                 # ImageNet weights offline; 160 px, probe,top
    *) echo "unknown architecture $a (dcn, r50, lite0)" >&2; exit 2;;
  esac
  R="$OUT/$a"
  [ -d "$R" ] || "$FE" train "$OUT/split.csv" "${train[@]}" --out "$R"
  # --min-agreement 0: record every variant; the gate's measurement is in each manifest.
  # Most telling first (the run can be cut short): float32, int8, its fallback, QAT, the rest.
  one() { [ -d "$R/export/$1" ] || "$FE" export "$R" --variant "$1" --debug-quant --min-agreement 0 | verdict; }
  one float32
  one int8
  # int8 at the default gate with --fallback auto: passed (a model in fallback/int8) or refused;
  # trace_export.py logs each step (layers kept in float, size, agreement) to fallback.log.
  [ -f "$R/fallback.txt" ] || { "$PY" "$HERE/trace_export.py" "$R" --variant int8 --debug-quant --fallback auto \
    --out "$R/fallback" 2> "$R/fallback.err" | verdict > "$R/fallback.txt" || true
    grep -E '^(trace|error: )' "$R/fallback.err" > "$R/fallback.log" || true
    grep -h '^error: ' "$R/fallback.err" >> "$R/fallback.txt" || true; }
  [ "$a" = lite0 ] && one qat-int8
  one selective
  [ "$a" = dcn ] && one int16x8              # 64 ms an image: the whole val and test split
  one float16
  one dynamic
  # Every variant on the test families (the fallback model too, when it passed).
  models=("$R/export")
  [ -f "$R/fallback/int8/model.tflite" ] && models+=("$R/fallback/int8/model.tflite")
  [ -f "$R/bench.json" ] || "$FE" bench "${models[@]}" --data "$OUT/split.csv" --split test --runtimes litert \
    --threads "$THREADS" --warmup 5 --json "$R/bench.json" > /dev/null
  if [ "$a" != dcn ]; then
    # int16x8 on a thinned split: a copy of the run whose val (the gate, the per-layer report)
    # and test (the bench) keep every SUB-th file of each family; float32 beside it, so that
    # its agreement is measured on the same images.
    S="$OUT/${a}_sub$SUB"
    if [ ! -d "$S" ]; then
      mkdir -p "$S.tmp" && cp -l "$R"/{model.keras,spec.json,manifest.json} "$S.tmp/"
      "$PY" "$HERE/subset.py" "$R/split.csv" "$SUB" "$S.tmp/split.csv" && mv "$S.tmp" "$S"
    fi
    for v in float32 int16x8; do
      [ -d "$S/export/$v" ] || "$FE" export "$S" --variant "$v" --debug-quant --min-agreement 0 | verdict
    done
    [ -f "$S/bench.json" ] || "$FE" bench "$S/export" --data "$S/split.csv" --split test --runtimes litert \
      --threads "$THREADS" --warmup 1 --iterations 20 --json "$S/bench.json" > /dev/null
    # int8 and float32 of the full run on the same thinned test images, to set int16x8 beside.
    [ -f "$S/bench_int8.json" ] || "$FE" bench "$R/export/float32" "$R/export/int8" --data "$S/split.csv" \
      --split test --runtimes litert --threads "$THREADS" --warmup 1 --iterations 20 --json "$S/bench_int8.json" > /dev/null
  fi
done
"$PY" "$HERE/arch_quant_table.py" "$OUT" > "$HERE/arch_quant.md"
