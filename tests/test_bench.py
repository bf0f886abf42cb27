"""The bench: rows, comparison with float, views (Markdown, CSV, JSON, plots, HTML) and bad input."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from test_cli import _one_line_error, run_cli

from fracture_edge.core.bench.memory import PeakRSS
from fracture_edge.core.bench.report import markdown_table, rows_for_json
from fracture_edge.core.bench.runner import (
    KERAS_VARIANT,
    _images_for,
    bench,
    bench_meta,
    check_variants,
    compare_with_float,
    expand_models,
    reference_variant,
    verdict,
)
from fracture_edge.core.errors import InputError, ModelFileError
from fracture_edge.core.files import csv_text
from fracture_edge.core.spec import PreprocessSpec
from fracture_edge.core.variants import VARIANTS
from fracture_edge.plots.bench import pareto_front, write_report


def test_reference_is_read_from_the_variant_table():
    ref = VARIANTS[reference_variant()]
    assert not ref.optimizations and not ref.calibrate and ref.io_dtype == "float32"
    assert reference_variant() == "float32"


def test_unknown_variant_lists_the_valid_ones():
    with pytest.raises(InputError, match=f"choose from {', '.join(VARIANTS)}, {KERAS_VARIANT}"):
        check_variants(["int4"])


def test_cli_unknown_variant_is_one_line(tmp_path):
    (tmp_path / "m.tflite").write_text("x")
    _one_line_error(run_cli("bench", str(tmp_path / "m.tflite"), "--data", str(tmp_path), "--variants", "int4"),
                    "choose from")


def test_cli_data_folder_without_images(tmp_path):
    (tmp_path / "m.tflite").write_text("x")
    (tmp_path / "empty").mkdir()
    _one_line_error(run_cli("bench", str(tmp_path / "m.tflite"), "--data", str(tmp_path / "empty")),
                    "no class folders with images")


def test_report_without_matplotlib_names_the_extra(tmp_path, monkeypatch, capsys):
    """The [edge] install has no matplotlib: --report says which extra brings it, in one line
    and before any row is run (the model here is not even a model)."""
    import builtins

    from fracture_edge.cli import main

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError("No module named 'matplotlib'", name="matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    (tmp_path / "m.tflite").write_text("x")
    with pytest.raises(SystemExit) as exit_:
        main(["bench", str(tmp_path / "m.tflite"), "--data", str(tmp_path), "--report", str(tmp_path / "rep")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: plots need matplotlib, which is not installed: pip install 'fracture-edge[train]'"]
    assert not (tmp_path / "rep").exists()


def test_the_named_extra_brings_matplotlib():
    import tomllib

    from fracture_edge.plots.figures import PLOTS_EXTRA

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    assert any(d.startswith("matplotlib") for d in extras[PLOTS_EXTRA])
    assert not any(d.startswith("matplotlib") for d in extras["edge"])


def test_missing_model_path(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        expand_models([tmp_path / "nope.tflite"])


def test_model_input_that_differs_from_the_data():
    class Session:
        spec = PreprocessSpec(height=64, width=64)
        input_shape = (96, 96, 3)

    with pytest.raises(ModelFileError, match=r"model input \(96, 96, 3\) differs from the \(64, 64, 3\)"):
        _images_for(Session(), [], {})


def test_pareto_front_by_hand():
    points = [(1.0, 0.80), (2.0, 0.85), (1.5, 0.79), (3.0, 0.84), (4.0, 0.90), (0.5, 0.70)]
    assert pareto_front(points) == [(0.5, 0.70), (1.0, 0.80), (2.0, 0.85), (4.0, 0.90)]


def _row(variant, runtime, probs, labels, run="r"):
    return {"model": run, "run": run, "variant": variant, "runtime": runtime, "threads": 1, "status": "ok",
            "threshold": 0.5, "labels": labels, "probabilities": probs, "groups": None, "auc": 0.9,
            "auc_lo": 0.8, "auc_hi": 0.95, "latency_ms": 1.0, "size_bytes": 2048, "gzip_bytes": 1024, "kind": "tflite"}


def test_compare_with_float_says_better_worse_or_not_significant():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200).tolist()
    good = [0.9 if t else 0.1 for t in y]
    same_mostly = list(good)
    same_mostly[0] = 1 - same_mostly[0]  # one flipped decision: not significant
    broken = [0.4 if t else 0.6 for t in y[:100]] + good[100:]  # half the images wrong
    rows = [_row("float32", "litert", broken, y, run="b"), _row("int8", "litert", good, y, run="b"),
            _row("float32", "litert", good, y), _row("int8", "litert", same_mostly, y),
            _row("dynamic", "litert", broken, y), _row("int8", "openvino", good, y, run="other")]
    compare_with_float(rows, n_boot=200)
    _, better, ref, ok, bad, orphan = rows
    assert ref["agreement"] == 1.0 and "mcnemar_p" not in ref and "versus_float" not in ref
    assert ok["agreement"] == pytest.approx(0.995) and ok["versus_float"] == "n.s."
    assert (ok["mcnemar_b"], ok["mcnemar_c"]) == (1, 0)
    assert bad["versus_float"] == "worse" and bad["mcnemar_b"] == 100 and bad["auc_delta_hi"] < 0
    # more accurate than its float model: significant in the other direction, not "n.s."
    assert better["versus_float"] == "better" and better["mcnemar_c"] == 100 and better["mcnemar_p"] < 0.05
    assert "agreement" not in orphan  # no float model of that run
    table = markdown_table(rows)
    assert "| n.s. |" in table and "| worse |" in table and "| better |" in table
    assert "0.900 [0.800, 0.950]" in table


@pytest.mark.parametrize("auc_lo, auc_hi, b, c, p, expected", [
    (-0.01, 0.01, 3, 1, 0.6, "n.s."),
    (-0.05, -0.01, 3, 1, 0.6, "worse"),       # AUC interval below 0
    (-0.01, 0.01, 30, 5, 0.001, "worse"),     # more decisions lost than won
    (0.01, 0.05, 3, 1, 0.6, "better"),        # AUC interval above 0
    (-0.01, 0.01, 5, 30, 0.001, "better"),    # more decisions won than lost
    (0.01, 0.05, 30, 5, 0.001, "worse"),      # a significant loss wins over a gain elsewhere
    (None, None, 5, 30, 0.001, "better"),     # no AUC interval (one class only)
])
def test_verdict(auc_lo, auc_hi, b, c, p, expected):
    assert verdict(auc_lo, auc_hi, {"b": b, "c": c, "p_value": p}) == expected


def test_bench_meta_names_the_cpu_and_its_flags():
    meta = bench_meta(["m.tflite"], "data", "test", (1,), 2, 5)
    assert meta["cpu"] and meta["cpu_flags"]
    from fracture_edge.core.cpu import cpu_info

    assert meta["cpu_flags"] == (", ".join(cpu_info()["flags"]) or "unknown")


@pytest.mark.parametrize("flags, expected, bf16", [
    ("fpu sse2 avx2 fma", ["AVX2", "FMA"], False),
    ("avx2 fma avx512f avx512_vnni avx512_bf16", ["AVX2", "FMA", "AVX-512F", "AVX-512 VNNI", "AVX-512 BF16"], True),
    ("avx2 avx512f amx_tile amx_bf16 amx_int8", ["AVX2", "AVX-512F", "AMX", "AMX-BF16", "AMX-INT8"], True),
], ids=["avx2", "zen4", "amx"])
def test_cpu_flags_are_read_and_named(flags, expected, bf16):
    from fracture_edge.core.cpu import cpu_info

    info = cpu_info(f"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    assert info == {"model": "Test CPU", "flags": expected, "bf16": bf16}


def test_views_leave_per_image_data_out(tmp_path):
    y = [0, 1, 0, 1]
    rows = [_row("float32", "litert", [0.2, 0.8, 0.3, 0.7], y), _row("int8", "litert", [0.2, 0.8, 0.6, 0.7], y)]
    compare_with_float(rows, n_boot=50)
    assert "probabilities" not in rows_for_json(rows)[0]
    header = csv_text(rows_for_json(rows)).splitlines()[0].split(",")
    assert "latency_ms" in header and "labels" not in header
    files = write_report(rows, tmp_path / "rep", {"data": "x"})
    page = files["html"].read_text()
    assert page.count("data:image/png;base64,") == 3 and "<table>" in page and "src=\"http" not in page
    assert json.loads(files["json"].read_text())["rows"][1]["variant"] == "int8"
    for name in ("latency_vs_auc", "roc", "size"):
        assert files[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_peak_rss_sees_an_allocation():
    """Linux always has the high-water mark PeakRSS reads: there a None is a failure."""
    if not sys.platform.startswith("linux"):
        pytest.skip(f"peak RSS is read from Linux's /proc/self/status, which {sys.platform} does not have")
    with PeakRSS() as m:
        block = np.ones(64 * 2 ** 20 // 8)
        block[::512] = 2.0
        del block
    assert m.added_mb is not None and 50 <= m.added_mb < 200, m.added_mb


@pytest.mark.slow
def test_bench_every_runtime_side_by_side(tiny_run, tiny_exports, synth_dir, tmp_path):
    from fracture_edge.training.onnx_convert import convert_run

    rows = bench([tiny_run, tiny_exports], synth_dir, "test", None, threads=(1, 2), warmup=2, iterations=5,
                 n_boot=100, convert_onnx=convert_run)
    seen = {(r["variant"], r["runtime"]): r for r in rows if r["threads"] in (1, None)}
    for key in (("float32", "litert"), ("int8", "litert"), ("float32", "litert-ref"), ("int8", "openvino"),
                ("float32", "onnxruntime"), ("int8", "onnxruntime"), (KERAS_VARIANT, "keras")):
        assert key in seen, sorted(seen)
    for r in rows:
        if r["status"].startswith("unavailable"):
            continue
        assert r["status"] == "ok", r["status"]
        assert r["auc_lo"] <= r["auc"] <= r["auc_hi"] and r["gzip_bytes"] > 0
        # latency_ms is the median of the timed runs; the first run (and the warm-up) is not among them
        assert r["min_ms"] <= r["latency_ms"] <= r["p90_ms"] <= r["p99_ms"], r
        assert r["first_ms"] > 0 and r["iterations"] == 5 and r["warmup"] == 2
        assert r["bootstrap_unit"] == "image" and r["load_ms"] > 0
        # every row names its float arithmetic: float32 unless it is the bf16 row
        assert r["math"] == ("bf16" if r["runtime"] == "openvino-bf16" else "f32"), (r["runtime"], r["math"])
    from fracture_edge.core.cpu import cpu_info

    bf16_rows = [r for r in rows if r["runtime"] == "openvino-bf16"]
    assert bf16_rows and all((r["status"] == "ok") == cpu_info()["bf16"] for r in bf16_rows), \
        [r["status"] for r in bf16_rows]
    assert [r["threads"] for r in rows if r["runtime"] == "litert-ref" and r["variant"] == "float32"] == [1]
    int8 = seen[("int8", "litert")]
    assert int8["reduced_precision"] and int8["reference"] == "float32/litert" and "mcnemar_p" in int8
    assert seen[("float32", "litert")]["agreement"] == 1.0


def test_without_a_converter_the_onnx_rows_say_why(tiny_run, synth_dir):
    """The core runs ONNX models but cannot make them from Keras: without the training layer's
    converter the onnxruntime row is an "unavailable" row naming it, not an error."""
    rows = bench([tiny_run], synth_dir, "test", ["onnxruntime"], warmup=0, iterations=1, n_boot=10)
    assert [r["status"] for r in rows] == ["unavailable: ONNX conversion of a Keras run needs the training layer"]
