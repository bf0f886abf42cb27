"""One self-contained HTML page of a bench: the table and the plots inline (base64 PNG).

A single file can be attached to an issue or opened from a phone without a web server.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from .report import COLUMNS, cell

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:nth-child(-n+3){text-align:left}
tr.worse td{background:#fde2e2}tr.better td{background:#e2f5e2}img{max-width:100%;margin:1em 0}"""


def _table(rows: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t, _ in COLUMNS)
    body = []
    for r in rows:
        cls = f' class="{r["versus_float"]}"' if r.get("versus_float") in ("worse", "better") else ""
        cells = "".join(f"<td>{html.escape(cell(r, k, f))}</td>" for k, _, f in COLUMNS)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def html_page(rows: list[dict], plots: dict[str, Path], meta: dict) -> str:
    images = "".join(
        f'<h2>{html.escape(name.replace("_", " "))}</h2><img alt="{html.escape(name)}" '
        f'src="data:image/png;base64,{base64.b64encode(Path(p).read_bytes()).decode()}">'
        for name, p in plots.items())
    info = "".join(f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>" for k, v in meta.items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>fracture-edge bench</title>"
            f"<style>{STYLE}</style></head><body><h1>fracture-edge bench</h1><ul>{info}</ul>"
            f"<p>vs float: <b>worse</b> = significantly worse than the float model of the same run "
            f"(McNemar p &lt; 0.05 with more decisions lost than won, or the 95% interval of ΔAUC below 0); "
            f"<b>better</b> = significantly better by the same tests and worse by neither; "
            f"<b>n.s.</b> = no significant difference. math: the precision of the runtime's float "
            f"arithmetic (OpenVINO computes in bf16 only in its openvino-bf16 rows).</p>"
            f"{_table(rows)}{images}</body></html>\n")
