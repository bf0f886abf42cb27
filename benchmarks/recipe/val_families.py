"""The shipped model's numbers on the validation families `train` carved: AUC, sensitivity and
specificity at the spec's threshold, per file and per radiograph (each family weighs 1), and
how the largest families were called. Compares int8 exports of runs trained on the same
all.csv (so the same val families):

    .venv/bin/python benchmarks/recipe/val_families.py final/dcn/split.csv final/dcn/export/int8/model.tflite OLD.tflite
"""

import csv
import sys
from collections import defaultdict

from fracture_edge.core.metrics import auc_views, format_auc_views
from fracture_edge.core.predict import predict_files

rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["split"] == "val"]
y = [r["label"] == "fractured" for r in rows]
families = [r["family"] for r in rows]
for model in sys.argv[2:]:
    results, _ = predict_files([r["path"] for r in rows], model)
    p = [x["probability"] for x in results]
    calls = defaultdict(list)
    for r, x in zip(rows, results):
        calls[(r["family"], r["label"])].append(x["label"] == "fractured")
    print(f"{model}: AUC {format_auc_views(auc_views(y, p, families))} ({len(set(families))} families)")
    for label, name in (("fractured", "sensitivity"), ("not fractured", "specificity")):
        per_file = [c for (_, lab), cs in calls.items() if lab == label for c in cs]
        per_family = [sum(cs) / len(cs) for (_, lab), cs in calls.items() if lab == label]
        share = sum(per_file) / len(per_file), sum(per_family) / len(per_family)
        if label != "fractured":
            share = 1 - share[0], 1 - share[1]
        print(f"  {name}: per file {share[0]:.3f}, per radiograph {share[1]:.3f}")
    print("  families of >= 50 files (family, label, files, called fractured):",
          [(f, lab, len(cs), sum(cs)) for (f, lab), cs in calls.items() if len(cs) >= 50])
