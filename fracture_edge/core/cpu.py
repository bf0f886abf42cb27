"""What CPU a number was measured on: its model name and the instruction-set flags that decide
which kernels runtimes pick.

The same wheel runs different code on machines of one kind: OpenVINO computes float models in
bfloat16 where the CPU has AVX-512 BF16 or AMX, and int8 kernels saturate on AVX2 without VNNI.
A latency or accuracy figure is only comparable beside these flags, so the bench records them
in every report.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

#: /proc/cpuinfo flag -> how reports name it, in rising order of capability
FLAGS = {"avx2": "AVX2", "fma": "FMA", "avx_vnni": "AVX-VNNI", "avx512f": "AVX-512F",
         "avx512_vnni": "AVX-512 VNNI", "avx512_bf16": "AVX-512 BF16", "avx512_fp16": "AVX-512 FP16",
         "amx_tile": "AMX", "amx_bf16": "AMX-BF16", "amx_int8": "AMX-INT8",
         "asimd": "NEON", "asimddp": "dot product", "i8mm": "I8MM", "bf16": "BF16", "sve": "SVE"}
#: flags whose presence lets a runtime compute float models in bfloat16 on its own
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.lru_cache(maxsize=1)
def cpu_info(cpuinfo: str | None = None) -> dict:
    """``model``, ``flags`` (the instruction-set extensions above that the CPU has, by report
    name) and ``bf16`` (whether it computes bfloat16 natively). Off Linux the flags are unknown
    (an empty list) and the model is what ``platform`` says."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text(errors="replace") if path.exists() else ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    have = set((fields.get("flags") or fields.get("Features") or "").split())
    model = fields.get("model name") or fields.get("Model") or platform.processor() or platform.machine()
    return {"model": model, "flags": [name for flag, name in FLAGS.items() if flag in have],
            "bf16": any(f in have for f in BF16_FLAGS)}
