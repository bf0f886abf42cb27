"""PNG views of bench rows: latency against AUC with the Pareto front, ROC overlay, size per variant."""

from __future__ import annotations

from pathlib import Path

from ..core.bench.html import html_page
from ..core.bench.report import markdown_table, rows_for_json
from ..core.files import write_csv, write_json, write_text
from .figures import _save, pyplot, roc_curves


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (latency, AUC) points no other point beats on both: faster *and* at least as accurate."""
    front, best = [], float("-inf")
    for lat, auc in sorted(points, key=lambda p: (p[0], -p[1])):
        if auc > best:
            front.append((lat, auc))
            best = auc
    return front


def _ok(rows, *keys):
    return [r for r in rows if r.get("status") == "ok" and all(r.get(k) is not None for k in keys)]


def _name(r: dict, threads: bool = True) -> str:
    base = f"{r['model']}/{r['variant']}/{r['runtime']}"
    return f"{base}/{r['threads']}t" if threads else base


def latency_vs_auc(rows: list[dict], path) -> Path:
    plt = pyplot()
    ok = _ok(rows, "latency_ms", "auc")
    fig, ax = plt.subplots(figsize=(7, 4.8))
    runtimes = list(dict.fromkeys(r["runtime"] for r in ok))
    models = list(dict.fromkeys(r["model"] for r in ok))
    markers = "osD^vP*X"
    for r in ok:
        ax.scatter(r["latency_ms"], r["auc"], color=f"C{runtimes.index(r['runtime']) % 10}",
                   marker=markers[models.index(r["model"]) % len(markers)], s=28, zorder=3)
        ax.annotate(f"{r['variant']} {r['threads']}t", (r["latency_ms"], r["auc"]), fontsize=6,
                    xytext=(3, 2), textcoords="offset points")
    front = pareto_front([(r["latency_ms"], r["auc"]) for r in ok])
    if front:
        ax.step(*zip(*front), where="post", color="black", lw=1, ls="--", marker="o", mfc="none", ms=9,
                label="Pareto front", zorder=2)
    for i, rt in enumerate(runtimes):
        ax.scatter([], [], color=f"C{i % 10}", label=rt)
    for i, m in enumerate(models):
        ax.scatter([], [], color="grey", marker=markers[i % len(markers)], label=m)
    ax.set_xscale("log")
    ax.set(xlabel="batch-1 latency, median (ms, log scale)", ylabel="ROC AUC", title="Latency against AUC")
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)


def roc_overlay(rows: list[dict], path) -> Path:
    """One curve per (model, variant, runtime); thread count does not change the outputs."""
    curves = {}
    for r in _ok(rows, "probabilities"):
        curves.setdefault(_name(r, threads=False), (r["labels"], r["probabilities"]))
    return roc_curves(curves, path, title="ROC, every variant and runtime")


def size_per_variant(rows: list[dict], path) -> Path:
    plt = pyplot()
    sizes = {}
    for r in rows:
        if r.get("size_bytes") is not None:
            sizes.setdefault(f"{r['model']}/{r['variant']}/{r.get('kind', '')}", (r["size_bytes"], r.get("gzip_bytes")))
    names = list(sizes)
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(names) + 2), 4))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [sizes[n][0] / 1024 for n in names], width=0.4, label="file")
    ax.bar([x + 0.2 for x in xs], [(sizes[n][1] or 0) / 1024 for n in names], width=0.4, label="gzip")
    ax.set_xticks(list(xs), names, rotation=60, ha="right", fontsize=7)
    ax.set_yscale("log")
    ax.set(ylabel="KB (log scale)", title="Model size per variant")
    ax.legend(fontsize=8)
    return _save(fig, path)


def bench_plots(rows: list[dict], out) -> dict[str, Path]:
    out = Path(out)
    return {"latency_vs_auc": latency_vs_auc(rows, out / "latency_vs_auc.png"),
            "roc": roc_overlay(rows, out / "roc.png"),
            "size": size_per_variant(rows, out / "size.png")}


def write_report(rows: list[dict], out: str | Path, meta: dict) -> dict[str, Path]:
    """``out``: rows.json, rows.csv, table.md, the PNG plots and one self-contained index.html."""
    out = Path(out)
    files = {"json": write_json(out / "rows.json", {"meta": meta, "rows": rows_for_json(rows)}),
             "csv": write_csv(out / "rows.csv", rows_for_json(rows)),
             "markdown": write_text(out / "table.md", markdown_table(rows) + "\n")}
    plots = bench_plots(rows, out)
    files.update(plots)
    files["html"] = write_text(out / "index.html", html_page(rows, plots, meta))
    return files
