"""arch_quant.md from a run of arch_quant.sh: per architecture, every variant's size, test AUC
with its family interval, agreement with float32 and latency; then the int8 per-layer report's
worst layers, what --fallback auto bought (or its refusal), and the other variants' worst layers.

    python arch_quant_table.py OUT > arch_quant.md
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ARCHS = {"dcn": "DeepConvNet", "r50": "ResNet50", "lite0": "EfficientNet-Lite0"}
ORDER = ["float32", "float16", "dynamic", "int8", "int8 + fallback", "selective", "qat-int8", "int16x8"]
GATE = 0.95


def _rows(bench: Path) -> dict[str, dict]:
    """LiteRT rows of a bench by variant; the fallback model's row under 'int8 + fallback'."""
    if not bench.exists():
        return {}
    out = {}
    for r in json.loads(bench.read_text()):
        if r.get("runtime") != "litert" or r.get("status") != "ok":
            continue
        key = "int8 + fallback" if "/fallback/" in r["path"] else r["variant"]
        out[key] = r
    return out


def _manifest(folder: Path) -> dict | None:
    f = folder / "manifest.json"
    return json.loads(f.read_text()) if f.exists() else None


def _drop(row: dict) -> str:
    return "—" if row["snr_drop_db"] is None else f"{row['snr_drop_db']:+.1f}"


def _worst(layers: list[dict], n: int) -> list[dict]:
    def added(r):
        return r["snr_drop_db"] if r["snr_drop_db"] is not None else -r["snr_db"]
    return sorted((r for r in layers if r["snr_db"] != float("inf")), key=added, reverse=True)[:n]


def _traced_steps(log: Path) -> list[tuple[list[str], float, float]]:
    """(layers kept in float, size KB, agreement) of each int8 conversion trace_export.py logged,
    the first being plain int8: the steps of a fallback that was refused or cut short."""
    steps, pending = [], None
    for line in log.read_text().splitlines() if log.exists() else []:
        m = re.match(r"trace +[0-9.]+s converted int8: ([0-9]+) KB, float layers (.*)$", line)
        if m:
            names = [] if m.group(2) == "-" else ast.literal_eval(m.group(2))
            pending = ([n.split(";")[0].split("/")[1] for n in names], float(m.group(1)))
            continue
        m = re.match(r"trace +[0-9.]+s gate agreement ([0-9.]+)%", line)
        if m and pending:
            steps.append((*pending, float(m.group(1)) / 100))
            pending = None
    return steps


def _same_images(sub: Path) -> str:
    """int8 (of the full run) against float32 on the thinned split's test images, beside int16x8."""
    rows = _rows(sub / "bench_int8.json")
    if "int8" not in rows or rows["int8"].get("agreement") is None:
        return ""
    return f"int8 agrees with float32 on {rows['int8']['agreement']:.1%} of the same {rows['int8']['n']} test images"


def main(out: Path) -> None:
    print("| model | variant | size KB | % of float32 | test AUC [95 % family CI] | agreement with float32 (test) | "
          "agreement with Keras (val: the gate) | 95 % gate | p50 ms | test images |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for a, label in ARCHS.items():
        run = out / a
        if not run.is_dir():
            continue
        bench = _rows(run / "bench.json")
        subs = sorted(out.glob(f"{a}_sub*"))
        sub_bench = _rows(subs[0] / "bench.json") if subs else {}
        base = _manifest(run / "export" / "float32")
        for v in ORDER:
            if v == "int8 + fallback":
                m, r = _manifest(run / "fallback" / "int8"), bench.get(v)
                if m is not None and not m.get("fallback"):
                    continue                    # int8 passed as it is: the same model as the int8 row
            elif v == "int16x8" and a != "dcn":
                m, r = (_manifest(subs[0] / "export" / v) if subs else None), sub_bench.get(v)
            else:
                m, r = _manifest(run / "export" / v), bench.get(v)
            if m is None or base is None:
                continue
            gate = m["validation"]["agreement_with_keras"]
            auc = f"{r['auc']:.3f} [{r['auc_lo']:.3f}, {r['auc_hi']:.3f}]" if r else "not benched"
            agree = f"{r['agreement']:.1%}" if r and r.get("agreement") is not None else "—"
            p50 = f"{r['latency_ms']:.2f}" if r else "—"
            n = str(r["n"]) if r else "—"
            if v == "int16x8" and a != "dcn":
                n += f" (1/{subs[0].name.split('_sub')[1]} of each family)"
                gate_txt = f"{gate:.1%} on {m['validation']['images']}"
            else:
                gate_txt = f"{gate:.1%}"
            print(f"| {label} | {v} | {m['size_bytes'] / 1024:.0f} | {100 * m['size_bytes'] / base['size_bytes']:.1f} | "
                  f"{auc} | {agree} | {gate_txt} | {'pass' if gate >= GATE else 'refused'} | {p50} | {n} |")
    print()
    for a, label in ARCHS.items():
        subs = sorted(out.glob(f"{a}_sub*"))
        if subs and (subs[0] / "export" / "int16x8").is_dir():
            note = _same_images(subs[0])
            if note:
                print(f"- {label} int16x8 was benched on {subs[0].name}: {note}.")
    for a, label in ARCHS.items():
        run = out / a
        if not run.is_dir():
            continue
        print(f"\n## {label}\n")
        for v in ("int8", "qat-int8", "selective"):
            m = _manifest(run / "export" / v)
            if not m or "debug_quant" not in m:
                continue
            layers = m["debug_quant"]["layers"]
            last = next((r for r in reversed(layers) if r["layer"] == "fracture_prob"), layers[-1])
            print(f"**{v}**: {len(layers)} layers compared on {m['debug_quant']['images']} val images; "
                  f"SNR at the output layer `{last['layer']}` {last['snr_db']:.1f} dB. Layers adding most error:\n")
            print("| layer | op | SNR dB | SNR drop dB | cosine |")
            print("|---|---|---|---|---|")
            for r in _worst(layers, 5):
                print(f"| {r['layer']} | {r['op']} | {r['snr_db']:.1f} | {_drop(r)} | {r['cosine']:.4f} |")
            print()
        verdict = run / "fallback.txt"
        fb = (_manifest(run / "fallback" / "int8") or {}).get("fallback")
        text = verdict.read_text().strip() if verdict.exists() else ""
        if fb:
            print(f"**int8 --fallback auto** (gate 95 %, size budget {fb['size_budget_bytes'] / 1024:.0f} KB "
                  f"= half of float32): passed {fb['passed']}\n")
        elif text.startswith("error:"):
            print("**int8 --fallback auto** refused (nothing written):\n")
        elif text:
            print("**int8 --fallback auto**: int8 passes the gate as it is, nothing kept in float\n")
        if text:
            print(f"```\n{text}\n```\n")
        traced = _traced_steps(run / "fallback.log")
        if not fb and not text and len(traced) > 1:
            print(f"**int8 --fallback auto** stopped before it finished (killed for time); the steps "
                  f"trace_export.py logged (fallback.log):\n")
            print("| step | layers kept in float | agreement with Keras (val) | size KB |")
            print("|---|---|---|---|")
            for i, (layers, kb, agree) in enumerate(traced):
                print(f"| {i} | {', '.join(layers) or '— (int8)'} | {agree:.1%} | {kb:.0f} |")
            print()
        if fb:
            print("| step | layers kept in float | agreement with Keras (val) | size KB | % of float32 |")
            print("|---|---|---|---|---|")
            base = _manifest(run / "export" / "float32")
            for i, s in enumerate(fb["steps"]):
                pct = f"{100 * s['size_bytes'] / base['size_bytes']:.1f}" if base else "—"
                print(f"| {i} | {', '.join(s['kept_float']) or '— (int8)'} | {s['agreement']:.1%} | "
                      f"{s['size_bytes'] / 1024:.0f} | {pct} |")
            print()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
