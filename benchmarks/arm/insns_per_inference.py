"""Guest instructions per inference of .tflite variants on ARM64, under QEMU user-mode emulation.

Phones run LiteRT's ARM64 kernels, whose int8 paths (NEON, dot-product) differ from x86's. This
runs the ARM64 LiteRT wheel in an emulated Cortex-A76 and counts executed guest instructions with
a TCG plugin (insn_count.c). Each model runs twice, with 1 and with 1 + K inferences; the
difference divided by K is the cost of one inference, free of interpreter start-up and model
loading. Instruction counts are a relative cost on ARM, not a time.

Usage: python benchmarks/arm/insns_per_inference.py ROOT PLUGIN SITE OUT.json MODEL.tflite...
  ROOT: arm64 root (python3.11 and its libraries; fake /proc/cpuinfo, see README)
  PLUGIN: insn_count.so;  SITE: the unpacked arm64 wheels (ai-edge-litert, numpy)
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

K = 5
GUEST = Path(__file__).with_name("guest_infer.py")


def count(root, plugin, site, model, n) -> int:
    env = {**os.environ, "QEMU_LD_PREFIX": root, "QEMU_CPU": "cortex-a76", "PYTHONPATH": site}
    proc = subprocess.run(["qemu-aarch64", "-plugin", plugin, f"{root}/usr/bin/python3.11", str(GUEST), model,
                           str(n)], capture_output=True, text=True, env=env, timeout=3600)
    found = re.findall(r"insns: (\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"{model}: qemu run failed ({proc.returncode}): {proc.stderr[-500:]}")
    return int(found[-1])


def main(root, plugin, site, out, *models):
    rows = []
    for m in models:
        one, many = count(root, plugin, site, m, 1), count(root, plugin, site, m, 1 + K)
        rows.append({"model": m, "insns_per_inference": (many - one) / K, "insns_process_one_inference": one})
        print(f"{m}\t{rows[-1]['insns_per_inference'] / 1e6:.1f} M instructions per inference", flush=True)
    Path(out).write_text(json.dumps({"qemu_cpu": "cortex-a76", "threads": 1, "k": K, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
