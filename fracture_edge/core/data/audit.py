"""``fracture-edge data audit``: what a dataset really holds before anyone trusts a score on it.

Counts per split and class; files that cannot be used (truncated, empty, not images) and files
whose content is not what their extension says; exact and near-duplicate families (rotated,
mirrored, re-encoded copies, found from pixels, never from names); how much of val/test leaks
into train; and whether file properties alone predict the label. Writes a JSON summary and,
with a report folder, ``report.md``, ``audit.json``, ``families.csv`` and two contact sheets.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from pathlib import Path

from ..decode import extension_format
from ..files import atomic_dir, csv_text, write_json, write_text
from .contact_sheet import contact_sheet
from .families import LINK_THRESHOLD
from .folders import LABEL_NAMES, one_class
from .leakage import leakage
from .scan import Scan, scan
from .shortcuts import shortcut_hints

log = logging.getLogger("fracture_edge")

#: The report folder's manifest kind (what --report may replace).
KIND = "fracture-edge audit"

#: How many families and borderline pairs the contact sheets show.
SHEET_FAMILIES = 10
SHEET_PAIRS = 8


def audit(data: str | os.PathLike, json_path=None, report_dir=None, workers: int | None = None,
          threshold: float = LINK_THRESHOLD) -> dict:
    """Audit a folder tree or manifest; write ``json_path`` and ``report_dir`` when given.

    The report folder is built whole and swapped in, replacing an earlier report (never a
    folder of other files), so old and new files are never mixed."""
    t0 = time.perf_counter()
    s = scan(data, workers, threshold)
    problem = one_class(r.sample.label for r in s.records)
    if problem:
        log.warning("%s: %s", s.dataset.source, problem)
    t1 = time.perf_counter()
    summary = summarise(s)
    summary["timings"]["shortcut_hints_s"] = time.perf_counter() - t1
    if report_dir is None:
        _finish_timings(summary, t0)
    else:
        with atomic_dir(report_dir, force=True, kind=KIND) as tmp:
            t2 = time.perf_counter()
            write_report(s, tmp)
            summary["timings"]["report_s"] = time.perf_counter() - t2
            _finish_timings(summary, t0)
            write_json(tmp / "audit.json", summary)
            write_text(tmp / "report.md", markdown(summary))
            write_json(tmp / "manifest.json", {"kind": KIND, "source": summary["source"]})
    if json_path is not None:
        write_json(json_path, summary)
    return summary


def _finish_timings(summary: dict, t0: float) -> None:
    summary["timings"]["total_s"] = time.perf_counter() - t0
    summary["timings"] = {k: round(v, 2) for k, v in summary["timings"].items()}


def summarise(s: Scan) -> dict:
    usable = s.usable()
    by_sha = Counter(r.sha256 for r in s.records if r.sha256)
    fam_files = Counter(r.family for r in usable)
    fam_labels: dict[int, set] = {}
    for r in usable:
        fam_labels.setdefault(r.family, set()).add(r.sample.label)
    mixed = sorted(f for f, labels in fam_labels.items() if len(labels) > 1)
    fam = s.families
    linked = int((fam.scores >= fam.threshold).sum())
    return {
        "source": str(s.dataset.source),
        "files": len(s.records),
        "counts": s.dataset.counts(),
        "unusable": [{"path": s.relpath(r), "reason": r.error} for r in s.records if r.family is None],
        "extension_mismatch": [{"path": s.relpath(r), "extension": extension_format(r.sample.path),
                                "content": r.format} for r in s.records if r.extension_mismatch],
        "formats": dict(Counter(r.format or "unknown" for r in s.records)),
        "exact_duplicates": {
            "distinct_contents": len(by_sha),
            "contents_with_copies": sum(1 for n in by_sha.values() if n > 1),
            "redundant_files": sum(n - 1 for n in by_sha.values()),
        },
        "families": {
            "count": fam.count,
            "decodable_contents": len(s.contents),
            "largest": [n for _, n in fam_files.most_common(10)],
            "singletons": sum(1 for n in fam_files.values() if n == 1),
            "mixed_label": len(mixed),
            "mixed_label_examples": [sorted(s.relpath(r) for r in usable if r.family == f)[:4] for f in mixed[:10]],
            "link_threshold": fam.threshold,
            "candidate_pairs": int(len(fam.pairs)),
            "linked_pairs": linked,
        },
        "leakage": leakage(s),
        "shortcut_hints": shortcut_hints(usable),
        "timings": dict(s.timings),
    }


def _family_rows(s: Scan) -> str:
    return csv_text([{"path": s.relpath(r), "label": LABEL_NAMES[r.sample.label], "split": r.sample.split or "",
                      "family": "" if r.family is None else f"f{r.family:05d}", "sha256": (r.sha256 or "")[:16]}
                     for r in s.records], ["path", "label", "split", "family", "sha256"])


def _sheets(s: Scan, out: Path) -> None:
    path_of_content: dict[int, Path] = {}
    index = {h: i for i, h in enumerate(s.contents)}
    for r in s.usable():
        path_of_content.setdefault(index[r.sha256], r.sample.path)
    members: dict[int, list[int]] = {}
    for c, f in enumerate(s.families.family.tolist()):
        members.setdefault(f, []).append(c)
    files = Counter(r.family for r in s.usable())
    rows = [(f"family f{f:05d}: {files[f]} files, {len(members[f])} distinct contents",
             [path_of_content[c] for c in members[f]]) for f, _ in files.most_common(SHEET_FAMILIES)]
    contact_sheet(rows, out / "largest_families.png", columns=10)

    fam = s.families
    order = sorted(range(len(fam.scores)), key=lambda k: fam.scores[k])
    above = [k for k in order if fam.scores[k] >= fam.threshold][:SHEET_PAIRS]
    below = [k for k in order if fam.scores[k] < fam.threshold][-SHEET_PAIRS:][::-1]
    rows = []
    for kind, picks in (("linked", above), ("not linked", below)):
        for k in picks:
            a, b = fam.pairs[k]
            rows.append((f"{fam.scores[k]:.3f} {kind}: {path_of_content[a].name} | {path_of_content[b].name}",
                         [path_of_content[a], path_of_content[b]]))
    contact_sheet(rows, out / "borderline_pairs.png", columns=4)


def write_report(s: Scan, out: Path) -> None:
    """families.csv and the contact sheets into ``out`` (report.md follows once timings are in)."""
    write_text(out / "families.csv", _family_rows(s))
    _sheets(s, out)


def markdown(m: dict) -> str:
    lines = [f"# Dataset audit: {m['source']}", "", f"{m['files']} files.", "",
             "| split | " + " | ".join(LABEL_NAMES) + " |", "|---|---|---|"]
    for split, c in m["counts"].items():
        lines.append(f"| {split} | " + " | ".join(str(c[n]) for n in LABEL_NAMES) + " |")
    ex, fam = m["exact_duplicates"], m["families"]
    lines += ["", "## Files that cannot be used", ""]
    lines += [f"- `{u['path']}`: {u['reason']}" for u in m["unusable"]] or ["None."]
    lines += ["", "## Content differs from extension", ""]
    lines += [f"- `{x['path']}`: named {x['extension']}, is {x['content']}" for x in m["extension_mismatch"]] or ["None."]
    lines += ["", "## Duplicates and families", "",
              f"- {ex['distinct_contents']} distinct contents; {ex['redundant_files']} files are byte copies of another.",
              f"- {fam['count']} families (copies of one radiograph: rotated by any angle, mirrored, "
              f"re-encoded, rescaled) from {fam['decodable_contents']} decodable contents; largest: "
              f"{', '.join(map(str, fam['largest']))} files; {fam['singletons']} single files.",
              f"- {fam['mixed_label']} families hold files of both labels.",
              f"- Link threshold {fam['link_threshold']} on the rotation-searched thumbnail correlation; "
              f"{fam['linked_pairs']} of {fam['candidate_pairs']} candidate pairs linked. Check by eye: "
              "`largest_families.png`, `borderline_pairs.png` (pairs just above and below the threshold).",
              "", "## Leakage into train", ""]
    if m["leakage"]:
        lines += ["| split | files | same radiograph in train | byte copy in train |", "|---|---|---|---|"]
        for split, v in m["leakage"].items():
            lines.append(f"| {split} | {v['files']} | {v['family_in_train']} ({v['family_share']:.1%}) | "
                         f"{v['byte_copy_in_train']} ({v['byte_copy_share']:.1%}) |")
        lines += ["", "Scores on a leaking split overstate accuracy. A leak-free split: "
                  "`fracture-edge data split DIR --by family --out split.csv`."]
    else:
        lines.append("No train split next to a val or test split.")
    lines += ["", "## Shortcut hints", "",
              "Cross-validated AUC (folds grouped by family) of a small tree predicting the label from a "
              "file property alone; 0.5 is no hint.", "", "| property | AUC |", "|---|---|"]
    lines += [f"| {k} | {'n/a' if v is None else f'{v:.3f}'} |" for k, v in m["shortcut_hints"].items()]
    lines += ["", "## Time", ""] + [f"- {k}: {v} s" for k, v in m["timings"].items()]
    return "\n".join(lines) + "\n"
