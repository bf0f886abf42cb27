"""Atomic writes: a killed command leaves either the old file or the new one, never half.

Every file the toolkit writes goes through here: write to a temporary name in the same folder
(same filesystem, so the rename is atomic), fsync, then ``os.replace``. Temporary names carry
the writer's process id (``.NAME.PID.RANDOM.tmp``), so the next command that writes into the
same folder can tell a killed run's leftovers (their process is gone) from a live one's and
remove them. What is written follows the umask, as files made with ``open`` would.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import InputError

log = logging.getLogger("fracture_edge")

#: A temporary name made here: ``.NAME.PID.RANDOM.tmp``, with the writer's own extension after
#: ``.tmp`` where it checks one (``.tmp.keras``, ``.tmp.png``).
TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)\.\w+\.tmp(\.\w+)?$")

#: Folders already cleared of stale temporary names by this process.
_swept: set[Path] = set()


def regular_file(path: str | os.PathLike, what: str = "file", error: type[InputError] = InputError) -> Path:
    """``path`` if it is a regular file (links followed); else ``error`` naming it, on one line.

    Reading a FIFO blocks forever and a device never ends, so only regular files are opened as
    images, models, manifests or recipes. ``error`` lets a caller keep its own class (an image
    that cannot be read is a :class:`~.errors.DecodeError`, skipped inside a folder).
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise error(f"{path}: no such file" + (" (a broken link)" if path.is_symlink() else "")) from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise error(f"{path}: is a folder, not {what}")
    if not stat.S_ISREG(mode):
        raise error(f"{path}: not a regular file ({_kind(mode)}), not {what}")
    return path


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def _umask() -> int:
    """The process umask, read from /proc where it can be (``os.umask`` must set it to read it,
    which races with other threads creating files)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _follow_umask(path: Path, base: int) -> None:
    """mkstemp and mkdtemp make 0600 files and 0700 folders; give them what ``open`` and
    ``mkdir`` would have (0644 and 0755 under the usual umask), so shared outputs are readable."""
    os.chmod(path, base & ~_umask())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # someone else's live process
        return True
    return True


def remove_stale(folder: Path) -> None:
    """Remove the temporary files and folders a killed run left in ``folder`` (their writer's
    process no longer exists)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            m = TEMP_NAME.match(entry.name)
            if not m or _pid_alive(int(m["pid"])):
                continue
            p = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            log.info("removed %s, left by a killed run", p)


def _check_parent(path: Path) -> None:
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"cannot create folder {parent}: a file is in the way") from None
    except OSError as exc:
        raise InputError(f"cannot create folder {parent}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise InputError(f"output folder is not writable: {parent}")
    if parent.resolve() not in _swept:
        remove_stale(parent)
        _swept.add(parent.resolve())


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    ``suffix`` lets writers that check the extension (Keras, matplotlib) accept the temp name.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder: expected the name of a file to write")
    _check_parent(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp" if suffix == ".tmp" else f".tmp{suffix}",
                               dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        _follow_umask(tmp_path, 0o666)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def csv_text(rows: list[dict], fields=None) -> str:
    """Rows of dicts as CSV text: the columns are ``fields`` or every key in order of first
    appearance (a key missing from a row is an empty cell). The one CSV writer: split
    manifests, folds, out-of-fold predictions, histories and tables all go through it."""
    import csv
    import io

    fields = list(fields) if fields is not None else list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_csv(path: str | os.PathLike, rows: list[dict], fields=None) -> Path:
    """:func:`csv_text`, written atomically."""
    return write_text(path, csv_text(rows, fields))


def write_json(path: str | os.PathLike, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj):
    """Let NumPy scalars and arrays, and paths, go into JSON without ceremony."""
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def written_here(folder: Path, kind: str) -> bool:
    """Whether ``--force`` may replace ``folder`` with an output of ``kind``: it is empty, or an
    earlier output of the same kind (its ``manifest.json`` says so, or every subfolder's does,
    as in ``RUN/onnx``). Anything else, a data folder made by ``data synth`` included, holds
    files the command did not write."""
    if not folder.is_dir():
        return False
    entries = list(folder.iterdir())
    if not entries or _manifest_kind(folder / "manifest.json") == kind:
        return True
    return all(e.is_dir() and _manifest_kind(e / "manifest.json") == kind for e in entries)


def _manifest_kind(path: Path) -> str | None:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("kind") if isinstance(manifest, dict) else None


def check_output(path: str | os.PathLike, force: bool, kind: str) -> None:
    """Refuse an output folder that exists, unless ``force``; even then, refuse one that is not
    an earlier output of ``kind`` (see :func:`written_here`). Commands call it before any
    work, :func:`atomic_dir` again before the swap."""
    path = Path(path)
    if path.exists() and not force:
        raise InputError(f"output exists: {path} (use --force to replace it)")
    if path.exists() and not written_here(path, kind):
        raise InputError(f"output exists and is not a {kind} folder: {path} (--force replaces only what the "
                         "command itself wrote: remove it or choose another name)")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, force: bool = False, *, kind: str) -> Iterator[Path]:
    """Build a whole output folder of ``kind`` (the ``kind`` its manifest names) under a
    temporary name, then swap it into place.

    An existing ``path`` is refused unless ``force``; with ``force`` it is replaced only once
    the new folder is complete, and only if it is an earlier output of ``kind``.
    """
    path = Path(path)
    check_output(path, force, kind)
    _check_parent(path)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent))
    _follow_umask(tmp, 0o777)
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f"{_temp_prefix(path)}old.tmp")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
