"""Views of bench rows: a Markdown table (stdout) and JSON."""

from __future__ import annotations

COLUMNS = (
    ("variant", "variant", "{}"), ("runtime", "runtime", "{}"), ("threads", "thr", "{}"),
    ("size_bytes", "size KB", "{:.0f}"), ("accuracy", "acc", "{:.3f}"), ("f1", "F1", "{:.3f}"),
    ("auc", "AUC", "{:.3f}"), ("latency_ms", "ms p50", "{:.2f}"), ("p90_ms", "ms p90", "{:.2f}"),
    ("status", "status", "{}"),
)


def _cell(row: dict, key: str, fmt: str) -> str:
    v = row.get(key)
    if v is None:
        return "—"
    if key == "size_bytes":
        v = v / 1024
    return fmt.format(v)


def markdown_table(rows: list[dict]) -> str:
    head = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(_cell(r, k, f) for k, _, f in COLUMNS) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def rows_for_json(rows: list[dict]) -> list[dict]:
    """Rows without the per-image probabilities (kept in memory for plots and statistics)."""
    return [{k: v for k, v in r.items() if k != "probabilities"} for r in rows]
