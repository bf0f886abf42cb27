"""Views of bench rows: a Markdown table (stdout) and the rows as JSON and CSV hold them.

The per-image labels, probabilities and families stay in memory (plots and statistics need
them) and are left out of every written view.
"""

from __future__ import annotations

IN_MEMORY = ("labels", "probabilities", "groups")

#: (row key, column title, format). Intervals and the significance mark are composed in _cell.
COLUMNS = (
    ("model", "model", "{}"), ("variant", "variant", "{}"), ("runtime", "runtime", "{}"),
    ("threads", "thr", "{}"), ("math", "math", "{}"), ("size_bytes", "KB", "{:.0f}"), ("gzip_bytes", "gz KB", "{:.0f}"),
    ("accuracy", "acc", "{:.3f}"), ("balanced_accuracy", "bal acc", "{:.3f}"), ("precision", "prec", "{:.3f}"),
    ("recall", "recall", "{:.3f}"), ("f1", "F1", "{:.3f}"), ("auc", "AUC [95% CI]", "{:.3f}"),
    ("auc_per_file_weighted", "AUC rad-weighted [95% CI]", "{:.3f}"),
    ("auc_per_radiograph", "AUC per radiograph [95% CI]", "{:.3f}"),
    ("agreement", "agree", "{:.3f}"), ("auc_delta", "ΔAUC [95% CI]", "{:+.3f}"), ("mcnemar_p", "McNemar p", "{:.3f}"),
    ("versus_float", "vs float", "{}"), ("load_ms", "load ms", "{:.0f}"), ("first_ms", "first ms", "{:.1f}"),
    ("latency_ms", "p50 ms", "{:.2f}"), ("p90_ms", "p90 ms", "{:.2f}"), ("p99_ms", "p99 ms", "{:.2f}"),
    ("preprocess_ms", "pre ms", "{:.2f}"), ("peak_rss_mb", "RSS MB", "{:.0f}"), ("status", "status", "{}"),
)


def cell(row: dict, key: str, fmt: str = "{}") -> str:
    """One formatted table cell; '—' where the row has no value."""
    v = row.get(key)
    if v is None:
        return "—"
    if key in ("size_bytes", "gzip_bytes"):
        v = v / 1024
    text = fmt.format(v)
    lo, hi = row.get(f"{key}_lo"), row.get(f"{key}_hi")
    if lo is not None and hi is not None:
        text += f" [{fmt.format(lo)}, {fmt.format(hi)}]"
    return text


def markdown_table(rows: list[dict]) -> str:
    head = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(cell(r, k, f) for k, _, f in COLUMNS) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def rows_for_json(rows: list[dict]) -> list[dict]:
    """Rows without the per-image data kept in memory for plots and statistics."""
    return [{k: v for k, v in r.items() if k not in IN_MEMORY} for r in rows]
