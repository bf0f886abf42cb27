"""Peak resident memory a runtime adds while it loads a model and runs it.

Linux keeps a per-process high-water mark of resident memory (``VmHWM`` in
``/proc/self/status``) and lets a process reset it to the current RSS by writing ``5`` to
``/proc/self/clear_refs``. Resetting before a row and reading the mark after it gives the peak
memory of that row minus what the process held before it (Python, NumPy, the decoded images),
without a subprocess per row. Where the reset is not allowed (not Linux, restricted /proc) the
figure is None rather than a misleading ``getrusage`` maximum over the whole process.
"""

from __future__ import annotations

from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class PeakRSS:
    """``with PeakRSS() as m: ...`` then ``m.added_mb`` (None where it cannot be measured)."""

    def __enter__(self):
        self.added_mb = None
        try:
            CLEAR_REFS.write_text("5")
            self._base_kb = _status_kb("VmRSS")
        except (OSError, KeyError):
            self._base_kb = None
        return self

    def __exit__(self, *exc):
        if self._base_kb is not None:
            self.added_mb = max(0, _status_kb("VmHWM") - self._base_kb) / 1024
        return False
