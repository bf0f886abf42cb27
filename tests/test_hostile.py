"""Hostile input: every bad file, option, manifest and recipe is one line on stderr with the
right exit code, never a traceback; nothing is written outside ``--out``; a killed command
leaves nothing that the next one trips over.

The corpus is made at test time (``hostile.py``). Commands run in this process through the
console script's ``main`` (a subprocess costs about 2 s of imports); the SIGKILL tests need a
process to kill. Cases that need a trained model use the session's tiny run and are slow.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import (
    assert_one_line_error,
    bombs,
    changed_outside,
    dicom_variants,
    flatbuffer_model,
    flipped,
    jpeg_bytes,
    leftovers,
    png_bytes,
    run_cli,
    spec_json,
    tree,
)

from fracture_edge.core.decode import decode_bytes
from fracture_edge.core.errors import DecodeError

#: bench options that keep a row short
QUICK = ("--iterations", "1", "--warmup", "0", "--bootstrap", "10")


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A work folder: a small data folder, good and hostile files beside it, ``out`` free."""
    from fracture_edge.core.data.synth import synthesize

    synthesize(tmp_path / "data", 20, seed=1, size=32)
    (tmp_path / "good.png").write_bytes(png_bytes())
    os.mkfifo(tmp_path / "fifo.png")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock.tflite"))           # the socket file outlives the socket
    (tmp_path / "broken.png").symlink_to(tmp_path / "nowhere.png")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "text.tflite").write_text("hello")
    (tmp_path / "nospec.tflite").write_bytes(flatbuffer_model({}))
    (tmp_path / "badversion.tflite").write_bytes(flatbuffer_model({"fracture_edge.spec": spec_json(version=99)}))
    (tmp_path / "nolists.tflite").write_bytes(flatbuffer_model({"fracture_edge.spec": spec_json()}, lists=False))
    (tmp_path / "nosubgraph.tflite").write_bytes(flatbuffer_model({"fracture_edge.spec": spec_json()}))
    _fake_run(tmp_path / "run", tmp_path / "data")
    return tmp_path


def _fake_run(run: Path, data: Path) -> None:
    """A run folder whose ``model.keras`` was cut short (a copy interrupted, a full disk)."""
    from fracture_edge.core.spec import PreprocessSpec

    run.mkdir()
    (run / "model.keras").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (run / "spec.json").write_text(PreprocessSpec(height=32, width=32).to_json())
    rows = [f"{p},{p.parent.name},{p.parent.parent.name}" for p in sorted(data.glob("*/*/*.png"))]
    (run / "split.csv").write_text("path,label,split\n" + "\n".join(rows) + "\n")


def _recipe(corpus: Path, text: str | bytes) -> Path:
    f = corpus / "recipe.toml"
    f.write_bytes(text if isinstance(text, bytes) else f'description = "d"\n{text}\n'.encode())
    return f


# Each case: an id, the arguments ({stem} is the corpus file of that stem, {out} the output the
# command may write), the exit code and what the one line on stderr must say.
CASES = [
    # numeric options out of range, NaN among them
    ("train-batch-size-0", "train {data} --out {out} --batch-size 0", 2, "--batch-size must be at least 1"),
    ("train-width-0", "train {data} --out {out} --width 0", 2, "--width must be at least 1"),
    ("train-dropout-2", "train {data} --out {out} --dropout 2", 2, "--dropout must lie in [0, 1)"),
    ("train-lr-nan", "train {data} --out {out} --lr nan", 2, "--lr must be a finite number"),
    ("train-lr-inf", "train {data} --out {out} --lr inf", 2, "--lr must be a finite number"),
    ("train-lr-negative", "train {data} --out {out} --lr -1", 2, "--lr must be above 0"),
    ("train-lr-0", "train {data} --out {out} --lr 0", 2, "--lr must be above 0"),
    ("train-label-smoothing", "train {data} --out {out} --label-smoothing -1", 2, "--label-smoothing"),
    ("train-rotation", "train {data} --out {out} --rotation -5", 2, "--rotation must lie in [0, 180]"),
    ("train-seed", "train {data} --out {out} --seed -1", 2, "--seed must be at least 0"),
    ("train-operating-point-fifo", "train {data} --out {out} --operating-point {fifo}", 2, "not the operating point JSON"),
    ("train-operating-point-text", "train {data} --out {out} --operating-point {good}", 2, "cannot read operating point"),
    ("cv-l2", "cv {data} --out {out} --l2 -1", 2, "--l2 must be at least 0"),
    ("pretrain-temperature", "pretrain {data} --out {out} --temperature nan", 2, "--temperature must be positive"),
    ("pretrain-lr", "pretrain {data} --out {out} --lr inf", 2, "--lr must be positive"),
    ("bench-iterations", "bench {nospec} --data {data} --iterations 0", 2, "'--iterations'"),
    ("bench-threads", "bench {nospec} --data {data} --threads 0", 2, "--threads must be at least 1"),
    ("predict-threads", "predict {good} --model {nospec} --threads 0", 2, "'--threads'"),
    ("audit-workers", "data audit {data} --workers -2", 2, "'--workers'"),
    ("split-seed", "data split {data} --out {out} --seed -3", 2, "'--seed'"),
    ("synth-seed", "data synth {out} --seed -1", 2, "'--seed'"),
    ("export-calibration", "export {run} --out {out} --calibration-size -5", 2, "'--calibration-size'"),
    ("export-agreement", "export {run} --out {out} --min-agreement nan", 2, "'--min-agreement'"),
    # model files that are not models, are damaged, or are no files at all
    ("predict-text-model", "predict {good} --model {text}", 2, "not a .tflite"),
    ("predict-no-spec", "predict {good} --model {nospec}", 2, "no fracture-edge spec"),
    ("predict-spec-version", "predict {good} --model {badversion}", 2, "unsupported spec version 99"),
    ("predict-missing-lists", "predict {good} --model {nolists}", 2, "damaged .tflite: no operator codes"),
    ("predict-no-subgraph", "predict {good} --model {nosubgraph}", 2, "No subgraph"),
    ("predict-fifo-model", "predict {good} --model {fifo}", 2, "not a regular file (a FIFO)"),
    ("predict-device-model", "predict {good} --model /dev/zero", 2, "a character device"),
    ("predict-socket-model", "predict {good} --model {sock}", 2, "not a regular file (a socket)"),
    ("predict-folder-model", "predict {good} --model {folder}", 2, "is a folder"),
    ("predict-openvino-damaged", "predict {good} --model {nosubgraph} --runtime openvino", 2, "nosubgraph"),
    ("inspect-damaged", "inspect {nosubgraph}", 2, "damaged or unusable .tflite"),
    ("inspect-no-spec", "inspect {nospec}", 2, "no fracture-edge spec"),
    ("inspect-fifo", "inspect {fifo}", 2, "a FIFO"),
    # bench: a failed row is exit 1 and one summary line; the table of the rest is still printed
    ("bench-not-a-model", "bench {text} --data {data} --runtimes litert {quick}", 1, "1 of 1 rows failed"),
    ("bench-no-spec", "bench {nospec} --data {data} {quick}", 1, "rows failed: "),
    ("bench-spec-version", "bench {badversion} --data {data} --runtimes litert {quick}", 1,
     "badversion/litert"),
    ("bench-damaged", "bench {nosubgraph} {text} --data {data} --runtimes litert,litert-ref {quick}",
     1, "4 of 4 rows failed"),
    # outputs that cannot be written where they are asked for
    ("split-out-folder", "data split {data} --out {data}", 2, "is a folder"),
    ("audit-report-under-file", "data audit {data} --report {good}/report", 2, "a file is in the way"),
    ("audit-report-foreign", "data audit {data} --report {data}", 2, "is not a fracture-edge audit folder"),
    ("train-out-foreign", "train {data} --out {data} --force --epochs 1", 2, "is not a fracture-edge run folder"),
    ("synth-out-foreign", "data synth {run} --force", 2, "is not a fracture-edge synth folder"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line(corpus, case):
    _, template, code, needle = case
    out = corpus / "out"
    names = {p.stem: p for p in corpus.iterdir()}
    args = template.format(out=out, quick=" ".join(QUICK), **names).split()
    before = tree(corpus)
    outcome = run_cli(*args)
    assert_one_line_error(outcome, needle, code)
    assert changed_outside(before, tree(corpus), ("out",)) == []
    assert leftovers(corpus) == []


@pytest.mark.parametrize("case", [
    ("short-row", b"path,label,split\na.png,fractured,train\nb.png,fractured\n", ":3: 2 field(s) where the header has 3"),
    ("latin-1", "path,label\nbr\xfcche.png,fractured\n".encode("latin-1"), ":2: not UTF-8 text (byte 0xfc)"),
    ("nul-byte", b"path,label\na.png,fract\0ured\n", ":2: unknown label 'fract\\x00ured'"),
    ("no-label-column", b"path,klass\na.png,fractured\n", "lacks column(s) label"),
    ("unknown-label", b"path,label\na.png,maybe\n", ":2: unknown label 'maybe'"),
    ("fifo", None, "a FIFO"),
], ids=lambda c: c[0])
def test_bad_manifest_names_its_line(corpus, case):
    name, content, needle = case
    manifest = corpus / "split.csv"
    if content is None:
        os.mkfifo(manifest)
    else:
        manifest.write_bytes(content)
    assert_one_line_error(run_cli("data", "audit", manifest), needle)


def test_byte_order_mark_is_not_part_of_the_first_column(corpus):
    rows = [f"{p.relative_to(corpus)},{p.parent.name}" for p in sorted((corpus / "data").glob("*/*/*.png"))]
    manifest = corpus / "excel.csv"
    manifest.write_bytes(("path,label\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-8-sig"))
    outcome = run_cli("data", "audit", manifest)
    assert outcome.code == 0 and "error" not in outcome.err, outcome.err


@pytest.mark.parametrize("case", [
    ("sparsity-string", 'name = "x"\nprune_sparsity = "high"', "prune_sparsity must be a finite number (got 'high')"),
    ("epochs-string", 'name = "x"\nqat = true\nfine_tune_epochs = "4"', "fine_tune_epochs must be an integer (got '4')"),
    ("epochs-bool", 'name = "x"\nfine_tune_epochs = true', "fine_tune_epochs must be an integer (got True)"),
    ("name-number", "name = 5", "name must be a string (got 5)"),
    ("supported-type", 'name = "x"\nsupported_types = ["float13"]', "unknown supported_types entry 'float13'"),
    ("optimizations-string", 'name = "x"\noptimizations = "DEFAULT"', "optimizations must be a list of strings"),
    ("name-escapes", 'name = "../../x"', "name '../../x' must be letters"),
    ("name-hidden", 'name = ".x"', "name '.x' must be letters"),
    ("name-dot", 'name = "."', "name '.' must be letters"),
    ("not-utf-8", b'name = "\xff"\ndescription = "d"\n', "not UTF-8"),
    ("not-toml", 'name = "x"\nqat = [', "not valid TOML"),
], ids=lambda c: c[0])
def test_bad_recipe_is_one_line(corpus, case):
    _, text, needle = case
    recipe = _recipe(corpus, text)
    before = tree(corpus)
    assert_one_line_error(run_cli("export", corpus / "run", "--out", corpus / "out", "--recipe", recipe), needle)
    assert changed_outside(before, tree(corpus), ()) == [], "nothing is written, inside --out or out of it"


def test_empty_recipe_name_with_force_leaves_the_export_folder_alone(corpus):
    """Once, ``name = ""`` made the variant folder ``--out`` itself, and --force emptied it."""
    out = corpus / "out"
    out.mkdir()
    (out / "keep.txt").write_text("the user's")
    outcome = run_cli("export", corpus / "run", "--out", out, "--force", "--recipe", _recipe(corpus, 'name = ""'))
    assert_one_line_error(outcome, "name '' must be letters")
    assert (out / "keep.txt").read_text() == "the user's"


@pytest.mark.parametrize("ext", sorted(bombs()))
def test_decompression_bomb_is_refused_before_decoding(ext):
    with pytest.raises(DecodeError, match="exceeds the limit"):
        decode_bytes(bombs()[ext], f"bomb.{ext}")


@pytest.mark.parametrize("name", sorted(dicom_variants()))
def test_dicom_variants_decode_or_say_why(name):
    data, problem = dicom_variants()[name]
    if problem is None:
        assert decode_bytes(data, name).dtype.name == "uint8"
    else:
        with pytest.raises(DecodeError, match=problem):
            decode_bytes(data, name)


def test_junk_after_the_jpeg_end_marker_is_not_a_truncation():
    """Bytes after FF D9 (some writers append them) once read as a scan when they held FF DA."""
    good = jpeg_bytes()
    assert decode_bytes(good + b"junk \xff\xda more junk").shape == (16, 16)
    with pytest.raises(DecodeError, match="truncated JPEG"):
        decode_bytes(good[: len(good) // 2] + b"\xff\xda")


def test_unusable_files_in_a_data_folder_are_named_and_counted(corpus):
    """Broken links, FIFOs, folders named like images, bombs and damaged DICOMs are skipped
    with their reason (audit lists them), never dropped silently, never waited on."""
    cls = corpus / "data" / "train" / "fractured"
    (cls / "broken.png").symlink_to(cls / "gone.png")
    os.mkfifo(cls / "fifo.png")
    for ext, data in bombs().items():
        (cls / f"bomb.{ext}").write_bytes(data)
    for name, (data, problem) in dicom_variants().items():
        (cls / f"{name}.dcm").write_bytes(data)
    report = corpus / "out" / "audit.json"
    outcome = run_cli("data", "audit", corpus / "data", "--json", report)
    assert outcome.code == 0 and outcome.lines == [], outcome.err
    reasons = {Path(u["path"]).name: u["reason"] for u in json.loads(report.read_text())["unusable"]}
    assert "broken link" in reasons["broken.png"]
    assert "a FIFO" in reasons["fifo.png"]
    assert all("exceeds the limit" in reasons[f"bomb.{ext}"] for ext in bombs())
    for name, (_, problem) in dicom_variants().items():
        assert (f"{name}.dcm" in reasons) == (problem is not None), name


def test_one_class_fails_at_split_and_is_warned_about_at_audit(corpus):
    data = corpus / "data"
    for folder in data.glob("*/not fractured"):
        folder.rename(folder.with_name("ok"))                  # a name no alias matches
    assert_one_line_error(run_cli("data", "split", data, "--out", corpus / "out" / "s.csv"), "needs both classes")
    outcome = run_cli("data", "audit", data)
    assert outcome.code == 0
    assert len(outcome.lines) == 1 and outcome.lines[0].startswith("warning: ") and "both classes" in outcome.lines[0]


def test_audit_report_replaces_its_own_earlier_report_whole(corpus):
    report = corpus / "out"
    assert run_cli("data", "audit", corpus / "data", "--report", report).code == 0
    (report / "stale.png").write_bytes(png_bytes())
    assert run_cli("data", "audit", corpus / "data", "--report", report).code == 0
    assert not (report / "stale.png").exists() and (report / "report.md").is_file()


def test_bench_keep_going_accepts_a_partial_table(corpus):
    outcome = run_cli("bench", corpus / "text.tflite", "--data", corpus / "data", "--runtimes", "litert",
                      *QUICK, "--keep-going")
    assert outcome.code == 0 and outcome.lines == [], outcome.err
    assert "error:" in outcome.out               # the status column still says what failed


def test_a_runtime_that_is_not_installed_is_one_line_in_predict(corpus, monkeypatch):
    from fracture_edge.core import runtimes

    missing = runtimes.RuntimeInfo("openvino", "fracture_edge_no_such_module", "x", "tflite", "openvino")
    monkeypatch.setitem(runtimes.RUNTIMES, "openvino", missing)
    outcome = run_cli("predict", corpus / "good.png", "--model", corpus / "nosubgraph.tflite", "--runtime", "openvino")
    assert_one_line_error(outcome, "openvino is not installed")


def test_failed_rows_count_unavailable_runtimes_only_when_named():
    from fracture_edge.core.bench.runner import failed_rows

    rows = [{"model": "m", "variant": "int8", "runtime": "openvino-bf16", "threads": 2, "status": "unavailable: no"},
            {"model": "m", "variant": "int8", "runtime": "litert", "threads": 2, "status": "ok"},
            {"model": "m", "variant": "onnx", "runtime": "onnxruntime", "threads": None, "status": "error: x"}]
    assert failed_rows(rows, named_runtimes=False) == ["m/onnx/onnxruntime"]
    assert failed_rows(rows, named_runtimes=True) == ["m/int8/openvino-bf16/2 threads", "m/onnx/onnxruntime"]


def test_bench_ignores_a_killed_exports_temporary_folder(corpus):
    export = corpus / "export"
    for name in ("int8", f".int8.{_dead_pid()}.abc123.tmp"):
        (export / name).mkdir(parents=True)
        (export / name / "model.tflite").write_text("x")
    outcome = run_cli("bench", export, "--data", corpus / "data", "--runtimes", "litert", *QUICK,
                      "--json", corpus / "rows.json", "--keep-going")
    assert outcome.code == 0, outcome.err
    assert [Path(r["path"]).parent.name for r in json.loads((corpus / "rows.json").read_text())] == ["int8"]


def test_stale_temporaries_are_removed_and_live_ones_kept(tmp_path):
    dead = tmp_path / f".out.{_dead_pid()}.x1y2z3.tmp"
    live = tmp_path / f".other.{os.getpid()}.a1b2c3.tmp"
    user = tmp_path / ".notes.tmp"                         # not one of ours: no pid
    for d in (dead, live, user):
        d.mkdir()
    assert run_cli("data", "synth", tmp_path / "out", "--n", "10", "--size", "32").code == 0
    assert not dead.exists() and live.exists() and user.exists()


@pytest.mark.parametrize("umask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_outputs_follow_the_umask(tmp_path, umask, file_mode, dir_mode):
    old = os.umask(umask)
    try:
        assert run_cli("data", "synth", tmp_path / "out", "--n", "10", "--size", "32").code == 0
        assert run_cli("data", "split", tmp_path / "out", "--out", tmp_path / "split.csv").code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == dir_mode
    assert (tmp_path / "out" / "manifest.json").stat().st_mode & 0o777 == file_mode
    assert (tmp_path / "split.csv").stat().st_mode & 0o777 == file_mode


def test_killed_synth_leaves_nothing_the_rerun_trips_over(tmp_path):
    """SIGKILL runs no cleanup: the temporary folder stays until the next write there."""
    proc = _start("data", "synth", "out", "--n", "100000", "--size", "64", cwd=tmp_path)
    _kill_when(proc, lambda: list(tmp_path.glob(".out.*.tmp/*/*/*.png")))
    assert leftovers(tmp_path)
    assert run_cli("data", "synth", tmp_path / "out", "--n", "10", "--size", "32").code == 0
    assert leftovers(tmp_path) == [] and (tmp_path / "out" / "manifest.json").is_file()


# ----------------------------------------------------------------------------- with a trained model
@pytest.fixture(scope="module")
def flips(tiny_exports, tmp_path_factory) -> list[Path]:
    """The tiny int8 and float32 models, each byte-flipped a dozen times."""
    root = tmp_path_factory.mktemp("flips")
    out = []
    for variant in ("int8", "float32"):
        for pos, data in flipped((tiny_exports / variant / "model.tflite").read_bytes(), 12):
            out.append(root / f"{variant}_{pos}.tflite")
            out[-1].write_bytes(data)
    return out


def _works_or_names_the_file(outcome, path: Path) -> None:
    assert "Traceback" not in outcome.err
    if outcome.code != 0:
        assert_one_line_error(outcome, str(path))


@pytest.mark.slow
def test_byte_flipped_models_run_or_are_refused_in_one_line(flips, synth_dir):
    image = sorted((synth_dir / "test" / "fractured").glob("*.png"))[0]
    for model in flips:
        _works_or_names_the_file(run_cli("predict", image, "--model", model), model)
        _works_or_names_the_file(run_cli("inspect", model), model)
    outcome = run_cli("bench", *flips[::4], "--data", synth_dir, "--runtimes", "litert,litert-ref,openvino",
                      *QUICK)
    assert outcome.code in (0, 1) and len(outcome.lines) <= 1, outcome.err


@pytest.mark.slow
def test_predict_refuses_what_is_not_a_regular_image(tiny_exports, corpus):
    model = tiny_exports / "int8" / "model.tflite"
    for name in ("fifo.png", "broken.png", "folder.png"):
        assert_one_line_error(run_cli("predict", corpus / name, "--model", model), name)
    assert_one_line_error(run_cli("predict", "/dev/zero", "--model", model), "a character device")
    for ext, data in bombs().items():
        (corpus / f"bomb.{ext}").write_bytes(data)
        assert_one_line_error(run_cli("predict", corpus / f"bomb.{ext}", "--model", model), "exceeds the limit")
    for name, (data, problem) in dicom_variants().items():
        (corpus / f"{name}.dcm").write_bytes(data)
        outcome = run_cli("predict", corpus / f"{name}.dcm", "--model", model)
        if problem is None:
            assert outcome.code == 0 and outcome.lines == [], outcome.err
        else:
            assert_one_line_error(outcome, problem)


@pytest.mark.slow
def test_a_damaged_manifest_beside_a_model(tiny_exports, synth_dir, tmp_path):
    """inspect shows the manifest, so a damaged one is its error; bench only reads the source
    run from it, and falls back to the export folder."""
    folder = tmp_path / "int8"
    folder.mkdir()
    (folder / "model.tflite").write_bytes((tiny_exports / "int8" / "model.tflite").read_bytes())
    (folder / "manifest.json").write_bytes(b"\xff{ not json")
    assert_one_line_error(run_cli("inspect", folder / "model.tflite"), "cannot read export manifest")
    outcome = run_cli("bench", folder, "--data", synth_dir, "--runtimes", "litert", *QUICK)
    assert outcome.code == 0 and outcome.lines == [], outcome.err


@pytest.mark.slow
def test_bench_on_a_split_whose_files_are_all_missing_fails(tiny_exports, tmp_path):
    manifest = tmp_path / "gone.csv"
    manifest.write_text("path,label,split\nno1.png,fractured,test\nno2.png,normal,test\n")
    outcome = run_cli("bench", tiny_exports / "int8" / "model.tflite", "--data", manifest, "--runtimes", "litert",
                      *QUICK)
    assert outcome.code == 1 and outcome.lines[-1].startswith("error: 1 of 1 rows failed"), outcome.err
    assert all(line.startswith("warning: skipped") for line in outcome.lines[:-1])


@pytest.mark.slow
def test_truncated_keras_model_is_one_line(corpus):
    assert_one_line_error(run_cli("export", corpus / "run", "--out", corpus / "out"), "model.keras: damaged")


@pytest.mark.slow
def test_killed_train_leaves_nothing_the_rerun_trips_over(synth_dir, tmp_path):
    args = ("train", synth_dir, "--out", tmp_path / "run", "--img-size", "64", "--width", "4", "--epochs", "1",
            "--batch-size", "32")
    proc = _start(*args, cwd=tmp_path)
    _kill_when(proc, lambda: list(tmp_path.glob(".run.*.tmp/checkpoints")))
    assert leftovers(tmp_path)
    outcome = run_cli(*args)
    assert outcome.code == 0, outcome.err
    assert leftovers(tmp_path) == [] and (tmp_path / "run" / "model.keras").is_file()


@pytest.mark.slow
def test_killed_export_reruns_without_force(tiny_run, tmp_path):
    """Killed after its first variant: the same command keeps that one and writes the rest."""
    args = ("export", tiny_run, "--out", tmp_path / "export", "--float32", "--dynamic", "--min-agreement", "0")
    proc = _start(*args, cwd=tmp_path)
    _kill_when(proc, lambda: (tmp_path / "export" / "float32" / "manifest.json").exists())
    first = (tmp_path / "export" / "float32" / "model.tflite").stat().st_mtime_ns
    outcome = run_cli(*args)
    assert outcome.code == 0, outcome.err
    assert leftovers(tmp_path) == []
    assert (tmp_path / "export" / "float32" / "model.tflite").stat().st_mtime_ns == first
    assert (tmp_path / "export" / "dynamic" / "model.tflite").is_file()
    assert_one_line_error(run_cli("export", tiny_run, "--out", tmp_path / "export", "--float32"), "use --force")


def _start(*args, cwd: Path) -> subprocess.Popen:
    code = f"from fracture_edge.cli import main; main({[str(a) for a in args]!r})"
    return subprocess.Popen([sys.executable, "-c", code], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "FRACTURE_EDGE_PROGRESS": "off"})


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 240) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` holds (polled)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "timeout"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
