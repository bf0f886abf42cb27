#!/usr/bin/env bash
# Copy an exported model into the Android demo's assets, after checking that it carries its
# preprocessing spec (the app reads everything it needs from the file).
#   scripts/copy-model-to-android.sh EXPORT_DIR/int8/model.tflite
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 path/to/model.tflite" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python=python3
"$python" - "$1" <<'PY'
import sys
from fracture_edge.core.errors import FractureEdgeError
from fracture_edge.core.tflite_meta import read_spec
try:
    s = read_spec(sys.argv[1])
except FractureEdgeError as exc:
    sys.exit(f"error: {exc}")
kind = "fused" if s.fused else "unfused"
print(f"{sys.argv[1]}: {s.width}x{s.height} {s.input_dtype} input, {kind} model")
PY
dest="$root/android_demo/app/src/main/assets/model.tflite"
cp "$1" "$dest"
echo "copied to $dest; rebuild the app in Android Studio"
